import type { LegStats } from '../../media/types.ts';

/** What the console and the journal see of a call. */
export interface CallSnapshot {
  id: string;
  state: CallState;
  caller: { number: string; phone?: string };
  callee: { number: string; phone?: string };
  startedAt: number; // wall clock ms
  answeredAt?: number;
  codec?: string;
  media?: { a: LegStats; b: LegStats };
}

export type CallState = 'routing' | 'ringing' | 'early-media' | 'answered' | 'ended';

/** Why a call ended, for logs and the journal. */
export type CallEndReason =
  | 'caller-bye'
  | 'callee-bye'
  | 'cancelled'
  | 'rejected'
  | 'no-answer'
  | 'busy'
  | 'unavailable'
  | 'not-found'
  | 'no-ack'
  | 'error'
  | 'shutdown'
  /** An attended transfer joined the call's parties to another call (RFC 5589 §7). */
  | 'transferred';
