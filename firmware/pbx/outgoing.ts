import type { Logger } from '../core/logger.ts';
import type { Config, Phone } from '../config/index.ts';
import type { Routing } from './calls/call-manager.ts';
import { resolveDialled, type DialTarget } from './dialplan/index.ts';
import { classify, type NumberingPlan } from './frenchplan/index.ts';
import { admitByRate, decideOutgoing, profileFor } from './restrictions/index.ts';
import { presentedIdentity } from './identity.ts';
import { applyFeature, featureWords, type ConfigChange } from './features.ts';
import type { Clip } from './voicemail/menus.ts';
import type { CallbackChange, CallbackContext } from './callback.ts';

/** What the decision needs besides the configuration: the live counts and the caller's recent external calls. */
export interface RoutingState {
  externalCallsInProgress: number;
  /** Start times (monotonic ms) of the caller's recent external calls (toll-fraud cap). */
  recentExternalCalls: readonly number[];
  now: number;
  /** The caller's automatic-callback situation (FWD-6 `*37`). */
  callback?: CallbackContext;
}


export interface RoutingDecision {
  routing: Routing;
  /** The caller's history after this call (unchanged when it did not count). */
  recentExternalCalls: readonly number[];
  /** Apply to the caller's phone record (feature codes). */
  changes?: ConfigChange[];
  /** Apply to the automatic-callback queue (FWD-6). */
  callback?: CallbackChange;
  /** One line for the log: what was dialled, what it became, and the rule that decided. */
  explain: string;
}

/** What a refused call hears in words after its tone (issue 5 §3, issue 7 §5). */
function refusalWords(status: number): Clip[] {
  const id = status === 404 ? 'call.invalid-number' : status === 486 ? 'call.line-down' : 'call.not-allowed';
  return [{ kind: 'prompt', id }];
}

const refuse = (status: number, reason: string, warning: string, number: string, external: boolean, tone: 'busy' | 'special-information' = 'special-information', words: Clip[] = refusalWords(status)): Routing => ({
  kind: 'refuse',
  status,
  reason,
  warning,
  tone,
  number,
  external,
  words,
});

/**
 * Everything that decides an outgoing call from a phone (issue 5), as one
 * pure function of config + state + event: the dial plan (NUM-4..NUM-7,
 * DIR-1), CLIR codes (CID-1), the French number category (frenchplan), the
 * restriction profile (RES-1..RES-4) with the country allow-list and the
 * per-phone rate cap (toll-fraud guard), the purchased external capacity
 * (NUM-8), and the presented identity (CID-2, CID-3). Emergency numbers pass
 * every check but the dial plan, and are never anonymous.
 */
