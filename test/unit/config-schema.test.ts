import test from 'ava';
import {
  CONFIG_VERSION,
  configSchema,
  factoryDefaults,
  generateDevicePassword,
  NUMBERING,
  RESTRICTION_CATEGORIES,
  type Config,
} from '../../firmware/config/index.ts';
import { makePhone, sampleConfig } from '../helpers/config.ts';

/** Validates a modified sample config; returns "path: message" for every issue. */
function issuesOf(change: (c: Config) => void): string[] {
  const c = sampleConfig();
  change(c);
  const r = configSchema.safeParse(c);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('factory defaults are valid and have no phones yet', (t) => {
  const d = factoryDefaults();
  t.true(configSchema.safeParse(d).success);
  t.deepEqual(d.phones, []);
  t.is(d.version, CONFIG_VERSION);
});

test('GRP-2: the Standard group 999 exists in the factory defaults, simultaneous', (t) => {
  const d = factoryDefaults();
  t.deepEqual(
    d.groups.map((g) => [g.internalNumber, g.name, g.ringMode, g.enabled]),
    [['999', 'Standard', 'simultaneous', true]],
  );
});

test('RES-2: the factory defaults hold profiles 1-10 as in the guide\'s table', (t) => {
  const d = factoryDefaults();
  // Columns of the guide's table (emergency is always allowed, RES-4, so it has no switch).
  const table: Record<number, string> = {
    // free, operator service, national, 081, mobile, DOM, COM/TOM, premium, 118, international, m2m
    // (the guide's columns split as french-numbering.md §4.8 says: docs/outgoing.md)
    1: 'xx---------',
    2: 'xxx--------',
    3: 'xxxx-------',
    4: 'xxxxx------',
    5: 'xxxxxxx----',
    6: 'xxxxxxxxx--',
    7: 'xxxxxxx--x-',
    8: 'xx---------',
    9: 'xx---------',
    10: 'xxxxxxxxxx-',
  };
  t.deepEqual(
    d.restrictionProfiles.map((p) => p.id),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  for (const p of d.restrictionProfiles) {
    const row = RESTRICTION_CATEGORIES.map((c) => (p.allow[c] ? 'x' : '-')).join('');
    t.is<string | undefined, string | undefined>(row, table[p.id], `profile ${p.id} (${p.name})`);
    t.is(p.editable, p.id === 8 || p.id === 9, `only profiles 8 and 9 are editable (${p.id})`);
  }
  t.is(d.restrictionProfiles[0]?.name, 'Urgences, gratuits et SAV');
  t.is(d.restrictionProfiles[9]?.name, 'Tout autorisé');
});

test('WEB-1: every factory reset draws a new random device password, readable (no 0/O/1/l/I)', (t) => {
  const a = factoryDefaults().admin.devicePassword;
  const b = factoryDefaults().admin.devicePassword;
  t.not(a, b);
  for (const p of [a, b, generateDevicePassword(), generateDevicePassword(20)]) {
    t.regex(p, /^[a-hj-km-np-zA-HJ-NP-Z2-9]+$/);
  }
  t.is(a.length, 12);
  t.is(generateDevicePassword(20).length, 20);
});

test('the sample config with two phones validates (NUM-2 478 with DID, NUM-3 601 without)', (t) => {
  t.deepEqual(issuesOf(() => {}), []);
});

test('duplicate internal numbers are rejected, naming the second owner', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.phones.push(makePhone(3, { internalNumber: '601' }));
    }),
    ['phones.2.internalNumber: internal number 601 already used by phone 00:08:5d:00:00:01'],
  );
  t.deepEqual(
    issuesOf((c) => {
      c.groups.push({ internalNumber: '621', name: 'SAV', ringMode: 'sequential', members: [], enabled: true, ringSecondsPerMember: 15 });
      c.directory.push({ name: 'Plombier', number: '0611223344', speedDial: '700' });
      c.directory.push({ name: 'Banque', number: '0144556677', speedDial: '700' });
    }),
    ['directory.1.speedDial: internal number 700 already used by directory entry Plombier'],
  );
});

test('NUM-2: a phone with a DID must have an internal number in 4xx', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.phones[1] = { ...c.phones[1]!, internalNumber: '602' };
    }),
    ['phones.1.internalNumber: must be within 400-499'],
  );
});

test('NUM-3: a phone without a DID must have an internal number in 601-620', (t) => {
  for (const n of ['600', '621', '478', '999']) {
    const issues = issuesOf((c) => {
      c.phones[0] = { ...c.phones[0]!, internalNumber: n };
    });
    t.true(issues.includes('phones.0.internalNumber: must be within 601-620'), `${n}: ${issues.join('; ')}`);
  }
  t.deepEqual(issuesOf((c) => void (c.phones[0] = { ...c.phones[0]!, internalNumber: '620' })), []);
});

