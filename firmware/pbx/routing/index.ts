import { NUMBERING, type Config, type Group, type Phone } from '../../config/index.ts';
import { classify, normaliseExternal, type NumberingPlan } from '../frenchplan/index.ts';
import { decideOutgoing, profileFor } from '../restrictions/index.ts';
import { scheduleMode } from '../schedule.ts';
import { toNationalFormat } from '../identity.ts';

/**
 * Call distribution (issue 6), pure: config + live state + a call → an
 * ordered plan of steps. The B2BUA (pbx/calls) runs the plan over SIP and
 * media; nothing here touches a socket or a clock. docs/incoming.md has the
 * rules in prose, SPEC INB, GRP, FWD, MOB name them.
 */

/** What the planner needs to know of the moment: who is reachable, who is talking, what time it is. */
export interface LiveState {
  /** Phones (by MAC) with at least one live registration. */
  registered: ReadonlySet<string>;
  /** Phones (by MAC) in an answered call. */
  busy: ReadonlySet<string>;
  /** Wall clock, epoch ms (day/night service). */
  now: number;
}

export type Caller =
  | { kind: 'phone'; phone: Phone }
  /** A call from the operator trunk: the number in national format, '' when withheld. */
  | { kind: 'external'; number: string; anonymous: boolean };

export type Called = { kind: 'phone'; phone: Phone } | { kind: 'group'; group: Group } | { kind: 'number'; number: string } | { kind: 'attendant' };

/** RFC 5806 reasons we send in Diversion towards the operator. */
export type DiversionReason = 'unconditional' | 'user-busy' | 'no-answer' | 'unavailable' | 'time-of-day' | 'follow-me' | 'deflection';

export type RingTarget =
  | {
      kind: 'phone';
      mac: string;
      number: string;
      /** FWD-6 "hide identity on internal forward": the phone sees an anonymous caller. */
      anonymous?: boolean;
      /** The internal number of the phone whose forward brought the call here (VOX-7 voice presentation). */
      forwardedBy?: string;
    }
  | {
      kind: 'external';
      /** National format, as the trunk gets it. */
      number: string;
      /** MOB-1: the mobile rings "right after" the desk phone. */
      afterSeconds?: number;
      /** FWD-7: the number shown to the called party ('' = anonymous), and the one asserted to the operator. */
      presented: string;
      asserted: string;
      /** RFC 5806: the number the call was diverted from, and why (forwarded calls only). */
      diversion?: { number: string; reason: DiversionReason };
    };

export type PlanStep =
  | {
      kind: 'ring';
      label: string;
      targets: RingTarget[];
      /** How long this step rings before the next one (targets still wanted by the next step keep ringing). */
      seconds: number;
      /** Every target answered busy (486/600): these steps instead of the rest; absent = go on with the next step. */
      onBusy?: PlanStep[];
    }
  /** The voicemail of a phone (until voice services land: a stand-in that ends the call, docs/incoming.md). */
  | { kind: 'voicemail'; label: string; mac: string; number: string }
  /** VOX-6: the auto attendant answers and asks for a key (pbx/attendant). */
  | { kind: 'attendant'; label: string }
  | { kind: 'reject'; label: string; status: number; reason: string };

export interface CallPlan {
  steps: PlanStep[];
  /** How the plan came about, one line per decision, for the log. */
  explain: string[];
}

/** MOB-1: "the desk phone rings first, the mobile right after". */
export const MOBILE_DELAY_SECONDS = 2;
/** Forwards followed at most this deep (FWD-6 successive forwarding), loops aside. */
export const MAX_FORWARD_HOPS = 5;

interface Hop {
  /** Phones the call has already been forwarded through (loop detection). */
  visited: ReadonlySet<string>;
  /** Groups the call has already been sent to (night services that point at each other). */
  groups: ReadonlySet<string>;
  /** The phone whose forward brought the call here. */
  forwardedBy?: Phone;
  /** FWD-6: the forwarding phone hides the caller from the phone it forwards to. */
  anonymous: boolean;
  depth: number;
}

