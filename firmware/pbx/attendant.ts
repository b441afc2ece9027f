import type { Config } from '../config/index.ts';
import type { Clip, PromptId, VoiceAction, VoiceEvent } from './voicemail/menus.ts';
import type { CallTarget } from './calls/types.ts';
import { resolveDialled, type DialTarget } from './dialplan/index.ts';
import { classify, type NumberingPlan } from './frenchplan/index.ts';
import { decideOutgoing } from './restrictions/index.ts';

/**
 * The auto attendant (VOX-6, "standard automatique") as a pure dialogue:
 * the welcome prompt (uploaded, or the default one), then a key. Each key
 * of the configuration maps to an action: call a number (a phone, a group,
 * an outside number under the attendant's restriction profile), leave a
 * message in a phone's voicemail, or hear the welcome again.
 *
 * - An unmapped key: "ce choix n'est pas valide", the welcome again.
 * - No key within KEY_TIMEOUT_MS: "nous n'avons pas reçu votre choix" and
 *   the welcome again, once; after that, or after MAX_INVALID invalid keys,
 *   the caller goes to the operator (the reception) rather than being cut
 *   off: a customer call is never lost (INB-1's spirit).
 * - A transfer that fails (busy, no answer, refused) brings the caller back
 *   to the menu with "votre correspondant n'est pas joignable".
 */

export const KEY_TIMEOUT_MS = 8_000;
export const MAX_INVALID = 3;

export type AttendantAction = { kind: 'call'; number: string } | { kind: 'voicemail'; internalNumber: string } | { kind: 'repeat' };

export interface AttendantConfig {
  /** The uploaded welcome prompt (a file reference), else the default one plays. */
  prompt?: string;
  keys: ReadonlyArray<{ digit: string; action: AttendantAction }>;
  /** Where a caller goes when nothing else works: the reception's number, if there is one. */
  operator?: string;
}

/** What the executor does beyond playing: put the caller through, or into a voicemail box. */
export type AttendantOutcome = { kind: 'transfer'; number: string; why: 'key' | 'operator' } | { kind: 'voicemail'; internalNumber: string };

export interface AttendantState {
  phase: 'welcome' | 'waiting' | 'explaining' | 'leaving' | 'done';
  invalid: number;
  timeouts: number;
  /** After the current explanation: back to the welcome, or to the operator. */
  then?: 'welcome' | 'operator';
  /** Leaving: what happens once the "please hold" prompt has played. */
  leavingFor?: AttendantOutcome;
}

export function attendantStart(): AttendantState {
  return { phase: 'welcome', invalid: 0, timeouts: 0 };
}

export interface AttendantStep {
  state: AttendantState;
  actions: VoiceAction[];
  outcome?: AttendantOutcome;
}

export function attendant(s: AttendantState, e: VoiceEvent | { kind: 'transfer-failed' }, cfg: AttendantConfig): AttendantStep {
  const welcome: Clip[] = [cfg.prompt !== undefined ? { kind: 'upload', ref: cfg.prompt, fallback: 'ivr.welcome.default' } : { kind: 'prompt', id: 'ivr.welcome.default' }];
  const play = (clips: Clip[]): VoiceAction => ({ kind: 'play', clips });
  const toWelcome = (st: Partial<AttendantState> = {}): AttendantStep => ({ state: { ...s, ...st, phase: 'welcome' }, actions: [play(welcome)] });
  const explain = (id: PromptId, then: 'welcome' | 'operator', st: Partial<AttendantState> = {}): AttendantStep => ({
    state: { ...s, ...st, phase: 'explaining', then },
    actions: [play([{ kind: 'prompt', id }])],
  });
  const operator = (): AttendantStep =>
    cfg.operator !== undefined
      ? { state: { ...s, phase: 'leaving', leavingFor: { kind: 'transfer', number: cfg.operator, why: 'operator' } }, actions: [play([{ kind: 'prompt', id: 'ivr.transfer-to-operator' }])] }
      : { state: { ...s, phase: 'done' }, actions: [{ kind: 'hangup' }] };
  if (s.phase === 'done') return { state: s, actions: [] };
  if (e.kind === 'hangup') return { state: { ...s, phase: 'done' }, actions: [] };
  if (e.kind === 'transfer-failed') {
    const { leavingFor: _done, ...rest } = s;
    return { state: { ...rest, phase: 'explaining', then: 'welcome', invalid: 0, timeouts: 0 }, actions: [play([{ kind: 'prompt', id: 'call.unavailable' }])] };
  }
  switch (s.phase) {
    case 'welcome':
      if (e.kind === 'start') return { state: s, actions: [play(welcome)] };
      if (e.kind === 'played') return { state: { ...s, phase: 'waiting' }, actions: [{ kind: 'timer', ms: KEY_TIMEOUT_MS }] };
      if (e.kind === 'digit') return key(s, e.digit, cfg, toWelcome, explain);
      return { state: s, actions: [] };
    case 'waiting':
      if (e.kind === 'digit') return key(s, e.digit, cfg, toWelcome, explain);
      if (e.kind === 'timeout') {
        const timeouts = s.timeouts + 1;
        return explain('ivr.no-choice', timeouts >= 2 ? 'operator' : 'welcome', { timeouts });
      }
      return { state: s, actions: [] };
    case 'explaining':
      if (e.kind === 'played') return s.then === 'operator' ? operator() : toWelcome();
      if (e.kind === 'digit') return key(s, e.digit, cfg, toWelcome, explain);
      return { state: s, actions: [] };
    case 'leaving':
      // The "please hold" prompt is over: now the caller is put through.
      if (e.kind === 'played' && s.leavingFor) return { state: s, actions: [], outcome: s.leavingFor };
      return { state: s, actions: [] };
  }
}

