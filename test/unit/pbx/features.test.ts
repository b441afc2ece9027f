/**
 * Feature codes typed on a phone (CID-1, FWD-2, FWD-3, FWD-5, GRP-4, INB-2,
 * INB-4, GRP-5, RES-4): applyFeature is pure; every outcome's changes are
 * applied to the configuration and the result must still parse with
 * configSchema.
 */
import test, { type ExecutionContext } from 'ava';
import { configSchema, factoryDefaults, groupSchema, phoneSchema, scheduleSchema, directoryEntrySchema, type Config, type Phone } from '../../../firmware/config/index.ts';
import type { ToneName } from '../../../firmware/media/tones.ts';
import { resolveDialled } from '../../../firmware/pbx/dialplan/index.ts';
import { applyConfigChanges, applyFeature, featureWords, type FeatureOutcome } from '../../../firmware/pbx/features.ts';
import { BUILTIN_PLAN } from '../../../firmware/pbx/frenchplan/index.ts';

const MAC = { plain: '00:08:5d:00:00:01', did: '00:08:5d:00:00:02', reception: '00:08:5d:00:00:03' } as const;
type Who = keyof typeof MAC;

function phone(n: number, mac: string, internalNumber: string, extra: Record<string, unknown> = {}): Phone {
  return phoneSchema.parse({
    mac,
    model: 'Aastra 6731i',
    internalNumber,
    sip: { username: `phone${n}`, password: `secret-secret-${n}` },
    restrictionProfile: 1,
    forwardRestrictionProfile: 1,
    installedAt: '2026-01-05T09:00:00.000Z',
    ...extra,
  });
}

/**
 * Factory defaults with: 601 (no DID, profiles 1/1), 478 (DID 0577110078,
 * profiles 10/10), the reception 602 (profiles 10/4); groups 621 Sales
 * (601, 478) and 622 Support (478); day/night schedules for the main number
 * and group 621 (disabled); speed dials 700 -> a mobile, 701 -> 601, 702 -> 112.
 */
