/**
 * Outgoing routing decision (issue 5): the dial plan (NUM-4..NUM-7, DIR-1),
 * CLIR feature codes (CID-1), the restriction profile (RES-1..RES-4), the
 * purchased capacity (NUM-8), the toll-fraud rate cap, and the presented
 * identity (CID-2). decideRouting is pure; OutgoingRouter keeps the history.
 */
import test from 'ava';
import fc from 'fast-check';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { directoryEntrySchema, groupSchema, type Config, type Phone } from '../../../firmware/config/index.ts';
import type { Routing } from '../../../firmware/pbx/calls/call-manager.ts';
import type { CallTarget } from '../../../firmware/pbx/calls/types.ts';
import { BUILTIN_PLAN, classify } from '../../../firmware/pbx/frenchplan/index.ts';
import type { ConfigChange } from '../../../firmware/pbx/features.ts';
import { OutgoingRouter, decideRouting, type RoutingDecision, type RoutingState } from '../../../firmware/pbx/outgoing.ts';
import { makePhone, sampleConfig } from '../../helpers/config.ts';
import { silentLogs } from '../../helpers/logs.ts';

/** sampleConfig (601 profile 1, 478 DID profile 10) + a group 621, speed dials 700 -> 601 and 701 -> 0123456789. */
function config(): Config {
  const c = sampleConfig();
  c.groups.push(groupSchema.parse({ internalNumber: '621', name: 'Sales', ringMode: 'simultaneous' }));
  c.directory = [
    directoryEntrySchema.parse({ name: 'Reception', number: '601', speedDial: '700' }),
    directoryEntrySchema.parse({ name: 'Plumber', number: '0123456789', speedDial: '701' }),
  ];
  return c;
}

const plain = (c: Config): Phone => c.phones[0]!; // 601, profile 1, no DID
const did = (c: Config): Phone => c.phones[1]!; // 478, profile 10, DID 0577110078
const idle: RoutingState = { externalCallsInProgress: 0, recentExternalCalls: [], now: 1_000_000 };

function decide(c: Config, caller: Phone, dialled: string, state: Partial<RoutingState> = {}): RoutingDecision {
  return decideRouting(c, BUILTIN_PLAN, caller, dialled, { ...idle, ...state });
}

function refusal(r: Routing): Extract<Routing, { kind: 'refuse' }> {
  if (r.kind !== 'refuse') throw new Error(`expected a refusal, got ${JSON.stringify(r)}`);
  return r;
}

function callTarget(r: Routing): CallTarget {
  if (r.kind !== 'call') throw new Error(`expected a call, got ${JSON.stringify(r)}`);
  return r.target;
}

function external(r: Routing): Extract<CallTarget, { kind: 'external' }> {
  const target = callTarget(r);
  if (target.kind !== 'external') throw new Error(`expected an external call, got ${target.kind}`);
  return target;
}

// --- internal numbers -------------------------------------------------------

test('NUM-2/NUM-3: an internal number calls that phone, without touching the external history', (t) => {
  const c = config();
  const d = decide(c, plain(c), '478', { recentExternalCalls: [999_000] });
  t.deepEqual(d.routing, { kind: 'call', target: { kind: 'phone', phone: did(c) } });
  t.deepEqual(d.recentExternalCalls, [999_000]);
  t.is(d.changes, undefined);
  t.is(decide(c, did(c), '601').routing.kind, 'call');
});

test('NUM-5/DIR-1: a speed dial to an internal number calls that phone', (t) => {
  const c = config();
  const d = decide(c, did(c), '700');
  t.deepEqual(callTarget(d.routing), { kind: 'phone', phone: plain(c) });
  t.regex(d.explain, /speed dial 700 "Reception" -> phone 601/);
});

test('NUM-5/DIR-1: a speed dial to an external number is an external call, checked like a dialled one', (t) => {
  const c = config();
  const d = decide(c, did(c), '701');
  const target = external(d.routing);
  t.is(target.number, '0123456789');
  t.is(target.category, 'national');
  t.is(target.rule, 'national-01-05');
  t.deepEqual(d.recentExternalCalls, [idle.now]);
  // Profile 1 may not call a national number, even through the directory (RES-4).
  t.is(refusal(decide(c, plain(c), '701').routing).status, 403);
});

