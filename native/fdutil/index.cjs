'use strict';
// Loader of fdutil.node (see fdutil.c) for firmware/main.ts, through the same
// shim as bcg729: native/linux-<arch>/ beside the executable (SEA), out/native/
// beside the bundle or from the source tree (tsx). A missing addon gives the
// shim's stand-in, which throws PBX_NATIVE_UNAVAILABLE on first call.
const shim = require('../../scripts/native-shim.cjs');

module.exports = shim.loadAddon('fdutil');
