import type { TrunkState } from './trunk/registration.ts';

/** Domain facts of the PBX, published on the runtime's event bus. */
export interface PbxEvents {
  'phone.registered': { mac: string; internalNumber: string; contacts: number };
  'phone.unregistered': { mac: string; internalNumber: string; reason: 'expired' | 'removed' };
  'trunk.state': { state: TrunkState; detail: string };
  'sip.banned': { address: string; untilMs: number; failures: number };
  /** Calls in progress and, of those, ringing (not yet answered: ringing or early media). */
  'calls.changed': { active: number; ringing: number };
}
