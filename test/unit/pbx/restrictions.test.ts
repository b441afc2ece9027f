/**
 * Outgoing restriction profiles (RES-1..RES-4): every default profile against
 * every category, checked against an independent copy of the guide's table;
 * emergency always allowed and never hidden; the country allow-list; the
 * profile of calls and forwards; the toll-fraud rate cap.
 */
import test from 'ava';
import fc from 'fast-check';
import { RESTRICTION_CATEGORIES, factoryDefaults, type Config, type RestrictionCategory } from '../../../firmware/config/index.ts';
import { BUILTIN_PLAN, classify, type Classification, type NumberCategory } from '../../../firmware/pbx/frenchplan/index.ts';
import { admitByRate, decideOutgoing, profileFor, type OutgoingPolicy } from '../../../firmware/pbx/restrictions/index.ts';
import { makePhone } from '../../helpers/config.ts';

const config = factoryDefaults('device-pass-1');
const policy = (id: number, cfg: Config = config): OutgoingPolicy => {
  const profile = cfg.restrictionProfiles.find((p) => p.id === id);
  if (!profile) throw new Error(`no profile ${id}`);
  return { profile, outgoing: cfg.outgoing };
};

/**
 * The guide's table ("Synthèse des profils existants"), copied by hand: its
 * columns, then which of today's categories each column became
 * (french-numbering §4.8, docs/outgoing.md). m2m is in no column: never allowed.
 */
type GuideColumn = 'gratuitsSav' | 'national' | 'azur' | 'mobiles' | 'domTom' | 'surtaxes' | 'international';
const GUIDE: Record<number, GuideColumn[]> = {
  1: ['gratuitsSav'],
  2: ['gratuitsSav', 'national'],
  3: ['gratuitsSav', 'national', 'azur'],
  4: ['gratuitsSav', 'national', 'azur', 'mobiles'],
  5: ['gratuitsSav', 'national', 'azur', 'mobiles', 'domTom'],
  6: ['gratuitsSav', 'national', 'azur', 'mobiles', 'domTom', 'surtaxes'],
  7: ['gratuitsSav', 'national', 'azur', 'mobiles', 'domTom', 'international'],
  8: ['gratuitsSav'], // editable, starts as profile 1
  9: ['gratuitsSav'], // editable, starts as profile 1
  10: ['gratuitsSav', 'national', 'azur', 'mobiles', 'domTom', 'surtaxes', 'international'],
};
const COLUMN_OF: Record<RestrictionCategory, GuideColumn | undefined> = {
  free: 'gratuitsSav',
  operatorService: 'gratuitsSav',
  national: 'national',
  lowCapPremium: 'azur',
  mobile: 'mobiles',
  dom: 'domTom',
  comTom: 'domTom',
  premium: 'surtaxes',
  directory: 'surtaxes',
  international: 'international',
  m2m: undefined,
};

/** One real number per category (classified by the builtin plan, so the matrix is end to end). */
const SAMPLE: Record<RestrictionCategory, string> = {
  free: '0800123456',
  operatorService: '3901',
  national: '0123456789',
  lowCapPremium: '0810123456',
  mobile: '0612345678',
  dom: '0590123456',
  comTom: '00508412345',
  premium: '0892123456',
  directory: '118712',
  international: '0049301234567', // Germany: in the default allow-list
  m2m: '07001234567890',
};

test('RES-1: the sample numbers of the matrix are of the category they stand for', (t) => {
  for (const cat of RESTRICTION_CATEGORIES) t.is(classify(SAMPLE[cat], BUILTIN_PLAN, config.outgoing.operatorServices).category, cat, SAMPLE[cat]);
});

for (let id = 1; id <= 10; id++) {
  for (const cat of RESTRICTION_CATEGORIES) {
    const column = COLUMN_OF[cat];
    const expected = column !== undefined && (GUIDE[id] ?? []).includes(column);
    test(`RES-2, RES-3: profile ${id} ${expected ? 'allows' : 'refuses'} ${cat} (${SAMPLE[cat]})`, (t) => {
      t.is(config.restrictionProfiles.find((p) => p.id === id)?.allow[cat], expected, 'the default table');
      const c = classify(SAMPLE[cat], BUILTIN_PLAN, config.outgoing.operatorServices);
      const d = decideOutgoing(c, policy(id), false);
      t.is(d.allowed, expected, JSON.stringify(d));
    });
  }
  test(`RES-4: profile ${id} allows every emergency number, never hidden`, (t) => {
    for (const n of ['15', '17', '18', '112', '114', '115', '119', '191', '196', '197', '116000', '116117']) {
      t.deepEqual(decideOutgoing(classify(n, BUILTIN_PLAN, []), policy(id), true), { allowed: true, emergency: true, hideIdentity: false }, n);
    }
  });
}

