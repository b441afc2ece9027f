/**
 * Header-level grammar shared by the typed accessors (RFC 3261 §25.1):
 * generic parameters, quoted strings, name-addr / addr-spec.
 * Every function returns undefined on malformed input and never throws.
 */
import type { NameAddr, Params, Uri } from './types.ts';
import { isTokenChar, isWsp, skipWs } from './charset.ts';
import { formatUri, parseUri } from './uri.ts';

/**
 * Reads a quoted-string starting at s[i] === '"'. Returns the unescaped
 * content and the index after the closing quote, or undefined when the
 * quote is unterminated or holds a bare CR/LF.
 *   quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
 *   quoted-pair   = "\" (%x00-09 / %x0B-0C / %x0E-7F)
 */
export function readQuoted(s: string, i: number): { text: string; end: number } | undefined {
  let text = '';
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return { text: text + s.slice(from, j), end: j + 1 };
    if (c === 0x5c) {
      const n = s.charCodeAt(j + 1);
      if (Number.isNaN(n) || n === 0x0a || n === 0x0d || n > 0x7f) return undefined;
      text += s.slice(from, j) + s[j + 1];
      j++;
      from = j + 1;
    } else if (c === 0x0a || c === 0x0d) {
      return undefined;
    }
  }
  return undefined;
}

/** Index after a raw quoted-string starting at s[i] === '"', or -1. */
function skipQuoted(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c === 0x5c) j++;
  }
  return -1;
}

/** Quotes text as a quoted-string, escaping '"', '\' and the controls qdtext excludes. */
export function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      out += ' '; // CR and LF cannot be quoted (quoted-pair excludes them)
    } else if (c === 0x22 || c === 0x5c || (c < 0x20 && c !== 0x09) || c === 0x7f) {
      out += '\\' + text[i];
    } else {
      out += text[i];
    }
  }
  return out + '"';
}

/**
 * Parses `*( SEMI generic-param )` in s from index i to the end (trailing
 * SWS allowed). generic-param = token [ EQUAL gen-value ],
 * gen-value = token / host / quoted-string. Names are lower-cased, values
 * kept as written (a quoted value keeps its quotes). The first occurrence of
 * a name wins.
 */
export function parseParamsAt(s: string, i: number, params: Params): boolean {
  i = skipWs(s, i);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 0x3b) return false;
    i = skipWs(s, i + 1);
    const nameStart = i;
    let upper = false;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (!isTokenChar(c)) break;
      if (c >= 0x41 && c <= 0x5a) upper = true;
      i++;
    }
    if (i === nameStart) return false;
    const name = upper ? s.slice(nameStart, i).toLowerCase() : s.slice(nameStart, i);
    i = skipWs(s, i);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      const vStart = i;
      if (s.charCodeAt(i) === 0x22) {
        const end = skipQuoted(s, i);
        if (end < 0) return false;
        i = end;
      } else {
        // token, or host (IPv6 reference / bare IPv6 in received=, RFC 5118 §4.5)
        while (i < s.length) {
          const c = s.charCodeAt(i);
          if (isTokenChar(c) || c === 0x3a || c === 0x5b || c === 0x5d) i++;
          else break;
        }
        if (i === vStart) return false;
      }
      value = s.slice(vStart, i);
      i = skipWs(s, i);
    }
    if (!params.has(name)) params.set(name, value);
  }
  return true;
}

/** Parses `;a=b;c` (a leading ';' is optional). */
export function parseParams(s: string): Params | undefined {
  if (typeof s !== 'string') return undefined;
  const params: Params = new Map();
  let t = s;
  const first = skipWs(t, 0);
  if (first < t.length && t.charCodeAt(first) !== 0x3b) t = ';' + t;
  return parseParamsAt(t, 0, params) ? params : undefined;
}

export function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? ';' + name : ';' + name + '=' + value;
  return out;
}

/**
 * name-addr / addr-spec followed by header parameters (From, To, Contact,
 * Route, Refer-To...):
 *   ( name-addr / addr-spec ) *( SEMI param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 */
export function parseNameAddr(s: string): NameAddr | undefined {
  if (typeof s !== 'string' || s.length > 16384) return undefined;
  const len = s.length;
  let i = skipWs(s, 0);
  if (i >= len) return undefined;
  let displayName: string | undefined;
  let uriText: string;
  const c0 = s.charCodeAt(i);
  if (c0 === 0x22) {
    const q = readQuoted(s, i);
    if (q === undefined) return undefined; // RFC 4475 §3.1.2.6 quotbal
    displayName = q.text;
    i = skipWs(s, q.end);
    if (s.charCodeAt(i) !== 0x3c) return undefined;
  } else if (c0 !== 0x3c) {
    // Either tokens then "<", or an addr-spec: read tokens separated by LWS.
    let j = i;
    while (j < len) {
      const c = s.charCodeAt(j);
      if (isTokenChar(c) || isWsp(c)) j++;
      else break;
    }
    if (j < len && s.charCodeAt(j) === 0x3c) {
      // RFC 4475 §3.1.1.6 lwsdisp: no LWS between display-name and "<" is accepted.
      let b = j;
      while (b > i && isWsp(s.charCodeAt(b - 1))) b--;
      displayName = s.slice(i, b);
      i = j;
    }
  }
  let after: number;
  if (s.charCodeAt(i) === 0x3c) {
    // LAQUOT = SWS "<" and RAQUOT = ">" SWS: nothing may pad the URI itself
    // (RFC 4475 §3.1.2.14 badaspec); parseUri refuses embedded whitespace.
    const close = s.indexOf('>', i + 1);
    if (close < 0) return undefined;
    uriText = s.slice(i + 1, close);
    after = close + 1;
  } else {
    // addr-spec: "If the URI contains a comma, question mark or semicolon,
    // the URI MUST be enclosed in angle brackets" (RFC 3261 §20.10, RFC 8217):
    // so the URI ends at the first ";" or whitespace, and may not contain "?" or ",".
    let j = i;
    while (j < len) {
      const c = s.charCodeAt(j);
      if (c === 0x3b || isWsp(c)) break;
      if (c === 0x3f || c === 0x2c) return undefined; // RFC 4475 §3.1.2.13 regbadct
      j++;
    }
    uriText = s.slice(i, j);
    after = j;
  }
  const uri: Uri | undefined = parseUri(uriText);
  if (uri === undefined) return undefined;
  const params: Params = new Map();
  if (!parseParamsAt(s, after, params)) return undefined;
  const na: NameAddr = { uri, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/** Always the name-addr form, which is unambiguous whatever the URI holds. */
export function formatNameAddr(n: NameAddr): string {
  const uri = '<' + formatUri(n.uri) + '>';
  const head = n.displayName !== undefined && n.displayName !== '' ? quote(n.displayName) + ' ' + uri : uri;
  return head + formatParams(n.params);
}
