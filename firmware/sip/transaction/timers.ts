/**
 * RFC 3261 §17 / Appendix A timer values, and RFC 6026 Timers L and M.
 *
 * | timer | value                         | meaning                                          |
 * |-------|-------------------------------|--------------------------------------------------|
 * | T1    | 500 ms (configurable)         | RTT estimate                                     |
 * | T2    | 4 s (configurable)            | max retransmit interval, non-INVITE and INVITE response |
 * | T4    | 5 s (configurable)            | max time a message stays in the network          |
 * | A     | T1, doubles, no cap           | INVITE request retransmit (unreliable only)      |
 * | B     | 64*T1                         | INVITE client transaction timeout                |
 * | D     | >= 32 s unreliable, 0 reliable| wait for response retransmissions (INVITE client)|
 * | E     | T1, doubles up to T2          | non-INVITE request retransmit (unreliable only)  |
 * | F     | 64*T1                         | non-INVITE client transaction timeout            |
 * | G     | T1, doubles up to T2          | INVITE final response retransmit (unreliable)    |
 * | H     | 64*T1                         | wait for ACK receipt                             |
 * | I     | T4 unreliable, 0 reliable     | wait for ACK retransmissions                     |
 * | J     | 64*T1 unreliable, 0 reliable  | wait for non-INVITE request retransmissions      |
 * | K     | T4 unreliable, 0 reliable     | wait for non-INVITE response retransmissions     |
 * | L     | 64*T1                         | RFC 6026: INVITE server Accepted state           |
 * | M     | 64*T1                         | RFC 6026: INVITE client Accepted state           |
 * | 100   | 200 ms                        | §17.2.1: send 100 Trying if the TU has not answered |
 */

export interface TimerSettings {
  /** RTT estimate, default 500 ms. */
  t1: number;
  /** Maximum retransmission interval, default 4000 ms. */
  t2: number;
  /** Maximum message lifetime in the network, default 5000 ms. */
  t4: number;
  /** Timer D on unreliable transports, default 32 000 ms ("at least 32 seconds", §17.1.1.2). */
  timerD: number;
  /** Delay before the INVITE server transaction sends 100 Trying itself, default 200 ms (§17.2.1). */
  trying: number;
  /**
   * Local guard (not in the RFC): a non-INVITE server transaction whose TU
   * gives no final response within this time is terminated and the TU told
   * (onTimeout), so that a TU bug cannot hold a slot of the transaction cap
   * forever. Default 64*T1 (after which the client has given up, Timer F).
   */
  serverGuard: number;
}

export const DEFAULT_T1 = 500;
export const DEFAULT_T2 = 4000;
export const DEFAULT_T4 = 5000;

/** Fills defaults: T1 500, T2 4000, T4 5000, Timer D 32 s, 100 Trying after 200 ms, guard 64*T1. */
export function resolveTimers(partial: Partial<TimerSettings> = {}): TimerSettings {
  const t1 = partial.t1 ?? DEFAULT_T1;
  return {
    t1,
    t2: partial.t2 ?? DEFAULT_T2,
    t4: partial.t4 ?? DEFAULT_T4,
    timerD: partial.timerD ?? 32_000,
    trying: partial.trying ?? 200,
    serverGuard: partial.serverGuard ?? 64 * t1,
  };
}

/** 64*T1: Timers B, F, H, L, M. */
export function sixtyFourT1(t: TimerSettings): number {
  return 64 * t.t1;
}

/** Next interval of Timer E (non-INVITE client) or G (INVITE server): doubled, capped at T2. */
export function nextCapped(current: number, t: TimerSettings): number {
  return Math.min(2 * current, t.t2);
}
