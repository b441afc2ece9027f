/**
 * SIP message parser (RFC 3261 §7, §18.3, §20, §25; RFC 4475).
 *
 * One pass splits the start line and the header fields (folding collapsed)
 * and records where the headers the core relies on are; those are then
 * validated: Via, From, To, Call-ID, CSeq, Max-Forwards, Contact,
 * Content-Length and the Request-URI. Everything else stays raw text for
 * the lazy accessors. The parser never throws: anything unexpected,
 * including a bug here, becomes a ParseError.
 */
import type { HeaderField, ParseError, ParseErrorCode, ParseResult, SipRequest, SipResponse } from './types.ts';
import { isDigit, isToken, isTokenChar, parseBoundedInt, trimWs } from './charset.ts';
import { HeaderList, headerKey, splitComma } from './headers.ts';
import { parseNameAddr } from './grammar.ts';
import { parseVia } from './via.ts';
import { parseCSeq } from './accessors.ts';
import { isSipUri, parseUri } from './uri.ts';

export interface ParseOptions {
  /** Largest accepted message in bytes (header section + body). Default 65535. */
  maxSize?: number;
  /**
   * The buffer is one message framed from a stream (TCP/TLS/WS): Content-Length
   * is mandatory (RFC 3261 §18.3 "In the case of stream-oriented transports
   * such as TCP, the Content-Length header field indicates the size of the body.
   * All stream-oriented transports MUST use Content-Length.").
   */
  stream?: boolean;
  /**
   * Refuse requests without Max-Forwards. Off by default: RFC 4475 §3.4.1
   * (inv2543) asks elements to accept RFC 2543 requests, which lack it, and
   * RFC 3261 §16.3 step 3 says "If the request does not contain a Max-Forwards
   * header field, this check is passed."
   */
  requireMaxForwards?: boolean;
}

export const DEFAULT_MAX_SIZE = 65535;
const EMPTY: Buffer = Buffer.alloc(0);
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** Every ParseErrorCode, for the error catalogue test against docs/sip-parser.md. */
export const PARSE_ERROR_CODES = [
  'too-large',
  'bad-start-line',
  'bad-version',
  'bad-header',
  'missing-header',
  'bad-content-length',
  'body-truncated',
  'bad-cseq',
  'bad-via',
  'bad-uri',
  'cseq-method-mismatch',
  'bad-max-forwards',
  'bad-address',
] as const satisfies readonly ParseErrorCode[];
// Compile-time check that the list is exhaustive.
type MissingCode = Exclude<ParseErrorCode, (typeof PARSE_ERROR_CODES)[number]>;
const exhaustive: MissingCode extends never ? true : false = true;
void exhaustive;

interface Failure {
  code: ParseErrorCode;
  reason: string;
}

function fail(code: ParseErrorCode, reason: string): ParseResult {
  return { ok: false, error: { code, reason } };
}

/** Where the header section ends: the text stops before the blank line, the body starts after it. */
interface HeadBounds {
  textEnd: number;
  bodyStart: number;
}

/**
 * RFC 3261 §7.5 requires CRLF line ends; bare LF is tolerated as PJSIP and
 * Kamailio do. The fast path is one native search for CRLFCRLF; the byte
 * loop only runs when it is absent or a bare-LF blank line may come first.
 */
