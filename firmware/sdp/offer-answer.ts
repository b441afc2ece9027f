/**
 * Offer/answer (RFC 3264) for a B2BUA that anchors media: it terminates SDP
 * on both legs, so it offers and answers with its own address and turns
 * each peer's SDP into a LegRemote for the media engine. Pure functions;
 * only audio over RTP/AVP with PCMU, PCMA, G.729 and telephone-event is
 * ever accepted, one audio stream per session.
 */
import { isIPv6 } from 'node:net';
import type { Direction, LegRemote, PayloadFormat, TransportAddress } from '../media/types.ts';
import {
  directionOf,
  fmtpOf,
  payloadFormats,
  ptimeOf,
  rtcpOf,
} from './attributes.ts';
import { serializeSdp } from './serialize.ts';
import type { Attribute, Connection, MediaDescription, Origin, SessionDescription } from './types.ts';

export const DEFAULT_PTIME_MS = 20;
/** RFC 4733 §3.2 DTMF events 0-15 plus flash (16). */
export const TELEPHONE_EVENT_FMTP = '0-16';

/** What the caller decides for its o= line; the rest (IN, IP4/IP6) is derived. */
export interface OriginSpec {
  username: string;
  sessionId: string;
  version: number | bigint;
  address: string;
}

export function makeOrigin(spec: OriginSpec): Origin {
  return {
    username: spec.username,
    sessionId: spec.sessionId,
    version: BigInt(spec.version),
    netType: 'IN',
    addrType: addrTypeOf(spec.address),
    address: spec.address,
  };
}

function addrTypeOf(host: string): 'IP4' | 'IP6' {
  return isIPv6(host) ? 'IP6' : 'IP4';
}

function connectionFor(host: string): Connection {
  return { netType: 'IN', addrType: addrTypeOf(host), address: host };
}

/** 0.0.0.0 (RFC 2543 hold, RFC 3264 §8.4) and its IPv6 counterpart `::`, which some stacks send. */
export function isNullAddress(address: string): boolean {
  return address === '0.0.0.0' || (isIPv6(address) && /^[0:]+$/.test(address));
}

function isAudio(m: MediaDescription): boolean {
  return m.media.toLowerCase() === 'audio';
}

/** The only profile we terminate: plain RTP, no SRTP (RTP/SAVP), no feedback profile. */
function isPlainRtp(m: MediaDescription): boolean {
  return m.proto.toUpperCase() === 'RTP/AVP';
}

/** The connection in force for a media section: its own c=, else the session's. */
export function connectionOf(sdp: SessionDescription, m: MediaDescription): Connection | undefined {
  return m.connection ?? sdp.connection;
}

/**
 * The direction a media section really has, from its sender's point of
 * view: the attribute (media level wins, default sendrecv), minus
 * receiving when the connection address is 0.0.0.0 -- "An agent MUST be
 * capable of receiving SDP with a connection address of 0.0.0.0, in which
 * case it means that neither RTP nor RTCP should be sent to the peer"
 * (RFC 3264 §8.4). So sendrecv + 0.0.0.0 reads as sendonly (hold) and
 * recvonly + 0.0.0.0 as inactive. A rejected stream (port 0) is inactive.
 */
export function effectiveDirection(sdp: SessionDescription, m: MediaDescription): Direction {
  if (m.port === 0) return 'inactive';
  const written = directionOf(sdp, m);
  const c = connectionOf(sdp, m);
  if (c && isNullAddress(c.address)) return written === 'sendrecv' || written === 'sendonly' ? 'sendonly' : 'inactive';
  return written;
}

/**
 * Which m= line remoteFromSdp reads by default: the first audio stream
 * over RTP/AVP that is not rejected, else the first audio stream, else -1.
 */
export function audioMediaIndex(sdp: SessionDescription): number {
  const live = sdp.media.findIndex((m) => isAudio(m) && m.port !== 0 && isPlainRtp(m));
  return live >= 0 ? live : sdp.media.findIndex(isAudio);
}

/**
 * The remote end of one leg as the media engine needs it, from the peer's
 * SDP (offer or answer). `direction` is the peer's, as it wrote it (its
 * point of view), corrected for c=0.0.0.0. A rejected or missing audio
 * stream gives rtp/rtcp null, inactive, no formats. Host names in c= are
 * passed through as written (the media contract expects literals: phones
 * send literals; RFC 4317's examples use names).
 */
