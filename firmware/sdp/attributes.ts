/**
 * Typed views of the attributes we interpret, computed from the raw
 * ordered lists: a=rtpmap, a=fmtp (RFC 4566 §6), a=ptime, a=maxptime,
 * a=rtcp (RFC 3605) and the direction attributes. Malformed values read
 * as undefined, never throw. Attribute names compare case-insensitively.
 */
import type { Direction, PayloadFormat } from '../media/types.ts';
import { tryParseConnection } from './parse.ts';
import type { Attribute, Connection, MediaDescription, SessionDescription } from './types.ts';

export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function isDirection(name: string): name is Direction {
  return (DIRECTIONS as readonly string[]).includes(name);
}

/** Values of every `a=<name>:<value>` (or '' for `a=<name>`), in order. */
export function attributeValues(attributes: readonly Attribute[], name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const a of attributes) if (a.name.toLowerCase() === wanted) out.push(a.value ?? '');
  return out;
}

export function attributeValue(attributes: readonly Attribute[], name: string): string | undefined {
  return attributeValues(attributes, name)[0];
}

/** a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 4566 §6). */
export interface RtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}

export function parseRtpmap(value: string): RtpMap | undefined {
  const m = /^([0-9]{1,3})[ \t]+([^/ \t]+)\/([0-9]{1,9})(?:\/([0-9]{1,3}))?$/.exec(value.trim());
  if (!m) return undefined;
  const payloadType = Number(m[1]);
  if (payloadType > 127) return undefined;
  const map: RtpMap = { payloadType, encoding: m[2] ?? '', clockRate: Number(m[3]) };
  if (m[4] !== undefined) map.channels = Number(m[4]);
  return map;
}

/** The a=rtpmap of one payload type in a media section (the first, if repeated). */
export function rtpmapOf(media: MediaDescription, payloadType: number): RtpMap | undefined {
  for (const v of attributeValues(media.attributes, 'rtpmap')) {
    const map = parseRtpmap(v);
    if (map?.payloadType === payloadType) return map;
  }
  return undefined;
}

/** The parameters of `a=fmtp:<payload type> <parameters>` (RFC 4566 §6), if any. */
export function fmtpOf(media: MediaDescription, payloadType: number): string | undefined {
  for (const v of attributeValues(media.attributes, 'fmtp')) {
    const m = /^([0-9]{1,3})(?:[ \t]+(.*))?$/.exec(v.trim());
    if (m && Number(m[1]) === payloadType) return (m[2] ?? '').trim();
  }
  return undefined;
}

function positiveNumber(v: string | undefined): number | undefined {
  if (v === undefined || !/^[0-9]{1,5}(\.[0-9]+)?$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n > 0 ? n : undefined;
}

/**
 * a=ptime in ms (RFC 4566 §6): the media section's, else the session's
 * (some phones put it there), else undefined.
 */
export function ptimeOf(media: MediaDescription, session?: SessionDescription): number | undefined {
  return (
    positiveNumber(attributeValue(media.attributes, 'ptime')) ??
    (session ? positiveNumber(attributeValue(session.attributes, 'ptime')) : undefined)
  );
}

/** a=maxptime in ms (RFC 4566 §6), media then session level. */
export function maxptimeOf(media: MediaDescription, session?: SessionDescription): number | undefined {
  return (
    positiveNumber(attributeValue(media.attributes, 'maxptime')) ??
    (session ? positiveNumber(attributeValue(session.attributes, 'maxptime')) : undefined)
  );
}

/** a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1). */
export interface RtcpAttribute {
  port: number;
  connection?: Connection;
}

export function rtcpOf(media: MediaDescription): RtcpAttribute | undefined {
  const v = attributeValue(media.attributes, 'rtcp');
  if (v === undefined) return undefined;
  const m = /^([0-9]{1,5})(?:[ \t]+(.+))?$/.exec(v.trim());
  if (!m) return undefined;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  if (m[2] === undefined) return { port };
  const connection = tryParseConnection(m[2]);
  return connection ? { port, connection } : undefined;
}

/** The direction attribute among a list, if any (the first one wins). */
export function directionAttribute(attributes: readonly Attribute[]): Direction | undefined {
  for (const a of attributes) {
    const name = a.name.toLowerCase();
    if (a.value === null && isDirection(name)) return name;
  }
  return undefined;
}

/**
 * The direction of a media section as written: media level wins over
 * session level, default sendrecv (RFC 3264 §5.1). Does not look at
 * c=0.0.0.0; see effectiveDirection in offer-answer.ts.
 */
export function directionOf(session: SessionDescription, media?: MediaDescription): Direction {
  return (media && directionAttribute(media.attributes)) ?? directionAttribute(session.attributes) ?? 'sendrecv';
}

/** A copy of the attributes with direction attributes removed and `direction` appended. */
export function withDirection(attributes: readonly Attribute[], direction: Direction): Attribute[] {
  const out = attributes.filter((a) => !(a.value === null && isDirection(a.name.toLowerCase())));
  out.push({ name: direction, value: null });
  return out;
}

/** RFC 3551 §6 static payload types we handle, and the encodings we recognise. */
const STATIC: ReadonlyMap<number, PayloadFormat['encoding']> = new Map([
  [0, 'PCMU'],
  [8, 'PCMA'],
  [18, 'G729'],
]);
const ENCODINGS: ReadonlyMap<string, PayloadFormat['encoding']> = new Map([
  ['pcmu', 'PCMU'],
  ['pcma', 'PCMA'],
  ['g729', 'G729'],
  ['telephone-event', 'telephone-event'],
]);

/**
 * The recognised payload format of one payload type of an RTP media
 * section: the a=rtpmap when present (encoding names compare
 * case-insensitively, RFC 4855 §3), else the static table (PT 0, 8, 18).
 * Only 8 kHz clock rates and mono are recognised.
 */
export function payloadFormatOf(media: MediaDescription, payloadType: number): PayloadFormat | undefined {
  const map = rtpmapOf(media, payloadType);
  if (map) {
    const encoding = ENCODINGS.get(map.encoding.toLowerCase());
    if (!encoding || map.clockRate !== 8000 || (map.channels !== undefined && map.channels !== 1)) return undefined;
    return { payloadType, encoding, clockRate: 8000 };
  }
  const encoding = STATIC.get(payloadType);
  return encoding ? { payloadType, encoding, clockRate: 8000 } : undefined;
}

/** The recognised formats of a media section, in its m= order (unrecognised ones skipped). */
export function payloadFormats(media: MediaDescription): PayloadFormat[] {
  const out: PayloadFormat[] = [];
  for (const fmt of media.formats) {
    if (!/^[0-9]{1,3}$/.test(fmt)) continue;
    const f = payloadFormatOf(media, Number(fmt));
    if (f && !out.some((o) => o.payloadType === f.payloadType)) out.push(f);
  }
  return out;
}