const FIRST_HOP: Hop = { visited: new Set(), groups: new Set(), anonymous: false, depth: 0 };

class Planner {
  readonly explain: string[] = [];
  /** The public number called from outside, if any: what a diversion outside names (RFC 5806). */
  calledNumber: string | undefined;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly numbering: NumberingPlan,
    private readonly live: LiveState,
    private readonly caller: Caller,
  ) {}

  private get external(): boolean {
    return this.caller.kind === 'external';
  }

  private note(line: string): void {
    this.explain.push(line);
  }

  private seconds(s: number): number {
    return Math.max(1, Math.min(s, this.config.sip.ringTimeoutSeconds));
  }

  private rings(n: number): number {
    return this.seconds(n * this.config.sip.ringCycleSeconds);
  }

  private reachable(p: Phone): boolean {
    return this.live.registered.has(p.mac) && (!this.live.busy.has(p.mac) || p.callWaiting);
  }

  private phoneTarget(p: Phone, hop: Hop): RingTarget {
    return {
      kind: 'phone',
      mac: p.mac,
      number: p.internalNumber,
      ...(hop.anonymous ? { anonymous: true } : {}),
      ...(hop.forwardedBy ? { forwardedBy: hop.forwardedBy.internalNumber } : {}),
    };
  }

  voicemail(p: Phone): PlanStep {
    if (!p.voicemail.enabled) return { kind: 'reject', label: `voicemail of ${p.internalNumber} is off`, status: 480, reason: 'Temporarily Unavailable' };
    return { kind: 'voicemail', label: `voicemail of ${p.internalNumber}`, mac: p.mac, number: p.internalNumber };
  }

  // --- phones (INB-3, FWD-1..FWD-6, MOB-1, MOB-2) ---

  phone(p: Phone, hop: Hop): PlanStep[] {
    const visited = new Set(hop.visited).add(p.mac);
    const here: Hop = { ...hop, visited };
    const f = p.forwards;
    const follows = hop.forwardedBy === undefined || hop.forwardedBy.successiveForwarding;
    if (f.unconditional.enabled && f.unconditional.destination !== undefined) {
      if (!follows) this.note(`${p.internalNumber}: its unconditional forward is not followed (successive forwarding is off on ${hop.forwardedBy?.internalNumber})`);
      else {
        const steps = this.destination(f.unconditional.destination, p, 'unconditional', here);
        if (steps) {
          this.note(`${p.internalNumber}: unconditional forward to ${f.unconditional.destination} (FWD-1)`);
          return steps; // MOB-2: a forwarded desk phone's mobile does not ring either
        }
      }
    }
    if (!this.live.registered.has(p.mac)) {
      const fwd = f.disconnectOrNoAnswer.enabled ? f.disconnectOrNoAnswer : f.disconnect;
      const code = f.disconnectOrNoAnswer.enabled ? '*27' : '*24';
      if (fwd.enabled && fwd.destination !== undefined && follows) {
        const steps = this.destination(fwd.destination, p, 'unavailable', here);
        if (steps) {
          this.note(`${p.internalNumber} is not registered: forward on disconnect ${code} to ${fwd.destination} (${code === '*27' ? 'FWD-3' : 'FWD-2'})`);
          return steps;
        }
      }
      this.note(`${p.internalNumber} is not registered: its voicemail`);
      return [this.voicemail(p)];
    }
    const busySteps = (): PlanStep[] => {
      if (f.busy.enabled && f.busy.destination !== undefined && follows) {
        const steps = this.destination(f.busy.destination, p, 'user-busy', here);
        if (steps) return steps;
      }
      // An outside caller is never turned away (INB-1's spirit): the no-answer destination takes it.
      if (this.external) return this.noAnswer(p, here, follows);
      return [{ kind: 'reject', label: `${p.internalNumber} is busy`, status: 486, reason: 'Busy Here' }];
    };
    if (this.live.busy.has(p.mac) && !p.callWaiting) {
      this.note(`${p.internalNumber} is busy and has no call waiting (FWD-6)`);
      return busySteps();
    }
    const targets: RingTarget[] = [this.phoneTarget(p, hop)];
    const sr = p.simultaneousRing;
    if (p.did !== undefined && sr.allowed && sr.enabled && sr.mobile !== undefined && hop.forwardedBy === undefined) {
      const mobile = normaliseExternal(sr.mobile);
      if (mobile !== undefined) {
        targets.push({
          kind: 'external',
          number: mobile,
          afterSeconds: MOBILE_DELAY_SECONDS,
          // MOB-1: the caller's number is shown on the mobile too.
          presented: this.callerNumber(),
          asserted: toNationalFormat(p.did),
          diversion: { number: toNationalFormat(p.did), reason: 'follow-me' },
        });
        this.note(`${p.internalNumber}: simultaneous ring with the mobile ${mobile} (MOB-1)`);
      }
    }
    const noAnswerRings = f.noAnswer.rings;
    const hasNoAnswer = f.disconnectOrNoAnswer.enabled || f.noAnswer.enabled;
    // Planned now, used only if the phone answers busy itself: its explanations say so.
    const mark = this.explain.length;
    const onBusy = busySteps();
    this.explain.push(...this.explain.splice(mark).map((line) => `if ${p.internalNumber} answers busy: ${line}`));
    const ring: PlanStep = {
      kind: 'ring',
      label: `ring ${p.internalNumber}${targets.length > 1 ? ' and its mobile' : ''}`,
      targets,
      seconds: hasNoAnswer ? this.rings(noAnswerRings) : this.seconds(this.config.sip.ringTimeoutSeconds),
      onBusy,
    };
    return [ring, ...(hasNoAnswer ? this.noAnswer(p, here, follows) : [])];
  }

  /** Where an unanswered call to p goes (FWD-1, FWD-3, FWD-4); its voicemail by default. */
  private noAnswer(p: Phone, hop: Hop, follows: boolean): PlanStep[] {
    const f = p.forwards;
    const fwd = f.disconnectOrNoAnswer.enabled ? f.disconnectOrNoAnswer : f.noAnswer;
    if (fwd.enabled && fwd.destination !== undefined && fwd.destination !== 'voicemail' && follows) {
      const steps = this.destination(fwd.destination, p, 'no-answer', hop);
      if (steps) return steps;
    }
    return [this.voicemail(p)];
  }

  /**
   * A forward's destination, for a call diverted by `owner` (undefined: an
   * admin's setting, such as the night service). Undefined when the forward
   * cannot apply (loop, FWD-5 protection, restriction profile, unknown
   * number): the caller then behaves as if there were no forward.
   */
  destination(dest: string, owner: Phone | undefined, reason: DiversionReason, hop: Hop): PlanStep[] | undefined {
    if (dest === 'voicemail') {
      // An admin's destination (night service) has no phone of its own: the reception's mailbox takes it.
      const mailbox = owner ?? this.reception();
      if (mailbox) return [this.voicemail(mailbox)];
      this.note('forward to voicemail without a mailbox (no reception phone): ignored');
      return undefined;
    }
    if (/^\d{3}$/.test(dest)) {
      const phone = this.config.phones.find((x) => x.internalNumber === dest);
      if (phone) {
        if (owner && phone.mac === owner.mac) return undefined;
        if (this.caller.kind === 'phone' && this.caller.phone.mac === phone.mac) {
          this.note(`forward of ${owner?.internalNumber ?? 'the call'} to ${dest}: that is the caller; not followed`);
          return undefined;
        }
        if (hop.visited.has(phone.mac)) {
          this.note(`forward loop: ${owner?.internalNumber ?? 'the call'} -> ${dest} was already on the way; the chain stops at ${owner?.internalNumber ?? dest} (FWD-6)`);
          return undefined;
        }
        if (phone.forwardProtection) {
          this.note(`${dest} has forward protection on: ${owner?.internalNumber ?? 'the call'} is not forwarded to it (FWD-5)`);
          return undefined;
        }
        if (hop.depth >= MAX_FORWARD_HOPS) {
          this.note(`more than ${MAX_FORWARD_HOPS} forwards in a row: the chain stops at ${owner?.internalNumber ?? dest}`);
          return undefined;
        }
        const next: Hop = { visited: hop.visited, groups: hop.groups, anonymous: hop.anonymous || (owner?.hideIdentityOnInternalForward ?? false), depth: hop.depth + 1 };
        if (owner) next.forwardedBy = owner;
        return this.phone(phone, next);
      }
      const group = this.config.groups.find((g) => g.internalNumber === dest);
      if (group) {
        const steps = this.group(group, hop);
        // An outside caller forwarded to a group nobody answers is not lost: the reception's voicemail after it.
        return steps.length > 0 ? [...steps, ...(this.external ? this.receptionVoicemail() : [])] : undefined;
      }
      this.note(`forward to ${dest}: no such internal number`);
      return undefined;
    }
    const number = normaliseExternal(dest);
    if (number === undefined) {
      this.note(`forward to ${dest}: not a dialable number`);
      return undefined;
    }
    if (owner) {
      // RES-4: a forward outside is checked against the forwarding phone's forward profile.
      const c = classify(number, this.numbering, this.config.outgoing.operatorServices);
      const d = decideOutgoing(c, { profile: profileFor(this.config, owner, 'forward'), outgoing: this.config.outgoing }, false);
      if (!d.allowed) {
        this.note(`forward of ${owner.internalNumber} to ${number} refused: ${d.reason} (RES-4)`);
        return undefined;
      }
    }
    // The number the caller dialled when the call came from outside (the main number, a DID); else the forwarding phone's.
    const diverted = toNationalFormat(this.calledNumber ?? owner?.did ?? this.config.company.mainNumber ?? this.config.trunk.username);
    return [
      {
        kind: 'ring',
        label: `forward to ${number}`,
        targets: [{ kind: 'external', number, presented: this.forwardedPresentation(owner), asserted: diverted, diversion: { number: diverted, reason } }],
        seconds: this.seconds(this.config.sip.ringTimeoutSeconds),
      },
    ];
  }

  /** FWD-7: the number shown on a call forwarded outside: the main number by default. */
  private forwardedPresentation(owner: Phone | undefined): string {
    const main = this.config.company.mainNumber;
    const choice = owner?.forwardedCallerId ?? 'main';
    if (choice === 'first-caller') return this.callerNumber();
    if (choice === 'initiator') return toNationalFormat(owner?.did ?? main ?? '');
    return toNationalFormat(main ?? owner?.did ?? '');
  }

  /** The caller's number as an outside party should see it ('' = anonymous). */
  private callerNumber(): string {
    if (this.caller.kind === 'external') return this.caller.anonymous ? '' : this.caller.number;
    const p = this.caller.phone;
    if (p.hideIdentity || p.presentedIdentity === 'secret') return '';
    return toNationalFormat(p.did ?? this.config.company.mainNumber ?? '');
  }

  // --- groups (GRP-1..GRP-6, NUM-6, INB-4) ---

  /** Members who ring for a group call: in order, once each, not the caller nor a phone the call was forwarded through, not opted out, reachable. */
  members(group: Group, hop: Hop = FIRST_HOP): Phone[] {
    const standard = group.internalNumber === String(NUMBERING.standardGroup);
    const callerMac = this.caller.kind === 'phone' ? this.caller.phone.mac : undefined;
    const listed = standard
      ? this.config.phones.filter((p) => !p.standardOverflowOptOut) // GRP-2 every phone, INB-4 opt-out
      : group.members.flatMap((m) => this.config.phones.filter((p) => p.mac === m && !p.groupsLeft.includes(group.internalNumber))); // GRP-4
    const seen = new Set<string>();
    return listed.filter((p) => {
      if (seen.has(p.mac)) return false;
      seen.add(p.mac);
      return p.mac !== callerMac && !hop.visited.has(p.mac) && this.reachable(p);
    });
  }

  /** Ring steps of a group, or its night destination (GRP-5); [] when nobody can ring. */
  group(group: Group, from: Hop = FIRST_HOP): PlanStep[] {
    if (from.groups.has(group.internalNumber)) {
      this.note(`group ${group.internalNumber} is already on the way of this call (night services in a loop): not again`);
      return [];
    }
    const hop: Hop = { ...from, groups: new Set(from.groups).add(group.internalNumber) };
    const night = this.night(group.internalNumber, hop);
    if (night) return night;
    if (!group.enabled) {
      this.note(`group ${group.internalNumber} is disabled`);
      return [];
    }
    const members = this.members(group, hop);
    if (members.length === 0) {
      this.note(`group ${group.internalNumber}: no member can ring (unregistered, busy, left or opted out)`);
      return [];
    }
    const seconds = this.seconds(group.ringSecondsPerMember);
    if (group.ringMode === 'simultaneous') {
      this.note(`group ${group.internalNumber} "${group.name}": ${members.map((m) => m.internalNumber).join(', ')} at once for ${seconds} s (GRP-1)`);
      return [{ kind: 'ring', label: `group ${group.internalNumber}`, targets: members.map((m) => this.phoneTarget(m, FIRST_HOP)), seconds }];
    }
    this.note(`group ${group.internalNumber} "${group.name}": ${members.map((m) => m.internalNumber).join(' then ')}, ${seconds} s each (GRP-1)`);
    return members.map((m) => ({ kind: 'ring', label: `group ${group.internalNumber}: ${m.internalNumber}`, targets: [this.phoneTarget(m, FIRST_HOP)], seconds }));
  }

  /**
   * GRP-5: the night destination's steps when the schedule of `target` says
   * night. The night service is the admin's setting, not a phone's forward:
   * no restriction profile or forward protection applies, and "voicemail"
   * is the reception's.
   */
  private night(target: string, hop: Hop): PlanStep[] | undefined {
    const schedule = this.config.schedules.find((s) => s.target === target);
    if (!schedule) return undefined;
    const mode = scheduleMode(schedule, this.live.now, this.config.system.timezone);
    if (mode.mode !== 'night') return undefined;
    const steps = this.destination(schedule.nightDestination, undefined, 'time-of-day', hop);
    this.note(`${target === 'main' ? 'main number' : `group ${target}`}: ${mode.why}${steps ? `, night service to ${schedule.nightDestination} (GRP-5)` : ', but the night destination cannot take it'}`);
    return steps;
  }

  // --- the main number and DIDs (NUM-1, INB-1..INB-4, MOB-3) ---

  inbound(dialled: string): PlanStep[] {
    const number = normaliseNational(dialled);
    const company = this.config.company;
    if (number !== undefined && number === company.mainNumber) return this.main();
    const phone = number === undefined ? undefined : this.config.phones.find((p) => p.did === number);
    if (phone) {
      this.note(`${number} is the direct line of ${phone.internalNumber} (INB-3)`);
      return this.phone(phone, FIRST_HOP);
    }
    const group = number === undefined ? undefined : this.config.groups.find((g) => g.did === number);
    if (group) {
      this.note(`${number} is the direct line of group ${group.internalNumber} (GRP-6)`);
      // GRP-6: unanswered, the reception's voicemail takes it (no customer call is lost, INB-1).
      return [...this.group(group), ...this.receptionVoicemail()];
    }
    if (number !== undefined && company.dids.includes(number)) {
      this.note(`${number} is one of our numbers but belongs to nobody: treated as the main number`);
      return this.main();
    }
    this.note(`${dialled} is not one of our numbers`);
    return [{ kind: 'reject', label: `${dialled} is not ours`, status: 404, reason: 'Not Found' }];
  }

  reception(): Phone | undefined {
    const mac = this.config.reception.phone;
    return mac === undefined ? undefined : this.config.phones.find((p) => p.mac === mac);
  }

  receptionVoicemail(): PlanStep[] {
    const r = this.reception();
    return r ? [this.voicemail(r)] : [];
  }

  /** INB-1: reception, then the Standard group after the configured rings, then the reception's voicemail. */
  main(): PlanStep[] {
    const reception = this.reception();
    const night = this.night('main', FIRST_HOP);
    if (night) return night;
    const fwd = this.config.reception.forwardAll;
    if (fwd.enabled) {
      const steps = this.destination(fwd.destination ?? 'voicemail', reception, 'unconditional', FIRST_HOP);
      if (steps) {
        this.note(`main number: the reception forwards all calls to ${fwd.destination ?? 'voicemail'} (INB-2)`);
        return steps;
      }
    }
    const standard = this.config.groups.find((g) => g.internalNumber === String(NUMBERING.standardGroup));
    const receptionRings = reception !== undefined && this.reachable(reception);
    const steps: PlanStep[] = [];
    if (reception && receptionRings) {
      steps.push({ kind: 'ring', label: `reception ${reception.internalNumber}`, targets: [this.phoneTarget(reception, FIRST_HOP)], seconds: this.rings(this.config.reception.ringsBeforeOverflow) });
      this.note(`main number: reception ${reception.internalNumber} rings ${this.config.reception.ringsBeforeOverflow} times (INB-1)`);
    } else this.note(reception ? `main number: reception ${reception.internalNumber} cannot ring (unregistered or busy)` : 'main number: no reception phone configured');
    const keep: RingTarget[] = reception && receptionRings ? [this.phoneTarget(reception, FIRST_HOP)] : [];
    // MOB-3: a phone without DID takes main-number calls on a mobile: the mobile instead of the Standard overflow.
    const mob = this.config.phones.find((p) => p.did === undefined && p.mainNumberOnMobile.enabled && p.mainNumberOnMobile.mobile !== undefined);
    const mobile = mob?.mainNumberOnMobile.mobile !== undefined ? normaliseExternal(mob.mainNumberOnMobile.mobile) : undefined;
    if (mob && mobile !== undefined) {
      const main = toNationalFormat(this.config.company.mainNumber ?? '');
      steps.push({
        kind: 'ring',
        label: `reception and the mobile of ${mob.internalNumber}`,
        targets: [...keep, { kind: 'external', number: mobile, presented: this.callerNumber(), asserted: main, diversion: { number: main, reason: 'follow-me' } }],
        seconds: this.seconds(this.config.sip.ringTimeoutSeconds),
      });
      this.note(`main number: then the mobile ${mobile} of ${mob.internalNumber}, no Standard overflow (MOB-3)`);
    } else if (standard) {
      const members = this.members(standard).filter((m) => m.mac !== reception?.mac);
      if (members.length > 0) {
        steps.push({
          kind: 'ring',
          label: 'Standard group 999',
          targets: [...keep, ...members.map((m) => this.phoneTarget(m, FIRST_HOP))],
          seconds: this.seconds(standard.ringSecondsPerMember),
        });
        this.note(`main number: then the Standard group: ${members.map((m) => m.internalNumber).join(', ')} (INB-1, INB-4)`);
      } else this.note('main number: no phone of the Standard group can ring');
    }
    return [...steps, ...(reception ? [this.voicemail(reception)] : [{ kind: 'reject', label: 'nobody answered', status: 480, reason: 'Temporarily Unavailable' } as const])];
  }
}

