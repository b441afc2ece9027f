/**
 * The dial plan (NUM-4..NUM-7, DIR-1, CID-1): internal numbers, feature
 * codes, one-call CLIR (*66*, 3651) and external numbers; then end to end
 * with the classifier and the restriction profiles (RES-2, RES-4), and a
 * property test over random dialled strings.
 */
import test from 'ava';
import fc from 'fast-check';
import { configSchema, type Config } from '../../../firmware/config/index.ts';
import { resolveDialled, type DialResult, type DialTarget } from '../../../firmware/pbx/dialplan/index.ts';
import { BUILTIN_PLAN, classify } from '../../../firmware/pbx/frenchplan/index.ts';
import { decideOutgoing, profileFor } from '../../../firmware/pbx/restrictions/index.ts';
import { makePhone, sampleConfig } from '../../helpers/config.ts';

/** 601 (no DID, profile 1), 478 (DID, profile 10), 602 (profile 2), group 621, Standard 999, speed dials 731-734. */
function dialConfig(): Config {
  const c = sampleConfig();
  c.phones.push(makePhone(3, { internalNumber: '602', restrictionProfile: 2, forwardRestrictionProfile: 2 }));
  c.phones.push(makePhone(4, { internalNumber: '603', restrictionProfile: 6, forwardRestrictionProfile: 6 }));
  c.groups.push({ internalNumber: '621', name: 'Ventes', ringMode: 'sequential', members: [c.phones[0]!.mac], enabled: true, ringSecondsPerMember: 15 });
  c.directory = [
    { name: 'Plombier', number: '0612345678', speedDial: '731' },
    { name: 'Londres', number: '+442012345678', speedDial: '732' },
    { name: 'Accueil', number: '601', speedDial: '733' },
    { name: 'Boucle', number: '731', speedDial: '734' },
    { name: 'Sans numéro abrégé', number: '0123456789' },
  ];
  return configSchema.parse(c);
}
const config = dialConfig();
const phone = (n: string) => {
  const p = config.phones.find((x) => x.internalNumber === n);
  if (!p) throw new Error(`no phone ${n}`);
  return p;
};
const group = (n: string) => {
  const g = config.groups.find((x) => x.internalNumber === n);
  if (!g) throw new Error(`no group ${n}`);
  return g;
};
const entry = (sd: string) => {
  const e = config.directory.find((x) => x.speedDial === sd);
  if (!e) throw new Error(`no speed dial ${sd}`);
  return e;
};
const ext = (number: string): DialTarget => ({ kind: 'external', number });
const hidden = (target: DialTarget): DialResult => ({ target, hideIdentity: true });
const shown = (target: DialTarget): DialResult => ({ target, hideIdentity: false });

