/**
 * The French numbering plan classifier (RES-1 categories, french-numbering.md
 * §4.1-§4.8): one row per example, the normaliser, the plan validation, and
 * a property test that the classifier never throws.
 */
import test from 'ava';
import fc from 'fast-check';
import { BUILTIN_PLAN, classify, normaliseExternal, parseNumberingPlan, type NumberCategory } from '../../../firmware/pbx/frenchplan/index.ts';
import data from '../../../firmware/pbx/frenchplan/plan-fr.json' with { type: 'json' };

const OPERATOR_SERVICES = ['3900', '3901']; // config default outgoing.operatorServices

/** [dialled (already normalised), category, rule, country code] */
const CLASSIFY: Array<[string, NumberCategory, string, string?]> = [
  // §4.1 emergency, before anything else
  ['15', 'emergency', 'emergency'],
  ['17', 'emergency', 'emergency'],
  ['18', 'emergency', 'emergency'],
  ['112', 'emergency', 'emergency'],
  ['114', 'emergency', 'emergency'],
  ['115', 'emergency', 'emergency'],
  ['119', 'emergency', 'emergency'],
  ['191', 'emergency', 'emergency'],
  ['196', 'emergency', 'emergency'],
  ['197', 'emergency', 'emergency'],
  ['116000', 'emergency', 'emergency'],
  ['116117', 'emergency', 'emergency'],
  // §4.1 free short numbers, §4.2 0800-0805
  ['116006', 'free', 'free-116'],
  ['3008', 'free', 'free-30-31'],
  ['3114', 'free', 'free-30-31'],
  ['0800123456', 'free', 'free-0800'],
  ['0801123456', 'free', 'free-0800'],
  ['0805123456', 'free', 'free-0800'],
  ['0808812345', 'free', 'free-08088'],
  // §4.3 operator services (config list), 118, 3BPQ, 10YT
  ['3900', 'operatorService', 'operator-services'],
  ['3901', 'operatorService', 'operator-services'],
  ['118712', 'directory', 'directory-118'],
  ['118218', 'directory', 'directory-118'],
  ['3646', 'national', 'national-3bpq-allowlist'],
  ['3949', 'national', 'national-3bpq-allowlist'],
  ['3615', 'premium', 'premium-3bpq'],
  ['3651', 'premium', 'premium-3bpq'], // alone, 3651 is a 3BPQ number; 3651 + number is the dial plan's CLIR
  ['3250', 'premium', 'premium-3bpq'],
  ['3399', 'premium', 'premium-3bpq'], // 33PQ-38PQ exist and must not fall through to national
  ['3799', 'premium', 'premium-3bpq'],
  ['3902', 'premium', 'premium-3bpq'],
  ['1014', 'premium', 'premium-10yt'],
  ['1013', 'premium', 'premium-10yt'],
  // §4.2 08
  ['0892123456', 'premium', 'premium-082-089'],
  ['0825123456', 'premium', 'premium-082-089'],
  ['0810123456', 'lowCapPremium', 'low-cap-081'],
  ['0820123456', 'premium', 'premium-082-089'],
  ['0806123456', 'national', 'national-0806-0809'],
  ['0809123456', 'national', 'national-0806-0809'],
  ['0830123456', 'unknown', 'fail-closed'],
  // §4.5 DOM, before the generic 02/05/06/07/09 rules
  ['0590123456', 'dom', 'dom-fixed'],
  ['0596123456', 'dom', 'dom-fixed'],
  ['0594123456', 'dom', 'dom-fixed'],
  ['0262123456', 'dom', 'dom-fixed'],
  ['0263012345', 'dom', 'dom-fixed'],
  ['0263161234', 'dom', 'dom-fixed'],
  ['0269612345', 'dom', 'dom-fixed'],
  ['0598712345', 'dom', 'dom-fixed'],
  ['0268812345', 'dom', 'dom-fixed'],
  ['0690123456', 'dom', 'dom-mobile'],
  ['0691221234', 'dom', 'dom-mobile'],
  ['0696123456', 'dom', 'dom-mobile'],
  ['0692123456', 'dom', 'dom-mobile'],
  ['0639123456', 'dom', 'dom-mobile'], // Mayotte, not a metropolitan mobile
  ['0709012345', 'dom', 'dom-mobile'],
  ['0709361234', 'dom', 'dom-mobile'],
  ['0939512345', 'dom', 'dom-voip'],
  ['0947512345', 'dom', 'dom-voip'],
  ['0976123456', 'dom', 'dom-voip'],
  // §4.4 m2m, mobiles, national
  ['07001234567890', 'm2m', 'm2m-0700'],
  ['09011234567890', 'm2m', 'm2m-0901'],
  ['0700123456', 'unknown', 'fail-closed'],
  ['0901123456', 'unknown', 'fail-closed'],
  ['0612345678', 'mobile', 'mobile'],
  ['0630123456', 'mobile', 'mobile'],
  ['0695123456', 'mobile', 'mobile'],
  ['0731234567', 'mobile', 'mobile'],
  ['0799999999', 'mobile', 'mobile'],
  ['0712345678', 'unknown', 'fail-closed'], // 071 unassigned
  ['0723456789', 'unknown', 'fail-closed'], // 072 unassigned
  ['0691012345', 'unknown', 'fail-closed'], // 0691 outside the DOM blocks
  ['0123456789', 'national', 'national-01-05'],
  ['0577110078', 'national', 'national-01-05'],
  ['0162123456', 'national', 'national-01-05'], // telemarketing "polyvalent vérifié": national outbound
  ['0598551234', 'national', 'national-01-05'], // public-interest 059855: national
  ['0912345678', 'national', 'national-09'],
  ['0937123456', 'national', 'national-09'],
  ['0939123456', 'national', 'national-09'],
  // §4.6 international, §4.5 COM/TOM
  ['0044201234567', 'international', 'international', '44'],
  ['0049301234567', 'international', 'international', '49'],
  ['0012125551234', 'international', 'international', '1'],
  ['0037793123456', 'international', 'international', '377'], // Monaco is international
  ['00870123456789', 'international', 'international', '870'],
  ['00508412345', 'comTom', 'comtom', '508'],
  ['00681721234', 'comTom', 'comtom', '681'],
  ['00687123456', 'comTom', 'comtom', '687'],
  ['00689871234', 'comTom', 'comtom', '689'],
  // not normalised yet: classify normalises again
  ['0033612345678', 'mobile', 'mobile'],
  ['+262692123456', 'dom', 'dom-mobile'],
  // fail closed
  ['012345678', 'unknown', 'fail-closed'], // 9 digits
  ['01234567890', 'unknown', 'fail-closed'], // 11 digits
  ['00281234567', 'unknown', 'fail-closed'], // no country 28
  ['0044', 'unknown', 'fail-closed'],
  ['0044123', 'unknown', 'fail-closed'], // subscriber too short
  ['0044123456789012345', 'unknown', 'fail-closed'], // beyond E.164's 15 digits
  ['123', 'unknown', 'fail-closed'],
  ['11', 'unknown', 'fail-closed'],
  ['', 'unknown', 'fail-closed'],
  ['*65*1', 'unknown', 'fail-closed'],
  ['abc', 'unknown', 'fail-closed'],
];