/** [title, number, profile, CLIR asked, expected decision (subset)] */
const DECISIONS: Array<[string, string, number, boolean, Record<string, unknown>]> = [
  ['0892123456 from a profile-2 phone is refused as premium', '0892123456', 2, false, { allowed: false, rule: 'premium-082-089' }],
  ['3901 from a profile-1 phone is allowed (operator service)', '3901', 1, false, { allowed: true, emergency: false, hideIdentity: false }],
  ['112 from a profile-1 phone with CLIR on is allowed, not hidden', '112', 1, true, { allowed: true, emergency: true, hideIdentity: false }],
  ['0044... from profile 6 is refused (no international)', '0044201234567', 6, false, { allowed: false, rule: 'international' }],
  ['0044... from profile 10 is refused by the country allow-list', '0044201234567', 10, false, { allowed: false, rule: 'country-allow-list', reason: 'country code 44 is not in the international allow-list' }],
  ['0049... from profile 10 is allowed', '0049301234567', 10, false, { allowed: true, emergency: false }],
  ['0049... from profile 7 is allowed, hidden when asked', '0049301234567', 7, true, { allowed: true, emergency: false, hideIdentity: true }],
  ['00870 (satellite) from profile 10 is refused by the allow-list', '00870123456789', 10, false, { allowed: false, rule: 'country-allow-list' }],
  ['00508 (COM/TOM) from profile 5 is allowed: its own switch, not the allow-list', '00508412345', 5, false, { allowed: true }],
  ['00508 (COM/TOM) from profile 4 is refused', '00508412345', 4, false, { allowed: false, rule: 'comtom' }],
  ['0612345678 from profile 10 is allowed', '0612345678', 10, false, { allowed: true }],
  ['0612345678 from profile 3 is refused', '0612345678', 3, false, { allowed: false, rule: 'mobile' }],
  ['0639123456 (Mayotte) from profile 4 is refused as DOM', '0639123456', 4, false, { allowed: false, rule: 'dom-mobile' }],
  ['0810123456 from profile 3 is allowed (081)', '0810123456', 3, false, { allowed: true }],
  ['3646 from profile 2 is allowed (national-rate allowlist)', '3646', 2, false, { allowed: true }],
  ['3615 from profile 7 is refused as premium', '3615', 7, false, { allowed: false, rule: 'premium-3bpq' }],
  ['118712 from profile 7 is refused as directory', '118712', 7, false, { allowed: false, rule: 'directory-118' }],
  ['an unknown number is refused even by profile 10 (fail closed)', '012345678', 10, false, { allowed: false, rule: 'fail-closed' }],
  ['0700 m2m is refused even by profile 10', '07001234567890', 10, false, { allowed: false, rule: 'm2m-0700' }],
];

for (const [title, number, id, hide, expected] of DECISIONS) {
  test(`RES-2, RES-4, CID-1: ${title}`, (t) => {
    t.like(decideOutgoing(classify(number, BUILTIN_PLAN, config.outgoing.operatorServices), policy(id), hide), expected);
  });
}

test('RES-2: a refusal is one sentence naming the category, the rule and the profile', (t) => {
  const d = decideOutgoing(classify('0892123456', BUILTIN_PLAN, []), policy(2), false);
  t.deepEqual(d, { allowed: false, rule: 'premium-082-089', reason: 'premium numbers (rule premium-082-089) are not allowed by profile 2 "National seul"' });
  const u = decideOutgoing({ category: 'unknown', rule: 'fail-closed' }, policy(10), false);
  t.like(u, { allowed: false, rule: 'fail-closed' });
  if (!u.allowed) t.regex(u.reason, /fail-closed/);
});

test('RES-2: an international classification without country code is refused', (t) => {
  t.like(decideOutgoing({ category: 'international', rule: 'international' }, policy(10), false), { allowed: false });
});

test('RES-2: an editable profile (8) changed by the admin applies its switches', (t) => {
  const cfg = structuredClone(config);
  const p8 = cfg.restrictionProfiles.find((p) => p.id === 8);
  if (!p8) return t.fail();
  p8.allow.mobile = true;
  t.like(decideOutgoing(classify('0612345678', BUILTIN_PLAN, []), policy(8, cfg), false), { allowed: true });
  t.like(decideOutgoing(classify('0123456789', BUILTIN_PLAN, []), policy(8, cfg), false), { allowed: false });
});