/** [SPEC IDs, dialled (Request-URI user part), expected] */
const ROWS: Array<[string, string, DialResult]> = [
  // internal numbers
  ['NUM-3', '601', shown({ kind: 'phone', phone: phone('601') })],
  ['NUM-2', '478', shown({ kind: 'phone', phone: phone('478') })],
  ['NUM-4', 'phone1', shown({ kind: 'phone', phone: phone('601') })], // SIP username, for compatibility
  ['NUM-4', '621', shown({ kind: 'group', group: group('621') })],
  ['NUM-6', '999', shown({ kind: 'group', group: group('999') })],
  ['NUM-7', '888', shown({ kind: 'voicemail' })],
  ['NUM-5, DIR-1', '731', shown({ kind: 'speed-dial', entry: entry('731'), target: ext('0612345678') })],
  ['NUM-5, DIR-1', '732', shown({ kind: 'speed-dial', entry: entry('732'), target: ext('00442012345678') })],
  ['NUM-5, DIR-1', '733', shown({ kind: 'speed-dial', entry: entry('733'), target: { kind: 'phone', phone: phone('601') } })],
  ['NUM-5, DIR-1', '734', shown({ kind: 'invalid', reason: 'speed dial 734 (Boucle): speed dial 731 points to another speed dial' })],
  ['NUM-4', '455', shown({ kind: 'invalid', reason: 'no such internal number 455' })],
  ['NUM-4', '604', shown({ kind: 'invalid', reason: 'no such internal number 604' })],
  ['NUM-4', '650', shown({ kind: 'invalid', reason: 'no such internal number 650' })],
  ['NUM-5', '869', shown({ kind: 'invalid', reason: 'no such internal number 869' })],
  // public short numbers never collide with internal ranges (NUM-4)
  ['NUM-4', '112', shown(ext('112'))],
  ['NUM-4', '15', shown(ext('15'))],
  ['NUM-4', '17', shown(ext('17'))],
  ['NUM-4', '18', shown(ext('18'))],
  ['NUM-4', '115', shown(ext('115'))],
  ['NUM-4', '196', shown(ext('196'))],
  ['NUM-4', '3901', shown(ext('3901'))],
  ['NUM-4', '118712', shown(ext('118712'))],
  ['NUM-4', '116117', shown(ext('116117'))],
  ['NUM-4', '600', shown(ext('600'))], // outside the ranges: external (and unknown to the plan)
  ['NUM-4', '0112', shown(ext('112'))], // french-numbering §4.1 misdial guard
  // external numbers, normalised
  ['NUM-4', '0612345678', shown(ext('0612345678'))],
  ['NUM-4', '+33612345678', shown(ext('0612345678'))],
  ['NUM-4', '%2B33612345678', shown(ext('0612345678'))],
  ['NUM-4', '0033612345678', shown(ext('0612345678'))],
  ['NUM-4', '+262692123456', shown(ext('0692123456'))],
  ['NUM-4', '06 12 34 56 78', shown(ext('0612345678'))],
  ['NUM-4', '0044201234567', shown(ext('0044201234567'))],
  ['NUM-4', '3651', shown(ext('3651'))], // alone: a 3BPQ number, for the plan to judge
  // CID-1: one-call CLIR
  ['CID-1', '*66*0612345678', hidden(ext('0612345678'))],
  ['CID-1', '%2A66%2A0612345678', hidden(ext('0612345678'))],
  ['CID-1', '*66*0612345678#', hidden(ext('0612345678'))],
  ['CID-1', '*66*+33612345678', hidden(ext('0612345678'))],
  ['CID-1, NUM-5', '*66*731', hidden({ kind: 'speed-dial', entry: entry('731'), target: ext('0612345678') })],
  ['CID-1', '*66*601', hidden({ kind: 'phone', phone: phone('601') })],
  ['CID-1', '3651 0612345678', hidden(ext('0612345678'))],
  ['CID-1', '36510612345678', hidden(ext('0612345678'))],
  ['CID-1', '36510044201234567', hidden(ext('0044201234567'))],
  ['CID-1', '3651+33612345678', hidden(ext('0612345678'))],
  ['CID-1', '365115', shown(ext('365115'))], // 3651 + a short number is not the CLIR prefix
  ['CID-1', '*66*', shown({ kind: 'invalid', reason: 'not a feature code: *66*' })],
  ['CID-1', '*66**66*0612345678', shown({ kind: 'invalid', reason: 'not a feature code: *66**66*0612345678' })],
  // feature codes (CID-1 *65, FWD *21...)
  ['CID-1', '*65*1', shown({ kind: 'feature', code: '65', action: 'activate', argument: '1' })],
  ['CID-1', '*65*0', shown({ kind: 'feature', code: '65', action: 'activate', argument: '0' })],
  ['CID-1', '%2A65%2A1%23', shown({ kind: 'feature', code: '65', action: 'activate', argument: '1' })],
  ['CID-1', '**65', shown({ kind: 'feature', code: '65', action: 'query' })],
  ['NUM-4', '*21*0612345678', shown({ kind: 'feature', code: '21', action: 'activate', argument: '0612345678' })],
  ['NUM-4', '*21*0612345678#', shown({ kind: 'feature', code: '21', action: 'activate', argument: '0612345678' })],
  ['NUM-4', '*30*999', shown({ kind: 'feature', code: '30', action: 'activate', argument: '999' })],
  ['NUM-4', '*89#', shown({ kind: 'feature', code: '89', action: 'activate' })],
  ['NUM-4', '*89', shown({ kind: 'feature', code: '89', action: 'activate' })],
  ['NUM-4', '#21#', shown({ kind: 'feature', code: '21', action: 'deactivate' })],
  ['NUM-4', '#21', shown({ kind: 'feature', code: '21', action: 'deactivate' })],
  ['NUM-4', '%2321%23', shown({ kind: 'feature', code: '21', action: 'deactivate' })],
  ['NUM-4', '**21#', shown({ kind: 'feature', code: '21', action: 'query' })],
  // garbage
  ['NUM-4', '', shown({ kind: 'invalid', reason: 'empty number' })],
  ['NUM-4', '   ', shown({ kind: 'invalid', reason: 'empty number' })],
  ['NUM-4', '%E0%A4%A', shown({ kind: 'invalid', reason: 'malformed URL escape in the dialled number' })],
  ['NUM-4', '*', shown({ kind: 'invalid', reason: 'not a feature code: *' })],
  ['NUM-4', '*6', shown({ kind: 'invalid', reason: 'not a feature code: *6' })],
  ['NUM-4', '*123*4', shown({ kind: 'invalid', reason: 'not a feature code: *123*4' })],
  ['NUM-4', '06+12', shown({ kind: 'invalid', reason: 'not a dialable number: "06+12"' })],
  ['NUM-4', 'nobody', shown({ kind: 'invalid', reason: 'not a dialable number: "nobody"' })],
  ['NUM-4', '0'.repeat(40), shown({ kind: 'invalid', reason: 'dialled number too long' })],
];

for (const [ids, dialled, expected] of ROWS) {
  test(`${ids}: ${JSON.stringify(dialled)} resolves to ${expected.target.kind}${expected.hideIdentity ? ' (identity hidden for this call)' : ''}`, (t) => {
    t.deepEqual(resolveDialled(dialled, config), expected);
  });
}

test('NUM-6: the Standard group is the one in config.groups; missing, 999 is no such number', (t) => {
  const c = structuredClone(config);
  c.groups = c.groups.filter((g) => g.internalNumber !== '999');
  t.deepEqual(resolveDialled('999', c).target, { kind: 'invalid', reason: 'no such internal number 999' });
});