for (const [number, category, rule, countryCode] of CLASSIFY) {
  test(`RES-1: ${JSON.stringify(number)} is ${category} (rule ${rule})`, (t) => {
    const c = classify(number, BUILTIN_PLAN, OPERATOR_SERVICES);
    t.deepEqual(c, countryCode === undefined ? { category, rule } : { category, rule, countryCode });
  });
}

test('RES-1: operator services are the configured list, not a prefix rule (french-numbering §4.3)', (t) => {
  t.like(classify('1014', BUILTIN_PLAN, ['1014']), { category: 'operatorService', rule: 'operator-services' });
  t.like(classify('3901', BUILTIN_PLAN, []), { category: 'premium', rule: 'premium-3bpq' });
  t.like(classify('112', BUILTIN_PLAN, ['112']), { category: 'emergency' }, 'emergency first, even if listed as an operator service');
});

/** [raw, normalised] */
const NORMALISE: Array<[string, string | undefined]> = [
  ['0612345678', '0612345678'],
  ['06 12 34 56 78', '0612345678'],
  ['06.12.34.56.78', '0612345678'],
  ['06-12-34-56-78', '0612345678'],
  ['+33612345678', '0612345678'],
  ['0033612345678', '0612345678'],
  ['+33 6 12 34 56 78', '0612345678'],
  ['+33 (0)1 23 45 67 89', '0123456789'],
  ['+262692123456', '0692123456'],
  ['+262269612345', '0269612345'],
  ['+590590123456', '0590123456'],
  ['00594694123456', '0694123456'],
  ['+596696123456', '0696123456'],
  ['+44 20 1234 5678', '00442012345678'],
  ['+508412345', '00508412345'],
  ['112', '112'],
  ['0033', '0033'],
  ['', undefined],
  ['+', undefined],
  ['06+12', undefined],
  ['*66*0612345678', undefined],
  ['0612a45678', undefined],
  ['tel:0612345678', undefined],
];

