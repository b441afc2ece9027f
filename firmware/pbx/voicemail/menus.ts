/**
 * The voicemail's voice dialogues (VOX-1, NUM-7) as pure state machines:
 * (state, event) -> (state, actions). The executor (voicemail/session.ts)
 * plays the clips, records, reads DTMF and arms the one timer; these
 * functions decide. Tested with plain objects (test/unit/pbx/voicemail-menus.test.ts).
 *
 * Leaving a message (deposit): greeting (the phone's own, or the default
 * prompt saying the number), beep, recording up to the box's maximum;
 * `#` ends the recording; hanging up keeps it when it lasts at least
 * MIN_MESSAGE_MS. A full box says so and hangs up.
 *
 * Listening (888, retrieval): from one's own phone, straight in; `*` during
 * the welcome logs into another box (its number then `#`, its PIN then
 * `#`; no PIN set = no access from another phone; three wrong tries hang
 * up). Then the count of new and saved messages, and each message (new
 * ones first, oldest first) with who left it; after each: 1 repeat,
 * 2 keep and go to the next, 3 delete, 0 the menu again. No key for
 * DIGIT_TIMEOUT_MS: the menu once more, then goodbye.
 */

import type { PromptId } from '../../voice/index.ts';

export type { PromptId };

export const MIN_MESSAGE_MS = 1_000;
export const DIGIT_TIMEOUT_MS = 8_000;
export const MAX_LOGIN_TRIES = 3;

/** What the executor plays, in order. Prompt ids are the voice catalogue's (firmware/voice/prompts.ts). */
export type Clip =
  | { kind: 'prompt'; id: PromptId }
  | { kind: 'greeting'; mac: string }
  | { kind: 'message'; id: string }
  | { kind: 'beep' }
  /** An uploaded announcement (`<data>/audio/<ref>`), or `fallback` when it cannot be read. */
  | { kind: 'upload'; ref: string; fallback: PromptId }
  /** A number said digit by digit, or in the voice catalogue's way (sayNumber). */
  | { kind: 'number'; digits: string }
  /** "Vous avez deux nouveaux messages et un message sauvegardé" (singular and plural as the language wants). */
  | { kind: 'summary'; fresh: number; saved: number };

export type VoiceAction =
  /** Play these clips (the current playback, if any, is replaced); `played` comes when they end. */
  | { kind: 'play'; clips: Clip[] }
  | { kind: 'record'; maxMs: number }
  /** Ends the recording; keep = store it as a message. */
  | { kind: 'stop-recording'; keep: boolean }
  /** Arm the digit timer (replaces the previous one); `timeout` comes when it fires. */
  | { kind: 'timer'; ms: number }
  | { kind: 'delete'; id: string }
  | { kind: 'mark-saved'; id: string }
  | { kind: 'hangup' };

export type VoiceEvent =
  | { kind: 'start' }
  | { kind: 'played' }
  | { kind: 'digit'; digit: string }
  | { kind: 'timeout' }
  /** The recording reached its maximum. */
  | { kind: 'record-full' }
  /** The caller hung up (no action can reach the caller any more, except stopping the recording). */
  | { kind: 'hangup'; recordedMs: number };

// --- deposit ---

export interface DepositState {
  phase: 'greeting' | 'beep' | 'recording' | 'closing' | 'done';
  mac: string;
  number: string;
  hasGreeting: boolean;
  boxFull: boolean;
  maxMs: number;
  /** Another use of the same dialogue (recording an announcement, VOX-5): what is said before the beep and after saving. */
  intro?: Clip[];
  saved?: Clip[];
}

export function depositStart(box: { mac: string; number: string; hasGreeting: boolean; boxFull: boolean; maxMs: number; intro?: Clip[]; saved?: Clip[] }): DepositState {
  return { phase: 'greeting', ...box };
}