export function decideRouting(config: Readonly<Config>, plan: NumberingPlan, caller: Phone, dialled: string, state: RoutingState): RoutingDecision {
  const dial = resolveDialled(dialled, config);
  const keep = state.recentExternalCalls;
  const route = (target: DialTarget, via: string): RoutingDecision => {
    switch (target.kind) {
      case 'phone':
        return { routing: { kind: 'call', target: { kind: 'phone', phone: target.phone } }, recentExternalCalls: keep, explain: `${via}phone ${target.phone.internalNumber}` };
      case 'speed-dial':
        return route(target.target, `${via}speed dial ${target.entry.speedDial} "${target.entry.name}" -> `);
      case 'group':
        return { routing: { kind: 'call', target: { kind: 'group', group: target.group } }, recentExternalCalls: keep, explain: `${via}group ${target.group.internalNumber} "${target.group.name}"` };
      case 'voicemail':
        return { routing: { kind: 'call', target: { kind: 'voicemail', phone: caller } }, recentExternalCalls: keep, explain: `${via}own voicemail (NUM-7)` };
      case 'attendant':
        return { routing: { kind: 'call', target: { kind: 'attendant' } }, recentExternalCalls: keep, explain: `${via}the auto attendant (VOX-6)` };
      case 'invalid':
        return { routing: refuse(404, 'Not Found', target.reason, dialled, false), recentExternalCalls: keep, explain: `${via}invalid: ${target.reason}` };
      case 'feature':
        return feature(target);
      case 'external':
        return external(target.number, via);
    }
  };

  // Feature codes (CID-1, FWD-2, FWD-3, FWD-5, GRP-4, GRP-5, INB-2): pbx/features decides, the B2BUA plays the tone.
  const feature = (f: Extract<DialTarget, { kind: 'feature' }>): RoutingDecision => {
    const o = applyFeature(config, plan, caller, f, state.callback);
    const words = featureWords(f, o);
    if (o.refusal)
      return {
        routing: refuse(o.refusal.status, o.refusal.status === 403 ? 'Forbidden' : 'Not Found', o.refusal.reason, dialled, false, 'special-information', words),
        recentExternalCalls: keep,
        explain: o.explain,
      };
    if (o.record === 'pre-answer') return { routing: { kind: 'call', target: { kind: 'record', phone: caller, what: 'pre-answer' } }, recentExternalCalls: keep, explain: o.explain };
    return {
      routing: { kind: 'feature', code: dialled, tone: o.tone, words },
      recentExternalCalls: keep,
      ...(o.changes.length > 0 ? { changes: o.changes } : {}),
      ...(o.callback ? { callback: o.callback } : {}),
      explain: o.explain,
    };
  };

  const external = (number: string, via: string): RoutingDecision => {
    const c = classify(number, plan, config.outgoing.operatorServices);
    const decision = decideOutgoing(c, { profile: profileFor(config, caller, 'call'), outgoing: config.outgoing }, dial.hideIdentity);
    const what = `${via}${number} (${c.category}, rule ${c.rule})`;
    if (!decision.allowed) {
      const status = c.category === 'unknown' ? 404 : 403;
      return { routing: refuse(status, status === 404 ? 'Not Found' : 'Forbidden', decision.reason, number, true), recentExternalCalls: keep, explain: `${what}: refused, ${decision.reason}` };
    }
    if (!decision.emergency) {
      const max = config.capacity.maxExternalCalls;
      if (state.externalCallsInProgress >= max) {
        const warning = `all ${max} external lines are in use`;
        return { routing: refuse(486, 'Busy Here', warning, number, true, 'busy'), recentExternalCalls: keep, explain: `${what}: refused, ${warning} (NUM-8)` };
      }
      const rate = admitByRate(state.recentExternalCalls, state.now, config.outgoing.maxCallsPerMinutePerPhone);
      if (!rate.ok) {
        const warning = `more than ${config.outgoing.maxCallsPerMinutePerPhone} external calls in a minute from this phone`;
        return { routing: refuse(403, 'Forbidden', warning, number, true), recentExternalCalls: rate.history, explain: `${what}: refused, ${warning} (toll-fraud guard)` };
      }
      const identity = presentedIdentity(config, caller, { hideForCall: decision.hideIdentity, emergency: false });
      return {
        routing: { kind: 'call', target: { kind: 'external', number, emergency: false, identity, category: c.category, rule: c.rule } },
        recentExternalCalls: rate.history,
        explain: `${what}: allowed, presenting ${identity.hidden ? `anonymous (asserting ${identity.number})` : identity.number} from ${identity.source}`,
      };
    }
    // Emergency: over capacity, whatever the profile or the rate, never anonymous (RES-4, french-numbering §4.1).
    const identity = presentedIdentity(config, caller, { hideForCall: false, emergency: true });
    return {
      routing: { kind: 'call', target: { kind: 'external', number, emergency: true, identity, category: c.category, rule: c.rule } },
      recentExternalCalls: keep,
      explain: `${what}: emergency call, always allowed, presenting ${identity.number}`,
    };
  };

  return route(dial.target, dial.hideIdentity ? 'one-call CLIR -> ' : '');
}

export interface OutgoingRouterDeps {
  config(): Readonly<Config>;
  plan(): NumberingPlan;
  monotonic(): number;
  log: Logger;
  /** Stores a feature code's changes, all at once (config store, at the edge). */
  applyChanges(changes: readonly ConfigChange[]): void;
  /** The automatic-callback queue (the B2BUA's runtime state): a caller's situation, and changes to it. */
  callbacks?: { context(callerMac: string): CallbackContext; apply(change: CallbackChange): void };
}

/**
 * The stateful shell around decideRouting: it keeps each phone's recent
 * external calls (RAM only), logs every decision with its rule, and hands
 * feature-code changes to the config store.
 */
export class OutgoingRouter {
  private readonly recent = new Map<string, readonly number[]>();

  constructor(private readonly deps: OutgoingRouterDeps) {}

  route(caller: Phone, dialled: string, externalCallsInProgress: number): Routing {
    const now = this.deps.monotonic();
    const d = decideRouting(this.deps.config(), this.deps.plan(), caller, dialled, {
      externalCallsInProgress,
      recentExternalCalls: this.recent.get(caller.mac) ?? [],
      now,
      ...(this.deps.callbacks ? { callback: this.deps.callbacks.context(caller.mac) } : {}),
    });
    if (d.recentExternalCalls.length > 0) this.recent.set(caller.mac, d.recentExternalCalls);
    else this.recent.delete(caller.mac);
    if (d.changes) this.deps.applyChanges(d.changes);
    if (d.callback) this.deps.callbacks?.apply(d.callback);
    const refused = d.routing.kind === 'refuse';
    this.deps.log[refused ? 'warn' : 'info']({ caller: caller.internalNumber, dialled }, refused ? `call refused: ${d.explain}` : `dial plan: ${d.explain}`);
    return d.routing;
  }
}
