/**
 * The user web's commands (WEB-5, WEB-6): each acts on ctx.phone only, every
 * change is validated and stored atomically, and a refusal leaves config.json
 * byte for byte as it was.
 */
import fs from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import { CallJournal, ConfigStore, configSchema, directoryEntrySchema, groupSchema, type Config, type JournalEntry } from '../../firmware/config/index.ts';
import { CommandRegistry, type CommandContext, type CommandOutcome } from '../../firmware/api/index.ts';
import type { ErrorCode } from '../../firmware/core/errors.ts';
import { registerAnnouncementCommands } from '../../firmware/pbx/announcement-commands.ts';
import { Announcements } from '../../firmware/pbx/announcements.ts';
import { VoicemailService } from '../../firmware/pbx/voicemail/service.ts';
import { BUILTIN_PLAN } from '../../firmware/pbx/frenchplan/index.ts';
import { resolveDialled } from '../../firmware/pbx/dialplan/index.ts';
import { applyFeature } from '../../firmware/pbx/features.ts';
import type { FeatureAction } from '../../firmware/pbx/dialplan/index.ts';
import { writeWav } from '../../firmware/media/wav.ts';
import { verifyPassword } from '../../firmware/web/passwords.ts';
import { FEATURE_MEMO, greetingImporter, messageWavPath, registerUserCommands, type UserDeps } from '../../firmware/web/user-commands.ts';
import { makePhone, sampleConfig } from '../helpers/config.ts';
import { silentLogs } from '../helpers/logs.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** 601 Alice Martin (no DID, forward profile 4: fixed + mobile France), 478 Bruno Petit (DID, profile 10), 603 (no DID, no name, forward profile 1). */
const A = '00:08:5d:00:00:01';
const B = '00:08:5d:00:00:02';
const C = '00:08:5d:00:00:03';
const asUser = (mac: string): CommandContext => ({ role: 'user', phone: mac });

function fixture(): Config {
  const c = sampleConfig();
  c.phones[0] = { ...c.phones[0]!, firstName: 'Alice', lastName: 'Martin', forwardRestrictionProfile: 4 };
  c.phones[1] = { ...c.phones[1]!, firstName: 'Bruno', lastName: 'Petit', email: 'bruno@example.com' };
  c.phones.push(makePhone(3));
  c.groups.push(groupSchema.parse({ internalNumber: '621', name: 'Sales', ringMode: 'simultaneous', members: [A, B], did: '0577110050' }));
  c.directory = [directoryEntrySchema.parse({ name: 'Boss mobile', number: '0612345678', speedDial: '700' })];
  return configSchema.parse(c);
}

function setup(t: ExecutionContext) {
  const dir = tmpDir(t, 'user-cmd');
  fs.writeFileSync(`${dir}/config.json`, `${JSON.stringify(fixture(), null, 2)}\n`);
  const logs = silentLogs();
  const config = new ConfigStore(dir, new FakeClock(), logs.get('config'));
  t.is(config.load().source, 'file');
  const journal = new CallJournal();
  const announcements = new Announcements(dir, () => config.get(), logs.get('announcements'));
  const voicemail = new VoicemailService({ dataDir: dir, announcements, log: logs.get('voicemail'), config: () => config.get() });
  const registry = new CommandRegistry();
  registerAnnouncementCommands(registry, { config, announcements });
  const deps: UserDeps = { config, journal, plan: () => BUILTIN_PLAN, voicemail, importGreeting: greetingImporter({ config, announcements }) };
  registerUserCommands(registry, deps);
  const phone = (mac: string) => config.get().phones.find((p) => p.mac === mac)!;
  const file = () => fs.readFileSync(config.file, 'utf8');
  const ok = async (name: string, args: unknown, ctx: CommandContext = asUser(A)): Promise<unknown> => {
    const r = await registry.invoke(name, args, ctx);
    if (!r.ok) t.fail(`${name}: ${r.code} ${r.message}`);
    return r.ok ? r.result : undefined;
  };
  /** A refusal with this code (and message), config.json untouched. */
  const refused = async (name: string, args: unknown, code: ErrorCode, message?: RegExp, ctx: CommandContext = asUser(A)): Promise<void> => {
    const before = file();
    const r: CommandOutcome = await registry.invoke(name, args, ctx);
    t.false(r.ok, `${name} ${JSON.stringify(args)} should be refused`);
    if (!r.ok) {
      t.is(r.code, code, r.message);
      if (message) t.regex(r.message, message);
    }
    t.is(file(), before, `${name}: a refusal leaves config.json byte-identical`);
  };
  return { dir, config, journal, voicemail, registry, deps, phone, file, ok, refused };
}