test('NUM-6, GRP-1: a group number (and the Standard group 999) is a call to that group', (t) => {
  const c = config();
  for (const n of ['621', '999']) {
    const r = decide(c, plain(c), n).routing;
    if (r.kind !== 'call' || r.target.kind !== 'group') return t.fail(`${n}: ${JSON.stringify(r)}`);
    t.is(r.target.group.internalNumber, n);
  }
});

test("NUM-7: 888 is a call to the caller's own voicemail", (t) => {
  const c = config();
  const caller = plain(c);
  const r = decide(c, caller, '888').routing;
  if (r.kind !== 'call' || r.target.kind !== 'voicemail') return t.fail(JSON.stringify(r));
  t.is(r.target.phone.mac, caller.mac);
});

test('NUM-4: an invalid dialled string is refused 404 with the dial plan reason', (t) => {
  const c = config();
  const unused = refusal(decide(c, plain(c), '455').routing);
  t.is(unused.status, 404);
  t.is(unused.reason, 'Not Found');
  t.is(unused.warning, 'no such internal number 455');
  t.false(unused.external);
  t.is(refusal(decide(c, plain(c), '12a4').routing).status, 404);
  t.is(refusal(decide(c, plain(c), '*6*5').routing).status, 404);
});

// --- CLIR feature codes (CID-1) ----------------------------------------------

test('CID-1: *65*1 hides the identity from now on (a change of the phone record, confirmation tone)', (t) => {
  const c = config();
  const d = decide(c, plain(c), '*65*1', { recentExternalCalls: [999_500] });
  t.like(d.routing, { kind: 'feature', code: '*65*1', tone: 'confirmation' });
  t.deepEqual(d.changes, [{ kind: 'phone', mac: plain(c).mac, patch: { hideIdentity: true } }]);
  t.deepEqual(d.recentExternalCalls, [999_500]);
  t.deepEqual(decide(c, plain(c), '*65*1#').changes, [{ kind: 'phone', mac: plain(c).mac, patch: { hideIdentity: true } }]);
});

test('CID-1: *65*0 and #65 show the identity again', (t) => {
  const c = config();
  const hidden = { ...plain(c), hideIdentity: true };
  for (const code of ['*65*0', '#65', '#65#']) {
    const d = decide(c, hidden, code);
    t.like(d.routing, { kind: 'feature', code, tone: 'confirmation' }, code);
    t.deepEqual(d.changes, [{ kind: 'phone', mac: hidden.mac, patch: { hideIdentity: false } }], code);
  }
});

test("CID-1: **65 queries: confirmation tone when hidden, busy tone when shown, and changes nothing", (t) => {
  const c = config();
  const hiddenQuery = decide(c, { ...plain(c), hideIdentity: true }, '**65');
  t.like(hiddenQuery.routing, { kind: 'feature', code: '**65', tone: 'confirmation' });
  t.is(hiddenQuery.changes, undefined);
  const shownQuery = decide(c, plain(c), '**65');
  t.like(shownQuery.routing, { kind: 'feature', code: '**65', tone: 'busy' });
  t.is(shownQuery.changes, undefined);
});

test('CID-1: an unknown feature code (or *65 with another argument) is refused 404 and changes nothing', (t) => {
  const c = config();
  for (const code of ['*43', '*21*0612345678', '#21#', '**21', '*65*2', '*65']) {
    const d = decide(c, plain(c), code);
    const r = refusal(d.routing);
    t.is(r.status, 404, code);
    t.regex(r.warning, /not available|use \*65\*1/, code);
    t.is(d.changes, undefined, code);
  }
});

// --- external calls (RES, CID-2) ---------------------------------------------

test('RES-3/CID-2: an allowed external call carries its category, rule and presented identity', (t) => {
  const c = config();
  const d = decide(c, did(c), '01 23 45 67 89', { recentExternalCalls: [990_000] });
  t.deepEqual(callTarget(d.routing), {
    kind: 'external',
    number: '0123456789',
    emergency: false,
    identity: { number: '0577110000', hidden: false, source: 'main' },
    category: 'national',
    rule: 'national-01-05',
  });
  t.deepEqual(d.recentExternalCalls, [990_000, idle.now]);
  t.is(d.changes, undefined);
});

