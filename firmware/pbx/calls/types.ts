import type { Group, Phone } from '../../config/index.ts';
import type { LegStats } from '../../media/types.ts';
import type { PresentedIdentity } from '../identity.ts';

/**
 * Who a call goes to: one of our phones, a group, the caller's own
 * voicemail (888), a number through the operator trunk, or (calls from the
 * trunk) one of our public numbers. The routing plan (pbx/routing) decides
 * who actually rings.
 */
export type CallTarget =
  | { kind: 'phone'; phone: Phone }
  | { kind: 'group'; group: Group }
  | { kind: 'voicemail'; phone: Phone }
  /** VOX-6: the auto attendant (its internal number, or a public number it answers). */
  | { kind: 'attendant' }
  /** VOX-5 `*35*2`: the PBX records the phone's pre-answer announcement. */
  | { kind: 'record'; phone: Phone; what: 'pre-answer' }
  /** One of our public numbers (main number, DID), called from the trunk; national format. */
  | { kind: 'number'; number: string }
  | {
      kind: 'external';
      /** National format (0…, 00… international, or a short number), as the trunk gets it. */
      number: string;
      emergency: boolean;
      identity: PresentedIdentity;
      /** Category and classifier rule, for logs and the journal. */
      category: string;
      rule: string;
    };

/** What the console and the journal see of a call. */
export interface CallSnapshot {
  id: string;
  state: CallState;
  caller: { number: string; phone?: string };
  /** Who rings now (internal numbers and external numbers), for calls not yet answered. */
  ringing?: string[];
  callee: { number: string; phone?: string };
  /** External calls: the trunk carries the B leg. */
  external?: { category: string; identity: string; hidden: boolean; emergency: boolean };
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
  /** Refused by the dial plan, a restriction profile, the toll-fraud guard or the external capacity. */
  | 'refused'
  /** A feature code (*65*1...) was carried out; no call was placed. */
  | 'feature'
  | 'no-ack'
  | 'error'
  | 'shutdown'
  /** The voicemail dialogue ended (message left, or 888 done). */
  | 'voicemail'
  /** The auto attendant hung up (no operator to fall back to). */
  | 'attendant'
  /** RFC 4028: no session refresh in time (or ours failed). */
  | 'session-expired'
  /** An attended transfer joined the call's parties to another call (RFC 5589 §7). */
  | 'transferred';