type Env = ReturnType<typeof setup>;

/** Runs `body`, then checks that phone B's record did not change (A acted). */
async function bUntouched(t: ExecutionContext, env: Env, body: () => Promise<void>): Promise<void> {
  const before = JSON.stringify(env.phone(B));
  await body();
  t.is(JSON.stringify(env.phone(B)), before, "phone B's record is unchanged by A's commands");
}

// --- access --------------------------------------------------------------------------------

test('WEB-6: every "my ..." command is for role user only: admin and technician get E_NOT_FOUND', async (t) => {
  const env = setup(t);
  const mine = env.registry.list('user').filter((c) => c.name.startsWith('my '));
  t.true(mine.length >= 17);
  for (const c of mine) {
    for (const role of ['admin', 'technician'] as const) {
      const r = await env.registry.invoke(c.name, {}, { role, phone: A });
      t.like(r, { ok: false, code: 'E_NOT_FOUND' }, `${c.name} as ${role}`);
    }
  }
});

test('WEB-5: a user session without a phone, or with a phone that is gone, is E_FORBIDDEN', async (t) => {
  const env = setup(t);
  for (const ctx of [{ role: 'user' as const }, asUser('00:08:5d:99:99:99')]) {
    await env.refused('my profile', {}, 'E_FORBIDDEN', undefined, ctx);
    await env.refused('my contact add', { name: 'X', number: '601' }, 'E_FORBIDDEN', undefined, ctx);
    await env.refused('my forwards set', { forwardProtection: true }, 'E_FORBIDDEN', undefined, ctx);
  }
});

test('WEB-6: readers are readOnly (answer GET), writers are not', (t) => {
  const env = setup(t);
  const ro = env.registry.list('user').filter((c) => c.readOnly === true).map((c) => c.name).sort();
  t.deepEqual(ro, ['feature-codes', 'my calls', 'my contacts', 'my forwards', 'my keys', 'my profile', 'my settings', 'my voicemail']);
});

test('WEB-6: no command takes a phone argument: a user can never name another phone', (t) => {
  const env = setup(t);
  for (const c of env.registry.list('user')) {
    const shape = (c.args as { shape?: Record<string, unknown> }).shape ?? {};
    for (const k of ['phone', 'mac', 'number'].filter((k) => k in shape)) t.true(c.name === 'my contact add' && k === 'number', `${c.name} has ${k}`);
  }
});

// --- profile ------------------------------------------------------------------------------

test('WEB-5, WEB-6: my profile shows my names, numbers, login Firstname.Lastname, model', async (t) => {
  const env = setup(t);
  t.deepEqual(await env.ok('my profile', {}, asUser(B)), {
    firstName: 'Bruno',
    lastName: 'Petit',
    internalNumber: '478',
    did: '0577110078',
    email: 'bruno@example.com',
    login: 'bruno.petit',
    model: 'Aastra 6731i',
    mobileEnabled: false,
  });
  t.like(await env.ok('my profile', {}, asUser(C)), { login: null, did: null }, 'WEB-5: a phone without a name has no login');
});

// --- journal --------------------------------------------------------------------------------

function call(extra: Partial<JournalEntry> & Pick<JournalEntry, 'startedAt' | 'phones'>): Omit<JournalEntry, 'id'> {
  return { durationSeconds: 0, from: '601', to: '478', direction: 'internal', outcome: 'missed', ...extra };
}

