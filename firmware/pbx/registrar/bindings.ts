/**
 * Registrar bindings (RFC 3261 §10.3) as pure decisions: given the bindings
 * of one address-of-record, a REGISTER's facts and the time, return the
 * outcome and the new bindings. No sockets, no clock reads: callers pass now.
 */
export interface Binding {
  /** Contact URI as sent (compared case-sensitively after trimming, per §10.3 step 7 simplification). */
  contact: string;
  expiresAt: number; // monotonic ms
  callId: string;
  cseq: number;
  q?: string;
  /** Where the REGISTER came from: requests to this contact go there (NAT, RFC 3581 latching). */
  source: { transport: string; host: string; port: number; connectionId?: string };
  userAgent?: string;
  registeredAt: number;
}

export interface RegisterFacts {
  callId: string;
  cseq: number;
  /** Expires header value, if any. */
  expiresHeader?: number;
  /** '*' (wildcard) or the contacts with their expires param. */
  contacts: '*' | Array<{ uri: string; expires?: number; q?: string }>;
  source: Binding['source'];
  userAgent?: string;
}

export interface RegistrarLimits {
  minExpires: number; // seconds
  maxExpires: number;
  defaultExpires: number;
  maxContacts: number;
}

export type RegisterOutcome =
  | { kind: 'ok'; bindings: Binding[]; added: number; removed: number }
  | { kind: 'interval-too-brief'; minExpires: number }
  | { kind: 'bad-request'; reason: string }
  | { kind: 'out-of-order' };

/**
 * RFC 3261 §10.3 steps 6-8 for one AOR.
 * - '*' is only valid alone with Expires: 0 (step 6) and removes every binding.
 * - 0 < expires < minExpires: 423 with Min-Expires (step 7); above max: shortened.
 * - A binding with the same Call-ID and a CSeq not higher aborts the request
 *   (step 7), except an equal CSeq, which is a retransmission of what was
 *   already applied and answers with the current bindings (idempotent).
 * - Beyond maxContacts, the oldest bindings are dropped (a rebooted phone
 *   re-registers with a new Call-ID and must not be locked out by its own
 *   stale bindings).
 */
export function applyRegister(current: readonly Binding[], req: RegisterFacts, now: number, limits: RegistrarLimits): RegisterOutcome {
  const live = current.filter((b) => b.expiresAt > now);
  if (req.contacts === '*') {
    if (req.expiresHeader !== 0) return { kind: 'bad-request', reason: 'Wildcard Contact requires Expires: 0' };
    // "the registrar ... removes all bindings ... if the Call-ID differs or the CSeq is higher" (step 6).
    const stale = live.some((b) => b.callId === req.callId && b.cseq > req.cseq);
    if (stale) return { kind: 'out-of-order' };
    return { kind: 'ok', bindings: [], added: 0, removed: live.length };
  }
  let next = [...live];
  let added = 0;
  let removed = 0;
  for (const c of req.contacts) {
    let expires = c.expires ?? req.expiresHeader ?? limits.defaultExpires;
    if (expires !== 0 && expires < limits.minExpires) return { kind: 'interval-too-brief', minExpires: limits.minExpires };
    if (expires > limits.maxExpires) expires = limits.maxExpires;
    const i = next.findIndex((b) => sameContact(b.contact, c.uri));
    const existing = i >= 0 ? next[i] : undefined;
    if (existing && existing.callId === req.callId) {
      if (req.cseq < existing.cseq) return { kind: 'out-of-order' };
      if (req.cseq === existing.cseq) continue; // retransmission: already applied
    }
    if (expires === 0) {
      if (existing) {
        next.splice(i, 1);
        removed++;
      }
      continue;
    }
    const binding: Binding = {
      contact: c.uri,
      expiresAt: now + expires * 1000,
      callId: req.callId,
      cseq: req.cseq,
      source: req.source,
      registeredAt: existing?.registeredAt ?? now,
      ...(c.q !== undefined ? { q: c.q } : {}),
      ...(req.userAgent !== undefined ? { userAgent: req.userAgent } : {}),
    };
    if (existing) next[i] = binding;
    else {
      next.push(binding);
      added++;
    }
  }
  if (next.length > limits.maxContacts) {
    const excess = next.length - limits.maxContacts;
    next = [...next].sort((a, b) => a.registeredAt - b.registeredAt).slice(excess);
    removed += excess;
  }
  return { kind: 'ok', bindings: next, added, removed };
}

/** Contact equality: same URI text ignoring case of scheme/host part is close enough for phones that resend the same text. */
function sameContact(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/** Remaining seconds of a binding, for the Contact expires param of a 200 (§10.3 step 8). */
export function remainingSeconds(b: Binding, now: number): number {
  return Math.max(0, Math.round((b.expiresAt - now) / 1000));
}
