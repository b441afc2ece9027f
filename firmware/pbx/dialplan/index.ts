import { NUMBERING, type Config, type Group, type Phone } from '../../config/index.ts';
import { normaliseExternal } from '../frenchplan/index.ts';

/**
 * The dial plan (NUM-4): what a dialled string means — an internal number
 * (NUM-2, NUM-3, NUM-5, NUM-6, NUM-7), a feature code (`*`, `#`, `**`), or an
 * external number (normalised, not classified: frenchplan does that).
 * Pure. docs/outgoing.md "Dial plan".
 */

export type DirectoryEntry = Config['directory'][number];

export type FeatureAction = 'activate' | 'deactivate' | 'query' | 'use';

export type DialTarget =
  | { kind: 'phone'; phone: Phone }
  | { kind: 'group'; group: Group }
  | { kind: 'voicemail' }
  /** VOX-6: the auto attendant's internal number, when it is on. */
  | { kind: 'attendant' }
  | { kind: 'speed-dial'; entry: DirectoryEntry; target: DialTarget }
  | { kind: 'feature'; code: string; action: FeatureAction; argument?: string }
  | { kind: 'external'; number: string }
  | { kind: 'invalid'; reason: string };

export interface DialResult {
  target: DialTarget;
  /** per-call CLIR asked with *66*number or the habitual 3651+number */
  hideIdentity: boolean;
}

/** CID-1: `*66*number` hides the identity for one call. */
const ONE_CALL_CLIR_CODE = '66';
/** french-numbering §4.3: the habitual French per-call CLIR prefix. */
const CLIR_PREFIX_3651 = '3651';
/** Longer dialled strings are refused outright (no real number is this long). */
const MAX_DIALLED_LENGTH = 32;

const invalid = (reason: string): DialResult => ({ target: { kind: 'invalid', reason }, hideIdentity: false });

/** NUM-4: the internal 3-digit ranges, which never collide with public short numbers. */
function isInternalRange(n: number): boolean {
  return (
    (n >= NUMBERING.didPhone.min && n <= NUMBERING.didPhone.max) ||
    (n >= NUMBERING.plainPhone.min && n <= NUMBERING.group.max) ||
    (n >= NUMBERING.speedDial.min && n <= NUMBERING.speedDial.max) ||
    n === NUMBERING.voicemail ||
    n === NUMBERING.standardGroup
  );
}

/** A complete national (10 digits, or 14 for 0700/0901) or international number: what may follow 3651. */
function isFullNumber(n: string): boolean {
  return /^0[1-9]\d{8}$/.test(n) || /^0(?:700|901)\d{10}$/.test(n) || /^00[1-9]\d{5,14}$/.test(n);
}

/**
 * Resolve the user part of a Request-URI (URL-escapes decoded) against the
 * configuration. Never throws; anything it cannot read is 'invalid'.
 */
export function resolveDialled(raw: string, config: Readonly<Config>): DialResult {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return invalid('malformed URL escape in the dialled number');
  }
  return resolve(decoded, config, false);
}