function findHeadEnd(buf: Buffer, start: number, fast: boolean): HeadBounds | undefined {
  if (fast) {
    const i = buf.indexOf(CRLFCRLF, start);
    if (i >= 0) return { textEnd: i + 2, bodyStart: i + 4 };
  }
  for (let i = buf.indexOf(0x0a, start); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (buf[i + 1] === 0x0a) return { textEnd: i + 1, bodyStart: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { textEnd: i + 1, bodyStart: i + 3 };
  }
  return undefined;
}

// Indices of the fields the parser validates, gathered in the splitting pass.
interface Seen {
  via: number;
  from: number;
  to: number;
  callId: number;
  cseq: number;
  maxForwards: number;
  contentLength: number;
  contact: number;
  // counts of scalar fields (RFC 4475 §3.3.8, §3.3.9)
  fromN: number;
  toN: number;
  callIdN: number;
  cseqN: number;
  maxForwardsN: number;
  contentLengthN: number;
}

function newSeen(): Seen {
  return {
    via: -1,
    from: -1,
    to: -1,
    callId: -1,
    cseq: -1,
    maxForwards: -1,
    contentLength: -1,
    contact: -1,
    fromN: 0,
    toN: 0,
    callIdN: 0,
    cseqN: 0,
    maxForwardsN: 0,
    contentLengthN: 0,
  };
}

function record(seen: Seen, key: string, index: number): void {
  switch (key) {
    case 'via':
      if (seen.via < 0) seen.via = index;
      break;
    case 'from':
      if (seen.fromN++ === 0) seen.from = index;
      break;
    case 'to':
      if (seen.toN++ === 0) seen.to = index;
      break;
    case 'call-id':
      if (seen.callIdN++ === 0) seen.callId = index;
      break;
    case 'cseq':
      if (seen.cseqN++ === 0) seen.cseq = index;
      break;
    case 'max-forwards':
      if (seen.maxForwardsN++ === 0) seen.maxForwards = index;
      break;
    case 'content-length':
      if (seen.contentLengthN++ === 0) seen.contentLength = index;
      break;
    case 'contact':
      if (seen.contact < 0) seen.contact = index;
      break;
  }
}

interface StartLine {
  kind: 'request' | 'response';
  method: string;
  uri: string;
  version: string;
  status: number;
  reason: string;
  /** Set when the line is malformed; a request-looking line still allows a 400. */
  error?: Failure;
}

/** "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive (RFC 3261 §7.1, §25.1). */
function isSipVersion(v: string): boolean {
  if (v.length < 7 || v.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = v.indexOf('.', 4);
  if (dot <= 4 || dot === v.length - 1) return false;
  for (let i = 4; i < v.length; i++) if (i !== dot && !isDigit(v.charCodeAt(i))) return false;
  return true;
}

function isVersion20(v: string): boolean {
  return v === 'SIP/2.0' || v.toUpperCase() === 'SIP/2.0';
}

function parseStartLine(line: string): StartLine {
  const sl: StartLine = { kind: 'request', method: '', uri: '', version: 'SIP/2.0', status: 0, reason: '' };
  if (line.length >= 4 && (line.charCodeAt(0) | 0x20) === 0x73 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
    sl.kind = 'response';
    const sp = line.indexOf(' ');
    const version = sp < 0 ? line : line.slice(0, sp);
    if (!isSipVersion(version)) {
      sl.error = { code: 'bad-start-line', reason: 'Bad Status-Line' };
      return sl;
    }
    sl.version = version;
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    // Status-Code = 3DIGIT; RFC 4475 §3.1.2.19 bigcode: a longer code is dropped.
    if (sp < 0 || code.length !== 3 || !isDigit(code.charCodeAt(0)) || !isDigit(code.charCodeAt(1)) ||
        !isDigit(code.charCodeAt(2)) || (!Number.isNaN(after) && after !== 0x20)) {
      sl.error = { code: 'bad-start-line', reason: 'Bad Status-Code' };
      return sl;
    }
    sl.status = Number(code);
    if (sl.status < 100 || sl.status > 699) {
      sl.error = { code: 'bad-start-line', reason: 'Bad Status-Code' };
      return sl;
    }
    // Reason-Phrase may be empty (RFC 4475 §3.1.1.13 noreason); a missing SP is tolerated.
    sl.reason = Number.isNaN(after) ? '' : line.slice(sp + 5);
    for (let i = 0; i < sl.reason.length; i++) {
      const c = sl.reason.charCodeAt(i);
      if (c < 0x20 && c !== 0x09) {
        sl.error = { code: 'bad-start-line', reason: 'Bad Reason-Phrase' };
        return sl;
      }
    }
    if (!isVersion20(version)) sl.error = { code: 'bad-version', reason: 'Version Not Supported' };
    return sl;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly one SP
  // between elements, none after (RFC 4475 §3.1.2.8-10: lwsruri, lwsstart, trws).
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  sl.method = sp1 < 0 ? line : line.slice(0, sp1);
  if (sp1 <= 0 || !isToken(sl.method)) {
    sl.method = '';
    sl.error = { code: 'bad-start-line', reason: 'Bad Request-Line' };
    return sl;
  }
  sl.uri = trimWs(sp2 > sp1 ? line.slice(sp1 + 1, sp2) : line.slice(sp1 + 1));
  const version = sp2 > sp1 ? line.slice(sp2 + 1) : '';
  if (sp2 === sp1 || !isSipVersion(version)) {
    sl.error = { code: 'bad-start-line', reason: 'Bad Request-Line' };
    return sl;
  }
  sl.version = version;
  const uri = line.slice(sp1 + 1, sp2);
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) {
      sl.error = { code: 'bad-start-line', reason: 'Bad Request-Line' };
      return sl;
    }
  }
  if (uri.length === 0) sl.error = { code: 'bad-start-line', reason: 'Bad Request-Line' };
  else if (!isVersion20(version)) sl.error = { code: 'bad-version', reason: 'Version Not Supported' };
  return sl;
}

/** Call-ID = word [ "@" word ], read leniently: one run of visible characters. */
function validCallId(v: string): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trimEndWs(s: string): string {
  let b = s.length;
  while (b > 0 && isWsp(s.charCodeAt(b - 1))) b--;
  return b === s.length ? s : s.slice(0, b);
}

function pushField(list: HeaderField[], keys: string[], seen: Seen, name: string, value: string): void {
  const key = headerKey(name);
  record(seen, key, list.length);
  list.push({ name, value: trimEndWs(value) });
  keys.push(key);
}

export function parseMessage(buf: Buffer, opts?: ParseOptions): ParseResult {
  try {
    return parseInner(buf, opts);
  } catch {
    // A bug here must not take the transport down with it.
    return fail('bad-header', 'Unparseable Message');
  }
}

function parseInner(buf: Buffer, opts?: ParseOptions): ParseResult {
  if (!Buffer.isBuffer(buf)) return fail('bad-start-line', 'Not A Buffer');
  const maxSize = opts?.maxSize ?? DEFAULT_MAX_SIZE;
  if (buf.length > maxSize) return fail('too-large', 'Message Too Large');

  // "Implementations processing SIP messages over stream-oriented transports
  // MUST ignore any CRLF appearing before the start-line" (RFC 3261 §7.5);
  // harmless, and done, for datagrams too.
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start === buf.length) return fail('bad-start-line', 'Empty Message');

  let err: Failure | undefined;
  let bounds = findHeadEnd(buf, start, true);
  let text: string;
  if (bounds === undefined) {
    // No blank line: read what there is (so a request can still get its 400).
    err = { code: 'bad-header', reason: 'Header Section Not Terminated' };
    text = buf.toString('utf8', start);
    if (text.charCodeAt(text.length - 1) !== 0x0a) text += '\r\n';
  } else {
    text = buf.toString('utf8', start, bounds.textEnd);
  }

  // Split lines; collapse folding (LWS = [*WSP CRLF] 1*WSP -> one SP).
  let pos = text.indexOf('\n');
  let startLine = text.slice(0, pos > 0 && text.charCodeAt(pos - 1) === 0x0d ? pos - 1 : pos);
  const list: HeaderField[] = [];
  const keys: string[] = [];
  const seen = newSeen();
  let curName: string | undefined;
  let curValue = '';
  pos++;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const end = lineEnd > pos && text.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
    const next = lineEnd + 1;
    if (end === pos) {
      // A blank line before the CRLFCRLF found above: the message uses bare
      // LF somewhere; locate the real end of the header section bytewise.
      bounds = findHeadEnd(buf, start, false);
      if (bounds !== undefined) {
        text = buf.toString('utf8', start, bounds.textEnd);
        pos = next;
        break;
      }
    }
    const c0 = text.charCodeAt(pos);
    if (c0 === 0x20 || c0 === 0x09) {
      // Continuation line.
      if (curName === undefined) {
        err ??= { code: 'bad-header', reason: 'Bad Header Folding' };
      } else {
        let a = pos;
        while (a < end && isWsp(text.charCodeAt(a))) a++;
        const tail = text.slice(a, end);
        const head = trimEndWs(curValue);
        curValue = head.length === 0 ? tail : tail.length === 0 ? head : head + ' ' + tail;
      }
    } else {
      if (curName !== undefined) pushField(list, keys, seen, curName, curValue);
      curName = undefined;
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= end) {
        err ??= { code: 'bad-header', reason: 'Bad Header Line' };
      } else {
        // HCOLON = *( SP / HTAB ) ":" SWS
        let ne = colon;
        while (ne > pos && isWsp(text.charCodeAt(ne - 1))) ne--;
        let ok = ne > pos;
        for (let i = pos; i < ne && ok; i++) ok = isTokenChar(text.charCodeAt(i));
        if (!ok) {
          err ??= { code: 'bad-header', reason: 'Bad Header Name' };
        } else {
          let vs = colon + 1;
          while (vs < end && isWsp(text.charCodeAt(vs))) vs++;
          curName = text.slice(pos, ne);
          curValue = text.slice(vs, end);
        }
      }
    }
    pos = next;
  }
  if (curName !== undefined) pushField(list, keys, seen, curName, curValue);
  // Leftover lines after a bare-LF blank line are body, not headers; the
  // fields collected past it (none in the common case) are dropped.
  const headers = HeaderList.fromParsed(list, keys);

  const sl = parseStartLine(startLine);
  if (sl.error) err ??= sl.error;

  // Body framing (RFC 3261 §18.3, §20.14).
  let body: Buffer = EMPTY;
  if (bounds !== undefined) {
    const bodyStart = bounds.bodyStart;
    const available = buf.length - bodyStart;
    if (seen.contentLengthN > 1) {
      // RFC 4475 §3.3.9 mcl01: no way to know which one is right.
      err ??= { code: 'bad-content-length', reason: 'Multiple Content-Length' };
    } else if (seen.contentLengthN === 1) {
      const raw = list[seen.contentLength]!.value;
      const cl = parseBoundedInt(raw, Number.MAX_SAFE_INTEGER);
      if (cl === undefined) {
        // RFC 4475 §3.1.2.3 ncl: negative (or any non-numeric) value.
        err ??= { code: 'bad-content-length', reason: 'Bad Content-Length' };
      } else if (cl > available) {
        // RFC 4475 §3.1.2.2 clerr: "If the message arrived over UDP ... the
        // receiving element should respond with 400".
        err ??= { code: 'body-truncated', reason: 'Content-Length Larger Than Body' };
      } else if (cl > 0) {
        // "If a stream-based protocol ... is used", the rest belongs to the
        // next message; on UDP "octets beyond Content-Length are discarded"
        // (RFC 3261 §18.3; RFC 4475 §3.1.1.8 dblreq).
        body = buf.subarray(bodyStart, bodyStart + cl);
      }
    } else if (opts?.stream) {
      err ??= { code: 'missing-header', reason: 'Missing Content-Length' };
    } else if (available > 0) {
      // "If the transport is UDP... and there is no Content-Length, the body
      // is the rest of the datagram" (RFC 3261 §18.3; RFC 4475 §3.4.1 inv2543).
      body = buf.subarray(bodyStart);
    }
  }

  // Top Via: needed to send any response, so checked first.
  let topViaOk = false;
  if (seen.via < 0) {
    err ??= { code: 'missing-header', reason: 'Missing Via' };
  } else {
    for (let i = seen.via; i < list.length; i++) {
      if (keys[i] !== 'via') continue;
      const values = splitComma(list[i]!.value);
      for (const v of values) {
        const ok = parseVia(v) !== undefined;
        if (i === seen.via && v === values[0]) {
          // Bad parameters do not hide sent-protocol and sent-by, which is all
          // a 400 needs (RFC 4475 §3.1.2.1 badinv01 "should respond with a 400").
          const semi = v.indexOf(';');
          topViaOk = ok || (semi > 0 && parseVia(v.slice(0, semi)) !== undefined);
        }
        // RFC 4475 §3.1.2.1 badinv01: empty Via params and values.
        if (!ok) err ??= { code: 'bad-via', reason: 'Bad Via' };
      }
    }
  }

  if (!err) err = checkHeaders(list, keys, seen, sl, opts);

  if (sl.kind === 'request' && !err) {
    // Request-URI: a URI (RFC 4475 §3.1.2.7 ltgtruri); unknown schemes are
    // for the UA core / proxy to refuse with 416 (RFC 4475 §3.3.2, §3.3.3).
    const uri = parseUri(sl.uri);
    if (uri === undefined) {
      err = { code: 'bad-uri', reason: 'Bad Request-URI' };
    } else if (isSipUri(uri) && uri.headers.size > 0) {
      // RFC 3261 §19.1.1 Table 1: headers are not allowed in a Request-URI;
      // RFC 4475 §3.1.2.11 escruri: "It is acceptable for an element to
      // reject this request with a 400 Bad Request."
      err = { code: 'bad-uri', reason: 'Headers In Request-URI' };
    }
  }

  if (err) {
    const error: ParseError = { code: err.code, reason: err.reason };
    // A request whose top Via is readable can be answered (400, or 505 for
    // bad-version); the transport copies whatever From/To/Call-ID/CSeq exist.
    if (sl.kind === 'request' && sl.method !== '' && topViaOk) {
      error.partial = {
        kind: 'request',
        method: sl.method,
        uri: sl.uri,
        version: sl.version,
        headers,
        body: EMPTY,
      };
    }
    return { ok: false, error };
  }

  if (sl.kind === 'request') {
    const msg: SipRequest = { kind: 'request', method: sl.method, uri: sl.uri, version: sl.version, headers, body };
    return { ok: true, message: msg };
  }
  const msg: SipResponse = { kind: 'response', version: sl.version, status: sl.status, reason: sl.reason, headers, body };
  return { ok: true, message: msg };
}