test('RES-2: the country allow-list is the configured one', (t) => {
  const cfg = structuredClone(config);
  cfg.outgoing.allowedCountryCodes = ['44'];
  t.like(decideOutgoing(classify('0044201234567', BUILTIN_PLAN, []), policy(10, cfg), false), { allowed: true });
  t.like(decideOutgoing(classify('0049301234567', BUILTIN_PLAN, []), policy(10, cfg), false), { allowed: false, rule: 'country-allow-list' });
});

test('RES-4: profileFor picks the call or the forward profile of the phone', (t) => {
  const phone = makePhone(1, { restrictionProfile: 4, forwardRestrictionProfile: 2 });
  t.is(profileFor(config, phone, 'call').id, 4);
  t.is(profileFor(config, phone, 'forward').id, 2);
});

test('RES-4: profileFor falls back to profile 1 when the id is missing (fail closed)', (t) => {
  const cfg = structuredClone(config);
  cfg.restrictionProfiles = cfg.restrictionProfiles.filter((p) => p.id !== 7);
  const phone = makePhone(1, { restrictionProfile: 7, forwardRestrictionProfile: 7 });
  t.is(profileFor(cfg, phone, 'call').id, 1);
  t.is(profileFor(cfg, phone, 'forward').id, 1);
  cfg.restrictionProfiles = [];
  const none = profileFor(cfg, phone, 'call');
  t.true(RESTRICTION_CATEGORIES.every((c) => !none.allow[c]), 'no profile at all: nothing but emergency');
  t.like(decideOutgoing(classify('112', BUILTIN_PLAN, []), { profile: none, outgoing: cfg.outgoing }, false), { allowed: true, emergency: true });
});

/** [title, history, now, max, ok, history after] */
const RATES: Array<[string, number[], number, number, boolean, number[]]> = [
  ['the first call is admitted', [], 1000, 10, true, [1000]],
  ['under the cap is admitted', [1000, 2000], 3000, 3, true, [1000, 2000, 3000]],
  ['at the cap within 60 s is refused', [1000, 2000, 3000], 4000, 3, false, [1000, 2000, 3000]],
  ['calls older than 60 s no longer count', [1000, 2000, 3000], 61_000, 3, true, [2000, 3000, 61_000]],
  ['a call exactly 60 s old no longer counts', [1000], 61_000, 1, true, [61_000]],
  ['a call 59.999 s old still counts', [1000], 60_999, 1, false, [1000]],
  ['0 = no cap (history still pruned)', [1, 2, 3, 70_000], 70_001, 0, true, [70_000, 70_001]],
  ['start times after now (clock set back) are dropped', [90_000], 10_000, 1, true, [10_000]],
];

for (const [title, history, now, max, ok, after] of RATES) {
  test(`RES-4 (toll-fraud guard): ${title}`, (t) => {
    t.deepEqual(admitByRate(history, now, max), { ok, history: after });
  });
}

test('RES-4 (toll-fraud guard): whatever the call times, no 60 s window ever holds more than the cap (property)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 80 }), fc.integer({ min: 1, max: 8 }), (gaps, max) => {
      let history: number[] = [];
      const admitted: number[] = [];
      let now = 0;
      for (const g of gaps) {
        now += g;
        const r = admitByRate(history, now, max);
        history = r.history;
        if (r.ok) admitted.push(now);
      }
      return admitted.every((t0) => admitted.filter((x) => x >= t0 && x - t0 < 60_000).length <= max);
    }),
  );
  t.pass();
});

const ALL_CATEGORIES: NumberCategory[] = ['emergency', 'unknown', ...RESTRICTION_CATEGORIES];

test('RES-2, RES-4: a category the profile forbids is never allowed, emergency always is (property)', (t) => {
  const profile = fc.record(Object.fromEntries(RESTRICTION_CATEGORIES.map((c) => [c, fc.boolean()])) as Record<RestrictionCategory, fc.Arbitrary<boolean>>);
  const classification = fc.record(
    { category: fc.constantFrom(...ALL_CATEGORIES), rule: fc.constantFrom('r', 'fail-closed'), countryCode: fc.constantFrom('44', '49', '1', '508') },
    { requiredKeys: ['category', 'rule'] },
  );
  fc.assert(
    fc.property(classification, profile, fc.boolean(), fc.subarray(['44', '49', '1']), (c: Classification, allow, hide, codes) => {
      const d = decideOutgoing(c, { profile: { id: 8, name: 'x', editable: true, allow }, outgoing: { ...config.outgoing, allowedCountryCodes: codes } }, hide);
      if (c.category === 'emergency') return d.allowed && d.emergency && !d.hideIdentity;
      if (c.category === 'unknown') return !d.allowed;
      if (!allow[c.category]) return !d.allowed;
      if (c.category === 'international') return d.allowed === (c.countryCode !== undefined && codes.includes(c.countryCode));
      return d.allowed && d.hideIdentity === hide;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