test('NUM-7: 888 (voicemail access) is never an internal number', (t) => {
  const issues = issuesOf((c) => {
    c.groups.push({ internalNumber: '888', name: 'X', ringMode: 'simultaneous', members: [], enabled: true, ringSecondsPerMember: 15 });
  });
  t.true(issues.includes('groups.1.internalNumber: internal number 888 already used by voicemail access (888)'), issues.join('; '));
});

test('NUM-5: a speed-dial number must be within 700-869', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.directory.push({ name: 'Plombier', number: '0611223344', speedDial: '870' });
    }),
    ['directory.0.speedDial: must be within 700-869'],
  );
  t.deepEqual(
    issuesOf((c) => {
      c.directory.push({ name: 'Plombier', number: '0611223344', speedDial: '699' });
    }),
    ['directory.0.speedDial: must be within 700-869'],
  );
  t.deepEqual(issuesOf((c) => void c.directory.push({ name: 'Plombier', number: '0611223344', speedDial: '869' })), []);
});

test('groups other than Standard use 621-699 (our numbering choice)', (t) => {
  t.deepEqual(issuesOf((c) => void c.groups.push({ internalNumber: '699', name: 'SAV', ringMode: 'simultaneous', members: [], enabled: true, ringSecondsPerMember: 15 })), []);
  t.deepEqual(
    issuesOf((c) => {
      c.groups.push({ internalNumber: '700', name: 'SAV', ringMode: 'simultaneous', members: [], enabled: true, ringSecondsPerMember: 15 });
    }),
    ['groups.1.internalNumber: must be within 621-699'],
  );
  t.deepEqual(NUMBERING.group, { min: 621, max: 699 });
});

test('GRP-3: up to 10 groups besides the Standard group; an 11th is refused with the reason', (t) => {
  const others = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ internalNumber: String(621 + i), name: `G${i}`, ringMode: 'simultaneous' as const, members: [], enabled: true, ringSecondsPerMember: 15 }));
  t.deepEqual(issuesOf((c) => void (c.groups = [c.groups.find((g) => g.internalNumber === '999')!, ...others(10)])), []);
  t.deepEqual(issuesOf((c) => void (c.groups = [c.groups.find((g) => g.internalNumber === '999')!, ...others(11)])), [
    'groups: at most 10 groups besides the Standard group 999 (GRP-3)',
  ]);
});

test('GRP-2: a config without the Standard group 999 is rejected', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.groups = [];
    }),
    ['groups: the Standard group 999 must exist exactly once (GRP-2)'],
  );
  t.deepEqual(
    issuesOf((c) => {
      c.groups = [{ ...c.groups[0]!, ringMode: 'sequential' }];
    }),
    ['groups.0.ringMode: the Standard group rings all phones at once (GRP-2)'],
  );
});

test('a group member must be a known phone', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.groups.push({
        internalNumber: '621',
        name: 'SAV',
        ringMode: 'sequential',
        members: ['00:08:5d:00:00:01', '00:08:5d:00:00:99'],
        enabled: true,
        ringSecondsPerMember: 15,
      });
    }),
    ['groups.1.members.1: no phone 00:08:5d:00:00:99'],
  );
});

test('CID-3: the company number must be one of the DIDs', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.company = { ...c.company, companyNumber: '0577119999' };
    }),
    ['company.companyNumber: the company number must be one of the DIDs (CID-3)'],
  );
});

test('CID-2: a phone without a DID cannot present one', (t) => {
  t.deepEqual(
    issuesOf((c) => {
      c.phones[0] = { ...c.phones[0]!, presentedIdentity: 'did' };
    }),
    ['phones.0.presentedIdentity: a phone without a direct line cannot present one (CID-2)'],
  );
});

test('NUM-9: a phone is listed once per MAC; SIP usernames are unique', (t) => {
  const issues = issuesOf((c) => {
    c.phones.push(makePhone(1, { internalNumber: '603' }));
  });
  t.true(issues.includes('phones.2.mac: phone 00:08:5d:00:00:01 is listed twice'), issues.join('; '));
  t.true(issues.includes('phones.2.sip.username: SIP username phone1 is used twice'), issues.join('; '));
});

test('RES-2: the ten profiles must all be there', (t) => {
  const issues = issuesOf((c) => {
    c.restrictionProfiles = c.restrictionProfiles.map((p) => (p.id === 10 ? { ...p, id: 9 } : p));
  });
  t.deepEqual(issues, ['restrictionProfiles: profiles 1 to 10 must each exist once (RES-2)']);
});

test('wrong types and unknown keys are rejected with their path', (t) => {
  const c = sampleConfig() as unknown as Record<string, Record<string, unknown>>;
  const bad = { ...c, capacity: { maxExternalCalls: 'four' }, extra: true };
  const r = configSchema.safeParse(bad);
  t.false(r.success);
  const paths = r.error?.issues.map((i) => i.path.join('.')) ?? [];
  t.true(paths.includes('capacity.maxExternalCalls'), paths.join(', '));
  t.true(r.error?.issues.some((i) => i.code === 'unrecognized_keys') ?? false);
});