test("CID-2: the identity follows the phone's choice (DID) and +33 numbers are called in national format", (t) => {
  const c = config();
  const target = external(decide(c, { ...did(c), presentedIdentity: 'did' }, '+33612345678').routing);
  t.is(target.number, '0612345678');
  t.is(target.category, 'mobile');
  t.deepEqual(target.identity, { number: '0577110078', hidden: false, source: 'did' });
});

test('CID-1: *66*number and *65*1 hide the identity of an external call; 3651 too', (t) => {
  const c = config();
  t.deepEqual(external(decide(c, did(c), '*66*0123456789').routing).identity, { number: '0577110000', hidden: true, source: 'main' });
  t.true(external(decide(c, { ...did(c), hideIdentity: true }, '0123456789').routing).identity.hidden);
  t.true(external(decide(c, did(c), '36510123456789').routing).identity.hidden);
  t.false(external(decide(c, did(c), '0123456789').routing).identity.hidden);
});

test('RES-4: a category the profile refuses is refused 403 with the reason and rule', (t) => {
  const c = config();
  const d = decide(c, plain(c), '0123456789', { recentExternalCalls: [990_000] });
  const r = refusal(d.routing);
  t.is(r.status, 403);
  t.is(r.reason, 'Forbidden');
  t.is(r.warning, 'national numbers (rule national-01-05) are not allowed by profile 1 "Urgences, gratuits et SAV"');
  t.is(r.number, '0123456789');
  t.true(r.external);
  t.deepEqual(d.recentExternalCalls, [990_000], 'a refused call is not counted');
  t.regex(d.explain, /refused/);
});

test('RES-1/toll-fraud guard: a country outside the allow-list is refused 403 even for profile 10', (t) => {
  const c = config();
  const r = refusal(decide(c, did(c), '+442071234567').routing);
  t.is(r.status, 403);
  t.is(r.warning, 'country code 44 is not in the international allow-list');
  t.is(external(decide(c, did(c), '+4930123456').routing).category, 'international');
});

test('NUM-4 (fail closed): a number of no category is refused 404', (t) => {
  const c = config();
  for (const n of ['0712345678', '600', '08312345678']) {
    const r = refusal(decide(c, did(c), n).routing);
    t.is(r.status, 404, n);
    t.is(r.reason, 'Not Found');
    t.true(r.external);
    t.regex(r.warning, /fail-closed/);
  }
});

test('RES-4: emergency numbers are allowed for profile 1 (and 0112 is 112)', (t) => {
  const c = config();
  for (const n of ['15', '17', '18', '112', '0112']) {
    const target = external(decide(c, plain(c), n).routing);
    t.true(target.emergency, n);
    t.is(target.category, 'emergency');
  }
});

// --- capacity (NUM-8) --------------------------------------------------------

test('NUM-8: with every purchased external line in use, an external call is refused 486 with the busy tone', (t) => {
  const c = config();
  t.is(c.capacity.maxExternalCalls, 4);
  t.is(decide(c, did(c), '0123456789', { externalCallsInProgress: 3 }).routing.kind, 'call');
  for (const inProgress of [4, 5]) {
    const d = decide(c, did(c), '0123456789', { externalCallsInProgress: inProgress, recentExternalCalls: [990_000] });
    const r = refusal(d.routing);
    t.is(r.status, 486);
    t.is(r.reason, 'Busy Here');
    t.is(r.tone, 'busy');
    t.is(r.warning, 'all 4 external lines are in use');
    t.true(r.external);
    t.deepEqual(d.recentExternalCalls, [990_000]);
  }
  // Internal calls do not use the trunk.
  t.is(decide(c, did(c), '601', { externalCallsInProgress: 4 }).routing.kind, 'call');
});