function checkHeaders(
  list: HeaderField[],
  keys: string[],
  seen: Seen, sl: StartLine, opts?: ParseOptions): Failure | undefined {
  // RFC 3261 §8.1.1: "A valid SIP request formulated by a UAC MUST, at a
  // minimum, contain the following header fields: To, From, CSeq, Call-ID,
  // Max-Forwards, and Via" (Max-Forwards: see ParseOptions.requireMaxForwards).
  // RFC 4475 §3.3.1 insuf: "Ideally, it will respond with a 400 Bad Request error."
  if (seen.fromN === 0) return { code: 'missing-header', reason: 'Missing From' };
  if (seen.toN === 0) return { code: 'missing-header', reason: 'Missing To' };
  if (seen.callIdN === 0) return { code: 'missing-header', reason: 'Missing Call-ID' };
  if (seen.cseqN === 0) return { code: 'missing-header', reason: 'Missing CSeq' };
  if (sl.kind === 'request' && opts?.requireMaxForwards && seen.maxForwardsN === 0) {
    return { code: 'missing-header', reason: 'Missing Max-Forwards' };
  }
  // RFC 4475 §3.3.8 multi01: "An element receiving this request would
  // respond with a 400 Bad Request error" (several Call-ID, To, From, CSeq, Max-Forwards).
  if (seen.fromN > 1) return { code: 'bad-header', reason: 'Multiple From' };
  if (seen.toN > 1) return { code: 'bad-header', reason: 'Multiple To' };
  if (seen.callIdN > 1) return { code: 'bad-header', reason: 'Multiple Call-ID' };
  if (seen.cseqN > 1) return { code: 'bad-header', reason: 'Multiple CSeq' };
  if (seen.maxForwardsN > 1) return { code: 'bad-header', reason: 'Multiple Max-Forwards' };

  // RFC 4475 §3.1.2.4 scalar02 / §3.1.2.5 scalarlg: CSeq beyond 2**32-1.
  const cseq = parseCSeq(list[seen.cseq]!.value);
  if (cseq === undefined) return { code: 'bad-cseq', reason: 'Bad CSeq' };
  // RFC 4475 §3.1.2.17, §3.1.2.18 (mismatch01/02): method must match CSeq.
  if (sl.kind === 'request' && sl.error === undefined && cseq.method !== sl.method) {
    return { code: 'cseq-method-mismatch', reason: 'CSeq Method Mismatch' };
  }
  if (!validCallId(list[seen.callId]!.value)) return { code: 'bad-header', reason: 'Bad Call-ID' };
  // RFC 4475 §3.1.2.6 quotbal, §3.1.2.14 badaspec, §3.1.2.15 baddn.
  if (parseNameAddr(list[seen.from]!.value) === undefined) return { code: 'bad-address', reason: 'Bad From' };
  if (parseNameAddr(list[seen.to]!.value) === undefined) return { code: 'bad-address', reason: 'Bad To' };
  if (seen.maxForwardsN === 1) {
    // Max-Forwards = 1*DIGIT; a value over 255 is accepted here and read as
    // absent by getMaxForwards (RFC 4475 §3.1.2.4).
    const mf = trimWs(list[seen.maxForwards]!.value);
    let ok = mf.length > 0;
    for (let i = 0; i < mf.length && ok; i++) ok = isDigit(mf.charCodeAt(i));
    if (!ok) return { code: 'bad-max-forwards', reason: 'Bad Max-Forwards' };
  }
  if (seen.contact >= 0) {
    // RFC 4475 §3.1.2.13 regbadct: "?" in an addr-spec Contact.
    let count = 0;
    let star = false;
    for (let i = seen.contact; i < list.length; i++) {
      if (keys[i] !== 'contact') continue;
      for (const v of splitComma(list[i]!.value)) {
        count++;
        if (v === '*') star = true;
        else if (parseNameAddr(v) === undefined) return { code: 'bad-address', reason: 'Bad Contact' };
      }
    }
    // "*" is only allowed alone (RFC 3261 §10.2.2, §20.10 grammar).
    if (star && count > 1) return { code: 'bad-address', reason: 'Bad Contact' };
  }
  return undefined;
}
