/**
 * Ordered header fields with case-insensitive, compact-form-aware lookup
 * (RFC 3261 §7.3, §7.3.3). Fields keep the name as received so a message
 * is forwarded as it came; lookups go through a canonical key (the long
 * form, lower-cased) computed once per field.
 */
import type { HeaderField, SipHeaders } from './types.ts';

/** RFC 3261 §7.3.3 and the IANA SIP header registry compact forms. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  y: 'identity',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
};

// Names seen on the wire repeat ("Via", "CSeq", "v"...): remember their key.
// Bounded so that a flood of random names cannot grow it without limit.
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 2048;

/** Canonical lookup key of a header name: long form, lower-case. */
export function headerKey(name: string): string {
  let k = keyCache.get(name);
  if (k !== undefined) return k;
  const lower = name.toLowerCase();
  k = lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
  if (keyCache.size < KEY_CACHE_MAX) keyCache.set(name, k);
  return k;
}

/**
 * Splits a field value on commas outside quoted strings (with \" escapes)
 * and outside <...>. Elements are trimmed; empty elements are kept so
 * callers validating a list (Via, Contact) can refuse them.
 */
export function splitComma(value: string): string[] {
  if (value.indexOf(',') < 0) return [trimWsp(value)];
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c) {
      inAngle = true;
    } else if (c === 0x3e) {
      inAngle = false;
    } else if (c === 0x2c && !inAngle) {
      out.push(trimWsp(value.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(trimWsp(value.slice(start)));
  return out;
}

/** Index of the first top-level comma, or -1 (same rules as splitComma). */
function firstComma(value: string): number {
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) return i;
  }
  return -1;
}

function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

export class HeaderList implements SipHeaders {
  // Parallel arrays: list[i] is the field as received, keys[i] its lookup key.
  private list: HeaderField[];
  private keys: string[];

  constructor(fields?: Iterable<readonly [string, string]>) {
    this.list = [];
    this.keys = [];
    if (fields) for (const [n, v] of fields) this.append(n, v);
  }

  /** Used by the parser: takes ownership of already-built arrays. */
  static fromParsed(list: HeaderField[], keys: string[]): HeaderList {
    const h = new HeaderList();
    h.list = list;
    h.keys = keys;
    return h;
  }

  get(name: string): string | undefined {
    const k = headerKey(name);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === k) return this.list[i]!.value;
    return undefined;
  }

  getAll(name: string): string[] {
    const k = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] !== k) continue;
      const parts = splitComma(this.list[i]!.value);
      for (const p of parts) out.push(p);
    }
    return out;
  }

  getFields(name: string): string[] {
    const k = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === k) out.push(this.list[i]!.value);
    return out;
  }

  /** Number of fields of that name (used to refuse repeated scalar headers). */
  count(name: string): number {
    const k = headerKey(name);
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === k) n++;
    return n;
  }

  has(name: string): boolean {
    return this.keys.indexOf(headerKey(name)) >= 0;
  }

  set(name: string, value: string): void {
    const k = headerKey(name);
    const first = this.keys.indexOf(k);
    if (first < 0) {
      this.append(name, value);
      return;
    }
    this.list[first] = { name, value };
    for (let i = this.keys.length - 1; i > first; i--) {
      if (this.keys[i] === k) {
        this.keys.splice(i, 1);
        this.list.splice(i, 1);
      }
    }
  }

  append(name: string, value: string): void {
    this.list.push({ name, value });
    this.keys.push(headerKey(name));
  }

  prepend(name: string, value: string): void {
    const k = headerKey(name);
    const first = this.keys.indexOf(k);
    const at = first < 0 ? 0 : first;
    this.list.splice(at, 0, { name, value });
    this.keys.splice(at, 0, k);
  }

  remove(name: string): void {
    const k = headerKey(name);
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] === k) {
        this.keys.splice(i, 1);
        this.list.splice(i, 1);
      }
    }
  }

  removeFirstValue(name: string): void {
    const first = this.keys.indexOf(headerKey(name));
    if (first < 0) return;
    const field = this.list[first]!;
    const comma = firstComma(field.value);
    if (comma < 0) {
      this.keys.splice(first, 1);
      this.list.splice(first, 1);
    } else {
      this.list[first] = { name: field.name, value: trimWsp(field.value.slice(comma + 1)) };
    }
  }

  fields(): readonly HeaderField[] {
    return this.list;
  }

  clone(): HeaderList {
    // HeaderField objects are replaced, never mutated, so sharing them is safe.
    return HeaderList.fromParsed(this.list.slice(), this.keys.slice());
  }
}
