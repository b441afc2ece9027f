/**
 * Automatic callback on a busy phone (FWD-6), as pure functions of the
 * request queue and the live state. A caller whose phone has the option
 * ("rappel automatique") hears busy, dials `*37` (or `*37*401` for a given
 * phone); when both phones are free again the PBX rings the caller first,
 * and once the caller picks up it rings the phone that was busy and joins
 * the two. The queue lives in RAM: a reboot forgets it, as the journal.
 *
 * Choices (docs/incoming.md "Automatic callback"):
 * - one request per caller: a new `*37` replaces the previous one;
 * - a request lives 30 minutes, then it is dropped;
 * - `*37` alone means "the phone that was busy for me in the last 5
 *   minutes";
 * - a phone that has just hung up is left alone for a few seconds
 *   (CALLBACK_SETTLE_MS) before it is rung, so the callback does not ring
 *   while the handset is being put down;
 * - requests for the same phone are served in the order they were made;
 *   a phone takes part in one callback at a time;
 * - the callback rings the caller for the ring timeout; unanswered (or
 *   refused), the request is dropped: the caller asked, then left.
 */

export const CALLBACK_LIFETIME_MS = 30 * 60_000;
export const LAST_BUSY_WINDOW_MS = 5 * 60_000;
export const CALLBACK_SETTLE_MS = 3_000;

export interface CallbackRequest {
  /** The phone that asked (MAC): rung first. */
  requester: string;
  /** The phone that was busy (MAC): rung once the requester answers. */
  target: string;
  /** Monotonic ms. */
  requestedAt: number;
}

export type CallbackChange = { kind: 'request'; requester: string; target: string } | { kind: 'cancel'; requester: string };

/** What a phone's `*37` / `#37` / `**37` needs to know of the runtime state. */
export interface CallbackContext {
  /** The phone that was busy for this caller lately (MAC), if any, within LAST_BUSY_WINDOW_MS. */
  lastBusy?: string;
  /** The caller's pending request's target (MAC), if any. */
  pending?: string;
}

/** The queue after a change: a request replaces the requester's previous one (one per caller). */
export function applyCallbackChange(queue: readonly CallbackRequest[], change: CallbackChange, now: number): CallbackRequest[] {
  const others = queue.filter((r) => r.requester !== change.requester);
  return change.kind === 'request' ? [...others, { requester: change.requester, target: change.target, requestedAt: now }] : others;
}

export interface CallbackLive {
  registered: ReadonlySet<string>;
  busy: ReadonlySet<string>;
  /** Phones in a callback being set up (either side). */
  engaged: ReadonlySet<string>;
  /** Monotonic ms when each phone last became free (its last call ended). */
  freedAt: ReadonlyMap<string, number>;
}

export interface CallbackRound {
  /** Callbacks to start now, oldest first; no phone appears twice. */
  start: CallbackRequest[];
  /** Requests over their lifetime, or whose phones no longer exist. */
  expired: CallbackRequest[];
  /** What stays queued (the started ones leave the queue). */
  queue: CallbackRequest[];
  /** Monotonic ms of the next moment a waiting request could become due by time alone (settle delay), if any. */
  wakeAt?: number;
}

/**
 * Which callbacks start now: a request is due when both phones exist, are
 * registered, free, not in another callback, and settled (free for
 * CALLBACK_SETTLE_MS). Oldest request first.
 */
export function dueCallbacks(queue: readonly CallbackRequest[], phones: ReadonlySet<string>, live: CallbackLive, now: number): CallbackRound {
  const start: CallbackRequest[] = [];
  const expired: CallbackRequest[] = [];
  const kept: CallbackRequest[] = [];
  const used = new Set<string>();
  /** Targets with an older request still waiting: FIFO per target. */
  const waitedFor = new Set<string>();
  let wakeAt: number | undefined;
  const free = (mac: string): boolean => live.registered.has(mac) && !live.busy.has(mac) && !live.engaged.has(mac) && !used.has(mac);
  for (const r of [...queue].sort((x, y) => x.requestedAt - y.requestedAt)) {
    if (now - r.requestedAt >= CALLBACK_LIFETIME_MS || !phones.has(r.requester) || !phones.has(r.target)) {
      expired.push(r);
      continue;
    }
    if (!free(r.requester) || !free(r.target) || waitedFor.has(r.target)) {
      // A later request for the same target must not overtake this one.
      waitedFor.add(r.target);
      kept.push(r);
      continue;
    }
    const settledAt = Math.max(live.freedAt.get(r.requester) ?? -Infinity, live.freedAt.get(r.target) ?? -Infinity) + CALLBACK_SETTLE_MS;
    if (settledAt > now) {
      wakeAt = Math.min(wakeAt ?? Infinity, settledAt);
      waitedFor.add(r.target);
      kept.push(r);
      continue;
    }
    used.add(r.requester);
    used.add(r.target);
    start.push(r);
  }
  return { start, expired, queue: kept, ...(wakeAt !== undefined ? { wakeAt } : {}) };
}