test('LOG-3, LOG-1: my calls lists my own journal only, newest first, by pages, with filters', async (t) => {
  const env = setup(t);
  const t0 = Date.parse('2026-03-02T09:00:00Z');
  for (let i = 0; i < 12; i++)
    env.journal.add(call({ startedAt: t0 + i * 60_000, phones: [A, B], callerPhone: A, outcome: i % 3 === 0 ? 'missed' : 'answered', durationSeconds: i }));
  env.journal.add(call({ startedAt: t0 + 999_000, phones: [B, C], from: '478', to: '602', callerPhone: B }));
  const p1 = (await env.ok('my calls', {})) as { total: number; pages: number; page: number; rows: Array<Record<string, unknown>> };
  t.like(p1, { total: 12, page: 1, pages: 2 });
  t.is(p1.rows.length, 10);
  t.is(p1.rows[0]!['startedAt'], new Date(t0 + 11 * 60_000).toISOString(), 'newest first');
  t.false(JSON.stringify(p1).includes(B), "rows carry no phone's MAC");
  t.true(p1.rows.every((r) => r['emitted'] === true));
  const p2 = (await env.ok('my calls', { page: '2', pageSize: '10' })) as { rows: unknown[] };
  t.is(p2.rows.length, 2, 'query-string numbers are accepted (GET)');
  t.like(await env.ok('my calls', { kind: 'missed' }), { total: 4 });
  const ranged = (await env.ok('my calls', { from: '2026-03-02T09:02:00Z', to: String(t0 + 4 * 60_000) })) as { total: number };
  t.is(ranged.total, 3, 'from/to as ISO or epoch ms, inclusive');
  t.like(await env.ok('my calls', {}, asUser(C)), { total: 1 }, 'C sees only the call it took part in');
  await env.refused('my calls', { pageSize: 0 }, 'E_BAD_ARGUMENTS');
});

// --- contacts -------------------------------------------------------------------------------

test('DIR-1: my contacts shows the company directory with speed dials and my own contacts; add and remove', async (t) => {
  const env = setup(t);
  await bUntouched(t, env, async () => {
    t.like(await env.ok('my contact add', { name: 'Plumber', number: '06 11 22 33 44' }), { index: 0, number: '0611223344' });
    await env.ok('my contact add', { name: 'Desk', number: '478' });
    const c = (await env.ok('my contacts', {})) as { directory: unknown[]; personal: unknown[] };
    t.deepEqual(c.directory, [{ name: 'Boss mobile', number: '0612345678', speedDial: '700' }]);
    t.deepEqual(c.personal, [
      { index: 0, name: 'Plumber', number: '0611223344' },
      { index: 1, name: 'Desk', number: '478' },
    ]);
    t.deepEqual(await env.ok('my contact remove', { index: 0 }), { removed: { name: 'Plumber', number: '0611223344' } });
    t.deepEqual(env.phone(A).contacts, [{ name: 'Desk', number: '478' }]);
  });
  await env.refused('my contact remove', { index: 5 }, 'E_NOT_FOUND');
  await env.refused('my contact add', { name: 'X', number: 'abc' }, 'E_BAD_ARGUMENTS');
  await env.refused('my contact add', { name: '', number: '601' }, 'E_BAD_ARGUMENTS');
});

test('DIR-1: at most 50 personal contacts; the 51st is refused and nothing changes', async (t) => {
  const env = setup(t);
  const r = env.config.update((d) => {
    d.phones[0]!.contacts = Array.from({ length: 50 }, (_, i) => ({ name: `c${i}`, number: `06000000${String(i).padStart(2, '0')}` }));
  });
  t.true(r.ok);
  await env.refused('my contact add', { name: 'one more', number: '601' }, 'E_BAD_ARGUMENTS', /at most 50/);
});

// --- forwards -------------------------------------------------------------------------------

