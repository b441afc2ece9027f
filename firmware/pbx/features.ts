import { NUMBERING, type Config, type Phone } from '../config/index.ts';
import type { ToneName } from '../media/tones.ts';
import { resolveDialled, type DialTarget, type FeatureAction } from './dialplan/index.ts';
import { classify, normaliseExternal, type NumberingPlan } from './frenchplan/index.ts';
import { decideOutgoing, profileFor } from './restrictions/index.ts';
import type { CallbackChange, CallbackContext } from './callback.ts';
import type { Clip, PromptId } from './voicemail/menus.ts';

/**
 * Feature codes typed on a phone (CID-1, FWD-2, FWD-3, FWD-5, GRP-4, INB-2,
 * INB-4, GRP-5), carried out against the configuration as one pure function:
 * the dial plan parses the code (`resolveDialled` -> `{ kind: 'feature' }`),
 * `applyFeature` decides what it changes, and the caller stores the changes
 * (`applyConfigChanges` inside `ConfigStore.update`). Nothing here does I/O.
 *
 * | code | what | SPEC |
 * |---|---|---|
 * | `*65*1` / `*65*0`, `#65` / `**65` | hide / show my number / query | CID-1 |
 * | `*24*dest` / `*24` / `*24*0`, `#24` / `**24` | forward on disconnect to dest / to the last dest / back to voicemail / query | FWD-2 |
 * | `*27*dest` / `*27` / `*27*0`, `#27` / `**27` | the same, on disconnect and no answer | FWD-3 |
 * | `*89*1`, `*89` / `*89*0`, `#89` / `**89` | forward protection on / off / query | FWD-5 |
 * | `*31*n` / `*30*n` / `*31` / `*30` | join / leave group n, join / leave all (999: the Standard overflow) | GRP-4, INB-4 |
 * | `*22*dest` / `*22` / `#22`, `*22*0` / `**22` | reception only: forward every main-number call to dest / to voicemail / off / query | INB-2 |
 * | `*40*n` / `*41*n` / `*42*n` / `**40` | day/night schedule of group n (0: main number) forced night / day / back to automatic / query | GRP-5 |
 * | `*35*2` / `*35*1` / `*35*0`, `#35` / `**35` | record my line's pre-answer announcement / on / off / query | VOX-5 |
 * | `*33*n` (n = 0..5), `**33` | voice presentation level n (0 = off) / query | VOX-7 |
 * | `*37` / `*37*nnn`, `#37` / `**37` | call me back when the phone that was busy (or phone nnn) is free / cancel / query | FWD-6 |
 *
 * Choices beyond the guide (docs to follow):
 * - Group membership is the admin's: `*30*n` / `*31*n` for a group the
 *   caller is not a member of is refused 403; leaving keeps the membership
 *   and records n in `groupsLeft`. The Standard group 999 is implicit: it maps
 *   to `standardOverflowOptOut`.
 * - `*22` is for the reception phone only (its programmable key dials it).
 * - `*40`/`*41`/`*42` may be used by any phone: the day/night switch of a
 *   small office is everybody's (the last one out switches to night).
 * - Destinations are checked as a forward would be: an existing phone
 *   (not the caller) or group, a speed dial (stored as what it points to), or
 *   an external number allowed by the caller's FORWARD profile (RES-4).
 *   888 and emergency numbers are refused: a forward must not flood them.
 *   `*24` / `*27` re-check the remembered destination, as the profile or the
 *   phones may have changed since.
 */

/** The fields of a phone record a feature code may change; `forwards` is always given whole. */
export type PhonePatch = Partial<Pick<Phone, 'hideIdentity' | 'forwards' | 'forwardProtection' | 'standardOverflowOptOut' | 'groupsLeft' | 'voicePresentation' | 'preAnswer'>>;

export type ConfigChange =
  | { kind: 'phone'; mac: string; patch: PhonePatch }
  | { kind: 'reception'; forwardAll: Config['reception']['forwardAll'] }
  | { kind: 'schedule'; target: string; override: 'auto' | 'day' | 'night' };

