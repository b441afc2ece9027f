'use strict';
// Loads the firmware's native addons inside the bundle / single executable.
//
// scripts/build.mjs redirects the packages' own loaders (`node-gyp-build` from
// @serialport/bindings-cpp, `bindings` from epoll) here, and our own addon's
// loader (native/bcg729/index.cjs) requires it directly: inside a SEA `require`
// reaches built-ins only, so the `.node` files are shipped beside the binary
// in native/<platform>-<arch>/ and opened with process.dlopen.
//
// A missing or unloadable addon does not fail at import time: the caller gets a
// stand-in that throws on first use, so the sim board (which never opens a
// serial port or a GPIO line) still runs. native-check reads the load error
// through LOAD_ERROR.

const path = require('node:path');
const sea = require('node:sea');

/** Shared with firmware/hal/linux/native-check.ts (Symbol.for: no import between them). */
const LOAD_ERROR = Symbol.for('pbxgate.native.loadError');

/** @type {Map<string, unknown>} */
const loaded = new Map();

function nativeDir() {
  const sub = `${process.platform}-${process.arch}`;
  // SEA: __dirname is not ours to trust, the binary's own path is.
  if (sea.isSea()) return path.join(path.dirname(process.execPath), 'native', sub);
  // Not bundled: this file required where it lies, in scripts/, by firmware code run
  // from source (tsx: native/bcg729/index.cjs). The build's out/native/ holds the files.
  if (path.basename(__dirname) === 'scripts') return path.join(__dirname, '..', 'out', 'native', sub);
  // Plain bundle run by `node out/bundle/pbxgate.cjs`: the files are in out/native/.
  return path.join(__dirname, '..', 'native', sub);
}

/**
 * A value that stands for an addon that failed to load: any property access
 * gives another stand-in, any call or `new` throws the load error.
 * @param {string} name
 * @param {unknown} cause
 */
function deferredFailure(name, cause) {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(`native addon "${name}" is unavailable: ${reason}`, { cause });
  Object.assign(error, { code: 'PBX_NATIVE_UNAVAILABLE' });
  const fail = () => {
    throw error;
  };
  /** @type {ProxyHandler<() => void>} */
  const handler = {
    get(_target, key) {
      if (key === LOAD_ERROR) return error;
      // Not a thenable, not an ES module namespace, nothing for inspectors.
      if (typeof key === 'symbol' || key === 'then' || key === '__esModule') return undefined;
      return stub;
    },
    apply: fail,
    construct: fail,
  };
  // A plain function target so that both apply and construct traps work.
  const stub = new Proxy(function unavailableNativeAddon() {}, handler);
  return stub;
}

/** @param {string} name file name without `.node`, e.g. "epoll" */
function loadAddon(name) {
  const cached = loaded.get(name);
  if (cached !== undefined) return cached;
  const file = path.join(nativeDir(), `${name}.node`);
  let result;
  try {
    const mod = { exports: {} };
    process.dlopen(mod, file);
    result = mod.exports;
  } catch (err) {
    result = deferredFailure(name, err);
  }
  loaded.set(name, result);
  return result;
}

module.exports = { loadAddon, LOAD_ERROR };