function resolve(dialled: string, config: Readonly<Config>, nested: boolean): DialResult {
  const text = dialled.trim();
  if (text === '') return invalid('empty number');
  if (text.length > MAX_DIALLED_LENGTH) return invalid('dialled number too long');

  // Compatibility: a phone called by its SIP username (only names with a non-digit: digit strings are numbers).
  if (/\D/.test(text) && !/^[+*#\d\s.\-()]+$/.test(text)) {
    const byName = config.phones.find((p) => p.sip.username === text);
    if (byName) return { target: { kind: 'phone', phone: byName }, hideIdentity: false };
  }

  const compact = text.replace(/[\s.\-()]/g, '');

  if (compact.startsWith('*') || compact.startsWith('#')) return feature(compact, config, nested);

  // french-numbering §4.3: 3651 + a full number = that number with the identity hidden for this call.
  if (compact.startsWith(CLIR_PREFIX_3651) && compact.length > CLIR_PREFIX_3651.length) {
    const rest = normaliseExternal(compact.slice(CLIR_PREFIX_3651.length));
    if (rest !== undefined && isFullNumber(rest)) return { target: { kind: 'external', number: rest }, hideIdentity: true };
  }

  if (!/^\+?\d+$/.test(compact)) return invalid(`not a dialable number: ${JSON.stringify(text)}`);

  // french-numbering §4.1: 112 dialled with a trunk prefix is still 112 (misdial guard).
  if (compact === '0112') return { target: { kind: 'external', number: '112' }, hideIdentity: false };

  if (/^\d{3}$/.test(compact)) {
    const internal = resolveInternal(compact, config, nested);
    if (internal) return internal;
  }

  const number = normaliseExternal(compact);
  if (number === undefined) return invalid(`not a dialable number: ${JSON.stringify(text)}`); // not reached: compact is +digits
  return { target: { kind: 'external', number }, hideIdentity: false };
}

/** A 3-digit internal number, or undefined when it is outside the internal ranges (then it is a public short number). */
function resolveInternal(n: string, config: Readonly<Config>, nested: boolean): DialResult | undefined {
  const phone = config.phones.find((p) => p.internalNumber === n) ?? config.phones.find((p) => p.sip.username === n);
  if (phone) return { target: { kind: 'phone', phone }, hideIdentity: false };
  const group = config.groups.find((g) => g.internalNumber === n);
  if (group) return { target: { kind: 'group', group }, hideIdentity: false };
  if (n === String(NUMBERING.voicemail)) return { target: { kind: 'voicemail' }, hideIdentity: false };
  if (config.autoAttendant.enabled && config.autoAttendant.internalNumber === n) return { target: { kind: 'attendant' }, hideIdentity: false };
  const entry = config.directory.find((d) => d.speedDial === n);
  if (entry) {
    if (nested) return invalid(`speed dial ${n} points to another speed dial`);
    const inner = resolve(entry.number, config, true);
    if (inner.target.kind === 'invalid') return invalid(`speed dial ${n} (${entry.name}): ${inner.target.reason}`);
    return { target: { kind: 'speed-dial', entry, target: inner.target }, hideIdentity: inner.hideIdentity };
  }
  if (isInternalRange(Number(n))) return invalid(`no such internal number ${n}`);
  return undefined;
}

/**
 * Feature codes, guide style: `*NN*arg#` / `*NN*arg` activate with an
 * argument, `*NN#` / `*NN` activate, `#NN#` / `#NN` deactivate, `**NN`
 * query. `*66*number` is not a feature: the number, hidden for one call (CID-1).
 */
function feature(code: string, config: Readonly<Config>, nested: boolean): DialResult {
  const clir = new RegExp(`^\\*${ONE_CALL_CLIR_CODE}\\*([^*#]+)#?$`).exec(code);
  if (clir?.[1] !== undefined) {
    const inner = resolve(clir[1], config, nested);
    if (inner.target.kind === 'invalid') return inner;
    return { target: inner.target, hideIdentity: true };
  }
  let m: RegExpExecArray | null;
  if ((m = /^\*\*(\d{2})#?$/.exec(code)) && m[1] !== undefined) return featureResult(m[1], 'query');
  if ((m = /^\*(\d{2})\*(\+?\d{1,20})#?$/.exec(code)) && m[1] !== undefined && m[2] !== undefined) return featureResult(m[1], 'activate', m[2]);
  if ((m = /^\*(\d{2})#?$/.exec(code)) && m[1] !== undefined) return featureResult(m[1], 'activate');
  if ((m = /^#(\d{2})#?$/.exec(code)) && m[1] !== undefined) return featureResult(m[1], 'deactivate');
  return invalid(`not a feature code: ${code}`);
}

function featureResult(code: string, action: FeatureAction, argument?: string): DialResult {
  const target: DialTarget = argument === undefined ? { kind: 'feature', code, action } : { kind: 'feature', code, action, argument };
  return { target, hideIdentity: false };
}
