/**
 * SDP parser (RFC 4566 §5). Strict on structure -- v=, o=, s= first and in
 * that order, at least one t= before the first m=, well-formed o=, c=, t=
 * and m= lines -- and tolerant of what phones send: CRLF or bare LF,
 * trailing whitespace, blank lines, attributes and unknown line types kept
 * in order, session-level lines other than v/o/s in any order.
 *
 * Never throws: malformed input yields `{ok: false, reason}`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type {
  Attribute,
  Connection,
  MediaDescription,
  Origin,
  ParseSdpResult,
  SessionDescription,
  Timing,
} from './types.ts';

class SdpSyntaxError extends Error {}

function fail(reason: string): never {
  throw new SdpSyntaxError(reason);
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+$/;
const DIGITS = /^[0-9]+$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
/** Control characters other than HTAB are not allowed in any value (RFC 4566 §9 `text`/`byte-string`). */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** RTP profiles carry payload type numbers in the m= format list (RFC 4566 §5.14). */
const RTP_PROTO = /(^|\/)RTP\//i;

function fields(value: string): string[] {
  return value.split(/[ \t]+/).filter((f) => f.length > 0);
}

function parseIntIn(text: string, min: number, max: number, what: string): number {
  if (!DIGITS.test(text) || text.length > 10) fail(`bad ${what}: ${text}`);
  const n = Number(text);
  if (n < min || n > max) fail(`${what} out of range: ${text}`);
  return n;
}

/** An address literal of the declared type, or a host name (RFC 4566 §5.7 allows FQDNs). */
function checkAddress(addrType: string, address: string, line: string): void {
  if (address.length === 0) fail(`empty address in ${line}=`);
  const upper = addrType.toUpperCase();
  if (upper === 'IP4') {
    if (/^[0-9.]+$/.test(address) ? !isIPv4(address) : !HOSTNAME.test(address)) fail(`bad IP4 address in ${line}=: ${address}`);
  } else if (upper === 'IP6') {
    if (address.includes(':') ? !isIPv6(address) : !HOSTNAME.test(address)) fail(`bad IP6 address in ${line}=: ${address}`);
  } else if (!/^[\x21-\x7e]+$/.test(address)) {
    fail(`bad address in ${line}=: ${address}`);
  }
}

function parseOrigin(value: string): Origin {
  const f = fields(value);
  if (f.length !== 6) fail(`o= needs 6 fields, got ${f.length}`);
  const [username, sessionId, version, netType, addrType, address] = f as [string, string, string, string, string, string];
  if (!/^[\x21-\x7e]+$/.test(username) || !/^[\x21-\x7e]+$/.test(sessionId)) fail('bad o= username or session id');
  if (!DIGITS.test(version) || version.length > 20) fail(`bad o= session version: ${version}`);
  if (!TOKEN.test(netType) || !TOKEN.test(addrType)) fail('bad o= network or address type');
  checkAddress(addrType, address, 'o');
  return { username, sessionId, version: BigInt(version), netType, addrType, address };
}

function parseConnection(value: string): Connection {
  const f = fields(value);
  if (f.length !== 3) fail(`c= needs 3 fields, got ${f.length}`);
  const [netType, addrType, spec] = f as [string, string, string];
  if (!TOKEN.test(netType) || !TOKEN.test(addrType)) fail('bad c= network or address type');
  const parts = spec.split('/');
  if (parts.length > 3) fail(`bad c= address: ${spec}`);
  const address = parts[0] ?? '';
  checkAddress(addrType, address, 'c');
  const c: Connection = { netType, addrType, address };
  const isIp6 = addrType.toUpperCase() === 'IP6';
  // IP4 multicast: addr/ttl[/count]; IP6 multicast: addr[/count] (RFC 4566 §5.7).
  if (parts.length === 2) {
    if (isIp6) c.count = parseIntIn(parts[1] ?? '', 1, 65535, 'c= address count');
    else c.ttl = parseIntIn(parts[1] ?? '', 0, 255, 'c= ttl');
  } else if (parts.length === 3) {
    if (isIp6) fail(`bad c= address: ${spec}`);
    c.ttl = parseIntIn(parts[1] ?? '', 0, 255, 'c= ttl');
    c.count = parseIntIn(parts[2] ?? '', 1, 65535, 'c= address count');
  }
  return c;
}

function parseTiming(value: string): Timing {
  const f = fields(value);
  if (f.length !== 2 || !f.every((x) => DIGITS.test(x) && x.length <= 20)) fail(`bad t= line: ${value}`);
  return { start: f[0] ?? '0', stop: f[1] ?? '0', repeats: [] };
}