test('FWD-1, FWD-4: my forwards shows every kind; set unconditional, busy and no answer after N rings', async (t) => {
  const env = setup(t);
  const f = (await env.ok('my forwards', {})) as Record<string, unknown>;
  t.like(f, { unconditional: { enabled: false, destination: null }, noAnswer: { enabled: true, destination: 'voicemail', rings: 5 }, forwardProtection: false });
  t.false('simultaneousRing' in f, 'MOB-1: not shown when the administrator has not allowed it');
  t.true('mainNumberOnMobile' in f, 'MOB-3: offered to a phone without DID');
  await bUntouched(t, env, async () => {
    await env.ok('my forwards set', { unconditional: { enabled: true, destination: '478' }, busy: { enabled: true, destination: '06 12 34 56 78' }, noAnswer: { rings: 3 } });
  });
  const p = env.phone(A);
  t.deepEqual(p.forwards.unconditional, { enabled: true, destination: '478' });
  t.deepEqual(p.forwards.busy, { enabled: true, destination: '0612345678' }, 'stored as the feature codes store it');
  t.deepEqual(p.forwards.noAnswer, { enabled: true, destination: 'voicemail', rings: 3 });
  await env.ok('my forwards set', { unconditional: { enabled: false } });
  t.deepEqual(env.phone(A).forwards.unconditional, { enabled: false, destination: '478' }, 'switched off, destination kept for next time');
  // The administrator tightens the forward profile: the stored forward can still be sent back unchanged or switched off.
  t.true(env.config.update((d) => void (d.phones[0]!.forwardRestrictionProfile = 1)).ok);
  await env.ok('my forwards set', { busy: { enabled: true, destination: '06 12 34 56 78' }, noAnswer: { rings: 4 } });
  await env.ok('my forwards set', { busy: { enabled: false } });
  t.deepEqual(env.phone(A).forwards.busy, { enabled: false, destination: '0612345678' });
  await env.refused('my forwards set', { busy: { enabled: true } }, 'E_FORBIDDEN', /profile 1/);
});

test('RES-4: an external forward destination must be allowed by the FORWARD profile: E_FORBIDDEN, as *24 would be', async (t) => {
  const env = setup(t);
  // 603 has forward profile 1 (emergency, free and service numbers only).
  await env.refused('my forwards set', { busy: { enabled: true, destination: '0612345678' } }, 'E_FORBIDDEN', /busy.*mobile.*profile 1/, asUser(C));
  const star24 = applyFeature(env.config.get(), BUILTIN_PLAN, env.phone(C), { code: '24', action: 'activate', argument: '0612345678' });
  t.is(star24.refusal?.status, 403, 'the phone key says the same');
  // 601's forward profile 4 has no international.
  await env.refused('my forwards set', { unconditional: { enabled: true, destination: '+441234567890' } }, 'E_FORBIDDEN', /international/);
  // A speed dial is checked as what it points to.
  await env.refused('my forwards set', { unconditional: { enabled: true, destination: '700' } }, 'E_FORBIDDEN', /speed dial 700/, asUser(C));
  await env.ok('my forwards set', { unconditional: { enabled: true, destination: '700' } }, asUser(B));
  t.is(env.phone(B).forwards.unconditional.destination, '0612345678');
});

test('FWD-1, FWD-6: no forward to itself, to 888 or to an emergency number (E_FORBIDDEN); unknown numbers are E_BAD_ARGUMENTS', async (t) => {
  const env = setup(t);
  await env.refused('my forwards set', { unconditional: { enabled: true, destination: '601' } }, 'E_FORBIDDEN', /itself/);
  await env.refused('my forwards set', { busy: { enabled: true, destination: '0577110078' } }, 'E_FORBIDDEN', /itself/, asUser(B));
  await env.refused('my forwards set', { busy: { enabled: true, destination: '888' } }, 'E_FORBIDDEN', /voicemail access/);
  await env.refused('my forwards set', { busy: { enabled: true, destination: '112' } }, 'E_FORBIDDEN', /emergency/);
  await env.refused('my forwards set', { busy: { enabled: true, destination: '650' } }, 'E_BAD_ARGUMENTS', /650/);
  await env.refused('my forwards set', { busy: { enabled: true, destination: '0' } }, 'E_BAD_ARGUMENTS');
  await env.refused('my forwards set', { unconditional: { enabled: true } }, 'E_BAD_ARGUMENTS', /needs a destination/);
  await env.refused('my forwards set', { noAnswer: { rings: 13 } }, 'E_BAD_ARGUMENTS');
  // One bad part refuses the whole change.
  await env.refused('my forwards set', { forwardProtection: true, busy: { enabled: true, destination: '888' } }, 'E_FORBIDDEN');
});

