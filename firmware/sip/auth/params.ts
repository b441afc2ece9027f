/**
 * Parser for the auth-param lists of Authorization / Proxy-Authorization
 * credentials and WWW-Authenticate / Proxy-Authenticate challenges
 * (RFC 3261 §25.1, RFC 7235 §2.1, RFC 7616 §3.3-3.4).
 *
 *   credentials     = "Digest" LWS digest-response
 *   digest-response = dig-resp *(COMMA dig-resp)
 *   auth-param      = auth-param-name EQUAL ( token / quoted-string )
 *
 * The input comes from the network and may be hostile: the parser never
 * throws, bounds the input length and the number of parameters, refuses
 * control characters and duplicate parameters, and returns undefined for
 * anything it cannot read. It is deliberately lenient on quoting (some
 * phones quote nc or qop, others leave uri unquoted): a value is either a
 * quoted-string or a run of characters up to the next comma or whitespace.
 */

export interface AuthParams {
  /** Auth scheme as received (compare case-insensitively: "Digest"). */
  scheme: string;
  /** Parameter names lower-cased, values unquoted with escapes resolved. */
  params: Map<string, string>;
}

/** Header values longer than this are refused without being scanned. */
export const MAX_AUTH_HEADER_LENGTH = 4096;
/** More parameters than this is not a digest credential. */
export const MAX_AUTH_PARAMS = 32;

const SP = 0x20;
const HTAB = 0x09;
const DQUOTE = 0x22;
const COMMA = 0x2c;
const EQUAL = 0x3d;
const BACKSLASH = 0x5c;

/** RFC 3261 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
function isTokenChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x21 ||
    c === 0x25 ||
    c === 0x2a ||
    c === 0x5f ||
    c === 0x2b ||
    c === 0x60 ||
    c === 0x27 ||
    c === 0x7e
  );
}

function isWs(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Control characters other than HTAB, and DEL. Folding was collapsed by the message parser. */
function isCtl(c: number): boolean {
  return (c < 0x20 && c !== HTAB) || c === 0x7f;
}

/**
 * Parses `Scheme param=value, param="quoted", ...`. Returns undefined when
 * the value is too long, has no parameters, has a syntax error, a control
 * character, a duplicate parameter, or too many parameters.
 */
export function parseAuthParams(input: string): AuthParams | undefined {
  if (typeof input !== 'string' || input.length > MAX_AUTH_HEADER_LENGTH) return undefined;
  const n = input.length;
  let i = 0;
  while (i < n && isWs(input.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isTokenChar(input.charCodeAt(i))) i++;
  if (i === schemeStart) return undefined;
  const scheme = input.slice(schemeStart, i);
  // The scheme is separated from its parameters by LWS.
  if (i >= n || !isWs(input.charCodeAt(i))) return undefined;

  const params = new Map<string, string>();
  for (;;) {
    // Skip whitespace and empty list elements (RFC 7230 §7 lets "#rule" lists carry them).
    while (i < n) {
      const c = input.charCodeAt(i);
      if (isWs(c) || c === COMMA) i++;
      else break;
    }
    if (i >= n) break;

    const nameStart = i;
    while (i < n && isTokenChar(input.charCodeAt(i))) i++;
    if (i === nameStart) return undefined;
    const name = input.slice(nameStart, i).toLowerCase();
    while (i < n && isWs(input.charCodeAt(i))) i++;
    if (i >= n || input.charCodeAt(i) !== EQUAL) return undefined;
    i++;
    while (i < n && isWs(input.charCodeAt(i))) i++;
    if (i >= n) return undefined;

    let value: string;
    if (input.charCodeAt(i) === DQUOTE) {
      i++;
      let out = '';
      let runStart = i;
      let closed = false;
      while (i < n) {
        const c = input.charCodeAt(i);
        if (c === DQUOTE) {
          out += input.slice(runStart, i);
          i++;
          closed = true;
          break;
        }
        if (c === BACKSLASH) {
          // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): we still refuse CTLs.
          if (i + 1 >= n) return undefined;
          const e = input.charCodeAt(i + 1);
          if (isCtl(e)) return undefined;
          out += input.slice(runStart, i) + input[i + 1];
          i += 2;
          runStart = i;
          continue;
        }
        if (isCtl(c)) return undefined;
        i++;
      }
      if (!closed) return undefined;
      value = out;
    } else {
      const valueStart = i;
      while (i < n) {
        const c = input.charCodeAt(i);
        if (c === COMMA || isWs(c)) break;
        if (c === DQUOTE || isCtl(c)) return undefined;
        i++;
      }
      value = input.slice(valueStart, i);
    }

    if (params.has(name)) return undefined;
    if (params.size >= MAX_AUTH_PARAMS) return undefined;
    params.set(name, value);

    while (i < n && isWs(input.charCodeAt(i))) i++;
    if (i >= n) break;
    if (input.charCodeAt(i) !== COMMA) return undefined;
    i++;
  }
  if (params.size === 0) return undefined;
  return { scheme, params };
}

/** Quotes a value as a quoted-string, escaping `"` and `\`. */
export function quote(value: string): string {
  let out = '"';
  for (let k = 0; k < value.length; k++) {
    const ch = value[k] as string;
    if (ch === '"' || ch === '\\') out += '\\';
    out += ch;
  }
  return out + '"';
}
