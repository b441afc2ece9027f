import type { SipRequest } from '../../sip/message/index.ts';

/**
 * RFC 4028 session timers, as the B2BUA applies them on the caller's leg:
 * what the INVITE asks (Session-Expires, Min-SE, Supported: timer) and what
 * we answer. Pure; the Call arms the timer.
 *
 * - A Session-Expires below our Min-SE is refused with 422 and Min-SE (§8.1).
 * - The 2xx carries `Session-Expires: N;refresher=…` (§9): the refresher the
 *   caller asked for; if it asked none, the caller (uac) when it supports
 *   timers, else us (uas), since a caller without the extension will not
 *   refresh (§9).
 * - With `Require: timer` when the caller supports it (§9).
 * - The side that does not refresh ends the session when no refresh came in
 *   time: "slightly before the session expiration ... the minimum of 32
 *   seconds and one third of the session interval" (§10).
 */

/** Our Min-SE: the RFC's minimum, 90 s (§4). */
export const MIN_SE_SECONDS = 90;

export interface SessionTimerAsk {
  /** Session-Expires asked by the INVITE (seconds), if any. */
  interval?: number;
  refresher?: 'uac' | 'uas';
  /** The caller lists `timer` in Supported (or Require). */
  supported: boolean;
  /** Min-SE of the request (seconds), if any. */
  minSe?: number;
}

function header(req: SipRequest, long: string, compact?: string): string | undefined {
  return req.headers.get(long) ?? (compact ? req.headers.get(compact) : undefined);
}

export function readSessionTimer(req: SipRequest): SessionTimerAsk {
  const se = header(req, 'session-expires', 'x');
  const m = se ? /^\s*(\d{1,9})\s*(?:;(.*))?$/.exec(se) : null;
  const refresher = m?.[2] ? /(?:^|;)\s*refresher\s*=\s*(uac|uas)\s*(?:;|$)/i.exec(m[2])?.[1]?.toLowerCase() : undefined;
  const options = [header(req, 'supported', 'k'), header(req, 'require')]
    .filter((v): v is string => v !== undefined)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase());
  const minSe = header(req, 'min-se');
  const minSeN = minSe ? Number(/^\s*(\d{1,9})/.exec(minSe)?.[1]) : undefined;
  return {
    ...(m ? { interval: Number(m[1]) } : {}),
    ...(refresher === 'uac' || refresher === 'uas' ? { refresher } : {}),
    supported: options.includes('timer'),
    ...(minSeN !== undefined && Number.isFinite(minSeN) ? { minSe: minSeN } : {}),
  };
}

export type SessionTimerDecision =
  | { kind: 'none' }
  | { kind: 'too-small'; minSe: number }
  | { kind: 'use'; interval: number; refresher: 'uac' | 'uas'; require: boolean };

export function decideSessionTimer(ask: SessionTimerAsk): SessionTimerDecision {
  if (ask.interval === undefined) return { kind: 'none' };
  if (ask.interval < MIN_SE_SECONDS) return { kind: 'too-small', minSe: Math.max(MIN_SE_SECONDS, ask.minSe ?? 0) };
  const refresher = ask.refresher ?? (ask.supported ? 'uac' : 'uas');
  return { kind: 'use', interval: ask.interval, refresher, require: ask.supported };
}

/** When the non-refreshing side gives up: the minimum of 32 s and a third of the interval before expiry (§10). */
export function expiryMs(intervalSeconds: number): number {
  return (intervalSeconds - Math.min(32, intervalSeconds / 3)) * 1000;
}

/** When we, as refresher, refresh: at half the interval (§10, "recommended"). */
export function refreshMs(intervalSeconds: number): number {
  return (intervalSeconds / 2) * 1000;
}