export interface FeatureOutcome {
  /** What the phone hears: confirmation (done / query answered "on"), busy (query answered "off"), special-information (refused). */
  tone: ToneName;
  /** Refused: the status and reason phrase the B2BUA answers after the tone; absent when carried out. */
  refusal?: { status: 403 | 404; reason: string };
  changes: ConfigChange[];
  /** A change to the automatic-callback queue (runtime state, not configuration). */
  callback?: CallbackChange;
  /** `*35*2`: the PBX answers and records the line's pre-answer announcement (VOX-5) instead of playing a tone. */
  record?: 'pre-answer';
  /** One English line for the log: what was asked and what it did or why not. */
  explain: string;
}

export interface FeatureRequest {
  code: string;
  action: FeatureAction;
  argument?: string;
}

type Forwards = Phone['forwards'];
type Override = 'auto' | 'day' | 'night';

const STANDARD = String(NUMBERING.standardGroup);
const VOICEMAIL_ACCESS = String(NUMBERING.voicemail);
/** The schema's `destination` (config/schema.ts): what a stored destination must look like. */
const STORABLE_DESTINATION = /^(\d{2,15}|\+[1-9]\d{6,14}|voicemail)$/;

/** The code as the user typed it, for the log: `*24*0612345678`, `#24`, `**24`. */
function typed(f: FeatureRequest): string {
  switch (f.action) {
    case 'query':
      return `**${f.code}`;
    case 'deactivate':
      return `#${f.code}${f.argument !== undefined ? `*${f.argument}` : ''}`;
    case 'activate':
      return `*${f.code}${f.argument !== undefined ? `*${f.argument}` : ''}`;
    case 'use':
      return `*${f.code}${f.argument !== undefined ? `*${f.argument}` : ''} (use)`;
  }
}

const refused = (asked: string, status: 403 | 404, reason: string): FeatureOutcome => ({
  tone: 'special-information',
  refusal: { status, reason },
  changes: [],
  explain: `${asked}: refused ${status}, ${reason}`,
});

const done = (asked: string, changes: ConfigChange[], what: string): FeatureOutcome => ({ tone: 'confirmation', changes, explain: `${asked}: ${what}` });

const answer = (asked: string, on: boolean, what: string): FeatureOutcome => ({
  tone: on ? 'confirmation' : 'busy',
  changes: [],
  explain: `${asked}: ${what} (answered ${on ? 'on' : 'off'})`,
});

const phoneChange = (caller: Readonly<Phone>, patch: PhonePatch): ConfigChange => ({ kind: 'phone', mac: caller.mac, patch });

/** A checked destination: what to store and how to say it. */
export type Destination = { ok: true; store: string; label: string } | { ok: false; status: 403 | 404; reason: string };

/**
 * Check a destination typed after a forward code, as the forward would
 * place it: an internal number (phone, group, speed dial) or an external
 * number under the caller's FORWARD restriction profile (RES-4). `self` are
 * the numbers that would forward the calls back to where they came from.
 */
function checkDestination(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, raw: string, self: readonly string[]): Destination {
  if (raw === 'voicemail') return { ok: true, store: 'voicemail', label: 'voicemail' };
  if (!/^\+?\d{1,20}$/.test(raw)) return { ok: false, status: 404, reason: `${raw} is not a number` };
  if (/^\d{3}$/.test(raw)) {
    const dial = resolveDialled(raw, config);
    return checkInternal(config, plan, caller, raw, dial.target, self);
  }
  return checkExternal(config, plan, caller, raw, self);
}

function checkInternal(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, raw: string, target: DialTarget, self: readonly string[]): Destination {
  switch (target.kind) {
    case 'phone':
      if (target.phone.mac === caller.mac || self.includes(target.phone.internalNumber)) return { ok: false, status: 403, reason: 'cannot forward to itself' };
      return { ok: true, store: target.phone.internalNumber, label: `phone ${target.phone.internalNumber}` };
    case 'group':
      return { ok: true, store: target.group.internalNumber, label: `group ${target.group.internalNumber} "${target.group.name}"` };
    case 'voicemail':
      return { ok: false, status: 403, reason: `${VOICEMAIL_ACCESS} is the voicemail access number, not a forward destination` };
    case 'attendant':
      return { ok: false, status: 403, reason: `${raw} is the auto attendant, not a forward destination` };
    case 'speed-dial': {
      // The directory number is checked (and stored) as if it had been typed.
      const inner = checkDestination(config, plan, caller, target.entry.number, self);
      if (!inner.ok) return { ...inner, reason: `speed dial ${raw} (${target.entry.name}): ${inner.reason}` };
      return { ...inner, label: `speed dial ${raw} "${target.entry.name}" -> ${inner.label}` };
    }
    case 'invalid':
      return { ok: false, status: 404, reason: target.reason };
    case 'external':
      // A 3-digit public short number (outside the internal ranges, NUM-4).
      return checkExternal(config, plan, caller, target.number, self);
    case 'feature':
      return { ok: false, status: 404, reason: `${raw} is not a destination` }; // not reached: 3 digits are never a feature code
  }
}