function key(
  s: AttendantState,
  digit: string,
  cfg: AttendantConfig,
  toWelcome: (st?: Partial<AttendantState>) => AttendantStep,
  explain: (id: PromptId, then: 'welcome' | 'operator', st?: Partial<AttendantState>) => AttendantStep,
): AttendantStep {
  const mapped = cfg.keys.find((k) => k.digit === digit)?.action;
  if (!mapped) {
    const invalid = s.invalid + 1;
    return explain('ivr.invalid-choice', invalid >= MAX_INVALID ? 'operator' : 'welcome', { invalid });
  }
  switch (mapped.kind) {
    case 'repeat':
      return toWelcome();
    case 'call':
      return { state: { ...s, phase: 'leaving', leavingFor: { kind: 'transfer', number: mapped.number, why: 'key' } }, actions: [{ kind: 'play', clips: [{ kind: 'prompt', id: 'ivr.please-hold' }] }] };
    case 'voicemail':
      return { state: { ...s, phase: 'leaving' }, actions: [], outcome: { kind: 'voicemail', internalNumber: mapped.internalNumber } };
  }
}

/**
 * Where a key's number goes (VOX-6), as a call target: a phone, a group,
 * a speed dial's number, or an outside number the attendant's restriction
 * profile allows (shown as the main number). Anything else is refused with
 * a reason for the log; the caller then hears the menu again.
 */
export function attendantDestination(config: Readonly<Config>, numbering: NumberingPlan, number: string): { ok: true; target: CallTarget } | { ok: false; reason: string } {
  const resolve = (t: DialTarget): { ok: true; target: CallTarget } | { ok: false; reason: string } => {
    switch (t.kind) {
      case 'phone':
        return { ok: true, target: { kind: 'phone', phone: t.phone } };
      case 'group':
        return { ok: true, target: { kind: 'group', group: t.group } };
      case 'speed-dial':
        return resolve(t.target);
      case 'external': {
        const c = classify(t.number, numbering, config.outgoing.operatorServices);
        const profile = config.restrictionProfiles.find((p) => p.id === config.autoAttendant.restrictionProfile);
        if (!profile) return { ok: false, reason: `restriction profile ${config.autoAttendant.restrictionProfile} does not exist` };
        const d = decideOutgoing(c, { profile, outgoing: config.outgoing }, false);
        if (!d.allowed) return { ok: false, reason: d.reason };
        const main = config.company.mainNumber ?? config.trunk.username;
        return {
          ok: true,
          target: { kind: 'external', number: t.number, emergency: d.emergency, identity: { number: main, hidden: false, source: 'main' }, category: c.category, rule: c.rule },
        };
      }
      case 'voicemail':
      case 'attendant':
      case 'feature':
        return { ok: false, reason: `${number} is not a number the attendant can put a caller through to` };
      case 'invalid':
        return { ok: false, reason: t.reason };
    }
  };
  return resolve(resolveDialled(number, config).target);
}
