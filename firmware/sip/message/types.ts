/**
 * SIP message data model (RFC 3261 §7, §20, §25). This file is the contract
 * between the parser/serializer (this module) and the layers above
 * (transport, transaction, dialog, registrar): they only use these types and
 * the functions exported from ./index.ts.
 *
 * Headers are kept as the raw fields received, in order, so unknown headers
 * pass through untouched; typed views (Via, CSeq, name-addr...) are parsed on
 * demand by the accessor functions, which keeps the hot path (a proxy or
 * registrar reading five headers) cheap.
 */

export type Transport = 'UDP' | 'TCP' | 'TLS' | 'SCTP' | 'WS' | 'WSS';

/** Generic parameters (`;name=value` or `;flag`). Names lower-cased; null = no value. */
export type Params = Map<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string; // unescaped
  password?: string;
  host: string; // IPv6 kept with brackets, e.g. "[2001:db8::10]"
  port?: number;
  params: Params; // uri-parameters (transport, user, lr, maddr, ...)
  headers: Map<string, string>; // ?name=value, unescaped
}

export interface TelUri {
  scheme: 'tel';
  number: string;
  params: Params;
}

/** A URI of another scheme (mailto:, http:, im:...), kept as text. */
export interface OtherUri {
  scheme: string;
  raw: string;
}

export type Uri = SipUri | TelUri | OtherUri;

/** name-addr / addr-spec with header parameters (From, To, Contact, Route...). */
export interface NameAddr {
  displayName?: string; // unquoted, escapes resolved
  uri: Uri;
  params: Params; // header params: tag, expires, q, ...
}

export interface Via {
  protocol: string; // "SIP/2.0"
  transport: string; // upper-cased: UDP, TCP, ...
  host: string; // IPv6 with brackets
  port?: number;
  params: Params; // branch, received, rport (null when empty), maddr, ttl
}

export interface CSeq {
  seq: number; // 0 .. 2^32-1 on receipt (RFC 3261 §20.16); a UAC starts below 2^31 (§8.1.1.5)
  method: string;
}

export interface HeaderField {
  /** Name as received (e.g. "v", "Via", "CALL-ID"), for faithful re-serialization. */
  name: string;
  /** Value with folding collapsed (CRLF + WSP -> single SP), leading/trailing WSP trimmed. */
  value: string;
}

/**
 * Ordered header fields with case-insensitive, compact-form-aware lookup
 * ("v" == "Via", "i" == "Call-ID", "m" == "Contact", "f", "t", "l", "c",
 * "e", "k", "s", "o", "u", "r", "b", "x", "y" per RFC 3261 §7.3.3 / IANA).
 */
export interface SipHeaders {
  /** First field's raw value, or undefined. */
  get(name: string): string | undefined;
  /**
   * Every value of a header, multi-value fields split on commas that are
   * outside quotes and angle brackets, in order across all fields of that name.
   * (Not to be used for headers whose grammar contains bare commas, e.g.
   * WWW-Authenticate, Authorization, Date: use getFields for those.)
   */
  getAll(name: string): string[];
  /** Every raw field of that name (no comma split). */
  getFields(name: string): string[];
  has(name: string): boolean;
  /** Replaces every field of that name by one field (appended where the first was). */
  set(name: string, value: string): void;
  /** Appends a field at the end. */
  append(name: string, value: string): void;
  /** Inserts a field before all others of that name (e.g. our Via on top). */
  prepend(name: string, value: string): void;
  /** Removes every field of that name. */
  remove(name: string): void;
  /** Removes the first value of a (possibly comma-combined) header, e.g. top Via. */
  removeFirstValue(name: string): void;
  /** All fields in order. */
  fields(): readonly HeaderField[];
  clone(): SipHeaders;
}

export interface SipRequest {
  kind: 'request';
  method: string; // case-sensitive, as received (RFC 3261 §7.1)
  /** Request-URI as text; parse with parseUri() when needed. */
  uri: string;
  version: string; // "SIP/2.0"
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  version: string;
  status: number; // 100..699
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** Why a message could not be accepted. */
export type ParseErrorCode =
  | 'too-large'
  | 'bad-start-line'
  | 'bad-version'
  | 'bad-header'
  | 'missing-header'
  | 'bad-content-length'
  | 'body-truncated'
  | 'bad-cseq'
  | 'bad-via'
  | 'bad-uri'
  | 'cseq-method-mismatch'
  | 'bad-max-forwards'
  | 'bad-address';

export interface ParseError {
  code: ParseErrorCode;
  /** Short, human text, safe to put in a 400 reason phrase (no CR/LF). */
  reason: string;
  /**
   * When the start line and enough headers could be read to answer a
   * request with 400 (Via, From, To, Call-ID, CSeq), the partial request;
   * otherwise undefined (the message is dropped).
   */
  partial?: SipRequest;
}

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: ParseError };
