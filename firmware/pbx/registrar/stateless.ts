import { createResponse, serialize, topVia, type SipRequest, type SipResponse, type Via } from '../../sip/message/index.ts';
import type { DigestAuthenticator } from '../../sip/auth/index.ts';
import type { RegisterAnswer } from './registrar.ts';

/**
 * The parts of the stateless REGISTER path (RFC 3261 §8.2.7) that the main
 * thread and the registrar's threads share (sip-service.ts, register-worker.ts),
 * so that both answer a request byte for byte alike.
 */

/**
 * The transaction key of a REGISTER (§17.2.3: branch
 * + sent-by; the method is REGISTER) and its top Via. Undefined for a
 * request without an RFC 3261 branch (an RFC 2543 peer): the transaction
 * layer matches those.
 */
export function registerKey(req: SipRequest): { key: string; via: Via } | undefined {
  const via = topVia(req.headers);
  const branch = via?.params.get('branch');
  if (!via || !branch || !branch.startsWith('z9hG4bK')) return undefined;
  return { key: branch + '\u0000' + sentBy(via), via };
}

/** sent-by (host[:port]) of a Via, host case-insensitive, as the transaction layer matches it (§17.2.3). */
function sentBy(via: Via): string {
  return via.port === undefined ? via.host.toLowerCase() : via.host.toLowerCase() + ':' + via.port;
}

/** The registrar's answer as the response to this request, serialized. */
export function answerBytes(req: SipRequest, answer: RegisterAnswer, toTag: string): Buffer {
  return serialize(createResponse(req, answer.status, answer.reason, answer.headers, undefined, { toTag }));
}

/**
 * 401 with a fresh challenge, one WWW-Authenticate per offered algorithm.
 * Unknown user and wrong password get this same answer: nothing tells them
 * apart (no enumeration).
 */
export function challengeResponse(req: SipRequest, auth: DigestAuthenticator, stale: boolean, toTag: string): SipResponse {
  const challenges = auth.challenge({ stale });
  return createResponse(req, 401, 'Unauthorized', challenges.map((c) => ['WWW-Authenticate', c] as [string, string]), undefined, { toTag });
}