test('FWD-2, FWD-3, FWD-5: disconnect forwards remember the last destination; forward protection', async (t) => {
  const env = setup(t);
  await env.ok('my forwards set', { disconnect: { enabled: true, destination: '478' }, disconnectOrNoAnswer: { enabled: true, destination: '621' }, forwardProtection: true });
  const p = env.phone(A);
  t.deepEqual(p.forwards.disconnect, { enabled: true, destination: '478', last: '478' });
  t.deepEqual(p.forwards.disconnectOrNoAnswer, { enabled: true, destination: '621', last: '621' });
  t.true(p.forwardProtection);
  await env.ok('my forwards set', { disconnect: { enabled: false } });
  await env.ok('my forwards set', { disconnect: { enabled: true } });
  t.like(env.phone(A).forwards.disconnect, { enabled: true, destination: '478' }, 'like *24: switched on again to the last destination');
});

test('MOB-1: simultaneous ring can be switched only when the administrator allowed it and set the mobile', async (t) => {
  const env = setup(t);
  await env.refused('my forwards set', { simultaneousRing: { enabled: true } }, 'E_FORBIDDEN', /MOB-1/, asUser(B));
  t.true(env.config.update((d) => void (d.phones[1]!.simultaneousRing = { allowed: true, enabled: false })).ok);
  await env.refused('my forwards set', { simultaneousRing: { enabled: true } }, 'E_BAD_ARGUMENTS', /mobile/, asUser(B));
  t.true(env.config.update((d) => void (d.phones[1]!.simultaneousRing.mobile = '0698765432')).ok);
  const f = (await env.ok('my forwards set', { simultaneousRing: { enabled: true } }, asUser(B))) as Record<string, unknown>;
  t.deepEqual(f['simultaneousRing'], { enabled: true, mobile: '0698765432' });
  t.deepEqual(env.phone(B).simultaneousRing, { allowed: true, enabled: true, mobile: '0698765432' });
});

test('MOB-3: the main number on a mobile, for phones without DID, under the forward profile, one phone at a time', async (t) => {
  const env = setup(t);
  await env.refused('my forwards set', { mainNumberOnMobile: { enabled: true, mobile: '0612345678' } }, 'E_BAD_ARGUMENTS', /without a direct line/, asUser(B));
  await env.refused('my forwards set', { mainNumberOnMobile: { enabled: true, mobile: '0612345678' } }, 'E_FORBIDDEN', /profile 1/, asUser(C));
  await env.refused('my forwards set', { mainNumberOnMobile: { enabled: true } }, 'E_BAD_ARGUMENTS', /mobile number/);
  await env.ok('my forwards set', { mainNumberOnMobile: { enabled: true, mobile: '06 12 34 56 78' } });
  t.deepEqual(env.phone(A).mainNumberOnMobile, { enabled: true, mobile: '0612345678' });
  t.true(env.config.update((d) => void (d.phones[2]!.forwardRestrictionProfile = 4)).ok);
  await env.refused('my forwards set', { mainNumberOnMobile: { enabled: true, mobile: '0698765432' } }, 'E_CONFLICT', /601/, asUser(C));
});

// --- screen keys --------------------------------------------------------------------------