function checkExternal(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, raw: string, self: readonly string[]): Destination {
  const number = normaliseExternal(raw);
  if (number === undefined) return { ok: false, status: 404, reason: `${raw} is not a number` };
  if (self.some((s) => normaliseExternal(s) === number)) return { ok: false, status: 403, reason: 'cannot forward to itself' };
  const c = classify(number, plan, config.outgoing.operatorServices);
  if (c.category === 'emergency') return { ok: false, status: 403, reason: `emergency number ${number} cannot be a forward destination` };
  const profile = profileFor(config, caller, 'forward');
  const decision = decideOutgoing(c, { profile, outgoing: config.outgoing }, false);
  if (!decision.allowed) return { ok: false, status: c.category === 'unknown' ? 404 : 403, reason: decision.reason };
  // National format as dialled ("0612345678"); international as E.164 ("+44..."), which always fits the schema.
  const store = number.startsWith('00') ? `+${number.slice(2)}` : number;
  if (!STORABLE_DESTINATION.test(store)) return { ok: false, status: 404, reason: `${number} cannot be stored as a destination` };
  return { ok: true, store, label: `${store} (${c.category}, rule ${c.rule})` };
}

/**
 * A forward destination of `caller`, checked as its forward codes check it:
 * the web's "my forwards" uses it too, so the phone keys and the pages agree.
 */
export function checkForwardDestination(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, raw: string): Destination {
  return checkDestination(config, plan, caller, raw, ownNumbers(caller));
}

/** Numbers that are the caller itself, for "cannot forward to itself". */
function ownNumbers(caller: Readonly<Phone>): string[] {
  return caller.did !== undefined ? [caller.internalNumber, caller.did] : [caller.internalNumber];
}

// --- CID-1 ------------------------------------------------------------------

function identity(caller: Readonly<Phone>, f: FeatureRequest, asked: string): FeatureOutcome {
  if (f.action === 'query') return answer(asked, caller.hideIdentity, `identity ${caller.hideIdentity ? 'hidden' : 'shown'}`);
  const hide = f.action === 'activate' && f.argument === '1' ? true : (f.action === 'activate' && f.argument === '0') || (f.action === 'deactivate' && f.argument === undefined) ? false : undefined;
  if (hide === undefined) return refused(asked, 404, 'use *65*1 to hide the number, *65*0 or #65 to show it, **65 to query');
  return done(asked, [phoneChange(caller, { hideIdentity: hide })], `identity ${hide ? 'hidden' : 'shown'} from now on`);
}

// --- FWD-2, FWD-3 -------------------------------------------------------------

