/**
 * Value hygiene for the files served to phones. Every value written into a
 * config line or an XML text node goes through one of these: a name or a label
 * can never add a line (newline injection), a comment or a key of its own.
 */

/** C0/C1 controls, DEL, and the Unicode line/paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export class ProvisioningValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisioningValueError';
  }
}

/** Free text (names, labels): controls become spaces, runs of spaces collapse, trimmed, cut to max characters. */
export function cleanText(s: string, max: number): string {
  const flat = s.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return [...flat].slice(0, max).join('').trim();
}

/**
 * Aastra free text: written between double quotes (the phone strips them), so
 * a '#' stays text instead of starting a comment. A double quote inside would
 * end the value: it becomes a single quote.
 */
export function aastraText(s: string, max = 20): string {
  return `"${cleanText(s, max).replace(/"/g, "'")}"`;
}

/**
 * Yealink free text: the value runs to the end of the line, so only controls
 * matter; '%' is dropped because %NULL% and %EMPTY% are Yealink keywords.
 */
export function yealinkText(s: string, max = 32): string {
  return cleanText(s, max).replace(/%/g, '');
}

/** Tokens (user names, passwords, numbers, host names) are checked, never rewritten. */
const TOKEN = /^[A-Za-z0-9._~!$&*+,;=@^|:/?-]{1,128}$/;

export function token(s: string, what: string): string {
  if (!TOKEN.test(s)) throw new ProvisioningValueError(`${what} cannot be written to a phone file (empty, too long, or a space, quote, '#', '%' or control character)`);
  return s;
}

/** A host (IPv4, bracketed IPv6 or DNS name) for SIP/NTP/HTTP addresses. */
export function host(s: string, what: string): string {
  if (!/^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])$/.test(s)) throw new ProvisioningValueError(`${what} "${cleanText(s, 40)}" is not a host name or address`);
  return s;
}

export function port(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ProvisioningValueError(`${what} ${n} is not a port`);
  return n;
}

/** An http(s) URL without spaces, quotes or controls (it is written unquoted). */
export function url(s: string, what: string): string {
  if (!/^https?:\/\/[A-Za-z0-9._~:/?@!$&()*+,;=%[\]-]{1,240}$/.test(s)) {
    throw new ProvisioningValueError(`${what} is not a plain http URL`);
  }
  return s;
}

/** XML 1.0 text or attribute value: controls removed (they are not legal XML), markup characters escaped. */
export function xmlText(s: string, max: number): string {
  return cleanText(s, max).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