function config(): Config {
  const c = structuredClone(factoryDefaults('device-pass-1')) as Config;
  c.phones = [
    phone(1, MAC.plain, '601'),
    phone(2, MAC.did, '478', { did: '0577110078', restrictionProfile: 10, forwardRestrictionProfile: 10 }),
    phone(3, MAC.reception, '602', { restrictionProfile: 10, forwardRestrictionProfile: 4 }),
  ];
  c.company = { name: 'ACME', mainNumber: '0577110000', dids: ['0577110078', '0577110000'], companyNumber: '0577110000' };
  c.reception.phone = MAC.reception;
  c.groups.push(
    groupSchema.parse({ internalNumber: '621', name: 'Sales', ringMode: 'simultaneous', members: [MAC.plain, MAC.did] }),
    groupSchema.parse({ internalNumber: '622', name: 'Support', ringMode: 'sequential', members: [MAC.did] }),
  );
  c.schedules = [
    scheduleSchema.parse({ target: 'main', enabled: true, daySlots: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' }], nightDestination: 'voicemail' }),
    scheduleSchema.parse({ target: '621', nightDestination: '602' }),
  ];
  c.directory = [
    directoryEntrySchema.parse({ name: 'Boss mobile', number: '0612345678', speedDial: '700' }),
    directoryEntrySchema.parse({ name: 'Desk', number: '601', speedDial: '701' }),
    directoryEntrySchema.parse({ name: 'Samu', number: '112', speedDial: '702' }),
  ];
  return configSchema.parse(c);
}

const find = (c: Config, who: Who): Phone => {
  const p = c.phones.find((x) => x.mac === MAC[who]);
  if (!p) throw new Error(`no phone ${who}`);
  return p;
};

/** Dial through the real dial plan, carry out the feature, apply the changes and parse the result with configSchema. */
function dial(t: ExecutionContext, c: Config, who: Who, dialled: string): { outcome: FeatureOutcome; after: Config } {
  const target = resolveDialled(dialled, c).target;
  if (target.kind !== 'feature') throw new Error(`${dialled} is not a feature code: ${JSON.stringify(target)}`);
  const before = structuredClone(c);
  const outcome = applyFeature(c, BUILTIN_PLAN, find(c, who), target);
  t.deepEqual(c, before, 'applyFeature must not mutate the configuration');
  const draft = structuredClone(c);
  applyConfigChanges(draft, outcome.changes);
  const parsed = configSchema.safeParse(draft);
  if (!parsed.success) t.fail(`${dialled}: the changes give an invalid configuration: ${parsed.error.message}`);
  // A stored phone must also still parse on its own.
  for (const p of draft.phones) phoneSchema.parse(p);
  t.true(outcome.explain.length > 0);
  t.notRegex(outcome.explain, /\n/);
  return { outcome, after: parsed.success ? parsed.data : draft };
}

interface Row {
  spec: string;
  who: Who;
  dialled: string;
  title: string;
  setup?: (c: Config) => void;
  tone: ToneName;
  refusal?: [403 | 404, string | RegExp];
  /** Checks on the configuration after the changes (carried out rows). */
  check?: (t: ExecutionContext, after: Config, before: Config) => void;
}

function runRows(rows: readonly Row[]): void {
  for (const row of rows) {
    test(`${row.spec}: ${row.who} ${row.dialled} ${row.title}`, (t) => {
      const c = config();
      row.setup?.(c);
      const before = structuredClone(c);
      const { outcome, after } = dial(t, c, row.who, row.dialled);
      t.is(outcome.tone, row.tone, outcome.explain);
      if (row.refusal) {
        if (outcome.refusal === undefined) return t.fail(`expected a refusal: ${outcome.explain}`);
        t.is(outcome.refusal.status, row.refusal[0], outcome.explain);
        if (typeof row.refusal[1] === 'string') t.is(outcome.refusal.reason, row.refusal[1]);
        else t.regex(outcome.refusal.reason, row.refusal[1]);
        t.is(outcome.tone, 'special-information');
        t.deepEqual(outcome.changes, []);
        t.regex(outcome.explain, /refused/);
      } else {
        t.is(outcome.refusal, undefined, outcome.explain);
        if (row.dialled.startsWith('**')) t.deepEqual(outcome.changes, [], 'a query changes nothing');
        else t.true(outcome.changes.length > 0, 'a carried-out code changes something');
      }
      row.check?.(t, after, before);
    });
  }
}

const fwd = (c: Config, who: Who) => find(c, who).forwards;

// --- CID-1 --------------------------------------------------------------------

runRows([
  { spec: 'CID-1', who: 'plain', dialled: '*65*1', title: 'hides the number', tone: 'confirmation', check: (t, a) => t.true(find(a, 'plain').hideIdentity) },
  {
    spec: 'CID-1',
    who: 'plain',
    dialled: '*65*0',
    title: 'shows the number',
    setup: (c) => void (find(c, 'plain').hideIdentity = true),
    tone: 'confirmation',
    check: (t, a) => t.false(find(a, 'plain').hideIdentity),
  },
  {
    spec: 'CID-1',
    who: 'plain',
    dialled: '#65',
    title: 'shows the number too',
    setup: (c) => void (find(c, 'plain').hideIdentity = true),
    tone: 'confirmation',
    check: (t, a) => t.false(find(a, 'plain').hideIdentity),
  },
  { spec: 'CID-1', who: 'plain', dialled: '**65', title: 'answers busy when shown', tone: 'busy' },
  { spec: 'CID-1', who: 'plain', dialled: '**65', title: 'answers confirmation when hidden', setup: (c) => void (find(c, 'plain').hideIdentity = true), tone: 'confirmation' },
  { spec: 'CID-1', who: 'plain', dialled: '*65', title: 'without argument is refused', tone: 'special-information', refusal: [404, /\*65\*1/] },
  { spec: 'CID-1', who: 'plain', dialled: '*65*2', title: 'with another argument is refused', tone: 'special-information', refusal: [404, /\*65\*1/] },
]);

test('CID-1: the change is a phone patch of hideIdentity only', (t) => {
  const c = config();
  const { outcome } = dial(t, c, 'plain', '*65*1');
  t.deepEqual(outcome.changes, [{ kind: 'phone', mac: MAC.plain, patch: { hideIdentity: true } }]);
  t.regex(outcome.explain, /^\*65\*1: identity hidden/);
});

// --- FWD-2 (*24) and RES-4 ----------------------------------------------------

const disconnectTo = (dest: string) => (t: ExecutionContext, a: Config) => t.deepEqual(fwd(a, 'did').disconnect, { enabled: true, destination: dest, last: dest });

runRows([
  { spec: 'FWD-2', who: 'did', dialled: '*24*0612345678', title: 'forwards on disconnect to a mobile and remembers it', tone: 'confirmation', check: disconnectTo('0612345678') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*+33612345678', title: 'stores the national format', tone: 'confirmation', check: disconnectTo('0612345678') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*0033612345678', title: 'stores the national format (00 33)', tone: 'confirmation', check: disconnectTo('0612345678') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*0049301234567', title: 'stores an international number as E.164', tone: 'confirmation', check: disconnectTo('+49301234567') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*601', title: 'forwards to another phone', tone: 'confirmation', check: disconnectTo('601') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*622', title: 'forwards to a group', tone: 'confirmation', check: disconnectTo('622') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*999', title: 'forwards to the Standard group', tone: 'confirmation', check: disconnectTo('999') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*700', title: 'forwards to what a speed dial points to', tone: 'confirmation', check: disconnectTo('0612345678') },
  { spec: 'FWD-2', who: 'did', dialled: '*24*701', title: 'forwards to a speed dial of a phone', tone: 'confirmation', check: disconnectTo('601') },
  {
    spec: 'FWD-2',
    who: 'did',
    dialled: '*24',
    title: 'forwards to the last destination',
    setup: (c) => void (find(c, 'did').forwards.disconnect = { enabled: false, last: '0612345678' }),
    tone: 'confirmation',
    check: disconnectTo('0612345678'),
  },
  { spec: 'FWD-2', who: 'did', dialled: '*24', title: 'without a last destination is refused', tone: 'special-information', refusal: [404, 'no previous destination'] },
  {
    spec: 'FWD-2',
    who: 'did',
    dialled: '*24*0',
    title: 'resets to voicemail and keeps the last destination',
    setup: (c) => void (find(c, 'did').forwards.disconnect = { enabled: true, destination: '601', last: '601' }),
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(fwd(a, 'did').disconnect, { enabled: false, last: '601' }),
  },
  {
    spec: 'FWD-2',
    who: 'did',
    dialled: '#24',
    title: 'resets to voicemail too',
    setup: (c) => void (find(c, 'did').forwards.disconnect = { enabled: true, destination: '601', last: '601' }),
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(fwd(a, 'did').disconnect, { enabled: false, last: '601' }),
  },
  {
    spec: 'FWD-2',
    who: 'did',
    dialled: '**24',
    title: 'answers confirmation when forwarded to a destination',
    setup: (c) => void (find(c, 'did').forwards.disconnect = { enabled: true, destination: '601', last: '601' }),
    tone: 'confirmation',
  },
  {
    spec: 'FWD-2',
    who: 'did',
    dialled: '**24',
    title: 'answers busy when forwarded to voicemail',
    setup: (c) => void (find(c, 'did').forwards.disconnect = { enabled: true, destination: 'voicemail' }),
    tone: 'busy',
  },
  { spec: 'FWD-2', who: 'did', dialled: '**24', title: 'answers busy when off', tone: 'busy' },
  { spec: 'FWD-2', who: 'did', dialled: '*24*478', title: 'to its own number is refused', tone: 'special-information', refusal: [403, 'cannot forward to itself'] },
  { spec: 'FWD-2', who: 'did', dialled: '*24*0577110078', title: 'to its own DID is refused', tone: 'special-information', refusal: [403, 'cannot forward to itself'] },
  { spec: 'FWD-2', who: 'did', dialled: '*24*888', title: 'to the voicemail access is refused', tone: 'special-information', refusal: [403, /888 is the voicemail access/] },
  { spec: 'FWD-2', who: 'did', dialled: '*24*455', title: 'to an unknown internal number is refused', tone: 'special-information', refusal: [404, 'no such internal number 455'] },
  { spec: 'FWD-2', who: 'did', dialled: '*24*112', title: 'to an emergency number is refused', tone: 'special-information', refusal: [403, /emergency number 112/] },
  { spec: 'FWD-2', who: 'did', dialled: '*24*702', title: 'to a speed dial of an emergency number is refused', tone: 'special-information', refusal: [403, /speed dial 702 \(Samu\): emergency/] },
  { spec: 'FWD-2', who: 'did', dialled: '*24*1', title: 'to a number of no category is refused (fail closed)', tone: 'special-information', refusal: [404, /unknown numbers are refused/] },
  {
    spec: 'FWD-2',
    who: 'did',
    dialled: '*24*0012125551234',
    title: 'to a country outside the allow-list is refused',
    tone: 'special-information',
    refusal: [403, 'country code 1 is not in the international allow-list'],
  },
  // RES-4: the FORWARD profile decides, not the call profile.
  { spec: 'RES-4', who: 'plain', dialled: '*24*0612345678', title: 'mobile refused by forward profile 1', tone: 'special-information', refusal: [403, /French mobile numbers \(rule mobile\) are not allowed by profile 1/] },
  { spec: 'RES-4', who: 'did', dialled: '*24*0612345678', title: 'mobile allowed by forward profile 10', tone: 'confirmation', check: disconnectTo('0612345678') },
  {
    spec: 'RES-4',
    who: 'plain',
    dialled: '*24*0612345678',
    title: 'call profile 10 but forward profile 1 is refused',
    setup: (c) => void (find(c, 'plain').restrictionProfile = 10),
    tone: 'special-information',
    refusal: [403, /profile 1 /],
  },
  {
    spec: 'RES-4',
    who: 'plain',
    dialled: '*24*0612345678',
    title: 'call profile 1 but forward profile 10 is allowed',
    setup: (c) => void (find(c, 'plain').forwardRestrictionProfile = 10),
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(fwd(a, 'plain').disconnect, { enabled: true, destination: '0612345678', last: '0612345678' }),
  },
  {
    spec: 'RES-4',
    who: 'plain',
    dialled: '*24*0800123456',
    title: 'free number allowed by forward profile 1',
    tone: 'confirmation',
    check: (t, a) => t.is(fwd(a, 'plain').disconnect.destination, '0800123456'),
  },
  {
    spec: 'RES-4',
    who: 'plain',
    dialled: '*24',
    title: 'the last destination is checked again against the forward profile',
    setup: (c) => void (find(c, 'plain').forwards.disconnect = { enabled: false, last: '0612345678' }),
    tone: 'special-information',
    refusal: [403, /French mobile numbers/],
  },
  { spec: 'RES-4', who: 'did', dialled: '*24*700', title: 'a speed dial to a mobile is allowed by profile 10', tone: 'confirmation', check: disconnectTo('0612345678') },
  { spec: 'RES-4', who: 'plain', dialled: '*24*700', title: 'a speed dial to a mobile is refused by profile 1', tone: 'special-information', refusal: [403, /^speed dial 700 \(Boss mobile\): French mobile/] },
]);

test('FWD-2: *24*dest changes the disconnect forward only, and gives the forwards object whole', (t) => {
  const c = config();
  find(c, 'did').forwards.unconditional = { enabled: true, destination: '601' };
  const { outcome } = dial(t, c, 'did', '*24*0612345678');
  t.is(outcome.changes.length, 1);
  const change = outcome.changes[0];
  if (change?.kind !== 'phone') return t.fail('expected a phone change');
  t.is(change.mac, MAC.did);
  t.deepEqual(Object.keys(change.patch), ['forwards']);
  t.deepEqual(change.patch.forwards, { ...fwd(c, 'did'), disconnect: { enabled: true, destination: '0612345678', last: '0612345678' } });
  t.regex(outcome.explain, /^\*24\*0612345678: forward on disconnect to 0612345678 \(mobile, rule mobile\)$/);
});

// --- FWD-3 (*27) ----------------------------------------------------------------

const both = (c: Config) => void (find(c, 'did').forwards.disconnectOrNoAnswer = { enabled: true, destination: '601', last: '601' });

runRows([
  {
    spec: 'FWD-3',
    who: 'did',
    dialled: '*27*0612345678',
    title: 'forwards on disconnect and no answer',
    tone: 'confirmation',
    check: (t, a, b) => {
      t.deepEqual(fwd(a, 'did').disconnectOrNoAnswer, { enabled: true, destination: '0612345678', last: '0612345678' });
      t.deepEqual(fwd(a, 'did').noAnswer, fwd(b, 'did').noAnswer);
      t.deepEqual(fwd(a, 'did').disconnect, fwd(b, 'did').disconnect);
    },
  },
  {
    spec: 'FWD-3',
    who: 'did',
    dialled: '*27',
    title: 'forwards to the last destination',
    setup: (c) => void (find(c, 'did').forwards.disconnectOrNoAnswer = { enabled: false, last: '601' }),
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(fwd(a, 'did').disconnectOrNoAnswer, { enabled: true, destination: '601', last: '601' }),
  },
  {
    spec: 'FWD-3',
    who: 'did',
    dialled: '*27',
    title: 'does not use the *24 destination',
    setup: (c) => void (find(c, 'did').forwards.disconnect = { enabled: false, last: '601' }),
    tone: 'special-information',
    refusal: [404, 'no previous destination'],
  },
  {
    spec: 'FWD-3',
    who: 'did',
    dialled: '*27*0',
    title: 'resets both to voicemail, keeping the rings',
    setup: (c) => {
      both(c);
      find(c, 'did').forwards.noAnswer = { enabled: false, destination: '601', rings: 8 };
    },
    tone: 'confirmation',
    check: (t, a) => {
      t.deepEqual(fwd(a, 'did').disconnectOrNoAnswer, { enabled: false, last: '601' });
      t.deepEqual(fwd(a, 'did').noAnswer, { enabled: true, destination: 'voicemail', rings: 8 });
    },
  },
  {
    spec: 'FWD-3',
    who: 'did',
    dialled: '#27',
    title: 'resets both to voicemail too',
    setup: both,
    tone: 'confirmation',
    check: (t, a) => {
      t.deepEqual(fwd(a, 'did').disconnectOrNoAnswer, { enabled: false, last: '601' });
      t.deepEqual(fwd(a, 'did').noAnswer, { enabled: true, destination: 'voicemail', rings: 5 });
    },
  },
  { spec: 'FWD-3', who: 'did', dialled: '**27', title: 'answers confirmation when forwarded', setup: both, tone: 'confirmation' },
  { spec: 'FWD-3', who: 'did', dialled: '**27', title: 'answers busy when off', tone: 'busy' },
  { spec: 'FWD-3', who: 'plain', dialled: '*27*0612345678', title: 'a mobile is refused by forward profile 1 (RES-4)', tone: 'special-information', refusal: [403, /profile 1/] },
  { spec: 'FWD-3', who: 'plain', dialled: '*27*601', title: 'to itself is refused', tone: 'special-information', refusal: [403, 'cannot forward to itself'] },
]);

// --- FWD-5 (*89) ----------------------------------------------------------------

const protectedPhone = (c: Config) => void (find(c, 'plain').forwardProtection = true);

runRows([
  { spec: 'FWD-5', who: 'plain', dialled: '*89*1', title: 'protection on', tone: 'confirmation', check: (t, a) => t.true(find(a, 'plain').forwardProtection) },
  { spec: 'FWD-5', who: 'plain', dialled: '*89', title: 'protection on without argument', tone: 'confirmation', check: (t, a) => t.true(find(a, 'plain').forwardProtection) },
  { spec: 'FWD-5', who: 'plain', dialled: '*89*0', title: 'protection off', setup: protectedPhone, tone: 'confirmation', check: (t, a) => t.false(find(a, 'plain').forwardProtection) },
  { spec: 'FWD-5', who: 'plain', dialled: '#89', title: 'protection off too', setup: protectedPhone, tone: 'confirmation', check: (t, a) => t.false(find(a, 'plain').forwardProtection) },
  { spec: 'FWD-5', who: 'plain', dialled: '**89', title: 'answers confirmation when on', setup: protectedPhone, tone: 'confirmation' },
  { spec: 'FWD-5', who: 'plain', dialled: '**89', title: 'answers busy when off', tone: 'busy' },
  { spec: 'FWD-5', who: 'plain', dialled: '*89*2', title: 'another argument is refused', tone: 'special-information', refusal: [404, /\*89\*1/] },
]);

// --- GRP-4, INB-4 (*30, *31) ------------------------------------------------------

runRows([
  {
    spec: 'GRP-4',
    who: 'plain',
    dialled: '*30*999',
    title: 'stops ringing on Standard overflow (INB-4)',
    tone: 'confirmation',
    check: (t, a) => {
      t.true(find(a, 'plain').standardOverflowOptOut);
      t.deepEqual(find(a, 'plain').groupsLeft, []);
    },
  },
  {
    spec: 'INB-4',
    who: 'plain',
    dialled: '*31*999',
    title: 'rings again on Standard overflow',
    setup: (c) => void (find(c, 'plain').standardOverflowOptOut = true),
    tone: 'confirmation',
    check: (t, a) => t.false(find(a, 'plain').standardOverflowOptOut),
  },
  {
    spec: 'GRP-4',
    who: 'plain',
    dialled: '*30*621',
    title: 'leaves group 621, the membership stays',
    tone: 'confirmation',
    check: (t, a) => {
      t.deepEqual(find(a, 'plain').groupsLeft, ['621']);
      t.false(find(a, 'plain').standardOverflowOptOut);
      t.true(a.groups.find((g) => g.internalNumber === '621')?.members.includes(MAC.plain));
    },
  },
  {
    spec: 'GRP-4',
    who: 'plain',
    dialled: '*30*621',
    title: 'leaving twice records the group once',
    setup: (c) => void (find(c, 'plain').groupsLeft = ['621']),
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(find(a, 'plain').groupsLeft, ['621']),
  },
  {
    spec: 'GRP-4',
    who: 'did',
    dialled: '*31*621',
    title: 'joins group 621 again',
    setup: (c) => void (find(c, 'did').groupsLeft = ['622', '621']),
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(find(a, 'did').groupsLeft, ['622']),
  },
  {
    spec: 'GRP-4',
    who: 'did',
    dialled: '*30',
    title: 'leaves all groups, Standard included',
    tone: 'confirmation',
    check: (t, a) => {
      t.true(find(a, 'did').standardOverflowOptOut);
      t.deepEqual(find(a, 'did').groupsLeft, ['621', '622']);
    },
  },
  {
    spec: 'GRP-4',
    who: 'plain',
    dialled: '*30',
    title: 'leaves all: only the groups it is a member of',
    tone: 'confirmation',
    check: (t, a) => {
      t.true(find(a, 'plain').standardOverflowOptOut);
      t.deepEqual(find(a, 'plain').groupsLeft, ['621']);
    },
  },
  {
    spec: 'GRP-4',
    who: 'did',
    dialled: '*31',
    title: 'joins all groups, Standard included',
    setup: (c) => {
      find(c, 'did').standardOverflowOptOut = true;
      find(c, 'did').groupsLeft = ['621', '622'];
    },
    tone: 'confirmation',
    check: (t, a) => {
      t.false(find(a, 'did').standardOverflowOptOut);
      t.deepEqual(find(a, 'did').groupsLeft, []);
    },
  },
  { spec: 'GRP-4', who: 'plain', dialled: '*30*622', title: 'leaving a group it is not a member of is refused', tone: 'special-information', refusal: [403, 'not a member of group 622'] },
  { spec: 'GRP-4', who: 'plain', dialled: '*31*622', title: 'joining a group it is not a member of is refused', tone: 'special-information', refusal: [403, 'not a member of group 622'] },
  { spec: 'GRP-4', who: 'plain', dialled: '*30*623', title: 'an unknown group is refused', tone: 'special-information', refusal: [404, 'no group 623'] },
  { spec: 'GRP-4', who: 'plain', dialled: '*31*601', title: 'a phone number is not a group', tone: 'special-information', refusal: [404, 'no group 601'] },
  { spec: 'GRP-4', who: 'plain', dialled: '**30', title: 'has no query', tone: 'special-information', refusal: [404, /not available/] },
  { spec: 'GRP-4', who: 'plain', dialled: '**31', title: 'has no query either', tone: 'special-information', refusal: [404, /not available/] },
  { spec: 'GRP-4', who: 'plain', dialled: '#30', title: 'has no deactivation', tone: 'special-information', refusal: [404, /not available/] },
]);

// --- INB-2 (*22, reception only) --------------------------------------------------

const forwardedReception = (c: Config) => void (c.reception.forwardAll = { enabled: true, destination: '0612345678' });

runRows([
  {
    spec: 'INB-2',
    who: 'reception',
    dialled: '*22*0612345678',
    title: 'forwards every main-number call to a mobile',
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(a.reception.forwardAll, { enabled: true, destination: '0612345678' }),
  },
  {
    spec: 'INB-2',
    who: 'reception',
    dialled: '*22',
    title: 'forwards every main-number call to voicemail',
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(a.reception.forwardAll, { enabled: true, destination: 'voicemail' }),
  },
  {
    spec: 'INB-2',
    who: 'reception',
    dialled: '#22',
    title: 'stops the forward, keeping the destination',
    setup: forwardedReception,
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(a.reception.forwardAll, { enabled: false, destination: '0612345678' }),
  },
  {
    spec: 'INB-2',
    who: 'reception',
    dialled: '*22*0',
    title: 'stops the forward too',
    setup: forwardedReception,
    tone: 'confirmation',
    check: (t, a) => t.false(a.reception.forwardAll.enabled),
  },
  { spec: 'INB-2', who: 'reception', dialled: '**22', title: 'answers confirmation when forwarded', setup: forwardedReception, tone: 'confirmation' },
  { spec: 'INB-2', who: 'reception', dialled: '**22', title: 'answers busy when not forwarded', tone: 'busy' },
  { spec: 'INB-2', who: 'plain', dialled: '*22*0612345678', title: 'from another phone is refused', tone: 'special-information', refusal: [403, 'only the reception phone can forward the main number'] },
  { spec: 'INB-2', who: 'did', dialled: '**22', title: 'query from another phone is refused', tone: 'special-information', refusal: [403, /only the reception phone/] },
  { spec: 'INB-2', who: 'reception', dialled: '*22*0577110000', title: 'to the main number is refused', tone: 'special-information', refusal: [403, 'cannot forward to itself'] },
  { spec: 'INB-2', who: 'reception', dialled: '*22*602', title: 'to the reception phone is refused', tone: 'special-information', refusal: [403, 'cannot forward to itself'] },
  {
    spec: 'INB-2',
    who: 'reception',
    dialled: '*22*0899123456',
    title: 'a premium number is refused by the reception forward profile 4 (RES-4)',
    tone: 'special-information',
    refusal: [403, /premium numbers .* profile 4/],
  },
  {
    spec: 'INB-2',
    who: 'reception',
    dialled: '*22*478',
    title: 'forwards to another phone',
    tone: 'confirmation',
    check: (t, a) => t.deepEqual(a.reception.forwardAll, { enabled: true, destination: '478' }),
  },
]);

test('INB-2: the change is a reception change, not a phone change', (t) => {
  const { outcome } = dial(t, config(), 'reception', '*22*0612345678');
  t.deepEqual(outcome.changes, [{ kind: 'reception', forwardAll: { enabled: true, destination: '0612345678' } }]);
});

// --- GRP-5 (*40, *41, *42) --------------------------------------------------------

const schedule = (c: Config, target: string) => c.schedules.find((s) => s.target === target);
const mainAtNight = (c: Config) => void (schedule(c, 'main')!.override = 'night');

runRows([
  { spec: 'GRP-5', who: 'plain', dialled: '*40*0', title: 'forces the main number to night', tone: 'confirmation', check: (t, a) => t.is(schedule(a, 'main')?.override, 'night') },
  {
    spec: 'GRP-5',
    who: 'did',
    dialled: '*41*621',
    title: 'forces group 621 to day',
    tone: 'confirmation',
    check: (t, a) => {
      t.is(schedule(a, '621')?.override, 'day');
      t.is(schedule(a, 'main')?.override, 'auto');
    },
  },
  { spec: 'GRP-5', who: 'plain', dialled: '*42*0', title: 'back to automatic', setup: mainAtNight, tone: 'confirmation', check: (t, a) => t.is(schedule(a, 'main')?.override, 'auto') },
  { spec: 'GRP-5', who: 'plain', dialled: '**40', title: 'answers confirmation when a schedule is forced', setup: mainAtNight, tone: 'confirmation' },
  { spec: 'GRP-5', who: 'plain', dialled: '**40', title: 'answers busy when every schedule is automatic', tone: 'busy' },
  { spec: 'GRP-5', who: 'plain', dialled: '*40*622', title: 'a group without a schedule is refused', tone: 'special-information', refusal: [404, 'no day/night schedule for group 622'] },
  {
    spec: 'GRP-5',
    who: 'plain',
    dialled: '*40*0',
    title: 'no main-number schedule is refused',
    setup: (c) => void (c.schedules = c.schedules.filter((s) => s.target !== 'main')),
    tone: 'special-information',
    refusal: [404, 'no day/night schedule for the main number'],
  },
  { spec: 'GRP-5', who: 'plain', dialled: '*40', title: 'without a number is refused', tone: 'special-information', refusal: [404, /needs a group number/] },
  { spec: 'GRP-5', who: 'plain', dialled: '#40', title: 'has no deactivation', tone: 'special-information', refusal: [404, /not available/] },
]);

test('GRP-5: the change names the schedule target; a disabled schedule is said to have no effect', (t) => {
  const { outcome } = dial(t, config(), 'plain', '*40*621');
  t.deepEqual(outcome.changes, [{ kind: 'schedule', target: '621', override: 'night' }]);
  t.regex(outcome.explain, /disabled/);
  const main = dial(t, config(), 'plain', '*41*0').outcome;
  t.deepEqual(main.changes, [{ kind: 'schedule', target: 'main', override: 'day' }]);
  t.notRegex(main.explain, /disabled/);
});

// --- anything else ------------------------------------------------------------------

runRows([
  { spec: 'NUM-4', who: 'plain', dialled: '*21*0612345678', title: 'an unknown code is refused', tone: 'special-information', refusal: [404, 'feature code *21 is not available'] },
  { spec: 'NUM-4', who: 'plain', dialled: '**99', title: 'an unknown query is refused', tone: 'special-information', refusal: [404, 'feature code *99 is not available'] },
  { spec: 'NUM-4', who: 'plain', dialled: '#12', title: 'an unknown deactivation is refused', tone: 'special-information', refusal: [404, 'feature code *12 is not available'] },
]);

test('NUM-4: forms the dial plan never produces ("use", a query with an argument) are refused for every code', (t) => {
  const c = config();
  for (const code of ['65', '24', '27', '89', '30', '31', '22', '40', '41', '42']) {
    const use = applyFeature(c, BUILTIN_PLAN, find(c, 'reception'), { code, action: 'use', argument: '1' });
    t.is(use.refusal?.status, 404, code);
    t.deepEqual(use.changes, []);
    const query = applyFeature(c, BUILTIN_PLAN, find(c, 'reception'), { code, action: 'query', argument: '1' });
    t.is(query.refusal?.status, 404, code);
    t.is(query.tone, 'special-information');
  }
});

test('FWD-2/GRP-4/CID-1: a sequence of codes applied one after the other keeps a valid configuration', (t) => {
  let c = config();
  const steps: Array<[Who, string]> = [
    ['did', '*24*0612345678'],
    ['did', '#24'],
    ['did', '*24'],
    ['did', '*27*601'],
    ['did', '#27'],
    ['did', '*30'],
    ['did', '*31*622'],
    ['plain', '*65*1'],
    ['plain', '*89*1'],
    ['reception', '*22*478'],
    ['plain', '*40*0'],
  ];
  for (const [who, dialled] of steps) {
    const { outcome, after } = dial(t, c, who, dialled);
    t.is(outcome.refusal, undefined, `${dialled}: ${outcome.explain}`);
    c = after;
  }
  t.deepEqual(fwd(c, 'did').disconnect, { enabled: true, destination: '0612345678', last: '0612345678' });
  t.deepEqual(fwd(c, 'did').disconnectOrNoAnswer, { enabled: false, last: '601' });
  t.deepEqual(find(c, 'did').groupsLeft, ['621']);
  t.true(find(c, 'did').standardOverflowOptOut);
  t.true(find(c, 'plain').hideIdentity);
  t.true(find(c, 'plain').forwardProtection);
  t.deepEqual(c.reception.forwardAll, { enabled: true, destination: '478' });
  t.is(schedule(c, 'main')?.override, 'night');
});

// FWD-6 automatic callback: `*37` is a request to the B2BUA's queue (runtime state), not a configuration change.
function dialCallback(c: Config, who: Who, dialled: string, ctx: { lastBusy?: string; pending?: string } = {}): FeatureOutcome {
  const target = resolveDialled(dialled, c).target;
  if (target.kind !== 'feature') throw new Error(`${dialled} is not a feature code`);
  return applyFeature(c, BUILTIN_PLAN, find(c, who), target, ctx);
}

test('FWD-6: *37 after a busy call asks that phone for a callback (confirmation tone, no configuration change)', (t) => {
  const c = config();
  find(c, 'plain').automaticCallback = true;
  const o = dialCallback(c, 'plain', '*37', { lastBusy: MAC.reception });
  t.is(o.tone, 'confirmation', o.explain);
  t.deepEqual(o.changes, []);
  t.deepEqual(o.callback, { kind: 'request', requester: MAC.plain, target: MAC.reception });
  t.regex(o.explain, /callback from 602/);
});

test('FWD-6: *37*478 names the phone to be called back by', (t) => {
  const c = config();
  find(c, 'plain').automaticCallback = true;
  const o = dialCallback(c, 'plain', '*37*478');
  t.deepEqual(o.callback, { kind: 'request', requester: MAC.plain, target: MAC.did });
});

test('FWD-6: *37 is refused 403 when the phone does not have the automatic callback option', (t) => {
  const c = config();
  const o = dialCallback(c, 'plain', '*37', { lastBusy: MAC.reception });
  t.is(o.refusal?.status, 403);
  t.regex(o.refusal?.reason ?? '', /not enabled/);
  t.is(o.callback, undefined);
});

test('FWD-6: *37 with no recent busy call, *37 with an unknown number, and *37 towards oneself are refused 404', (t) => {
  const c = config();
  find(c, 'plain').automaticCallback = true;
  t.regex(dialCallback(c, 'plain', '*37').refusal?.reason ?? '', /no busy phone/);
  t.regex(dialCallback(c, 'plain', '*37*699').refusal?.reason ?? '', /699 is not a phone/);
  t.is(dialCallback(c, 'plain', '*37*601').refusal?.status, 404);
  for (const d of ['*37', '*37*699', '*37*601']) t.is(dialCallback(c, 'plain', d).callback, undefined);
});

test('FWD-6: #37 cancels the pending callback; **37 answers with confirmation when one waits, busy tone when none', (t) => {
  const c = config();
  const cancel = dialCallback(c, 'plain', '#37', { pending: MAC.reception });
  t.deepEqual(cancel.callback, { kind: 'cancel', requester: MAC.plain });
  t.regex(cancel.explain, /callback from 602 cancelled/);
  t.is(dialCallback(c, 'plain', '**37', { pending: MAC.reception }).tone, 'confirmation');
  t.is(dialCallback(c, 'plain', '**37').tone, 'busy');
  t.is(dialCallback(c, 'plain', '**37').callback, undefined);
});

test('VOX-7: *33*2 sets voice presentation level 2, *33*0 and #33 switch it off, **33 answers, *33*6 is refused', (t) => {
  const c = config();
  const two = dial(t, c, 'plain', '*33*2');
  t.is(two.outcome.tone, 'confirmation');
  t.is(find(two.after, 'plain').voicePresentation, 2);
  t.is(find(dial(t, two.after, 'plain', '*33*0').after, 'plain').voicePresentation, 0);
  t.is(find(dial(t, two.after, 'plain', '#33').after, 'plain').voicePresentation, 0);
  t.is(dial(t, two.after, 'plain', '**33').outcome.tone, 'confirmation');
  t.is(dial(t, c, 'plain', '**33').outcome.tone, 'busy');
  t.is(dial(t, c, 'plain', '*33*6').outcome.refusal?.status, 404);
});

test('VOX-5: *35*2 on a DID phone asks the PBX to record its pre-answer announcement; *35*1 needs a recording; *35*0 and #35 switch it off; **35 answers; a phone without DID is refused', (t) => {
  const c = config();
  const record = dialCallback(c, 'did', '*35*2');
  t.is(record.record, 'pre-answer');
  t.deepEqual(record.changes, []);
  t.is(dialCallback(c, 'did', '*35*1').refusal?.status, 404, 'nothing recorded yet');
  find(c, 'did').preAnswer = { enabled: false, recording: 'preanswer-00085d000002.wav' };
  const on = dial(t, c, 'did', '*35*1');
  t.deepEqual(find(on.after, 'did').preAnswer, { enabled: true, recording: 'preanswer-00085d000002.wav' });
  t.is(dial(t, on.after, 'did', '**35').outcome.tone, 'confirmation');
  t.false(find(dial(t, on.after, 'did', '*35*0').after, 'did').preAnswer.enabled);
  t.false(find(dial(t, on.after, 'did', '#35').after, 'did').preAnswer.enabled);
  t.is(dial(t, c, 'did', '**35').outcome.tone, 'busy');
  t.is(dialCallback(c, 'plain', '*35*2').refusal?.status, 403);
});

test('issue 7 §5: feature codes are answered in words: hidden/shown number, forward to a number (said), forward to voicemail, group joined, night mode, refusals', (t) => {
  const c = config();
  const words = (who: Who, dialled: string) => {
    const target = resolveDialled(dialled, c).target;
    if (target.kind !== 'feature') throw new Error(dialled);
    return featureWords(target, applyFeature(c, BUILTIN_PLAN, find(c, who), target));
  };
  t.deepEqual(words('plain', '*65*1'), [{ kind: 'prompt', id: 'feature.number-hidden' }]);
  t.deepEqual(words('plain', '#65'), [{ kind: 'prompt', id: 'feature.number-shown' }]);
  t.deepEqual(words('plain', '*24*478'), [{ kind: 'prompt', id: 'feature.forward-on-to' }, { kind: 'number', digits: '478' }]);
  t.deepEqual(words('plain', '*24*0'), [{ kind: 'prompt', id: 'feature.forward-on-voicemail' }]);
  t.deepEqual(words('plain', '*31*621'), [{ kind: 'prompt', id: 'feature.group-joined' }]);
  t.deepEqual(words('plain', '*40*0'), [{ kind: 'prompt', id: 'feature.night-mode' }]);
  t.deepEqual(words('plain', '*22'), [{ kind: 'prompt', id: 'feature.not-allowed' }], 'not the reception: 403');
  t.deepEqual(words('plain', '*24*0899999999'), [{ kind: 'prompt', id: 'feature.invalid-destination' }]);
  t.deepEqual(words('plain', '*77'), [{ kind: 'prompt', id: 'feature.invalid-code' }]);
  t.deepEqual(words('plain', '**89'), [{ kind: 'prompt', id: 'feature.state-off' }]);
});
