/**
 * Building requests and responses, and the random identifiers RFC 3261
 * asks for (branch §8.1.1.7, tag §19.3, Call-ID §8.1.1.4).
 */
import { randomBytes } from 'node:crypto';
import type { SipRequest, SipResponse } from './types.ts';
import { HeaderList } from './headers.ts';
import { getTag, getTo } from './accessors.ts';
import { reasonPhrase } from './reason-phrases.ts';

const EMPTY: Buffer = Buffer.alloc(0);

// One randomBytes call serves many identifiers: these are made for every
// transaction and dialog, and the syscall dominates for small sizes.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolPos = 0;

/** `bytes` fresh random bytes as base64url (token characters only). */
function randomToken(bytes: number): string {
  if (poolPos + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolPos = 0;
  }
  const s = pool.toString('base64url', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** "The branch ID inserted by an element compliant with this specification MUST always begin with the characters "z9hG4bK"" (RFC 3261 §8.1.1.7). 96 random bits. */
export function newBranch(): string {
  return 'z9hG4bK' + randomToken(12);
}

/** "it MUST be globally unique and cryptographically random with at least 32 bits of randomness" (RFC 3261 §19.3). 64 bits. */
export function newTag(): string {
  return randomToken(8);
}

/** Call-ID: 128 random bits, optionally "@host" (RFC 3261 §8.1.1.4). */
export function newCallId(host?: string): string {
  const id = randomToken(16);
  return host ? id + '@' + host : id;
}

export interface RequestInit {
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: Buffer;
}

export function createRequest(init: RequestInit): SipRequest {
  return {
    kind: 'request',
    method: init.method,
    uri: init.uri,
    version: 'SIP/2.0',
    headers: new HeaderList(init.headers),
    body: init.body ?? EMPTY,
  };
}

export interface ResponseOptions {
  /** Tag added to To when the request's To has none and status > 100. */
  toTag?: string;
}

/**
 * A response to `req` (RFC 3261 §8.2.6). Record-Route is the dialog
 * layer's business (§12.1.1), not copied here.
 */
export function createResponse(
  req: SipRequest,
  status: number,
  reason?: string,
  extraHeaders?: Array<[string, string]>,
  body?: Buffer,
  opts?: ResponseOptions,
): SipResponse {
  const h = new HeaderList();
  // "The Via header field values in the response MUST equal the Via header
  // field values in the request and MUST maintain the same ordering" (§8.2.6.2).
  for (const v of req.headers.getFields('via')) h.append('Via', v);
  // "The From field of the response MUST equal the From header field of the request."
  const from = req.headers.get('from');
  if (from !== undefined) h.append('From', from);
  let to = req.headers.get('to');
  if (to !== undefined) {
    // "if the To header field in the request did not contain a tag, ... the
    // UAS MUST add a tag to the To header field in the response (with the
    // exception of the 100 (Trying) response, in which a tag MAY be present)."
    if (opts?.toTag !== undefined && status > 100 && getTag(getTo(req.headers)) === undefined) {
      to = to + ';tag=' + opts.toTag;
    }
    h.append('To', to);
  }
  // "The Call-ID header field of the response MUST equal the Call-ID header
  // field of the request. The CSeq header field of the response MUST equal the
  // CSeq field of the request."
  const callId = req.headers.get('call-id');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = req.headers.get('cseq');
  if (cseq !== undefined) h.append('CSeq', cseq);
  if (status === 100) {
    // "If there is a Timestamp header field in the request, the UAS MUST
    // copy it into the 100 (Trying) response" (§8.2.6.1).
    const ts = req.headers.get('timestamp');
    if (ts !== undefined) h.append('Timestamp', ts);
  }
  if (extraHeaders) for (const [n, v] of extraHeaders) h.append(n, v);
  return {
    kind: 'response',
    version: 'SIP/2.0',
    status,
    reason: reason ?? reasonPhrase(status),
    headers: h,
    body: body ?? EMPTY,
  };
}
