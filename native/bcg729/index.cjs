'use strict';
// Loader of bcg729.node (G.729, docs/g729.md) for firmware/media/g729.ts.
//
// A plain static require of scripts/native-shim.cjs: esbuild inlines both into
// the bundle (the same shim module the packages' redirected loaders use), and
// the shim opens native/linux-<arch>/bcg729.node beside the executable (SEA),
// out/native/ beside the bundle, or out/native/ from the source tree (tsx).
// A missing addon gives the shim's stand-in, which throws PBX_NATIVE_UNAVAILABLE
// on first call; firmware/media/g729.ts turns that into a MediaError.
const shim = require('../../scripts/native-shim.cjs');

module.exports = shim.loadAddon('bcg729');