/** A called number from the trunk in national format: +33…, 0033…, 33… (11 digits) and 9-digit forms all become 0…. */
export function normaliseNational(raw: string): string | undefined {
  const digits = raw.replace(/[\s.\-()]/g, '');
  if (/^\+33[1-9]\d{8}$/.test(digits)) return `0${digits.slice(3)}`;
  if (/^0033[1-9]\d{8}$/.test(digits)) return `0${digits.slice(4)}`;
  if (/^33[1-9]\d{8}$/.test(digits)) return `0${digits.slice(2)}`;
  if (/^[1-9]\d{8}$/.test(digits)) return `0${digits}`;
  if (/^0[1-9]\d{8}$/.test(digits)) return digits;
  return normaliseExternal(digits);
}

/**
 * The plan of one call (issue 6 §2): to a phone (its forwards, busy and
 * no-answer rules, simultaneous ring), to a group (ring mode, members,
 * day/night), or to one of our public numbers from the trunk (the main
 * number's reception and overflow, a DID, a group's DID).
 */
export function planCall(config: Readonly<Config>, numbering: NumberingPlan, live: LiveState, caller: Caller, called: Called): CallPlan {
  const p = new Planner(config, numbering, live, caller);
  let steps: PlanStep[];
  switch (called.kind) {
    case 'phone':
      steps = p.phone(called.phone, FIRST_HOP);
      break;
    case 'group': {
      steps = p.group(called.group);
      if (steps.length === 0) steps = [{ kind: 'reject', label: `nobody in group ${called.group.internalNumber} can answer`, status: 480, reason: 'Temporarily Unavailable' }];
      break;
    }
    case 'number': {
      p.calledNumber = normaliseNational(called.number);
      const national = p.calledNumber;
      if (national !== undefined && attendantAnswers(config, national)) {
        p.explain.push(`${national}: the auto attendant answers (VOX-6)`);
        steps = [ATTENDANT];
      } else steps = p.inbound(called.number);
      break;
    }
    case 'attendant':
      steps = [ATTENDANT];
      break;
  }
  // An outside caller with nobody to ring is not lost: the reception's voicemail.
  if (caller.kind === 'external' && steps.length === 0) steps = p.receptionVoicemail();
  return { steps: upToFinal(steps), explain: p.explain };
}