export function deposit(s: DepositState, e: VoiceEvent): { state: DepositState; actions: VoiceAction[] } {
  const to = (phase: DepositState['phase'], ...actions: VoiceAction[]) => ({ state: { ...s, phase }, actions });
  if (s.phase === 'done') return { state: s, actions: [] };
  if (e.kind === 'hangup') {
    if (s.phase === 'recording') return to('done', { kind: 'stop-recording', keep: e.recordedMs >= MIN_MESSAGE_MS });
    return to('done');
  }
  switch (s.phase) {
    case 'greeting':
      if (e.kind === 'start') {
        if (s.boxFull) return to('closing', { kind: 'play', clips: [{ kind: 'prompt', id: 'vm.box-full' }] });
        const greeting: Clip[] = s.intro ?? (s.hasGreeting ? [{ kind: 'greeting', mac: s.mac }] : [{ kind: 'prompt', id: 'vm.greeting.default' }]);
        return to('greeting', { kind: 'play', clips: greeting });
      }
      // `#` skips the greeting (a caller who knows it).
      if (e.kind === 'played' || (e.kind === 'digit' && e.digit === '#')) return to('beep', { kind: 'play', clips: [{ kind: 'beep' }] });
      return { state: s, actions: [] };
    case 'beep':
      if (e.kind === 'played') return to('recording', { kind: 'record', maxMs: s.maxMs });
      return { state: s, actions: [] };
    case 'recording':
      if (e.kind === 'record-full' || (e.kind === 'digit' && e.digit === '#'))
        return to('closing', { kind: 'stop-recording', keep: true }, { kind: 'play', clips: s.saved ?? [{ kind: 'prompt', id: 'vm.message-saved' }, { kind: 'prompt', id: 'vm.goodbye' }] });
      return { state: s, actions: [] };
    case 'closing':
      if (e.kind === 'played') return to('done', { kind: 'hangup' });
      return { state: s, actions: [] };
  }
}

// --- retrieval (888) ---

export interface BoxMessage {
  id: string;
  caller: string;
  state: 'new' | 'saved';
}

export interface Box {
  mac: string;
  number: string;
  pin?: string;
  messages: readonly BoxMessage[];
}

export interface RetrievalState {
  phase: 'welcome' | 'enter-box' | 'enter-pin' | 'summary' | 'message' | 'menu' | 'goodbye' | 'done';
  box?: Box;
  /** Messages in listening order (new first), as they are now (deleted ones removed). */
  queue: BoxMessage[];
  index: number;
  typed: string;
  /** Box number typed at login, waiting for its PIN. */
  loginBox?: string;
  tries: number;
  /** The menu was repeated once after a silence. */
  nudged: boolean;
}

/** Retrieval from a phone: `own` is its own box (absent for a phone without one). */
export function retrievalStart(own: Box | undefined): RetrievalState {
  return { phase: 'welcome', ...(own ? { box: own } : {}), queue: own ? order(own.messages) : [], index: 0, typed: '', tries: 0, nudged: false };
}

function order(messages: readonly BoxMessage[]): BoxMessage[] {
  return [...messages.filter((m) => m.state === 'new'), ...messages.filter((m) => m.state === 'saved')];
}

function summary(q: readonly BoxMessage[]): Clip[] {
  const fresh = q.filter((m) => m.state === 'new').length;
  return [{ kind: 'summary', fresh, saved: q.length - fresh }];
}

function messageClips(m: BoxMessage): Clip[] {
  const from: Clip = /^\+?\d+$/.test(m.caller) ? { kind: 'number', digits: m.caller } : { kind: 'prompt', id: 'vm.unknown-caller' };
  return [{ kind: 'prompt', id: 'vm.message-from' }, from, { kind: 'message', id: m.id }];
}

/** Resolves a box number to a box (the executor knows the phones and their messages). */
export type BoxLookup = (number: string) => Box | undefined;

