/**
 * Typed lines of the modem protocol (docs/modem-protocol.md) and a pure
 * parser. Unknown or malformed lines come back as { kind: 'unknown' } with a
 * reason: the parser never throws on what the wire brings.
 */
export const DSL_STATES = ['idle', 'handshake', 'training', 'showtime', 'down'] as const;
export type DslLineState = (typeof DSL_STATES)[number];

export interface DslStatus {
  state: DslLineState;
  downKbps: number;
  upKbps: number;
  /** SNR margin in dB (the wire carries tenths). */
  snrMarginDb: number;
  /** Line attenuation in dB (the wire carries tenths). */
  attenuationDb: number;
  /** CRC errors counted by the modem since it powered up. */
  crcErrors: number;
}

export interface PlcAdapter {
  mac: string;
  rateMbps: number;
}

export type FinalResponse = { kind: 'final'; result: 'ok' } | { kind: 'final'; result: 'error' } | { kind: 'final'; result: 'cme'; code: number };

export type InfoLine =
  | { kind: 'info'; type: 'dsl'; status: DslStatus }
  | { kind: 'info'; type: 'plc'; adapter: PlcAdapter }
  | { kind: 'info'; type: 'ver'; firmware: string; hardware: string };

export type Urc =
  | { kind: 'urc'; type: 'ready' }
  | { kind: 'urc'; type: 'dsl-state'; state: DslLineState }
  | { kind: 'urc'; type: 'plc-join'; adapter: PlcAdapter }
  | { kind: 'urc'; type: 'plc-leave'; mac: string }
  | { kind: 'urc'; type: 'crc'; count: number }
  | { kind: 'urc'; type: 'plc-pair'; event: 'started'; seconds: number }
  | { kind: 'urc'; type: 'plc-pair'; event: 'ended' };

export type UnknownLine = { kind: 'unknown'; line: string; reason: string };

export type ModemLine = FinalResponse | InfoLine | Urc | UnknownLine;

/** CME error numbers the modem uses (docs/modem-protocol.md §5). */
export const CME_ERRORS: Readonly<Record<number, string>> = {
  3: 'operation not allowed',
  4: 'operation not supported',
  50: 'invalid parameter',
  100: 'unknown error',
};

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const UINT_RE = /^\d{1,10}$/;

function uint(s: string | undefined): number | undefined {
  if (s === undefined || !UINT_RE.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function mac(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const m = s.toLowerCase();
  return MAC_RE.test(m) ? m : undefined;
}

function dslState(s: string | undefined): DslLineState | undefined {
  const v = s?.toLowerCase();
  return (DSL_STATES as readonly string[]).includes(v ?? '') ? (v as DslLineState) : undefined;
}

const unknown = (line: string, reason: string): UnknownLine => ({ kind: 'unknown', line, reason });

/** Splits "+NAME: a,b" into name and fields; undefined when the line has no "+NAME:" head. */
function head(line: string): { name: string; fields: string[] } | undefined {
  const m = /^\+([A-Z]+): ?(.*)$/.exec(line);
  if (!m) return undefined;
  return { name: m[1]!, fields: m[2]!.split(',').map((f) => f.trim()) };
}

function parseLine(line: string): ModemLine {
  if (line === 'OK') return { kind: 'final', result: 'ok' };
  if (line === 'ERROR') return { kind: 'final', result: 'error' };
  if (line === '+READY') return { kind: 'urc', type: 'ready' };
  const h = head(line);
  if (!h) return unknown(line, 'not a protocol line');
  const f = h.fields;
  switch (h.name) {
    case 'DSL': {
      const state = dslState(f[0]);
      const nums = f.slice(1).map(uint);
      if (f.length !== 6 || !state || nums.some((n) => n === undefined)) return unknown(line, 'malformed +DSL');
      const [down, up, snr, att, crc] = nums as number[];
      return {
        kind: 'info',
        type: 'dsl',
        status: { state, downKbps: down!, upKbps: up!, snrMarginDb: snr! / 10, attenuationDb: att! / 10, crcErrors: crc! },
      };
    }
    case 'PLC': {
      const m = mac(f[0]);
      const rate = uint(f[1]);
      if (f.length !== 2 || !m || rate === undefined) return unknown(line, 'malformed +PLC');
      return { kind: 'info', type: 'plc', adapter: { mac: m, rateMbps: rate } };
    }
    case 'VER': {
      if (f.length !== 2 || !f[0] || !f[1]) return unknown(line, 'malformed +VER');
      return { kind: 'info', type: 'ver', firmware: f[0], hardware: f[1] };
    }
    case 'DSLSTATE': {
      const state = dslState(f[0]);
      if (f.length !== 1 || !state) return unknown(line, 'malformed +DSLSTATE');
      return { kind: 'urc', type: 'dsl-state', state };
    }
    case 'PLCJOIN': {
      const m = mac(f[0]);
      const rate = uint(f[1]);
      if (f.length !== 2 || !m || rate === undefined) return unknown(line, 'malformed +PLCJOIN');
      return { kind: 'urc', type: 'plc-join', adapter: { mac: m, rateMbps: rate } };
    }
    case 'PLCLEAVE': {
      const m = mac(f[0]);
      if (f.length !== 1 || !m) return unknown(line, 'malformed +PLCLEAVE');
      return { kind: 'urc', type: 'plc-leave', mac: m };
    }
    case 'CRC': {
      const n = uint(f[0]);
      if (f.length !== 1 || n === undefined) return unknown(line, 'malformed +CRC');
      return { kind: 'urc', type: 'crc', count: n };
    }
    case 'PLCPAIR': {
      if (f.length === 1 && f[0] === 'ENDED') return { kind: 'urc', type: 'plc-pair', event: 'ended' };
      const s = uint(f[1]);
      if (f.length === 2 && f[0] === 'STARTED' && s !== undefined) return { kind: 'urc', type: 'plc-pair', event: 'started', seconds: s };
      return unknown(line, 'malformed +PLCPAIR');
    }
    default:
      return unknown(line, `unknown result code +${h.name}`);
  }
}

/** Parses "+CME ERROR: <n>": its space before the colon does not fit the generic "+NAME:" shape. */
function parseCme(line: string): FinalResponse | undefined {
  const m = /^\+CME ERROR: ?(\d{1,5})$/.exec(line);
  return m ? { kind: 'final', result: 'cme', code: Number(m[1]) } : undefined;
}

/** The entry point: one framed line -> one typed line. */
export function parseModemLine(raw: string): ModemLine {
  const line = raw.trim();
  return parseCme(line) ?? parseLine(line);
}

/** "+CME ERROR: 50 (invalid parameter)" for messages. */
export function describeFinal(f: FinalResponse): string {
  if (f.result === 'ok') return 'OK';
  if (f.result === 'error') return 'ERROR';
  const text = CME_ERRORS[f.code];
  return `+CME ERROR: ${f.code}${text ? ` (${text})` : ''}`;
}

/** Request lines the host sends (docs/modem-protocol.md §4). */
export const AT = {
  ping: 'AT',
  version: 'AT+VER?',
  dsl: 'AT+DSL?',
  retrain: 'AT+DSLRETRAIN',
  plc: 'AT+PLC?',
  pair: (seconds: number): string => `AT+PLCPAIR=${seconds}`,
} as const;

export const PAIR_SECONDS_MIN = 1;
export const PAIR_SECONDS_MAX = 600;
