/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966 §3). Other
 * schemes are checked for the generic `scheme ":" ...` shape only and kept
 * as text: deciding whether an unknown scheme is acceptable (416 Unsupported
 * URI Scheme) belongs to the layers above (RFC 4475 §3.3.2, §3.3.3).
 */
import type { OtherUri, Params, SipUri, TelUri, Uri } from './types.ts';
import {
  CLASS_HEADER,
  CLASS_PARAM,
  CLASS_PASSWORD,
  CLASS_USER,
  inClass,
  isDigit,
  isHeaderChar,
  isHex,
  isHostChar,
  isParamChar,
  isPasswordChar,
  isUserChar,
} from './charset.ts';

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c <= 0x39) return c - 0x30;
  return (c | 0x20) - 0x61 + 10;
}

/**
 * Checks every character of s[from, to) against `allowed`, with `escaped`
 * (%HH) always accepted. Returns true when s has at least one %, so the
 * caller knows whether unescaping is needed.
 */
function scanEscaped(s: string, from: number, to: number, mask: number): boolean | undefined {
  let pct = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= to || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return undefined;
      pct = true;
      i += 2;
    } else if (!inClass(c, mask)) {
      return undefined;
    }
  }
  return pct;
}

/** %HH sequences to text; bytes >= 0x80 are decoded as UTF-8 (RFC 3261 §19.1.2). */
export function unescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let ascii = true;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      const b = (hexVal(s.charCodeAt(i + 1)) << 4) | hexVal(s.charCodeAt(i + 2));
      if (b >= 0x80) ascii = false;
      bytes.push(b);
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Already-decoded non-ASCII text next to escapes: re-encode it as UTF-8.
      ascii = false;
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
    }
  }
  return ascii ? String.fromCharCode(...bytes) : Buffer.from(bytes).toString('utf8');
}

/** Escapes every character `allowed` refuses (and '%'), as UTF-8 %HH. */
export function escape(s: string, allowed: (c: number) => boolean): string {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 || !allowed(c)) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x25 && allowed(c)) {
      out += s[i];
      continue;
    }
    const cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); returns the index of ':' or -1. */
function schemeEnd(s: string): number {
  const c0 = s.charCodeAt(0) | 0x20;
  if (!(c0 >= 0x61 && c0 <= 0x7a)) return -1;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) return i;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) return -1;
  }
  return -1;
}

/**
 * host = hostname / IPv4address / IPv6reference. Hostnames are checked for
 * their character set (alphanum, "-", "."), not label by label: a name
 * that does not resolve is the resolver's business.
 */
function validHost(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  if (s.charCodeAt(from) === 0x5b) {
    if (s.charCodeAt(to - 1) !== 0x5d || to - from < 4) return false;
    let colons = 0;
    for (let i = from + 1; i < to - 1; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x3a) colons++;
      else if (!isHex(c) && c !== 0x2e) return false;
    }
    return colons >= 2;
  }
  for (let i = from; i < to; i++) if (!isHostChar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Parses `;name[=value]` uri-parameters in s[from, to). Names and values
 * are unescaped (RFC 3261 §19.1.4 compares them unescaped), names
 * lower-cased. Returns undefined on an empty name or a bad character.
 */
function parseUriParams(s: string, from: number, to: number, params: Params): boolean {
  let i = from;
  while (i < to) {
    // s[i] is ';'
    let end = s.indexOf(';', i + 1);
    if (end < 0 || end > to) end = to;
    const eq = s.indexOf('=', i + 1);
    const hasValue = eq >= 0 && eq < end;
    const nameEnd = hasValue ? eq : end;
    if (nameEnd === i + 1) return false;
    const pn = scanEscaped(s, i + 1, nameEnd, CLASS_PARAM);
    if (pn === undefined) return false;
    let value: string | null = null;
    if (hasValue) {
      const pv = scanEscaped(s, eq + 1, end, CLASS_PARAM);
      if (pv === undefined || eq + 1 === end) return false;
      value = pv ? unescape(s.slice(eq + 1, end)) : s.slice(eq + 1, end);
    }
    const raw = s.slice(i + 1, nameEnd);
    const name = (pn ? unescape(raw) : raw).toLowerCase();
    if (!params.has(name)) params.set(name, value);
    i = end;
  }
  return true;
}

function parseSipUri(s: string, scheme: 'sip' | 'sips', start: number): SipUri | undefined {
  const len = s.length;
  const uri: SipUri = { scheme, host: '', params: new Map(), headers: new Map() };
  let i = start;
  // user chars exclude "@" (it must be escaped), so the first "@" ends the
  // userinfo; the user part itself may hold ";", "?", "/" (RFC 4475 §3.1.1.2).
  const at = s.indexOf('@', i);
  if (at >= 0) {
    const colon = s.indexOf(':', i);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === i) return undefined;
    const ue = scanEscaped(s, i, userEnd, CLASS_USER);
    if (ue === undefined) return undefined;
    uri.user = ue ? unescape(s.slice(i, userEnd)) : s.slice(i, userEnd);
    if (userEnd < at) {
      const pe = scanEscaped(s, userEnd + 1, at, CLASS_PASSWORD);
      if (pe === undefined) return undefined;
      uri.password = pe ? unescape(s.slice(userEnd + 1, at)) : s.slice(userEnd + 1, at);
    }
    i = at + 1;
  }
  // hostport
  let hostEnd: number;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    hostEnd = close + 1;
  } else {
    hostEnd = i;
    while (hostEnd < len) {
      const c = s.charCodeAt(hostEnd);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break;
      hostEnd++;
    }
  }
  if (!validHost(s, i, hostEnd)) return undefined;
  uri.host = s.slice(i, hostEnd);
  i = hostEnd;
  if (i < len && s.charCodeAt(i) === 0x3a) {
    let p = i + 1;
    while (p < len && isDigit(s.charCodeAt(p))) p++;
    if (p === i + 1 || p - i > 6) return undefined;
    const port = Number(s.slice(i + 1, p));
    if (port > 65535) return undefined;
    uri.port = port;
    i = p;
  }
  let q = s.indexOf('?', i);
  if (q < 0) q = len;
  if (i < q) {
    if (s.charCodeAt(i) !== 0x3b) return undefined;
    if (!parseUriParams(s, i, q, uri.params)) return undefined;
  }
  if (q < len) {
    // headers = "?" header *( "&" header ); header = hname "=" hvalue
    let h = q + 1;
    if (h === len) return undefined;
    while (h <= len) {
      let end = s.indexOf('&', h);
      if (end < 0) end = len;
      const eq = s.indexOf('=', h);
      if (eq < 0 || eq >= end || eq === h) return undefined;
      const ne = scanEscaped(s, h, eq, CLASS_HEADER);
      const ve = scanEscaped(s, eq + 1, end, CLASS_HEADER);
      if (ne === undefined || ve === undefined) return undefined;
      const name = ne ? unescape(s.slice(h, eq)) : s.slice(h, eq);
      const value = ve ? unescape(s.slice(eq + 1, end)) : s.slice(eq + 1, end);
      if (!uri.headers.has(name)) uri.headers.set(name, value);
      h = end + 1;
    }
  }
  return uri;
}

