// Diagnostic: do the native addons the Linux board adapters need (and bcg729,
// the G.729 decoder of announcement uploads) load in this process? Wired to `pbxgate --check-native` (prints the result as JSON) so the
// shipped executable can be checked on a board and in test/system.
//
// Imports are static on purpose: the bundler must see them to redirect the
// packages' loaders to scripts/native-shim.cjs (see docs/build.md).
import { binding as serialBinding } from '@serialport/bindings-cpp/dist/serialport-bindings.js';
// @ts-expect-error epoll ships no types; its shape is checked at run time below.
import epollModule from 'epoll';
import bcg729 from '../../../native/bcg729/index.cjs';

export interface NativeCheck {
  serialport: boolean;
  epoll: boolean;
  /** G.729 decoding of uploaded announcements (docs/g729.md); not needed to run calls. */
  bcg729: boolean;
  errors: string[];
}

/** Set by native-shim.cjs on the stand-in it returns when an addon failed to load. */
const LOAD_ERROR = Symbol.for('pbxgate.native.loadError');

function loadError(value: unknown): unknown {
  if ((typeof value === 'object' || typeof value === 'function') && value !== null) {
    return (value as Record<symbol, unknown>)[LOAD_ERROR];
  }
  return undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function checkSerialport(errors: string[]): boolean {
  const failure = loadError(serialBinding);
  if (failure !== undefined) {
    errors.push(`serialport: ${message(failure)}`);
    return false;
  }
  const b = serialBinding as Record<string, unknown> | null | undefined;
  // What the Linux build of bindings-cpp exports (read/write are JS on Unix).
  const missing = ['open', 'close', 'set', 'get', 'update', 'drain', 'flush', 'Poller'].filter((k) => typeof b?.[k] !== 'function');
  if (missing.length > 0) {
    errors.push(`serialport: binding lacks ${missing.join(', ')}`);
    return false;
  }
  return true;
}

interface EpollInstance {
  close(): unknown;
}
type EpollCtor = new (callback: (err: unknown, fd: number, events: number) => void) => EpollInstance;

function checkEpoll(errors: string[]): boolean {
  const mod: unknown = epollModule;
  const Epoll = (mod as { Epoll?: unknown } | null | undefined)?.Epoll;
  const failure = loadError(mod) ?? loadError(Epoll);
  if (failure !== undefined) {
    errors.push(`epoll: ${message(failure)}`);
    return false;
  }
  if (typeof Epoll !== 'function') {
    errors.push('epoll: module has no Epoll class (not Linux?)');
    return false;
  }
  try {
    // Creating and closing an epoll instance proves the addon runs, without touching GPIO.
    new (Epoll as EpollCtor)(() => {}).close();
    return true;
  } catch (err) {
    errors.push(`epoll: ${message(err)}`);
    return false;
  }
}

function checkBcg729(errors: string[]): boolean {
  const failure = loadError(bcg729);
  if (failure !== undefined) {
    errors.push(`bcg729: ${message(failure)}`);
    return false;
  }
  try {
    // Decoding one all-zero frame proves the addon and its static libbcg729 run.
    const pcm: unknown = bcg729.decode(new Uint8Array(10));
    if (!(pcm instanceof Int16Array) || pcm.length !== 80) {
      errors.push('bcg729: decode of one frame did not give 80 samples');
      return false;
    }
    return true;
  } catch (err) {
    errors.push(`bcg729: ${message(err)}`);
    return false;
  }
}

export function checkNativeAddons(): NativeCheck {
  const errors: string[] = [];
  const serialport = checkSerialport(errors);
  const epoll = checkEpoll(errors);
  const bcg = checkBcg729(errors);
  return { serialport, epoll, bcg729: bcg, errors };
}