for (const [raw, expected] of NORMALISE) {
  test(`RES-1, NUM-4: normaliseExternal(${JSON.stringify(raw)}) is ${String(expected)}`, (t) => {
    t.is(normaliseExternal(raw), expected);
  });
}

test('RES-1: the builtin plan (plan-fr.json) parses and is BUILTIN_PLAN', (t) => {
  const r = parseNumberingPlan(data);
  t.true(r.ok, r.ok ? '' : r.reason);
  if (r.ok) t.deepEqual(r.plan, BUILTIN_PLAN);
  t.is(BUILTIN_PLAN.rules[0]?.category, 'emergency');
});

const withRule = (i: number, patch: (rule: Record<string, unknown>) => void): unknown => {
  const copy = structuredClone(data) as unknown as { rules: Array<Record<string, unknown>> };
  const rule = copy.rules[i];
  if (rule) patch(rule);
  return copy;
};
const ruleIndex = (id: string): number => data.rules.findIndex((r) => r.id === id);

/** [what is wrong, bad plan, text the reason must contain] */
const BAD_PLANS: Array<[string, unknown, string]> = [
  ['a regex that does not compile', withRule(ruleIndex('mobile'), (r) => (r.match = { kind: 'regex', pattern: '^0(6$' })), `rules.${ruleIndex('mobile')}.match.pattern`],
  ['a regex not anchored', withRule(ruleIndex('mobile'), (r) => (r.match = { kind: 'regex', pattern: '06' })), `rules.${ruleIndex('mobile')}.match.pattern`],
  ['an unknown category', withRule(3, (r) => (r.category = 'cheap')), 'rules.3.category'],
  ['the category unknown', withRule(3, (r) => (r.category = 'unknown')), 'rules.3.category'],
  ['an unknown match kind', withRule(2, (r) => (r.match = { kind: 'glob', pattern: '30*' })), 'rules.2.match'],
  ['a prefix longer than the length', withRule(2, (r) => (r.match = { kind: 'prefix', prefixes: ['30123'], length: 4 })), 'rules.2.match.prefixes.0'],
  ['a duplicated rule id', withRule(2, (r) => (r.id = 'free-116')), 'rules.2.id'],
  ['emergency not first', withRule(0, (r) => (r.category = 'free')), 'rules.0.category'],
  ['112 removed from the emergency list', withRule(0, (r) => (r.match = { kind: 'exact', numbers: ['15', '17', '18'] })), '112 must classify as emergency'],
  ['an unknown country code in a rule', withRule(ruleIndex('comtom'), (r) => (r.match = { kind: 'international', countryCodes: ['999'] })), `rules.${ruleIndex('comtom')}.match.countryCodes.0`],
  ['no version', { ...structuredClone(data), version: undefined }, 'version'],
  ['not an object', 'plan', '(root)'],
];

for (const [what, plan, field] of BAD_PLANS) {
  test(`RES-1: a plan override with ${what} is refused, naming ${field}`, (t) => {
    const r = parseNumberingPlan(plan);
    t.false(r.ok);
    if (!r.ok) t.true(r.reason.includes(field), r.reason);
  });
}

test('RES-1: an override plan is used as given (data, not code)', (t) => {
  const r = parseNumberingPlan(withRule(ruleIndex('national-3bpq-allowlist'), (rule) => (rule.match = { kind: 'exact', numbers: ['3646', '3615'] })));
  t.true(r.ok);
  if (r.ok) t.like(classify('3615', r.plan, OPERATOR_SERVICES), { category: 'national', rule: 'national-3bpq-allowlist' });
});

const CATEGORIES = new Set<string>(['unknown', 'emergency', ...BUILTIN_PLAN.rules.map((r) => r.category)]);
const RULE_IDS = new Set<string>(['fail-closed', ...BUILTIN_PLAN.rules.map((r) => r.id)]);

test('RES-1: classify never throws and always answers a known category and rule (property)', (t) => {
  const dialled = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), maxLength: 20 }),
    fc.string({ unit: fc.constantFrom(...'0123456789+*# .-()'.split('')), maxLength: 24 }),
    fc.string({ maxLength: 24 }),
  );
  fc.assert(
    fc.property(dialled, (n) => {
      const c = classify(n, BUILTIN_PLAN, OPERATOR_SERVICES);
      const normalised = normaliseExternal(n);
      return (
        CATEGORIES.has(c.category) &&
        RULE_IDS.has(c.rule) &&
        ((c.category === 'international' || c.category === 'comTom') === (c.countryCode !== undefined)) &&
        (normalised === undefined || normaliseExternal(normalised) === normalised)
      );
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
