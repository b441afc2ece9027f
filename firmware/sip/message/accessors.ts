/**
 * Typed, lazy views of header fields: each call parses only the field it
 * is asked for, from the raw value. Malformed values read as undefined (or
 * are skipped in lists); messages that come out of parseMessage have had
 * Via, From, To, Call-ID, CSeq, Max-Forwards, Contact and Content-Length
 * validated already.
 */
import type { CSeq, NameAddr, SipHeaders, Via } from './types.ts';
import { isToken, parseBoundedInt, trimWs } from './charset.ts';
import { parseNameAddr } from './grammar.ts';
import { parseVia } from './via.ts';
import { splitComma } from './headers.ts';

export const MAX_CSEQ = 0xffffffff;
export const MAX_DELTA_SECONDS = 0xffffffff;

/** Every Via value, top first (RFC 3261 §20.42); malformed values are skipped. */
export function getVia(h: SipHeaders): Via[] {
  const out: Via[] = [];
  for (const v of h.getAll('via')) {
    const via = parseVia(v);
    if (via) out.push(via);
  }
  return out;
}

/** The top Via: the first value of the first Via field. */
export function topVia(h: SipHeaders): Via | undefined {
  const first = h.get('via');
  if (first === undefined) return undefined;
  // Only the first comma-separated value of the first field is needed.
  const top = first.indexOf(',') < 0 ? first : splitComma(first)[0];
  return top === undefined ? undefined : parseVia(top);
}

/**
 * CSeq = 1*DIGIT LWS Method. "The sequence number MUST be expressible as
 * a 32-bit unsigned integer" (RFC 3261 §20.16).
 */
export function parseCSeq(value: string): CSeq | undefined {
  const s = trimWs(value);
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i === s.length) return undefined;
  const c = s.charCodeAt(i);
  if (c !== 0x20 && c !== 0x09) return undefined;
  const seq = parseBoundedInt(s.slice(0, i), MAX_CSEQ);
  if (seq === undefined) return undefined;
  const method = trimWs(s.slice(i));
  if (!isToken(method)) return undefined;
  return { seq, method };
}

export function getCSeq(h: SipHeaders): CSeq | undefined {
  const v = h.get('cseq');
  return v === undefined ? undefined : parseCSeq(v);
}

export function getCallId(h: SipHeaders): string | undefined {
  const v = h.get('call-id');
  return v === undefined ? undefined : trimWs(v);
}

export function getFrom(h: SipHeaders): NameAddr | undefined {
  const v = h.get('from');
  return v === undefined ? undefined : parseNameAddr(v);
}

export function getTo(h: SipHeaders): NameAddr | undefined {
  const v = h.get('to');
  return v === undefined ? undefined : parseNameAddr(v);
}

/** Tag parameter of From/To (RFC 3261 §19.3); a valueless ";tag" counts as absent. */
export function getTag(n: NameAddr | undefined): string | undefined {
  const t = n?.params.get('tag');
  return t === null || t === undefined ? undefined : t;
}

/**
 * Contact values in order, or '*' for the wildcard of a REGISTER removing
 * all bindings (RFC 3261 §10.2.2). Malformed values are skipped.
 */
export function getContacts(h: SipHeaders): NameAddr[] | '*' {
  const values = h.getAll('contact');
  if (values.length === 1 && values[0] === '*') return '*';
  const out: NameAddr[] = [];
  for (const v of values) {
    const na = parseNameAddr(v);
    if (na) out.push(na);
  }
  return out;
}

/**
 * Expires = delta-seconds. RFC 4475 §3.1.2.4: "If only the expiry values
 * were in error, the element could treat them as if they contained the
 * default values for expiration", so an out-of-range value reads as absent.
 */
export function getExpires(h: SipHeaders): number | undefined {
  const v = h.get('expires');
  return v === undefined ? undefined : parseBoundedInt(trimWs(v), MAX_DELTA_SECONDS);
}

/**
 * Max-Forwards 0-255 (RFC 3261 §20.22). RFC 4475 §3.1.2.4: "If only the
 * Max-Forwards field were in error, the element could choose to process
 * the request as if the field were absent": out of range reads as undefined.
 */
export function getMaxForwards(h: SipHeaders): number | undefined {
  const v = h.get('max-forwards');
  return v === undefined ? undefined : parseBoundedInt(trimWs(v), 255);
}

export function getContentLength(h: SipHeaders): number | undefined {
  const v = h.get('content-length');
  return v === undefined ? undefined : parseBoundedInt(trimWs(v), Number.MAX_SAFE_INTEGER);
}