test('KEY-1: my keys set replaces all keys: supervision of another phone, speed dials, pages of 9', async (t) => {
  const env = setup(t);
  await bUntouched(t, env, async () => {
    await env.ok('my keys set', {
      keys: [
        { position: 10, kind: 'speed-dial', target: '06 12 34 56 78', label: 'Boss' },
        { position: 1, kind: 'supervision', target: '478', label: 'Bruno' },
      ],
    });
  });
  const k = (await env.ok('my keys', {})) as { perPage: number; max: number; keys: Array<{ position: number; page: number }>; phones: Array<{ internalNumber: string }> };
  t.like(k, { perPage: 9, max: 24 });
  t.deepEqual(
    k.keys.map((x) => [x.position, x.page]),
    [
      [1, 1],
      [10, 2],
    ],
  );
  t.deepEqual(k.phones.map((p) => p.internalNumber), ['478', '603'], 'what a supervision key may watch: the other phones');
  t.deepEqual(env.phone(A).screenKeys, [
    { position: 1, kind: 'supervision', target: '478', label: 'Bruno' },
    { position: 10, kind: 'speed-dial', target: '0612345678', label: 'Boss' },
  ]);
  await env.ok('my keys set', { keys: [] });
  t.deepEqual(env.phone(A).screenKeys, []);
});

test('KEY-1: refused keys: duplicate position, outside 1..24, more than 24, supervising itself or a non-phone', async (t) => {
  const env = setup(t);
  await env.ok('my keys set', { keys: [{ position: 1, kind: 'speed-dial', target: '478' }] });
  const sd = (position: number) => ({ position, kind: 'speed-dial', target: '478' });
  await env.refused('my keys set', { keys: [sd(2), sd(2)] }, 'E_BAD_ARGUMENTS', /position 2/);
  await env.refused('my keys set', { keys: [sd(25)] }, 'E_BAD_ARGUMENTS');
  await env.refused('my keys set', { keys: [sd(0)] }, 'E_BAD_ARGUMENTS');
  await env.refused('my keys set', { keys: Array.from({ length: 25 }, (_, i) => sd((i % 24) + 1)) }, 'E_BAD_ARGUMENTS');
  await env.refused('my keys set', { keys: [{ position: 3, kind: 'supervision', target: '601' }] }, 'E_BAD_ARGUMENTS', /itself/);
  await env.refused('my keys set', { keys: [{ position: 3, kind: 'supervision', target: '621' }] }, 'E_BAD_ARGUMENTS', /not a phone/);
  await env.refused('my keys set', { keys: [{ position: 3, kind: 'supervision', target: '0612345678' }] }, 'E_BAD_ARGUMENTS', /not a phone/);
  await env.refused('my keys set', { keys: [{ position: 3, kind: 'speed-dial', target: 'abc' }] }, 'E_BAD_ARGUMENTS');
  await env.refused('my keys set', { keys: [{ position: 3, kind: 'speed-dial', target: '478', label: 'x'.repeat(25) }] }, 'E_BAD_ARGUMENTS');
});

// --- settings -------------------------------------------------------------------------------

test('CID-2, CID-3, GRP-6: presented identity: DID only with a DID, company number once chosen, a group with a DID I belong to', async (t) => {
  const env = setup(t);
  t.like(await env.ok('my settings', {}), { presentedIdentity: 'main', identityChoices: ['main', 'secret'] });
  await env.refused('my settings set', { presentedIdentity: 'did' }, 'E_BAD_ARGUMENTS', /no direct line/);
  await env.refused('my settings set', { presentedIdentity: 'company' }, 'E_BAD_ARGUMENTS', /main number or nothing/);
  await env.ok('my settings set', { presentedIdentity: 'secret' });
  t.is(env.phone(A).presentedIdentity, 'secret');
  t.like(await env.ok('my settings', {}, asUser(B)), { identityChoices: ['did', 'company', 'secret', 'group'], identityGroups: ['621'] });
  await env.ok('my settings set', { presentedIdentity: 'company' }, asUser(B));
  t.is(env.phone(B).presentedIdentity, 'company');
  await env.refused('my settings set', { presentedIdentity: 'group', presentedGroup: '999' }, 'E_BAD_ARGUMENTS', /621/, asUser(B));
  await env.ok('my settings set', { presentedIdentity: 'group', presentedGroup: '621' }, asUser(B));
  t.like(env.phone(B), { presentedIdentity: 'group', presentedGroup: '621' });
  // Resending the admin's choice unchanged is accepted (a form sends every field back).
  t.true(env.config.update((d) => void (d.phones[1]!.presentedIdentity = 'main')).ok);
  await env.ok('my settings set', { presentedIdentity: 'main', callWaiting: false }, asUser(B));
  t.like(env.phone(B), { presentedIdentity: 'main', callWaiting: false });
});