test('NUM-8/french-numbering §4.1: 112 passes over capacity, emergency, and is never hidden (*66*112, *65*1, secret)', (t) => {
  const c = config();
  const caller: Phone = { ...plain(c), hideIdentity: true, presentedIdentity: 'secret' };
  for (const dialled of ['112', '*66*112', '*66*112#']) {
    const d = decide(c, caller, dialled, { externalCallsInProgress: 4 });
    const target = external(d.routing);
    t.is(target.number, '112', dialled);
    t.true(target.emergency);
    t.is(target.category, 'emergency');
    t.deepEqual(target.identity, { number: '0577110000', hidden: false, source: 'secret' });
  }
});

// --- rate cap (toll-fraud guard) ---------------------------------------------

test('toll-fraud guard: maxCallsPerMinutePerPhone calls are admitted, the next within 60 s is refused 403, admitted again after 60 s', (t) => {
  const c = config();
  c.outgoing.maxCallsPerMinutePerPhone = 3;
  let history: readonly number[] = [];
  for (const now of [0, 10_000, 20_000]) {
    const d = decide(c, did(c), '0123456789', { recentExternalCalls: history, now });
    t.is(d.routing.kind, 'call', `call at ${now}`);
    history = d.recentExternalCalls;
  }
  t.deepEqual(history, [0, 10_000, 20_000]);
  const refused = decide(c, did(c), '0123456789', { recentExternalCalls: history, now: 59_999 });
  const r = refusal(refused.routing);
  t.is(r.status, 403);
  t.is(r.warning, 'more than 3 external calls in a minute from this phone');
  t.true(r.external);
  t.deepEqual(refused.recentExternalCalls, [0, 10_000, 20_000], 'a refused call is not recorded');
  // The first call is exactly 60 s old: it no longer counts.
  const again = decide(c, did(c), '0123456789', { recentExternalCalls: history, now: 60_000 });
  t.is(again.routing.kind, 'call');
  t.deepEqual(again.recentExternalCalls, [10_000, 20_000, 60_000]);
});

test('toll-fraud guard: 0 means no cap', (t) => {
  const c = config();
  c.outgoing.maxCallsPerMinutePerPhone = 0;
  const history = Array.from({ length: 50 }, (_, i) => idle.now - 1000 + i);
  t.is(decide(c, did(c), '0123456789', { recentExternalCalls: history }).routing.kind, 'call');
});

test('toll-fraud guard: emergency calls are never refused by the cap nor counted in it', (t) => {
  const c = config();
  c.outgoing.maxCallsPerMinutePerPhone = 2;
  const full = [idle.now - 2000, idle.now - 1000];
  t.is(refusal(decide(c, did(c), '0123456789', { recentExternalCalls: full }).routing).status, 403);
  const d = decide(c, did(c), '112', { recentExternalCalls: full });
  t.true(external(d.routing).emergency);
  t.deepEqual(d.recentExternalCalls, full);
  // Emergency calls do not fill an empty history either.
  t.deepEqual(decide(c, did(c), '15', { recentExternalCalls: [] }).recentExternalCalls, []);
});

test('toll-fraud guard: refused calls (profile, unknown, capacity) do not count', (t) => {
  const c = config();
  c.outgoing.maxCallsPerMinutePerPhone = 1;
  t.deepEqual(decide(c, plain(c), '0123456789').recentExternalCalls, []);
  t.deepEqual(decide(c, did(c), '0712345678').recentExternalCalls, []);
  t.deepEqual(decide(c, did(c), '0123456789', { externalCallsInProgress: 4 }).recentExternalCalls, []);
  t.is(decide(c, did(c), '0123456789').routing.kind, 'call');
});

// --- OutgoingRouter ----------------------------------------------------------

function router(c: Config) {
  const clock = new FakeClock();
  const updates: ConfigChange[][] = [];
  const r = new OutgoingRouter({
    config: () => c,
    plan: () => BUILTIN_PLAN,
    monotonic: () => clock.monotonic(),
    log: silentLogs().get('outgoing'),
    applyChanges: (changes) => void updates.push([...changes]),
  });
  return { clock, updates, router: r };
}

