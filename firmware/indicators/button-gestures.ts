import type { ButtonRole } from '../hal/index.ts';

/**
 * Button gestures (GW-3), recognized by a pure state machine in the manner of
 * OpenWrt's rc.button/reset: press and release events with monotonic times in,
 * gestures out. The caller owns the single timer the state asks for
 * (`timerMs`) and feeds `{ kind: 'timer' }` when it fires.
 *
 * reset:   held < 2 s          -> 'reboot'
 *          held 2 s to < 10 s  -> nothing (cancelled: the technician changed their mind)
 *          held 10 s           -> 'factory-reset-armed' while still held (power LED warns)
 *          released after 10 s -> 'factory-reset'
 * pairing: held 30 ms          -> 'pairing' (the runtime opens 2 minutes of powerline pairing)
 *
 * Debounce: a press shorter than 30 ms is bounce and ignored; a release
 * followed by a press within 30 ms is contact chatter and the hold goes on.
 * So a release is only final 30 ms after it happened.
 */
export const GESTURE_TIMING = {
  debounceMs: 30,
  /** A reset press shorter than this reboots. */
  rebootMaxMs: 2_000,
  /** A reset press at least this long arms, then on release performs, a factory reset. */
  factoryResetMs: 10_000,
} as const;

export type Gesture = 'reboot' | 'factory-reset-armed' | 'factory-reset' | 'pairing';

export type ButtonInput = { kind: 'press' } | { kind: 'release' } | { kind: 'timer' };

interface Held {
  role: ButtonRole;
  /** When the (debounced) press began. */
  since: number;
  /** Held past the debounce time. */
  confirmed: boolean;
  /** reset only: held past the factory-reset threshold. */
  armed: boolean;
}

export type ButtonState =
  | { role: ButtonRole; phase: 'idle' }
  | (Held & { phase: 'pressed' })
  | (Held & { phase: 'releasing'; releasedAt: number });

export interface GestureStep {
  state: ButtonState;
  gestures: Gesture[];
  /** Delay after which the caller must feed { kind: 'timer' }; none: cancel any timer. */
  timerMs?: number;
  /** A completed press that did nothing, and why (for the log). */
  ignored?: { reason: 'bounce' | 'cancelled'; heldMs: number };
}

export function initialButtonState(role: ButtonRole): ButtonState {
  return { role, phase: 'idle' };
}

/** The reset button is held past the factory-reset threshold and not yet released for good. */
export function factoryResetArmed(state: ButtonState): boolean {
  return state.phase !== 'idle' && state.armed;
}

export function stepButton(state: ButtonState, input: ButtonInput, nowMs: number): GestureStep {
  const gestures: Gesture[] = [];
  const out: { ignored?: GestureStep['ignored'] } = {};
  // Deadlines that passed come first: a late timer, or an event that arrives
  // after one, sees the gestures the timer would have produced.
  let s = advance(state, nowMs, gestures, out);
  if (input.kind === 'press') {
    if (s.phase === 'idle') s = { role: s.role, phase: 'pressed', since: nowMs, confirmed: false, armed: false };
    // Chatter: the hold goes on from the original press.
    else if (s.phase === 'releasing') s = { role: s.role, phase: 'pressed', since: s.since, confirmed: s.confirmed, armed: s.armed };
  } else if (input.kind === 'release') {
    if (s.phase === 'pressed') s = { ...s, phase: 'releasing', releasedAt: nowMs };
    // A release while idle (held since before we started watching) or a repeated one: nothing.
  }
  const due = deadline(s);
  const step: GestureStep = { state: s, gestures };
  if (due !== undefined) step.timerMs = Math.max(0, due - nowMs);
  if (out.ignored) step.ignored = out.ignored;
  return step;
}

function deadline(s: ButtonState): number | undefined {
  const t = GESTURE_TIMING;
  if (s.phase === 'releasing') return s.releasedAt + t.debounceMs;
  if (s.phase !== 'pressed') return undefined;
  if (!s.confirmed) return s.since + t.debounceMs;
  if (s.role === 'reset' && !s.armed) return s.since + t.factoryResetMs;
  return undefined;
}

function advance(state: ButtonState, now: number, gestures: Gesture[], out: { ignored?: GestureStep['ignored'] }): ButtonState {
  const t = GESTURE_TIMING;
  let s = state;
  for (;;) {
    const due = deadline(s);
    if (due === undefined || due > now) return s;
    if (s.phase === 'pressed') {
      if (!s.confirmed) {
        s = { ...s, confirmed: true };
        if (s.role === 'pairing') gestures.push('pairing');
      } else {
        s = { ...s, armed: true };
        gestures.push('factory-reset-armed');
      }
    } else if (s.phase === 'releasing') {
      const heldMs = s.releasedAt - s.since;
      s = { role: s.role, phase: 'idle' };
      if (heldMs < t.debounceMs) out.ignored = { reason: 'bounce', heldMs };
      else if (s.role === 'reset') {
        if (heldMs < t.rebootMaxMs) gestures.push('reboot');
        else if (heldMs >= t.factoryResetMs) gestures.push('factory-reset');
        else out.ignored = { reason: 'cancelled', heldMs };
      }
    }
  }
}