test('CID-1, INB-4, FWD-6, VOX-7, VOX-1: my settings set changes the options, e-mail and voicemail PIN', async (t) => {
  const env = setup(t);
  await bUntouched(t, env, async () => {
    await env.ok('my settings set', {
      hideIdentity: true,
      standardOverflowOptOut: true,
      callWaiting: false,
      automaticCallback: true,
      voicePresentation: 3,
      email: 'alice@example.com',
      voicemail: { emailEnabled: true, pin: '4321' },
    });
  });
  t.like(env.phone(A), { hideIdentity: true, standardOverflowOptOut: true, callWaiting: false, automaticCallback: true, voicePresentation: 3, email: 'alice@example.com' });
  t.deepEqual(env.phone(A).voicemail, { enabled: true, emailEnabled: true, pin: '4321' });
  const s = (await env.ok('my settings', {})) as Record<string, unknown>;
  t.deepEqual(s['voicemail'], { emailEnabled: true, pinSet: true }, 'the PIN itself is not sent back');
  await env.refused('my settings set', { email: null }, 'E_BAD_ARGUMENTS', /e-mail address/);
  await env.ok('my settings set', { email: null, voicemail: { emailEnabled: false, pin: null } });
  t.is(env.phone(A).email, undefined);
  t.deepEqual(env.phone(A).voicemail, { enabled: true, emailEnabled: false });
  await env.refused('my settings set', { voicePresentation: 6 }, 'E_BAD_ARGUMENTS');
  await env.refused('my settings set', { voicemail: { pin: '12' } }, 'E_BAD_ARGUMENTS');
  await env.refused('my settings set', { email: 'not-an-address' }, 'E_BAD_ARGUMENTS');
  await env.refused('my settings set', { voicemail: { emailEnabled: true } }, 'E_BAD_ARGUMENTS', /VOX-1/);
});

// --- voicemail ------------------------------------------------------------------------------

test("VOX-1: my voicemail lists my messages only; delete and mark saved work on mine, never another box's", async (t) => {
  const env = setup(t);
  env.voicemail.store(A, new Int16Array(8000), '0612345678');
  env.voicemail.store(B, new Int16Array(4000), '601');
  const [mine] = env.voicemail.messages(A);
  const [theirs] = env.voicemail.messages(B);
  const v = (await env.ok('my voicemail', {})) as { greeting: boolean; messages: Array<Record<string, unknown>> };
  t.false(v.greeting);
  t.is(v.messages.length, 1);
  t.like(v.messages[0], { id: mine!.id, caller: '0612345678', durationMs: 1000, state: 'fresh' });
  t.is(messageWavPath(env.deps, A, mine!.id), env.voicemail.mailboxes.wavPath(A, mine!.id));
  t.is(messageWavPath(env.deps, A, theirs!.id), undefined, "another box's message has no path for me");
  await env.refused('my voicemail delete', { id: theirs!.id }, 'E_NOT_FOUND');
  await env.refused('my voicemail saved', { id: theirs!.id }, 'E_NOT_FOUND');
  t.deepEqual(env.voicemail.messages(B), [theirs], "B's message is still there, still new");
  await env.ok('my voicemail saved', { id: mine!.id });
  t.is(env.voicemail.messages(A)[0]!.state, 'saved');
  await env.ok('my voicemail delete', { id: mine!.id });
  t.deepEqual(env.voicemail.messages(A), []);
});

