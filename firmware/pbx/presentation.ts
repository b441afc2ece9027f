import type { Clip } from './voicemail/menus.ts';

/**
 * Voice presentation (VOX-7, `*33*n`): what the phone that picks up hears
 * before the call is put through, by the level its user chose:
 *
 * | n | says |
 * |---|---|
 * | 0 | nothing (the default) |
 * | 1 | the caller's number |
 * | 2 | the caller's number, and who forwarded the call (internal forward) |
 * | 3 | who forwarded the call (internal forward) |
 * | 4 | who forwarded the call and that phone's state (free, busy, forwarded, unreachable) |
 * | 5 | the caller's number, who forwarded the call and that phone's state |
 *
 * Pure: the B2BUA plays the clips on the answering phone's leg, then
 * connects. Nothing to say (level 3/4 on a call that was not forwarded)
 * means no delay at all.
 */
export type ForwarderState = 'free' | 'busy' | 'forwarded' | 'unavailable';

export interface PresentedCall {
  /** What the phone shows: a number, or 'anonymous'. */
  caller: string;
  forwardedBy?: { number: string; state: ForwarderState };
}

const STATE_PROMPT: Record<ForwarderState, Clip> = {
  free: { kind: 'prompt', id: 'pres.phone-free' },
  busy: { kind: 'prompt', id: 'pres.phone-busy' },
  forwarded: { kind: 'prompt', id: 'pres.phone-forwarded' },
  unavailable: { kind: 'prompt', id: 'pres.phone-unavailable' },
};

export function presentationClips(level: number, call: PresentedCall): Clip[] {
  const says = {
    number: level === 1 || level === 2 || level === 5,
    forwarder: level >= 2,
    state: level === 4 || level === 5,
  };
  const clips: Clip[] = [];
  if (says.number) {
    if (/^\+?\d+$/.test(call.caller)) clips.push({ kind: 'prompt', id: 'pres.caller-number' }, { kind: 'number', digits: call.caller });
    else clips.push({ kind: 'prompt', id: 'pres.withheld' });
  }
  const f = call.forwardedBy;
  if (says.forwarder && f) {
    clips.push({ kind: 'prompt', id: 'pres.forwarded-from' }, { kind: 'number', digits: f.number });
    if (says.state) clips.push(STATE_PROMPT[f.state]);
  }
  return clips;
}