/** `*24` (disconnect, FWD-2) and `*27` (disconnect or no answer, FWD-3). */
function disconnectForward(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, f: FeatureRequest, asked: string, key: 'disconnect' | 'disconnectOrNoAnswer'): FeatureOutcome {
  const what = key === 'disconnect' ? 'forward on disconnect' : 'forward on disconnect and no answer';
  const current = caller.forwards[key];
  if (f.action === 'query') {
    const on = current.enabled && current.destination !== undefined && current.destination !== 'voicemail';
    return answer(asked, on, on ? `${what} to ${current.destination}` : `${what} off (voicemail)`);
  }
  const reset = f.action === 'deactivate' ? f.argument === undefined : f.action === 'activate' && f.argument === '0';
  if (reset) {
    const forwards: Forwards = structuredClone(caller.forwards) as Forwards;
    forwards[key] = current.last !== undefined ? { enabled: false, last: current.last } : { enabled: false };
    let also = '';
    if (key === 'disconnectOrNoAnswer') {
      forwards.noAnswer = { enabled: true, destination: 'voicemail', rings: caller.forwards.noAnswer.rings };
      also = `, no answer to voicemail after ${caller.forwards.noAnswer.rings} rings`;
    }
    return done(asked, [phoneChange(caller, { forwards })], `${what} reset to voicemail${also}`);
  }
  if (f.action !== 'activate') return refused(asked, 404, `feature code ${asked} is not available`);
  let wanted: string;
  let via = '';
  if (f.argument !== undefined) wanted = f.argument;
  else if (current.last !== undefined) {
    wanted = current.last;
    via = 'the last destination, ';
  } else return refused(asked, 404, 'no previous destination');
  const dest = checkDestination(config, plan, caller, wanted, ownNumbers(caller));
  if (!dest.ok) return refused(asked, dest.status, dest.reason);
  const forwards: Forwards = structuredClone(caller.forwards) as Forwards;
  forwards[key] = { enabled: true, destination: dest.store, last: dest.store };
  return done(asked, [phoneChange(caller, { forwards })], `${what} to ${via}${dest.label}`);
}

// --- FWD-5 --------------------------------------------------------------------

function protection(caller: Readonly<Phone>, f: FeatureRequest, asked: string): FeatureOutcome {
  if (f.action === 'query') return answer(asked, caller.forwardProtection, `forward protection ${caller.forwardProtection ? 'on' : 'off'}`);
  const on =
    f.action === 'activate' && (f.argument === '1' || f.argument === undefined) ? true : (f.action === 'activate' && f.argument === '0') || (f.action === 'deactivate' && f.argument === undefined) ? false : undefined;
  if (on === undefined) return refused(asked, 404, 'use *89*1 for forward protection on, *89*0 or #89 for off, **89 to query');
  return done(asked, [phoneChange(caller, { forwardProtection: on })], `forward protection ${on ? 'on: phones forwarded to this one ring it no more' : 'off'}`);
}

// --- GRP-4, INB-4 -------------------------------------------------------------

function membership(config: Readonly<Config>, caller: Readonly<Phone>, f: FeatureRequest, asked: string): FeatureOutcome {
  if (f.action !== 'activate') return refused(asked, 404, `feature code ${asked} is not available (use *31*n to join group n, *30*n to leave it)`);
  const join = f.code === '31';
  const verb = join ? 'joined' : 'left';
  const memberOf = config.groups.filter((g) => g.internalNumber !== STANDARD && g.members.includes(caller.mac)).map((g) => g.internalNumber);
  if (f.argument === undefined) {
    // *31 / *30: the Standard overflow and every group the admin put this phone in.
    const groupsLeft = join ? [] : memberOf;
    const list = ['999', ...memberOf].join(', ');
    return done(asked, [phoneChange(caller, { standardOverflowOptOut: !join, groupsLeft })], `${verb} all groups (${list})`);
  }
  const n = f.argument;
  if (n === STANDARD)
    return done(asked, [phoneChange(caller, { standardOverflowOptOut: !join })], join ? 'rings again on Standard group 999 overflow (INB-4)' : 'no longer rings on Standard group 999 overflow (INB-4)');
  const group = config.groups.find((g) => g.internalNumber === n);
  if (group === undefined) return refused(asked, 404, `no group ${n}`);
  if (!group.members.includes(caller.mac)) return refused(asked, 403, `not a member of group ${n}`);
  const others = caller.groupsLeft.filter((g) => g !== n);
  const groupsLeft = join ? others : [...others, n];
  return done(asked, [phoneChange(caller, { groupsLeft })], `${verb} group ${n} "${group.name}"`);
}

// --- INB-2 --------------------------------------------------------------------