/** The whole outgoing path as the call manager will run it. */
function decide(dialled: string, fromPhone: string) {
  const r = resolveDialled(dialled, config);
  let target = r.target;
  if (target.kind === 'speed-dial') target = target.target;
  if (target.kind !== 'external') return { target: target.kind };
  const c = classify(target.number, BUILTIN_PLAN, config.outgoing.operatorServices);
  const d = decideOutgoing(c, { profile: profileFor(config, phone(fromPhone), 'call'), outgoing: config.outgoing }, r.hideIdentity || phone(fromPhone).hideIdentity);
  return { target: target.kind, number: target.number, category: c.category, ...d };
}

/** [SPEC IDs, dialled, from phone, expected (subset)] */
const PATHS: Array<[string, string, string, Record<string, unknown>]> = [
  ['RES-2', '0612345678', '478', { category: 'mobile', allowed: true, hideIdentity: false }],
  ['RES-2', '0590123456', '478', { category: 'dom', allowed: true }],
  ['RES-2', '0892123456', '602', { category: 'premium', allowed: false, rule: 'premium-082-089' }],
  ['RES-2, RES-3', '3901', '601', { category: 'operatorService', allowed: true }],
  ['RES-4, CID-1', '*66*112', '601', { number: '112', category: 'emergency', allowed: true, emergency: true, hideIdentity: false }],
  ['RES-4', '0112', '601', { number: '112', category: 'emergency', allowed: true, emergency: true }],
  ['RES-2', '0044201234567', '603', { category: 'international', allowed: false, rule: 'international' }],
  ['RES-2', '0044201234567', '478', { category: 'international', allowed: false, rule: 'country-allow-list' }],
  ['RES-2', '0049301234567', '478', { category: 'international', allowed: true }],
  ['RES-2, NUM-5', '731', '478', { number: '0612345678', category: 'mobile', allowed: true }],
  ['RES-2, NUM-5', '731', '601', { number: '0612345678', category: 'mobile', allowed: false, rule: 'mobile' }],
  ['RES-2, NUM-5', '732', '478', { category: 'international', allowed: false, rule: 'country-allow-list' }],
  ['CID-1', '*66*0612345678', '478', { number: '0612345678', category: 'mobile', allowed: true, hideIdentity: true }],
  ['CID-1', '3651 0612345678', '478', { number: '0612345678', category: 'mobile', allowed: true, hideIdentity: true }],
  ['RES-2', '+33612345678', '478', { number: '0612345678', category: 'mobile' }],
  ['RES-2', '0033612345678', '478', { number: '0612345678', category: 'mobile' }],
  ['RES-2', '+262692123456', '478', { number: '0692123456', category: 'dom' }],
  ['RES-2', '00508412345', '478', { category: 'comTom', allowed: true }],
  ['RES-2', '07001234567890', '478', { category: 'm2m', allowed: false }],
  ['RES-2', '0712345678', '478', { category: 'unknown', allowed: false, rule: 'fail-closed' }],
  ['RES-2', '3651', '478', { category: 'premium', allowed: true }],
  ['RES-2', '3651', '603', { category: 'premium', allowed: true }],
  ['RES-2', '3651', '602', { category: 'premium', allowed: false }],
];

for (const [ids, dialled, from, expected] of PATHS) {
  test(`${ids}: ${JSON.stringify(dialled)} dialled from ${from} (profile ${phone(from).restrictionProfile}): ${expected.allowed === undefined ? expected.category : expected.allowed ? 'allowed' : 'refused'}`, (t) => {
    t.like(decide(dialled, from), expected);
  });
}

const dialledArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), maxLength: 18 }),
  fc.string({ unit: fc.constantFrom(...'0123456789+*#'.split('')), maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...'0123456789+*# %23A2B.-()'.split('')), maxLength: 24 }),
  fc.constantFrom('*66*', '3651', '0033', '+262', '00', '7', '8').chain((p) => fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), maxLength: 14 }).map((s) => p + s)),
  fc.string({ maxLength: 24 }),
);

test('NUM-4, RES-2, RES-4: for any dialled string, dial plan + classifier + decision never throw, and a category the profile forbids is never allowed (property)', (t) => {
  fc.assert(
    fc.property(dialledArb, fc.constantFrom('601', '478', '602', '603'), fc.boolean(), (dialled, from, clir) => {
      const r = resolveDialled(dialled, config);
      let target = r.target;
      if (target.kind === 'speed-dial') target = target.target;
      if (target.kind !== 'external') return true;
      if (!/^\d+$/.test(target.number)) return false;
      const c = classify(target.number, BUILTIN_PLAN, config.outgoing.operatorServices);
      const profile = profileFor(config, phone(from), 'call');
      const d = decideOutgoing(c, { profile, outgoing: config.outgoing }, clir || r.hideIdentity);
      if (c.category === 'emergency') return d.allowed && !d.hideIdentity;
      if (c.category === 'unknown') return !d.allowed;
      if (!profile.allow[c.category]) return !d.allowed;
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
