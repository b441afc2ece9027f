import type { ThreadLogLine } from '../core/thread-log.ts';
import type { LegId, LegRemote, LegStats } from './types.ts';

/**
 * Messages between the main thread (WorkerRelayEngine) and the media worker
 * (relay-worker.ts), and the shared statistics block (docs/media.md, "the
 * media thread"). Plain data only: both sides import this file, nothing else
 * of each other.
 */

export interface WorkerStartOptions {
  listen: string;
  advertise: string;
  portMin: number;
  portMax: number;
  portQuarantineMs?: number;
  relatchAfterMs?: number;
  logLevel: string;
  stats: SharedArrayBuffer;
  slots: number;
}

export type ToWorker =
  | { op: 'create'; req: number }
  | { op: 'setRemote'; id: string; leg: LegId; remote: LegRemote }
  | { op: 'sendDtmf'; id: string; leg: LegId; digits: string }
  | { op: 'player'; id: string; leg: LegId; serial: number; pcm: Int16Array; end: boolean }
  | { op: 'frames'; id: string; leg: LegId; serial: number; pcm: Int16Array; end: boolean }
  | { op: 'detachPlayer'; id: string; leg: LegId }
  | { op: 'recorder'; id: string; leg: LegId; serial: number; on: boolean }
  | { op: 'dtmfListen'; id: string; on: boolean }
  | { op: 'close'; id: string }
  | { op: 'shutdown'; req: number };

export type FromWorker =
  | { op: 'ready' }
  | { op: 'created'; req: number; id: string; slot: number; local: { a: { host: string; port: number }; b: { host: string; port: number } } }
  | { op: 'failed'; req: number; code: string; message: string }
  | { op: 'need'; id: string; leg: LegId; serial: number }
  | { op: 'playerEnded'; id: string; leg: LegId; serial: number }
  | { op: 'recorded'; id: string; leg: LegId; serial: number; pcm: Int16Array }
  | { op: 'dtmf'; id: string; leg: LegId; digit: string }
  | ThreadLogLine
  | { op: 'shutdownDone'; req: number };

/** Frames a player keeps queued in the worker: 120 ms of lead over the main thread's hiccups. */
export const PLAYER_LEAD_FRAMES = 6;
/** The worker asks for more when fewer than this many are queued. */
export const PLAYER_LOW_WATER = 3;

// --- shared statistics ---------------------------------------------------------------
// One block per leg: numbers in a Float64Array, the latched address and the digits in bytes.
// Written by the worker every STATS_INTERVAL_MS (and when a call closes), read by the main
// thread without a round trip; a read is at most that old.

export const STATS_INTERVAL_MS = 20;
const NUMS = 8; // rxPackets, txPackets, rxBytes, lost, jitterMs, lastPt (-1 none), latchedPort, family
const BYTES = 96; // [0..15] address, [16] digit count, [17..95] digits (the last 79)
const SLOT_BYTES = NUMS * 8 + BYTES;
const MAX_DIGITS = BYTES - 17;
/** Global block at the end: [0] ports in use. */
const GLOBAL_BYTES = 8;

export function statsBufferSize(slots: number): number {
  return slots * 2 * SLOT_BYTES + GLOBAL_BYTES;
}

function legOffset(slot: number, leg: LegId): number {
  return (slot * 2 + (leg === 'a' ? 0 : 1)) * SLOT_BYTES;
}

export function writeLegStats(sab: SharedArrayBuffer, slot: number, leg: LegId, s: LegStats): void {
  const off = legOffset(slot, leg);
  const n = new Float64Array(sab, off, NUMS);
  n[0] = s.packetsReceived;
  n[1] = s.packetsSent;
  n[2] = s.bytesReceived;
  n[3] = s.packetsLost;
  n[4] = s.jitterMs;
  n[5] = s.lastPayloadType ?? -1;
  const b = new Uint8Array(sab, off + NUMS * 8, BYTES);
  if (s.latchedFrom) {
    const family = encodeAddress(s.latchedFrom.host, b);
    n[6] = s.latchedFrom.port;
    n[7] = family;
  } else {
    n[6] = 0;
    n[7] = 0;
  }
  const digits = s.dtmfReceived.slice(-MAX_DIGITS);
  b[16] = digits.length;
  for (let i = 0; i < digits.length; i++) b[17 + i] = digits.charCodeAt(i);
}

export function readLegStats(sab: SharedArrayBuffer, slot: number, leg: LegId): LegStats {
  const off = legOffset(slot, leg);
  const n = new Float64Array(sab, off, NUMS);
  const b = new Uint8Array(sab, off + NUMS * 8, BYTES);
  const family = n[7]!;
  let digits = '';
  for (let i = 0; i < b[16]!; i++) digits += String.fromCharCode(b[17 + i]!);
  return {
    packetsReceived: n[0]!,
    packetsSent: n[1]!,
    bytesReceived: n[2]!,
    packetsLost: n[3]!,
    jitterMs: n[4]!,
    lastPayloadType: n[5]! < 0 ? null : n[5]!,
    latchedFrom: family === 0 ? null : { host: decodeAddress(family, b), port: n[6]! },
    dtmfReceived: digits,
  };
}

export function clearSlot(sab: SharedArrayBuffer, slot: number): void {
  new Uint8Array(sab, legOffset(slot, 'a'), SLOT_BYTES * 2).fill(0);
  new Float64Array(sab, legOffset(slot, 'a') + 5 * 8, 1)[0] = -1;
  new Float64Array(sab, legOffset(slot, 'b') + 5 * 8, 1)[0] = -1;
}

export function writePortsInUse(sab: SharedArrayBuffer, slots: number, n: number): void {
  new Float64Array(sab, slots * 2 * SLOT_BYTES, 1)[0] = n;
}

export function readPortsInUse(sab: SharedArrayBuffer, slots: number): number {
  return new Float64Array(sab, slots * 2 * SLOT_BYTES, 1)[0]!;
}

/** 4 for IPv4, 6 for IPv6 (the 16 bytes), written into b[0..15]. */
function encodeAddress(host: string, b: Uint8Array): number {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    for (let i = 0; i < 4; i++) b[i] = Number(v4[i + 1]);
    return 4;
  }
  // IPv6: expand "::" and write the eight groups (an embedded IPv4 tail is converted).
  let h = host.replace(/^\[|\]$/g, '').split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (tail) {
    const p = tail[1]!.split('.').map(Number);
    h = h.slice(0, -tail[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, rest] = h.includes('::') ? h.split('::') : [h, undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] ?? '0', 16) || 0;
    b[i * 2] = g >> 8;
    b[i * 2 + 1] = g & 0xff;
  }
  return 6;
}

function decodeAddress(family: number, b: Uint8Array): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[i * 2]! << 8) | b[i * 2 + 1]!).toString(16));
  // The canonical short form (RFC 5952): the longest run of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