function receptionForward(config: Readonly<Config>, plan: NumberingPlan, caller: Readonly<Phone>, f: FeatureRequest, asked: string): FeatureOutcome {
  if (config.reception.phone !== caller.mac) return refused(asked, 403, 'only the reception phone can forward the main number');
  const current = config.reception.forwardAll;
  if (f.action === 'query') return answer(asked, current.enabled, current.enabled ? `main number forwarded to ${current.destination ?? 'voicemail'}` : 'main number not forwarded');
  const off = f.action === 'deactivate' ? f.argument === undefined : f.action === 'activate' && f.argument === '0';
  if (off) {
    // The destination is kept, for the user web to show and switch on again.
    const forwardAll = current.destination !== undefined ? { enabled: false, destination: current.destination } : { enabled: false };
    return done(asked, [{ kind: 'reception', forwardAll }], 'main number no longer forwarded');
  }
  if (f.action !== 'activate') return refused(asked, 404, `feature code ${asked} is not available`);
  if (f.argument === undefined) return done(asked, [{ kind: 'reception', forwardAll: { enabled: true, destination: 'voicemail' } }], 'main number forwarded to voicemail');
  const self = config.company.mainNumber !== undefined ? [...ownNumbers(caller), config.company.mainNumber] : ownNumbers(caller);
  const dest = checkDestination(config, plan, caller, f.argument, self);
  if (!dest.ok) return refused(asked, dest.status, dest.reason);
  return done(asked, [{ kind: 'reception', forwardAll: { enabled: true, destination: dest.store } }], `main number forwarded to ${dest.label}`);
}

// --- GRP-5 --------------------------------------------------------------------

const OVERRIDE: Record<string, Override> = { '40': 'night', '41': 'day', '42': 'auto' };

function dayNight(config: Readonly<Config>, f: FeatureRequest, asked: string): FeatureOutcome {
  if (f.action === 'query' && f.code === '40') {
    const forced = config.schedules.filter((s) => s.override !== 'auto');
    const on = forced.length > 0;
    return answer(asked, on, on ? `forced: ${forced.map((s) => `${s.target} ${s.override}`).join(', ')}` : 'every schedule automatic');
  }
  const override = OVERRIDE[f.code];
  if (f.action !== 'activate' || override === undefined) return refused(asked, 404, `feature code ${asked} is not available`);
  if (f.argument === undefined) return refused(asked, 404, `${asked} needs a group number, or 0 for the main number (*${f.code}*n)`);
  const target = f.argument === '0' ? 'main' : f.argument;
  const schedules = config.schedules.filter((s) => s.target === target);
  const name = target === 'main' ? 'the main number' : `group ${target}`;
  if (schedules.length === 0) return refused(asked, 404, `no day/night schedule for ${name}`);
  const note = schedules.some((s) => s.enabled) ? '' : ' (the schedule is disabled: no effect until it is enabled)';
  const what = override === 'auto' ? 'back to the automatic schedule' : `forced to ${override} service`;
  return done(asked, [{ kind: 'schedule', target, override }], `${name} ${what}${note}`);
}

/** VOX-5: the line's own pre-answer announcement, for calls to its DID: `*35*2` records it, `*35*1` / `*35*0` (`#35`) switch it, `**35` asks. */
function preAnswer(caller: Readonly<Phone>, f: FeatureRequest, asked: string): FeatureOutcome {
  const p = caller.preAnswer;
  if (f.action === 'query') return answer(asked, p.enabled && p.recording !== undefined, p.enabled ? 'pre-answer announcement on' : 'pre-answer announcement off');
  if (caller.did === undefined) return refused(asked, 403, 'a pre-answer announcement is for a phone with its own direct line (VOX-5)');
  const arg = f.action === 'deactivate' ? '0' : f.argument;
  if (f.action !== 'activate' && f.action !== 'deactivate') return refused(asked, 404, `feature code ${asked} is not available`);
  switch (arg) {
    case '2':
      return { tone: 'confirmation', changes: [], explain: `${asked}: recording the line's pre-answer announcement`, record: 'pre-answer' };
    case '1':
      if (p.recording === undefined) return refused(asked, 404, 'no pre-answer announcement recorded yet (*35*2 records one)');
      return done(asked, [phoneChange(caller, { preAnswer: { ...p, enabled: true } })], 'pre-answer announcement on');
    case '0':
      return done(asked, [phoneChange(caller, { preAnswer: { ...p, enabled: false } })], 'pre-answer announcement off');
    default:
      return refused(asked, 404, 'pre-answer codes are *35*2 (record), *35*1 (on), *35*0 (off), **35');
  }
}