export function remoteFromSdp(sdp: SessionDescription, mediaIndex?: number): LegRemote {
  const m = sdp.media[mediaIndex ?? audioMediaIndex(sdp)];
  if (!m || !isAudio(m) || m.port === 0) {
    return { rtp: null, rtcp: null, direction: 'inactive', formats: [], ptimeMs: (m && ptimeOf(m, sdp)) ?? DEFAULT_PTIME_MS };
  }
  const direction = effectiveDirection(sdp, m);
  const formats = payloadFormats(m);
  const ptimeMs = ptimeOf(m, sdp) ?? DEFAULT_PTIME_MS;
  const c = connectionOf(sdp, m);
  if (!c || isNullAddress(c.address)) return { rtp: null, rtcp: null, direction, formats, ptimeMs };
  const rtp = { host: c.address, port: m.port };
  // RFC 3605 §2.1: a=rtcp gives the port (and optionally the address); otherwise RTP port + 1 (RFC 3550 §11).
  const attr = rtcpOf(m);
  let rtcp: TransportAddress | null;
  if (attr) {
    const host = attr.connection?.address ?? c.address;
    rtcp = isNullAddress(host) ? null : { host, port: attr.port };
  } else {
    rtcp = m.port < 65535 ? { host: c.address, port: m.port + 1 } : null;
  }
  return { rtp, rtcp, direction, formats, ptimeMs };
}

/**
 * Codec intersection. Keeps the offerer's payload type numbers (RFC 3264
 * §6.1: the answerer uses the offer's numbers for dynamic types), one entry
 * per encoding (the first offered), matched on encoding and clock rate.
 * Order: `'offerer'` (default, what answers use: the offerer's preference,
 * filtered by ours, as common practice) or `'ours'` (our preference order).
 * Either way telephone-event, when common, comes last, so the first entry
 * is the chosen codec. G.729 is in only when both sides list it.
 */
export function intersectFormats(
  offered: readonly PayloadFormat[],
  supported: readonly PayloadFormat[],
  order: 'offerer' | 'ours' = 'offerer',
): PayloadFormat[] {
  const rank = (f: PayloadFormat): number =>
    supported.findIndex((s) => s.encoding === f.encoding && s.clockRate === f.clockRate);
  const common: PayloadFormat[] = [];
  for (const f of offered) {
    if (rank(f) < 0 || common.some((c) => c.encoding === f.encoding)) continue;
    common.push({ payloadType: f.payloadType, encoding: f.encoding, clockRate: f.clockRate });
  }
  if (order === 'ours') common.sort((a, b) => rank(a) - rank(b));
  return [...common.filter((f) => f.encoding !== 'telephone-event'), ...common.filter((f) => f.encoding === 'telephone-event')];
}

/** RFC 3264 §6.1 direction of an answer, given the offered one and what we want (default sendrecv). */
export function answerDirection(offered: Direction, wanted: Direction = 'sendrecv'): Direction {
  // "If a stream is offered as sendonly, the corresponding stream MUST be
  // marked as recvonly or inactive in the answer. [...] If an offered media
  // stream is listed as recvonly, the answer MUST be marked as sendonly or
  // inactive [...] If an offered media stream is listed as inactive, it MUST
  // be marked as inactive in the answer." (RFC 3264 §6.1)
  const send = canReceive(offered) && canSend(wanted);
  const recv = canSend(offered) && canReceive(wanted);
  return fromFlags(send, recv);
}