/** RFC 3966: telephone-subscriber, checked loosely (digits, hex, * # + and visual separators). */
function parseTelUri(s: string, start: number): TelUri | undefined {
  let end = s.indexOf(';', start);
  if (end < 0) end = s.length;
  if (end === start) return undefined;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!(isHex(c) || c === 0x2a || c === 0x23 || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29)) {
      return undefined;
    }
  }
  const tel: TelUri = { scheme: 'tel', number: s.slice(start, end), params: new Map() };
  if (end < s.length && !parseUriParams(s, end, s.length, tel.params)) return undefined;
  return tel;
}

/**
 * Parses an absolute URI. Returns undefined when s is not a URI (embedded
 * whitespace, angle brackets, a bad escape, a bad host or port...).
 */
export function parseUri(s: string): Uri | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > 8192) return undefined;
  const colon = schemeEnd(s);
  if (colon < 0 || colon === s.length - 1) return undefined;
  // No LWS, controls, DQUOTE or angle brackets anywhere: an URI in a SIP
  // message is a single run of visible characters (RFC 4475 §3.1.2.7, §3.1.2.8).
  for (let i = colon + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x22 || c === 0x3c || c === 0x3e) return undefined;
  }
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, colon + 1);
  if (scheme === 'tel') return parseTelUri(s, colon + 1);
  const other: OtherUri = { scheme, raw: s };
  return other;
}

function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) {
    out += ';' + escape(name, isParamChar);
    if (value !== null) out += '=' + escape(value, isParamChar);
  }
  return out;
}

/** Text form of a URI, escaping what each component requires (RFC 3261 §19.1.2). */
export function formatUri(u: Uri): string {
  if (u.scheme === 'sip' || u.scheme === 'sips') {
    const sip = u as SipUri;
    let out = sip.scheme + ':';
    if (sip.user !== undefined) {
      out += escape(sip.user, isUserChar);
      if (sip.password !== undefined) out += ':' + escape(sip.password, isPasswordChar);
      out += '@';
    }
    out += sip.host;
    if (sip.port !== undefined) out += ':' + sip.port;
    out += formatParams(sip.params);
    let first = true;
    for (const [name, value] of sip.headers) {
      out += (first ? '?' : '&') + escape(name, isHeaderChar) + '=' + escape(value, isHeaderChar);
      first = false;
    }
    return out;
  }
  if (u.scheme === 'tel') {
    const tel = u as TelUri;
    // Tel parameters use the same escaping rules closely enough (RFC 3966 §3 paramchar).
    return 'tel:' + tel.number + formatParams(tel.params);
  }
  return (u as OtherUri).raw;
}

export function isSipUri(u: Uri | undefined): u is SipUri {
  return u !== undefined && (u.scheme === 'sip' || u.scheme === 'sips');
}