/** VOX-7: `*33*n` chooses what a voice says at pick-up (pbx/presentation.ts), `*33*0` or `#33` none, `**33` asks. */
function presentation(caller: Readonly<Phone>, f: FeatureRequest, asked: string): FeatureOutcome {
  if (f.action === 'query') return answer(asked, caller.voicePresentation > 0, `voice presentation level ${caller.voicePresentation}`);
  const level = f.action === 'deactivate' ? 0 : f.argument === undefined ? undefined : Number(f.argument);
  if (level === undefined || !Number.isInteger(level) || level < 0 || level > 5) return refused(asked, 404, 'voice presentation levels are *33*0 to *33*5');
  return done(asked, [phoneChange(caller, { voicePresentation: level })], level === 0 ? 'voice presentation off' : `voice presentation level ${level}`);
}

/**
 * FWD-6 automatic callback (pbx/callback): `*37` asks to be called back by
 * the phone that was busy for the caller lately, `*37*nnn` by phone nnn;
 * `#37` cancels, `**37` answers whether a request waits. Only for phones
 * whose record has the option on (`automaticCallback`), and only towards
 * another phone of ours.
 */
function callback(config: Readonly<Config>, caller: Readonly<Phone>, f: FeatureRequest, asked: string, ctx: CallbackContext): FeatureOutcome {
  const numberOf = (mac: string | undefined): string => config.phones.find((p) => p.mac === mac)?.internalNumber ?? '?';
  if (f.action === 'query') return answer(asked, ctx.pending !== undefined, ctx.pending !== undefined ? `callback from ${numberOf(ctx.pending)} pending` : 'no callback pending');
  if (f.action === 'deactivate') {
    if (f.argument !== undefined) return refused(asked, 404, `feature code ${asked} is not available (#37 cancels the callback)`);
    return { ...done(asked, [], ctx.pending !== undefined ? `callback from ${numberOf(ctx.pending)} cancelled` : 'no callback was pending'), callback: { kind: 'cancel', requester: caller.mac } };
  }
  if (f.action !== 'activate') return refused(asked, 404, `feature code ${asked} is not available`);
  if (!caller.automaticCallback) return refused(asked, 403, 'automatic callback is not enabled for this phone (FWD-6)');
  let target: Readonly<Phone> | undefined;
  if (f.argument !== undefined) {
    target = config.phones.find((p) => p.internalNumber === f.argument);
    if (!target) return refused(asked, 404, `${f.argument} is not a phone of this installation`);
  } else {
    target = config.phones.find((p) => p.mac === ctx.lastBusy);
    if (!target) return refused(asked, 404, 'no busy phone to be called back by (dial *37*number)');
  }
  if (target.mac === caller.mac) return refused(asked, 404, 'a phone cannot ask itself for a callback');
  return { ...done(asked, [], `callback from ${target.internalNumber} when it is free`), callback: { kind: 'request', requester: caller.mac, target: target.mac } };
}

/**
 * Carry out a phone's feature code against the configuration (pure: the
 * caller stores `changes`, plays `tone`, and answers `refusal` if any).
 * `f` is what the dial plan produced (`resolveDialled` -> `kind: 'feature'`).
 * The day/night codes `*40*n`, `*41*n`, `*42*n` (GRP-5) may be used by any
 * phone; `*22` (INB-2) only by the reception phone.
 */
export function applyFeature(
  config: Readonly<Config>,
  plan: NumberingPlan,
  caller: Readonly<Phone>,
  f: { code: string; action: FeatureAction; argument?: string },
  callbackContext: CallbackContext = {},
): FeatureOutcome {
  const asked = typed(f);
  if (f.action === 'query' && f.argument !== undefined) return refused(asked, 404, `feature code ${asked} is not available`);
  switch (f.code) {
    case '65':
      return identity(caller, f, asked);
    case '24':
      return disconnectForward(config, plan, caller, f, asked, 'disconnect');
    case '27':
      return disconnectForward(config, plan, caller, f, asked, 'disconnectOrNoAnswer');
    case '89':
      return protection(caller, f, asked);
    case '30':
    case '31':
      return membership(config, caller, f, asked);
    case '22':
      return receptionForward(config, plan, caller, f, asked);
    case '40':
    case '41':
    case '42':
      return dayNight(config, f, asked);
    case '37':
      return callback(config, caller, f, asked, callbackContext);
    case '33':
      return presentation(caller, f, asked);
    case '35':
      return preAnswer(caller, f, asked);
    default:
      return refused(asked, 404, `feature code *${f.code} is not available`);
  }
}