test('VOX-2, VOX-3: my greeting set takes a WAV checked by content; another format is refused clearly and the previous greeting stays', async (t) => {
  const env = setup(t);
  const wav = writeWav(new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin(i / 5))), 'pcm16');
  await bUntouched(t, env, async () => {
    t.like(await env.ok('my greeting set', { data: wav.toString('base64') }), { greeting: true, seconds: 1 });
  });
  const ref = env.phone(A).voicemail.greeting;
  t.truthy(ref);
  const stored = fs.readFileSync(`${env.dir}/audio/${ref}`);
  t.like(await env.ok('my voicemail', {}), { greeting: true });
  const mp3 = Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x0a', 'latin1'), Buffer.alloc(10), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(400)]);
  await env.refused('my greeting set', { data: mp3.toString('base64') }, 'E_MEDIA_FORMAT', /not a WAV or G\.729/);
  await env.refused('my greeting set', { data: 'not base64 !' }, 'E_BAD_ARGUMENTS');
  t.deepEqual(fs.readFileSync(`${env.dir}/audio/${ref}`), stored, 'the previous greeting file is untouched');
  await env.ok('my greeting remove', {});
  t.is(env.phone(A).voicemail.greeting, undefined);
  t.like(await env.ok('my voicemail', {}), { greeting: false });
});

// --- password -------------------------------------------------------------------------------

test('WEB-5: my password: the first current password is the internal number; wrong or weak is E_WEAK_PASSWORD; the scrypt hash is stored', async (t) => {
  const env = setup(t);
  await env.refused('my password', { current: '000', new: 'Correct-horse-1' }, 'E_WEAK_PASSWORD', /current password is wrong/);
  await env.refused('my password', { current: '601', new: 'Alice.Martin' }, 'E_WEAK_PASSWORD', /login, name or number/);
  await env.refused('my password', { current: '601', new: 'short' }, 'E_WEAK_PASSWORD', /8 characters/);
  await bUntouched(t, env, async () => {
    await env.ok('my password', { current: '601', new: 'Correct-horse-1' });
  });
  const hash = env.phone(A).userPasswordHash!;
  t.regex(hash, /^scrypt\$/);
  t.true(await verifyPassword('Correct-horse-1', hash));
  await env.refused('my password', { current: '601', new: 'Another-pass-2' }, 'E_WEAK_PASSWORD', /current password is wrong/);
  await env.ok('my password', { current: 'Correct-horse-1', new: 'Another-pass-2' });
  t.true(await verifyPassword('Another-pass-2', env.phone(A).userPasswordHash!));
});

// --- feature-code memo ----------------------------------------------------------------------

const ACTIONS: FeatureAction[] = ['activate', 'deactivate', 'query'];

test('WEB-6: the feature-code memo lists only codes the dial plan and pbx/features.ts carry out, for users and the admin', async (t) => {
  const env = setup(t);
  const config = env.config.get();
  const caller = env.phone(A);
  const listed = (await env.ok('feature-codes', {}, { role: 'admin' })) as Array<{ code: string; fr: string; en: string }>;
  t.is(listed.length, FEATURE_MEMO.length);
  t.deepEqual(await env.ok('feature-codes', {}), listed);
  for (const e of FEATURE_MEMO) {
    t.true(e.fr.length > 0 && e.en.length > 0);
    for (const dial of e.dials) {
      const d = resolveDialled(dial, config).target;
      t.not(d.kind, 'invalid', `${dial} is understood by the dial plan`);
      if (d.kind !== 'feature') continue;
      const o = applyFeature(config, BUILTIN_PLAN, caller, d.argument !== undefined ? { code: d.code, action: d.action, argument: d.argument } : { code: d.code, action: d.action });
      t.notRegex(o.refusal?.reason ?? '', /not available/, `${dial} is carried out by features.ts`);
    }
  }
  // And conversely: every two-digit code features.ts knows is in the memo.
  const memoCodes = new Set(
    FEATURE_MEMO.flatMap((e) => e.dials.map((d) => resolveDialled(d, config).target)).flatMap((d) => (d.kind === 'feature' ? [d.code] : [])),
  );
  for (let n = 0; n < 100; n++) {
    const code = String(n).padStart(2, '0');
    const known = ACTIONS.some((action) => !/not available/.test(applyFeature(config, BUILTIN_PLAN, caller, { code, action }).refusal?.reason ?? ''));
    if (known) t.true(memoCodes.has(code), `*${code} is implemented and listed`);
    else t.false(memoCodes.has(code), `*${code} is not implemented and not listed`);
  }
});
