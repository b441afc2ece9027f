/**
 * Character classes of the RFC 3261 §25.1 grammar as lookup tables: one
 * array read per character instead of a chain of comparisons or a regex.
 * Only ASCII is classified; callers treat code points >= 0x80 explicitly
 * (UTF8-NONASCII is allowed in quoted strings, reason phrases, TEXT).
 */

const TOKEN = 1;
const UNRESERVED = 2; // alphanum / mark
const USER = 4; // user chars other than unreserved / escaped: & = + $ , ; ? /
const PASSWORD = 8; // & = + $ ,
const PARAM = 16; // param-unreserved: [ ] / : & + $
const HNV = 32; // hnv-unreserved: [ ] / ? : + $
const WORD = 64; // word (Call-ID) = token chars and ( ) < > : \ " / [ ] ? { }
const HOST = 128; // alphanum - . and, inside brackets, hex and :

const table = new Uint8Array(128);

function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)]! |= flag;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
mark(ALNUM, TOKEN | UNRESERVED | WORD | HOST);
mark("-.!%*_+`'~", TOKEN | WORD);
mark("-_.!~*'()", UNRESERVED);
mark('&=+$,;?/', USER);
mark('&=+$,', PASSWORD);
mark('[]/:&+$', PARAM);
mark('[]/?:+$', HNV);
mark('()<>:\\"/[]?{}', WORD);
mark('-.', HOST);

/** Class masks for scanning URI parts with one table read per character. */
export const CLASS_USER = UNRESERVED | USER;
export const CLASS_PASSWORD = UNRESERVED | PASSWORD;
export const CLASS_PARAM = UNRESERVED | PARAM;
export const CLASS_HEADER = UNRESERVED | HNV;

/** True when c (< 128) belongs to one of the classes in mask. */
export function inClass(c: number, mask: number): boolean {
  return c < 128 && (table[c]! & mask) !== 0;
}

function has(c: number, flag: number): boolean {
  return c < 128 && (table[c]! & flag) !== 0;
}

export function isTokenChar(c: number): boolean {
  return c < 128 && (table[c]! & TOKEN) !== 0;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWordChar(c: number): boolean {
  return has(c, WORD);
}

export function isUnreserved(c: number): boolean {
  return has(c, UNRESERVED);
}
export function isUserChar(c: number): boolean {
  return has(c, UNRESERVED | USER);
}
export function isPasswordChar(c: number): boolean {
  return has(c, UNRESERVED | PASSWORD);
}
export function isParamChar(c: number): boolean {
  return has(c, UNRESERVED | PARAM);
}
export function isHeaderChar(c: number): boolean {
  return has(c, UNRESERVED | HNV);
}
export function isHostChar(c: number): boolean {
  return has(c, HOST);
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index of the first non-SP/HTAB at or after i. */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}

/** s without leading/trailing SP/HTAB (String.trim also strips CR/LF/NBSP, which are data here). */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** True when s is 1*DIGIT. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Decimal value of 1*DIGIT when it is <= max, otherwise undefined. Leading
 * zeros are allowed ("0068", RFC 4475 wsinv); very long strings are refused
 * before conversion so "100000...000" never becomes a float.
 */
export function parseBoundedInt(s: string, max: number): number | undefined {
  if (!isDigits(s)) return undefined;
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 0x30) i++;
  if (s.length - i > 15) return undefined;
  const n = Number(s.slice(i));
  return n <= max ? n : undefined;
}