/**
 * Apply an outcome's changes to a configuration draft (inside
 * `ConfigStore.update`, which validates the result). A phone that is no
 * longer there is skipped.
 */
export function applyConfigChanges(draft: Config, changes: readonly ConfigChange[]): void {
  for (const change of changes) {
    switch (change.kind) {
      case 'phone': {
        const phone = draft.phones.find((p) => p.mac === change.mac);
        if (phone) Object.assign(phone, structuredClone(change.patch));
        break;
      }
      case 'reception':
        draft.reception.forwardAll = structuredClone(change.forwardAll);
        break;
      case 'schedule':
        for (const s of draft.schedules) if (s.target === change.target) s.override = change.override;
        break;
    }
  }
}

/**
 * What the phone hears in words after a feature code (issue 7 §5: "a short
 * prompt once the voice-services issue lands"), derived from the code and
 * its outcome (pure). The B2BUA plays these instead of the tone when the
 * voice prompts are there.
 */
export function featureWords(f: FeatureRequest, o: FeatureOutcome): Clip[] {
  const p = (id: PromptId): Clip => ({ kind: 'prompt', id });
  if (o.refusal) {
    // A forward to a destination that cannot be used (unknown, oneself, refused by the forward profile).
    const forwardCode = f.code === '24' || f.code === '27' || f.code === '22';
    if (forwardCode && f.argument !== undefined && f.argument !== '0') return [p('feature.invalid-destination')];
    return [p(o.refusal.status === 403 ? 'feature.not-allowed' : 'feature.invalid-code')];
  }
  const on = o.tone === 'confirmation';
  if (f.action === 'query') {
    if (f.code === '65') return [p(on ? 'feature.number-hidden' : 'feature.number-shown')];
    if (f.code === '35' && !on) return [p('feature.state-off')];
    return [p(on ? 'feature.state-on' : 'feature.state-off')];
  }
  const change = o.changes[0];
  switch (f.code) {
    case '65':
      return [p(change?.kind === 'phone' && change.patch.hideIdentity ? 'feature.number-hidden' : 'feature.number-shown')];
    case '24':
    case '27':
    case '22': {
      let target: { enabled: boolean; destination?: string } | undefined;
      if (change?.kind === 'reception') target = change.forwardAll;
      else if (change?.kind === 'phone' && change.patch.forwards) target = change.patch.forwards[f.code === '24' ? 'disconnect' : 'disconnectOrNoAnswer'];
      if (!target?.enabled) return [p(f.code === '22' ? 'feature.forward-off' : 'feature.forward-on-voicemail')];
      if (target.destination === undefined || target.destination === 'voicemail') return [p('feature.forward-on-voicemail')];
      return [p('feature.forward-on-to'), { kind: 'number', digits: target.destination }];
    }
    case '30':
      return [p('feature.group-left')];
    case '31':
      return [p('feature.group-joined')];
    case '40':
      return [p('feature.night-mode')];
    case '41':
      return [p('feature.day-mode')];
    case '42':
      return [p('feature.auto-mode')];
    case '37':
      return [p(o.callback?.kind === 'cancel' ? 'feature.callback-cancelled' : 'feature.callback-queued')];
    case '35':
      return [p(change?.kind === 'phone' && change.patch.preAnswer?.enabled ? 'feature.announcement-on' : 'feature.announcement-off')];
    case '33':
      return [p(change?.kind === 'phone' && (change.patch.voicePresentation ?? 0) > 0 ? 'feature.service-on' : 'feature.service-off')];
    case '89':
      return [p(change?.kind === 'phone' && change.patch.forwardProtection ? 'feature.service-on' : 'feature.service-off')];
    default:
      return [p(on ? 'feature.service-on' : 'feature.service-off')];
  }
}