function parseMediaLine(value: string): MediaDescription {
  const f = fields(value);
  if (f.length < 4) fail(`m= needs media, port, proto and at least one format: ${value}`);
  const [media, portSpec, proto] = f as [string, string, string];
  const formats = f.slice(3);
  if (!TOKEN.test(media)) fail(`bad m= media: ${media}`);
  const ports = portSpec.split('/');
  if (ports.length > 2) fail(`bad m= port: ${portSpec}`);
  const port = parseIntIn(ports[0] ?? '', 0, 65535, 'm= port');
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`{|}~/]+$/.test(proto) || proto.startsWith('/') || proto.endsWith('/')) fail(`bad m= proto: ${proto}`);
  const rtp = RTP_PROTO.test(proto);
  for (const fmt of formats) {
    if (rtp) parseIntIn(fmt, 0, 127, 'm= payload type');
    else if (!TOKEN.test(fmt)) fail(`bad m= format: ${fmt}`);
  }
  const m: MediaDescription = { media, port, proto, formats, bandwidths: [], attributes: [], unknown: [] };
  if (ports.length === 2) m.portCount = parseIntIn(ports[1] ?? '', 1, 65535, 'm= port count');
  return m;
}

function parseAttribute(value: string): Attribute {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (!TOKEN.test(name)) fail(`bad attribute name: ${JSON.stringify(name)}`);
  return { name, value: colon < 0 ? null : value.slice(colon + 1) };
}

function checkBandwidth(value: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+:[0-9]+$/.test(value)) fail(`bad b= line: ${value}`);
  return value;
}

/** Line types of the session section that may appear once at most. */
const SESSION_ONCE = new Set(['i', 'u', 'c', 'z', 'k']);
/** Line types only the session section may carry. */
const SESSION_ONLY = new Set(['v', 'o', 's', 'u', 'e', 'p', 't', 'r', 'z']);

function parseLines(text: string): SessionDescription {
  const lines: { type: string; value: string }[] = [];
  for (const rawLine of text.split('\n')) {
    // CRLF or bare LF; trailing whitespace tolerated (and dropped).
    const line = rawLine.replace(/[\r \t]+$/, '');
    if (line.length === 0) continue;
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0] ?? '')) {
      fail(`not a type=value line: ${JSON.stringify(line.slice(0, 40))}`);
    }
    const value = line.slice(2);
    if (CONTROL.test(value)) fail(`control character in ${line[0]}= line`);
    lines.push({ type: line[0] ?? '', value });
  }

  // RFC 4566 §5: "v=", "o=", "s=" come first, in this order.
  const [v, o, s] = lines;
  if (v?.type !== 'v') fail('first line must be v=');
  if (v.value.trim() !== '0') fail(`unsupported SDP version: ${v.value}`);
  if (o?.type !== 'o') fail('second line must be o=');
  if (s?.type !== 's') fail('third line must be s=');

  const sdp: SessionDescription = {
    version: 0,
    origin: parseOrigin(o.value),
    sessionName: s.value.trim(),
    emails: [],
    phones: [],
    bandwidths: [],
    timings: [],
    attributes: [],
    unknown: [],
    media: [],
  };
  const seen = new Set<string>();
  let current: MediaDescription | undefined;

  for (let i = 3; i < lines.length; i++) {
    const { type, value } = lines[i] as { type: string; value: string };
    if (type === 'm') {
      if (sdp.timings.length === 0) fail('t= missing before the first m=');
      current = parseMediaLine(value);
      sdp.media.push(current);
      continue;
    }
    if (current) {
      if (SESSION_ONLY.has(type)) fail(`${type}= not allowed in a media section`);
      switch (type) {
        case 'i':
          if (current.info !== undefined) fail('duplicate i= in a media section');
          current.info = value;
          break;
        case 'c':
          if (current.connection) fail('more than one c= in a media section');
          current.connection = parseConnection(value);
          break;
        case 'b':
          current.bandwidths.push(checkBandwidth(value));
          break;
        case 'k':
          if (current.key !== undefined) fail('duplicate k= in a media section');
          current.key = value;
          break;
        case 'a':
          current.attributes.push(parseAttribute(value));
          break;
        default:
          current.unknown.push({ type, value });
      }
      continue;
    }
    if (type === 'v' || type === 'o' || type === 's') fail(`${type}= out of place`);
    if (SESSION_ONCE.has(type)) {
      if (seen.has(type)) fail(`duplicate ${type}= in the session section`);
      seen.add(type);
    }
    switch (type) {
      case 'i':
        sdp.info = value;
        break;
      case 'u':
        sdp.uri = value;
        break;
      case 'e':
        sdp.emails.push(value);
        break;
      case 'p':
        sdp.phones.push(value);
        break;
      case 'c':
        sdp.connection = parseConnection(value);
        break;
      case 'b':
        sdp.bandwidths.push(checkBandwidth(value));
        break;
      case 't':
        sdp.timings.push(parseTiming(value));
        break;
      case 'r': {
        const last = sdp.timings[sdp.timings.length - 1];
        if (!last) fail('r= before any t=');
        last.repeats.push(value);
        break;
      }
      case 'z':
        sdp.zone = value;
        break;
      case 'k':
        sdp.key = value;
        break;
      case 'a':
        sdp.attributes.push(parseAttribute(value));
        break;
      default:
        sdp.unknown.push({ type, value });
    }
  }
  if (sdp.timings.length === 0) fail('t= missing');
  return sdp;
}

/**
 * Parses a session description. Buffers are decoded as UTF-8 (RFC 4566 §5:
 * the default charset of text fields). Never throws.
 */
export function parseSdp(text: string | Uint8Array): ParseSdpResult {
  try {
    const s = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
    return { ok: true, sdp: parseLines(s) };
  } catch (err) {
    if (err instanceof SdpSyntaxError) return { ok: false, reason: err.message };
    // Not expected: the property tests check it never happens. Report, never throw.
    return { ok: false, reason: `unparseable SDP (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Internal: lets attributes.ts reuse the c= grammar for a=rtcp without exposing the exception. */
export function tryParseConnection(value: string): Connection | undefined {
  try {
    return parseConnection(value);
  } catch {
    return undefined;
  }
}