test('OutgoingRouter keeps each phone its own history for the rate cap, and forgets it after 60 s', (t) => {
  const c = config();
  c.outgoing.maxCallsPerMinutePerPhone = 2;
  c.phones.push(makePhone(3, { internalNumber: '479', did: '0577110079', restrictionProfile: 10, forwardRestrictionProfile: 10 }));
  const other = c.phones[2]!;
  const { clock, router: r } = router(c);
  t.is(r.route(did(c), '0123456789', 0).kind, 'call');
  clock.advance(1000);
  t.is(r.route(did(c), '0123456789', 0).kind, 'call');
  clock.advance(1000);
  t.is(refusal(r.route(did(c), '0123456789', 0)).status, 403);
  // Another phone has its own count.
  t.is(r.route(other, '0123456789', 0).kind, 'call');
  // Emergency passes and is not counted.
  t.true(external(r.route(did(c), '112', 0)).emergency);
  clock.advance(58_000); // the first call is now exactly 60 s old
  t.is(r.route(did(c), '0123456789', 0).kind, 'call');
  t.is(refusal(r.route(did(c), '0123456789', 0)).status, 403);
  clock.advance(61_000);
  t.is(r.route(did(c), '0123456789', 0).kind, 'call');
});

test('OutgoingRouter hands *65*1 / #65 to applyChanges for the caller, and nothing for other numbers', (t) => {
  const c = config();
  const { updates, router: r } = router(c);
  // Issue 7 §5: with voice prompts the phone hears it in words ("votre numéro est masqué").
  t.deepEqual(r.route(plain(c), '*65*1', 0), { kind: 'feature', code: '*65*1', tone: 'confirmation', words: [{ kind: 'prompt', id: 'feature.number-hidden' }] });
  t.deepEqual(updates, [[{ kind: 'phone', mac: plain(c).mac, patch: { hideIdentity: true } }]]);
  r.route(did(c), '#65', 0);
  t.deepEqual(updates[1], [{ kind: 'phone', mac: did(c).mac, patch: { hideIdentity: false } }]);
  r.route(plain(c), '**65', 0);
  r.route(plain(c), '478', 0);
  r.route(did(c), '0123456789', 0);
  t.is(updates.length, 2);
});

test('OutgoingRouter passes the external calls in progress to the capacity check (NUM-8)', (t) => {
  const c = config();
  const { router: r } = router(c);
  t.is(refusal(r.route(did(c), '0123456789', 4)).status, 486);
  t.true(external(r.route(did(c), '112', 4)).emergency);
});

test('RES-2, RES-4, NUM-8 (property): whatever is dialled, by any profile, at any load, a call reaches the trunk only if its category is allowed (and its country listed) or it is an emergency, which is never anonymous', (t) => {
  const dialled = fc.oneof(
    fc.stringMatching(/^[0-9]{2,14}$/),
    fc.stringMatching(/^(\+|00)[0-9]{6,15}$/),
    fc.stringMatching(/^(\*66\*|3651)?0[1-9][0-9]{8}$/),
    fc.stringMatching(/^[0-9*#+]{1,20}$/),
    fc.constantFrom('112', '15', '0112', '*66*112', '3901', '118712', '0892123456', '0590123456', '00441632960000'),
  );
  fc.assert(
    fc.property(dialled, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), (number, profileId, inProgress, hidden) => {
      const c = config();
      const caller = { ...plain(c), restrictionProfile: profileId, hideIdentity: hidden };
      const d = decide(c, caller, number, { externalCallsInProgress: inProgress });
      if (d.routing.kind !== 'call' || d.routing.target.kind !== 'external') return true;
      const target = d.routing.target;
      const cls = classify(target.number, BUILTIN_PLAN, c.outgoing.operatorServices);
      if (target.emergency) return cls.category === 'emergency' && !target.identity.hidden;
      const profile = c.restrictionProfiles.find((p) => p.id === profileId)!;
      const allowed = cls.category !== 'emergency' && cls.category !== 'unknown' && profile.allow[cls.category];
      const countryOk = cls.category !== 'international' || c.outgoing.allowedCountryCodes.includes(cls.countryCode ?? '');
      return allowed && countryOk && inProgress < c.capacity.maxExternalCalls;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