const ATTENDANT: PlanStep = { kind: 'attendant', label: 'auto attendant' };

/**
 * VOX-6: the auto attendant answers its own public number, and the main
 * number when it has none of its own (it stands in front of the reception).
 */
export function attendantAnswers(config: Readonly<Config>, national: string): boolean {
  const a = config.autoAttendant;
  if (!a.enabled) return false;
  if (a.externalNumber !== undefined) return normaliseNational(a.externalNumber) === national;
  return config.company.mainNumber !== undefined && national === config.company.mainNumber;
}

/** Nothing runs after a voicemail or a rejection: steps after the first of them are dropped. */
function upToFinal(steps: PlanStep[]): PlanStep[] {
  const end = steps.findIndex((s) => s.kind !== 'ring');
  return end < 0 ? steps : steps.slice(0, end + 1);
}

/** One line per step, for logs and tests: "ring 410 (25 s) -> voicemail of 410". */
export function describePlan(steps: readonly PlanStep[]): string {
  return steps
    .map((s) => {
      if (s.kind === 'ring') {
        const who = s.targets.map((t) => (t.kind === 'phone' ? t.number : `${t.number}${t.afterSeconds ? `+${t.afterSeconds}s` : ''}`)).join(',');
        return `ring ${who} (${s.seconds} s)`;
      }
      if (s.kind === 'voicemail') return `voicemail ${s.number}`;
      if (s.kind === 'attendant') return 'auto attendant';
      return `reject ${s.status}`;
    })
    .join(' -> ');
}
