/**
 * Building a CANCEL (RFC 3261 §9.1). Not an in-dialog request: it belongs
 * to the INVITE client transaction it cancels, and is sent to the same
 * destination as that INVITE.
 */
import { createRequest, getCSeq } from '../message/index.ts';
import type { SipRequest } from '../message/types.ts';

/**
 * The CANCEL of `invite` (the request as we sent it, top Via included).
 * §9.1 also says "a CANCEL request SHOULD NOT be sent to cancel a request
 * other than INVITE" and that it is not sent before a provisional response
 * arrived: both are the caller's decision.
 */
export function createCancel(invite: SipRequest): SipRequest {
  const h = invite.headers;
  const headers: Array<[string, string]> = [];
  // "A CANCEL constructed by a client MUST have only a single Via header
  // field value matching the top Via value in the request being cancelled."
  const topVia = h.getAll('via')[0];
  if (topVia === undefined) throw new Error('createCancel: request without Via');
  headers.push(['Via', topVia]);
  // "If the request being cancelled contains a Route header field, the
  // CANCEL request MUST include that Route header field's values."
  for (const route of h.getFields('route')) headers.push(['Route', route]);
  // §8.1.1.6: Max-Forwards "SHOULD be 70".
  headers.push(['Max-Forwards', '70']);
  // "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header
  // fields in the CANCEL request MUST be identical to those in the request
  // being cancelled, including tags."
  for (const name of ['From', 'To', 'Call-ID']) {
    const v = h.get(name);
    if (v === undefined) throw new Error(`createCancel: request without ${name}`);
    headers.push([name, v]);
  }
  const cseq = getCSeq(h);
  if (cseq === undefined) throw new Error('createCancel: request without CSeq');
  // "However, the method part of the CSeq header field MUST have a value of CANCEL."
  headers.push(['CSeq', `${cseq.seq} CANCEL`]);
  return createRequest({ method: 'CANCEL', uri: invite.uri, headers });
}