export function retrieval(s: RetrievalState, e: VoiceEvent, lookup: BoxLookup): { state: RetrievalState; actions: VoiceAction[] } {
  const st = (patch: Partial<RetrievalState>, ...actions: VoiceAction[]) => ({ state: { ...s, ...patch }, actions });
  const menuTimer: VoiceAction = { kind: 'timer', ms: DIGIT_TIMEOUT_MS };
  const goodbye = () => st({ phase: 'goodbye' }, { kind: 'play', clips: [{ kind: 'prompt', id: 'vm.goodbye' }] });
  const play = (clips: Clip[]): VoiceAction => ({ kind: 'play', clips });
  const current = (): BoxMessage | undefined => s.queue[s.index];
  if (s.phase === 'done') return { state: s, actions: [] };
  if (e.kind === 'hangup') return st({ phase: 'done' });
  const askBox = () => st({ phase: 'enter-box', typed: '' }, play([{ kind: 'prompt', id: 'vm.enter-box' }]), menuTimer);
  const startMessages = (box: Box) => {
    const queue = order(box.messages);
    return { state: { ...s, phase: 'summary' as const, box, queue, index: 0, typed: '', nudged: false }, actions: [play(summary(queue))] };
  };
  switch (s.phase) {
    case 'welcome':
      if (e.kind === 'start') return st({}, play([{ kind: 'prompt', id: 'vm.welcome' }]));
      if (e.kind === 'digit' && e.digit === '*') return askBox();
      if (e.kind === 'played') return s.box ? startMessages(s.box) : askBox();
      return { state: s, actions: [] };
    case 'enter-box':
    case 'enter-pin': {
      if (e.kind === 'timeout') return goodbye();
      if (e.kind !== 'digit') return { state: s, actions: [] };
      if (e.digit !== '#') {
        if (s.typed.length >= 8) return { state: s, actions: [] };
        return st({ typed: s.typed + e.digit }, menuTimer);
      }
      if (s.phase === 'enter-box') return st({ phase: 'enter-pin', loginBox: s.typed, typed: '' }, play([{ kind: 'prompt', id: 'vm.enter-pin' }]), menuTimer);
      const box = s.loginBox !== undefined ? lookup(s.loginBox) : undefined;
      // No PIN on the box: it cannot be opened from another phone. Same answer for every failure (no box enumeration).
      if (box && box.pin !== undefined && box.pin === s.typed) return startMessages(box);
      const tries = s.tries + 1;
      if (tries >= MAX_LOGIN_TRIES) return st({ phase: 'goodbye', tries, typed: '' }, play([{ kind: 'prompt', id: 'vm.login-failed' }, { kind: 'prompt', id: 'vm.goodbye' }]));
      const { loginBox: _typedBox, ...rest } = s;
      return { state: { ...rest, phase: 'enter-box', tries, typed: '' }, actions: [play([{ kind: 'prompt', id: 'vm.login-failed' }, { kind: 'prompt', id: 'vm.enter-box' }]), menuTimer] };
    }
    case 'summary':
      if (e.kind === 'played') {
        const m = current();
        if (!m) return goodbye();
        return st({ phase: 'message' }, play(messageClips(m)));
      }
      return { state: s, actions: [] };
    case 'message':
    case 'menu': {
      const m = current();
      if (!m) return goodbye();
      if (e.kind === 'played') return st({ phase: 'menu' }, play([{ kind: 'prompt', id: 'vm.menu' }]), menuTimer);
      if (e.kind === 'timeout') {
        if (s.nudged) return goodbye();
        return st({ phase: 'menu', nudged: true }, play([{ kind: 'prompt', id: 'vm.menu' }]), menuTimer);
      }
      if (e.kind !== 'digit') return { state: s, actions: [] };
      const next = (queue: BoxMessage[], index: number, before: VoiceAction[], lead: Clip[] = []) => {
        const n = queue[index];
        if (!n) return { state: { ...s, queue, index, phase: 'goodbye' as const, nudged: false }, actions: [...before, play([...lead, { kind: 'prompt', id: 'vm.end-of-messages' }, { kind: 'prompt', id: 'vm.goodbye' }])] };
        return { state: { ...s, queue, index, phase: 'message' as const, nudged: false }, actions: [...before, play([...lead, ...messageClips(n)])] };
      };
      switch (e.digit) {
        case '1':
          return st({ phase: 'message', nudged: false }, play(messageClips(m)));
        case '2': {
          const saved: VoiceAction[] = m.state === 'new' ? [{ kind: 'mark-saved', id: m.id }] : [];
          const queue = s.queue.map((x, i) => (i === s.index ? { ...x, state: 'saved' as const } : x));
          return next(queue, s.index + 1, saved);
        }
        case '3': {
          const queue = s.queue.filter((_, i) => i !== s.index);
          return next(queue, s.index, [{ kind: 'delete', id: m.id }], [{ kind: 'prompt', id: 'vm.deleted' }]);
        }
        case '0':
          return st({ phase: 'menu', nudged: false }, play([{ kind: 'prompt', id: 'vm.menu' }]), menuTimer);
        default:
          return { state: s, actions: [] };
      }
    }
    case 'goodbye':
      if (e.kind === 'played') return st({ phase: 'done' }, { kind: 'hangup' });
      return { state: s, actions: [] };
  }
}