function canSend(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function canReceive(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

function fromFlags(send: boolean, recv: boolean): Direction {
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  if (recv) return 'recvonly';
  return 'inactive';
}

/**
 * The direction to offer when putting the peer on hold: "If the stream to
 * be placed on hold was previously a sendrecv media stream, it is placed
 * on hold by marking it sendonly. If the stream to be placed on hold was
 * previously a recvonly media stream, it is placed on hold by marking it
 * inactive." (RFC 3264 §8.4). `style: 'inactive'` holds with inactive.
 */
export function holdDirection(current: Direction, style: 'sendonly' | 'inactive' = 'sendonly'): Direction {
  return style === 'inactive' ? 'inactive' : fromFlags(canSend(current), false);
}

/** The inverse of holdDirection(current, 'sendonly'): receiving again (sendonly -> sendrecv, inactive -> recvonly). */
export function resumeDirection(current: Direction): Direction {
  return fromFlags(canSend(current), true);
}

/** True when the peer's direction (effectiveDirection/LegRemote.direction) says it holds us: it does not receive. */
export function isHolding(direction: Direction): boolean {
  return !canReceive(direction);
}

const CANONICAL_NAME: Record<PayloadFormat['encoding'], string> = {
  PCMU: 'PCMU',
  PCMA: 'PCMA',
  G729: 'G729',
  'telephone-event': 'telephone-event',
};

function formatAttributes(formats: readonly PayloadFormat[], fmtp: (f: PayloadFormat) => string | undefined): Attribute[] {
  const out: Attribute[] = [];
  for (const f of formats) {
    out.push({ name: 'rtpmap', value: `${f.payloadType} ${CANONICAL_NAME[f.encoding]}/${f.clockRate}` });
    const params = fmtp(f);
    if (params !== undefined && params !== '') out.push({ name: 'fmtp', value: `${f.payloadType} ${params}` });
  }
  return out;
}

function skeleton(origin: OriginSpec, local: TransportAddress, sessionName: string): SessionDescription {
  return {
    version: 0,
    origin: makeOrigin(origin),
    sessionName,
    emails: [],
    phones: [],
    connection: connectionFor(local.host),
    bandwidths: [],
    timings: [{ start: '0', stop: '0', repeats: [] }],
    attributes: [],
    unknown: [],
    media: [],
  };
}

export interface OfferOptions {
  origin: OriginSpec;
  /** Our RTP address (c= and m= port); RTCP is on port + 1, so no a=rtcp. */
  local: TransportAddress;
  /** In preference order; must not be empty. */
  formats: readonly PayloadFormat[];
  direction: Direction;
  ptimeMs: number;
  /** s= (default '-'). */
  sessionName?: string;
  /** a=fmtp parameters per payload type; telephone-event defaults to 0-16. */
  fmtp?: Readonly<Record<number, string>>;
}

/** An offer with one audio stream over RTP/AVP (RFC 3264 §5). Throws TypeError on an empty format list (a caller bug). */
export function buildOffer(opts: OfferOptions): SessionDescription {
  if (opts.formats.length === 0) throw new TypeError('buildOffer: no formats to offer');
  const sdp = skeleton(opts.origin, opts.local, opts.sessionName ?? '-');
  const attributes = formatAttributes(opts.formats, (f) =>
    opts.fmtp?.[f.payloadType] ?? (f.encoding === 'telephone-event' ? TELEPHONE_EVENT_FMTP : undefined),
  );
  attributes.push({ name: 'ptime', value: String(opts.ptimeMs) }, { name: opts.direction, value: null });
  sdp.media.push({
    media: 'audio',
    port: opts.local.port,
    proto: 'RTP/AVP',
    formats: opts.formats.map((f) => String(f.payloadType)),
    bandwidths: [],
    attributes,
    unknown: [],
  });
  return sdp;
}

export interface AnswerOptions {
  origin: OriginSpec;
  local: TransportAddress;
  /** What we accept, in our preference order (only the encodings matter; PTs come from the offer). */
  supported: readonly PayloadFormat[];
  /** What we want for the accepted stream (default sendrecv); the answer is derived per RFC 3264 §6.1. */
  direction?: Direction;
  sessionName?: string;
  /** Answer with one codec (plus telephone-event) so the peer cannot switch mid-call (default true). */
  singleCodec?: boolean;
}

export type AnswerResult =
  | {
      ok: true;
      sdp: SessionDescription;
      /** The formats of the accepted stream, offerer's PTs, codec(s) first, telephone-event last. */
      formats: PayloadFormat[];
      /** Index of the accepted m= line in the offer (and the answer). */
      mediaIndex: number;
      /** The offerer as the media engine sees it, restricted to the chosen formats. */
      remote: LegRemote;
    }
  | { ok: false; reason: 'no common codec' };

/**
 * RFC 3264 §6 answer: "The answer MUST contain exactly the same number of
 * "m=" lines as the offer", in the same order. We accept the first audio
 * stream over RTP/AVP that has a common codec (telephone-event alone does
 * not count) and reject every other stream with port 0, echoing its media,
 * proto and formats. `{ok: false, reason: 'no common codec'}` when no
 * stream can be accepted: the caller answers 488 (RFC 3261 §13.3.1.1).
 */
export function buildAnswer(offer: SessionDescription, opts: AnswerOptions): AnswerResult {
  const singleCodec = opts.singleCodec ?? true;
  let accepted = -1;
  let chosen: PayloadFormat[] = [];
  for (let i = 0; i < offer.media.length && accepted < 0; i++) {
    const m = offer.media[i] as MediaDescription;
    if (!isAudio(m) || m.port === 0 || !isPlainRtp(m)) continue;
    const common = intersectFormats(payloadFormats(m), opts.supported, 'offerer');
    const codecs = common.filter((f) => f.encoding !== 'telephone-event');
    if (codecs.length === 0) continue;
    accepted = i;
    const events = common.filter((f) => f.encoding === 'telephone-event');
    chosen = [...(singleCodec ? codecs.slice(0, 1) : codecs), ...events];
  }
  if (accepted < 0) return { ok: false, reason: 'no common codec' };

  const sdp = skeleton(opts.origin, opts.local, opts.sessionName ?? '-');
  let remote: LegRemote | undefined;
  offer.media.forEach((m, i) => {
    if (i !== accepted) {
      // RFC 3264 §6: "An offered stream MAY be rejected in the answer, for
      // any reason. If a stream is rejected, the offerer and answerer MUST
      // NOT generate media (or RTCP packets) for that stream. To reject an
      // offered stream, the port number in the corresponding stream in the
      // answer MUST be set to zero."
      sdp.media.push({ media: m.media, port: 0, proto: m.proto, formats: [...m.formats], bandwidths: [], attributes: [], unknown: [] });
      return;
    }
    const offeredDirection = effectiveDirection(offer, m);
    const attributes = formatAttributes(chosen, (f) =>
      // The offer's fmtp is kept for codecs (G.729 annexb=no); events are answered with what we handle.
      f.encoding === 'telephone-event' ? TELEPHONE_EVENT_FMTP : fmtpOf(m, f.payloadType),
    );
    // Echo the offerer's packetization time, if it gave one (RFC 4566 §6 a=ptime).
    const ptime = ptimeOf(m, offer);
    if (ptime !== undefined) attributes.push({ name: 'ptime', value: String(ptime) });
    attributes.push({ name: answerDirection(offeredDirection, opts.direction), value: null });
    sdp.media.push({
      media: m.media,
      port: opts.local.port,
      proto: m.proto,
      formats: chosen.map((f) => String(f.payloadType)),
      bandwidths: [],
      attributes,
      unknown: [],
    });
    remote = { ...remoteFromSdp(offer, i), formats: chosen };
  });
  return { ok: true, sdp, formats: chosen, mediaIndex: accepted, remote: remote as LegRemote };
}

/** `username sessionId netType addrType address`: what stays the same for a whole session (RFC 3264 §8). */
export function originKey(o: Origin): string {
  return `${o.username} ${o.sessionId} ${o.netType} ${o.addrType} ${o.address}`;
}

/**
 * True when the peer sent the same description again: same origin and same
 * version. "If the version in the origin line does not increment, the SDP
 * MUST be identical to the SDP with that version number" (RFC 3264 §8), so
 * a session refresh (re-INVITE or UPDATE with unchanged SDP) needs no media
 * change.
 */
export function isUnchanged(previous: Origin, next: Origin): boolean {
  return originKey(previous) === originKey(next) && previous.version === next.version;
}

/** True when two descriptions differ in anything but the o= version. */
export function contentDiffers(a: SessionDescription, b: SessionDescription): boolean {
  const strip = (s: SessionDescription): string => serializeSdp({ ...s, origin: { ...s.origin, version: 0n } });
  return strip(a) !== strip(b);
}

/**
 * Our next description of a session: "the "o=" line of the new SDP MUST be
 * identical to that in the previous SDP, except that the version in the
 * origin field MUST increment by one from the previous SDP" (RFC 3264 §8).
 * Takes the o= of `previous` (none: `next` is the first, returned as is) and
 * keeps its version when nothing else changed, so a re-INVITE with unchanged
 * SDP repeats the same version.
 */
export function nextVersion(previous: SessionDescription | undefined, next: SessionDescription): SessionDescription {
  if (!previous) return next;
  const candidate = { ...next, origin: { ...previous.origin } };
  if (contentDiffers(previous, candidate)) candidate.origin.version = previous.origin.version + 1n;
  return candidate;
}
