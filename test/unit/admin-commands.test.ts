import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import type { ErrorCode } from '../../firmware/core/errors.ts';
import { LogRegistry } from '../../firmware/core/logger.ts';
import { CallJournal, CONFIG_FILE, ConfigStore, type Config } from '../../firmware/config/index.ts';
import { CommandRegistry, type CommandOutcome, type Role } from '../../firmware/api/index.ts';
import { registerAdminCommands, type AdminDeps } from '../../firmware/web/admin-commands.ts';
import { makePhone, sampleConfig } from '../helpers/config.ts';
import { tmpDir } from '../helpers/tmp.ts';

const MAC1 = '00:08:5d:00:00:01'; // 601, no DID
const MAC2 = '00:08:5d:00:00:02'; // 478, DID 0577110078
const MAC3 = '00:08:5d:00:00:03'; // 603, no DID

function setup(t: ExecutionContext, live: Partial<AdminDeps['live']> = {}) {
  const dir = tmpDir(t, 'admin-cmd');
  const c: Config = sampleConfig();
  c.phones.push(makePhone(3, { firstName: 'Ana', lastName: 'Lopez', userPasswordHash: 'scrypt$x', mobile: { username: 'm603', password: 'mobile-secret-603', enabledAt: '2026-01-05T09:00:00.000Z' } }));
  c.phones[1] = { ...c.phones[1]!, firstName: 'Jean', lastName: 'Martin', voicemail: { ...c.phones[1]!.voicemail, pin: '1234' } };
  c.groups.push({ internalNumber: '621', name: 'Ventes', ringMode: 'sequential', members: [MAC1, MAC2], enabled: true, ringSecondsPerMember: 15 });
  c.reception.phone = MAC2;
  c.trunk = { ...c.trunk, username: 'acme', password: 'trunk-secret' };
  c.directory = [{ name: 'Plombier', number: '0577000001', speedDial: '701' }, { name: 'Avocat', number: '0577000002' }];
  c.schedules = [{ target: '621', enabled: true, daySlots: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }], nightDestination: 'voicemail', holidaysAreNight: true, override: 'auto' }];
  fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify(c));
  const clock = new FakeClock();
  const config = new ConfigStore(dir, clock, new LogRegistry({ level: 'silent' }).get('config'));
  t.is(config.load().source, 'file');
  const journal = new CallJournal();
  const registry = new CommandRegistry();
  registerAdminCommands(registry, {
    config,
    clock,
    journal,
    live: {
      registeredMacs: () => [MAC1, MAC3],
      trunk: () => ({ state: 'registered' }),
      dsl: () => ({ link: 'up' }),
      plc: () => ({ adapters: 2 }),
      calls: () => [{ id: 'c1' }],
      leds: () => ({ power: 'on' }),
      ...live,
    },
  });
  const admin = (name: string, args: unknown = {}) => registry.invoke(name, args, { role: 'admin' });
  return { config, registry, journal, admin, file: config.file };
}

type Env = ReturnType<typeof setup>;

function ok(t: ExecutionContext, r: CommandOutcome): unknown {
  if (!r.ok) t.fail(`${r.code}: ${r.message}`);
  return r.ok ? r.result : undefined;
}

/** A refusal stores nothing: the file and the snapshot stay byte-identical. */
async function refused(t: ExecutionContext, env: Env, name: string, args: unknown, code: ErrorCode, message?: RegExp): Promise<void> {
  const text = fs.readFileSync(env.file, 'utf8');
  const json = JSON.stringify(env.config.get());
  const r = await env.admin(name, args);
  t.false(r.ok, `${name} should be refused`);
  if (!r.ok) {
    t.is(r.code, code, r.message);
    if (message) t.regex(r.message, message);
  }
  t.is(fs.readFileSync(env.file, 'utf8'), text, 'file unchanged');
  t.is(JSON.stringify(env.config.get()), json, 'config unchanged');
}

const phone = (env: Env, n: string) => env.config.get().phones.find((p) => p.internalNumber === n)!;

// ---------------------------------------------------------------------------

test('WEB-2: every admin command is hidden from the user role (E_NOT_FOUND) but the directory (DIR-1)', async (t) => {
  const env = setup(t);
  const names = env.registry.list('admin').map((c) => c.name);
  t.deepEqual(names, [
    'dashboard', 'directory add', 'directory list', 'directory remove', 'directory update', 'group add', 'group list', 'group remove', 'group update',
    'journal search', 'phone associate', 'phone list', 'phone reset-password', 'phone show', 'phone update', 'reception show', 'reception update',
    'restriction list', 'restriction update', 'schedule list', 'schedule remove', 'schedule set', 'settings show', 'settings update',
  ]);
  for (const name of names) {
    const r = await env.registry.invoke(name, {}, { role: 'user', phone: MAC1 });
    if (name === 'directory list') t.true(r.ok);
    else t.like(r, { ok: false, code: 'E_NOT_FOUND' }, name);
  }
  const readOnly = env.registry.list('admin').filter((c) => c.readOnly).map((c) => c.name);
  t.deepEqual(readOnly, ['dashboard', 'directory list', 'group list', 'journal search', 'phone list', 'phone show', 'reception show', 'restriction list', 'schedule list', 'settings show']);
});

test('WEB-2: dashboard assembles phones, trunk, DSL, powerline, calls and LEDs, and survives a failing source', async (t) => {
  const env = setup(t);
  t.deepEqual(ok(t, await env.admin('dashboard')), {
    phones: { total: 3, registered: 2 },
    trunk: { state: 'registered' },
    dsl: { link: 'up' },
    plc: { adapters: 2 },
    calls: { count: 1, list: [{ id: 'c1' }] },
    leds: { power: 'on' },
  });
  const broken = setup(t, {
    dsl: () => {
      throw new Error('modem line closed');
    },
    calls: () => {
      throw new Error('no sip');
    },
  });
  t.like(ok(t, await broken.admin('dashboard')), { dsl: { error: 'modem line closed' }, calls: { count: 0, list: [], error: 'no sip' }, phones: { registered: 2 } });
});

test('WEB-3, WEB-5: phone list has the columns, sorted by internal number, with no secrets', async (t) => {
  const env = setup(t);
  const rows = ok(t, await env.admin('phone list')) as Array<Record<string, unknown>>;
  t.deepEqual(rows.map((r) => r['internalNumber']), ['478', '601', '603']);
  t.deepEqual(rows[0], {
    mac: MAC2, registered: false, internalNumber: '478', lastName: 'Martin', firstName: 'Jean', did: '0577110078', email: null, model: 'Aastra 6731i',
    restrictionProfile: 10, forwardRestrictionProfile: 10, hasUserWeb: true, userPasswordSet: false, mobile: false,
  });
  t.like(rows[1], { registered: true, hasUserWeb: false, did: null }, 'WEB-5: a phone without a name has no user web');
  t.like(rows[2], { userPasswordSet: true, mobile: true });
  t.notRegex(JSON.stringify(rows), /secret/);
});

test('WEB-4: phone show gives the record by number or MAC, secrets removed', async (t) => {
  const env = setup(t);
  const byNumber = ok(t, await env.admin('phone show', { phone: '603' })) as Record<string, unknown>;
  t.deepEqual(ok(t, await env.admin('phone show', { phone: '00-08-5D-00-00-03' })), byNumber);
  t.like(byNumber, { mac: MAC3, registered: true, sip: { username: 'phone3' }, userPasswordSet: true, mobile: { username: 'm603' }, voicemail: { pinSet: false } });
  t.false('userPasswordHash' in byNumber);
  t.notRegex(JSON.stringify(byNumber), /secret|scrypt/);
  const p478 = ok(t, await env.admin('phone show', { phone: '478' })) as { voicemail: Record<string, unknown> };
  t.deepEqual(p478.voicemail, { enabled: true, emailEnabled: false, pinSet: true });
  t.like(await env.admin('phone show', { phone: '699' }), { ok: false, code: 'E_NOT_FOUND' });
});

test('WEB-4, FWD-1, RES-4, MOB-1: phone update merges a partial change of every tab', async (t) => {
  const env = setup(t);
  const view = ok(
    t,
    await env.admin('phone update', {
      phone: '478',
      firstName: 'Jeanne',
      email: 'jeanne@acme.fr',
      voicemail: { emailEnabled: true, pin: '987654' },
      callWaiting: false,
      forwardedCallerId: 'first-caller',
      forwards: { busy: { enabled: true, destination: '601' }, noAnswer: { rings: 3 } },
      restrictionProfile: 7,
      simultaneousRing: { allowed: true, enabled: true, mobile: '0612345678' },
    }),
  ) as Record<string, unknown>;
  const p = phone(env, '478');
  t.like(p, { firstName: 'Jeanne', lastName: 'Martin', email: 'jeanne@acme.fr', callWaiting: false, forwardedCallerId: 'first-caller', restrictionProfile: 7, forwardRestrictionProfile: 10 });
  t.deepEqual(p.voicemail, { enabled: true, emailEnabled: true, pin: '987654' });
  t.deepEqual(p.forwards.busy, { enabled: true, destination: '601' });
  t.deepEqual(p.forwards.noAnswer, { enabled: true, destination: 'voicemail', rings: 3 }, 'deep merge keeps the untouched fields');
  t.deepEqual(p.simultaneousRing, { allowed: true, enabled: true, mobile: '0612345678' });
  t.like(view, { firstName: 'Jeanne', voicemail: { pinSet: true } });
  t.notRegex(JSON.stringify(view), /987654/);
  // null clears an optional field; absent keeps it.
  ok(t, await env.admin('phone update', { phone: '478', email: null, voicemail: { pin: null } }));
  t.is(phone(env, '478').email, undefined);
  t.is(phone(env, '478').voicemail.pin, undefined);
  t.true(phone(env, '478').voicemail.emailEnabled);
});

test('WEB-4: phone update refusals store nothing (unknown key, bad value, schema rule, MOB-1, CID-2)', async (t) => {
  const env = setup(t);
  await refused(t, env, 'phone update', { phone: '601', nickname: 'x' }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'phone update', { phone: '601', forwards: { busy: { enabled: true, target: '478' } } }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'phone update', { phone: '601', email: 'not-an-email' }, 'E_BAD_ARGUMENTS', /email/);
  await refused(t, env, 'phone update', { phone: '601', restrictionProfile: 11 }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'phone update', { phone: '601', firstName: null }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'phone update', { phone: '601', sip: { password: 'x' } }, 'E_BAD_ARGUMENTS', /unrecognized|sip/i);
  await refused(t, env, 'phone update', { phone: '601', presentedIdentity: 'did' }, 'E_CONFIG_INVALID', /phones\.0\.presentedIdentity/);
  await refused(t, env, 'phone update', { phone: '601', presentedIdentity: 'group', presentedGroup: '621' }, 'E_BAD_ARGUMENTS', /CID-2/);
  await refused(t, env, 'phone update', { phone: '601', simultaneousRing: { allowed: true } }, 'E_BAD_ARGUMENTS', /MOB-1/);
  await refused(t, env, 'phone update', { phone: '478', simultaneousRing: { enabled: true } }, 'E_BAD_ARGUMENTS', /MOB-1/);
  await refused(t, env, 'phone update', { phone: '601', forwards: { unconditional: { enabled: true } } }, 'E_BAD_ARGUMENTS', /forwards\.unconditional.*FWD-1/);
  await refused(t, env, 'phone update', { phone: '699', firstName: 'X' }, 'E_NOT_FOUND');
});

test('WEB-5: phone reset-password clears the user web password (back to the internal number)', async (t) => {
  const env = setup(t);
  t.like(ok(t, await env.admin('phone reset-password', { phone: '603' })), { internalNumber: '603', userPasswordSet: false, hasUserWeb: true });
  t.is(phone(env, '603').userPasswordHash, undefined);
  await refused(t, env, 'phone reset-password', { phone: '00:08:5d:00:00:99' }, 'E_NOT_FOUND');
});

test('NUM-9: phone associate moves the record to a new handset; groups and reception follow', async (t) => {
  const env = setup(t);
  const NEW = '00:08:5d:aa:bb:cc';
  t.like(ok(t, await env.admin('phone associate', { phone: '478', mac: '00-08-5D-AA-BB-CC' })), { mac: NEW, internalNumber: '478', did: '0577110078' });
  const c = env.config.get();
  t.like(phone(env, '478'), { mac: NEW, firstName: 'Jean', voicemail: { pin: '1234' } });
  t.deepEqual(c.groups.find((g) => g.internalNumber === '621')!.members, [MAC1, NEW]);
  t.is(c.reception.phone, NEW);
  await refused(t, env, 'phone associate', { phone: '478', mac: MAC1 }, 'E_CONFLICT');
  await refused(t, env, 'phone associate', { phone: '478', mac: 'zz:zz' }, 'E_BAD_ARGUMENTS');
});

test('GRP-1, GRP-3, GRP-6: group add allocates 621-699, stores members as MACs', async (t) => {
  const env = setup(t);
  const g = ok(t, await env.admin('group add', { name: 'Support', ringMode: 'simultaneous', members: ['603', '478'], did: '0577110099' })) as Record<string, unknown>;
  t.like(g, { internalNumber: '622', name: 'Support', did: '0577110099' });
  t.like(env.config.get().groups.find((x) => x.internalNumber === '622'), { members: [MAC3, MAC2], ringMode: 'simultaneous', enabled: true, ringSecondsPerMember: 15 });
  ok(t, await env.admin('group add', { name: 'Compta', internalNumber: '650', ringMode: 'sequential' }));
  t.truthy(env.config.get().groups.find((x) => x.internalNumber === '650'));
  const list = ok(t, await env.admin('group list')) as Array<{ internalNumber: string; members: unknown[] }>;
  t.deepEqual(list.map((x) => x.internalNumber), ['621', '622', '650', '999']);
  t.is(list[3]!.members.length, 3, 'GRP-2: the Standard group shows every phone');
});

test('GRP-3: group add refusals store nothing (unknown member, number taken, out of range, more than 10)', async (t) => {
  const env = setup(t);
  await refused(t, env, 'group add', { name: 'X', ringMode: 'simultaneous', members: ['699'] }, 'E_NOT_FOUND');
  await refused(t, env, 'group add', { name: 'X', ringMode: 'simultaneous', internalNumber: '621' }, 'E_CONFLICT');
  await refused(t, env, 'group add', { name: 'X', ringMode: 'simultaneous', internalNumber: '700' }, 'E_CONFIG_INVALID', /groups\.\d+\.internalNumber/);
  await refused(t, env, 'group add', { name: 'X', ringMode: 'round-robin' }, 'E_BAD_ARGUMENTS');
  for (let i = 0; i < 9; i++) ok(t, await env.admin('group add', { name: `G${i}`, ringMode: 'simultaneous' }));
  await refused(t, env, 'group add', { name: 'Eleventh', ringMode: 'simultaneous' }, 'E_CONFIG_INVALID', /GRP-3/);
});

test('GRP-3, GRP-5: group update changes fields and members; a new number carries its schedule along', async (t) => {
  const env = setup(t);
  ok(t, await env.admin('group update', { group: '621', name: 'Commercial', members: ['603'], internalNumber: '630', did: '0577110050' }));
  const g = env.config.get().groups.find((x) => x.internalNumber === '630')!;
  t.like(g, { name: 'Commercial', members: [MAC3], ringMode: 'sequential', did: '0577110050' });
  t.is(env.config.get().schedules[0]!.target, '630');
  ok(t, await env.admin('group update', { group: '630', did: null }));
  t.is(env.config.get().groups.find((x) => x.internalNumber === '630')!.did, undefined);
  ok(t, await env.admin('group update', { group: '999', name: 'Tous' }));
  t.is(env.config.get().groups.find((x) => x.internalNumber === '999')!.name, 'Tous');
});

test('GRP-2: group update refusals store nothing (999 membership, number taken, unknown group)', async (t) => {
  const env = setup(t);
  await refused(t, env, 'group update', { group: '999', members: ['601'] }, 'E_FORBIDDEN');
  await refused(t, env, 'group update', { group: '999', ringMode: 'sequential' }, 'E_FORBIDDEN');
  await refused(t, env, 'group update', { group: '621', internalNumber: '601' }, 'E_CONFLICT');
  await refused(t, env, 'group update', { group: '621', members: ['602'] }, 'E_NOT_FOUND');
  await refused(t, env, 'group update', { group: '640', name: 'X' }, 'E_NOT_FOUND');
  await refused(t, env, 'group update', { group: '621', colour: 'red' }, 'E_BAD_ARGUMENTS');
});

test('GRP-2, GRP-5: group remove deletes the group and its schedule; the Standard group 999 cannot be removed', async (t) => {
  const env = setup(t);
  await refused(t, env, 'group remove', { group: '999', confirm: true }, 'E_FORBIDDEN', /GRP-2/);
  await refused(t, env, 'group remove', { group: '621' }, 'E_CONFIRMATION_REQUIRED');
  await refused(t, env, 'group remove', { group: '640', confirm: true }, 'E_NOT_FOUND');
  ok(t, await env.admin('group remove', { group: '621', confirm: true }));
  t.deepEqual(env.config.get().groups.map((g) => g.internalNumber), ['999']);
  t.deepEqual(env.config.get().schedules, []);
});

test('GRP-5: schedule set creates or replaces, schedule list and remove', async (t) => {
  const env = setup(t);
  const main = { target: 'main', enabled: true, daySlots: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '12:00' }], nightDestination: '0612345678', holidaysAreNight: false, override: 'auto' };
  t.deepEqual(ok(t, await env.admin('schedule set', main)), main);
  ok(t, await env.admin('schedule set', { target: '621', nightDestination: '601' }));
  t.deepEqual(ok(t, await env.admin('schedule list')), [
    { target: '621', enabled: false, daySlots: [], nightDestination: '601', holidaysAreNight: true, override: 'auto' },
    main,
  ]);
  ok(t, await env.admin('schedule remove', { target: 'main' }));
  t.deepEqual(env.config.get().schedules.map((s) => s.target), ['621']);
  await refused(t, env, 'schedule remove', { target: 'main' }, 'E_NOT_FOUND');
  await refused(t, env, 'schedule set', { target: '640', nightDestination: '601' }, 'E_NOT_FOUND');
  await refused(t, env, 'schedule set', { target: 'main', nightDestination: '601', daySlots: [{ days: [1], from: '25:00', to: '26:00' }] }, 'E_BAD_ARGUMENTS');
  ok(t, await env.admin('schedule set', { target: 'main', nightDestination: '601', daySlots: [{ days: [5], from: '18:00', to: '02:00' }] }));
  t.is(env.config.get().schedules.find((s) => s.target === 'main')!.daySlots[0]!.to, '02:00', 'a slot may cross midnight');
});

test('RES-2: restriction list shows 10 profiles; only 8 and 9 can be changed', async (t) => {
  const env = setup(t);
  const list = ok(t, await env.admin('restriction list')) as Array<{ id: number; editable: boolean }>;
  t.deepEqual(list.map((p) => p.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const r = ok(t, await env.admin('restriction update', { id: 8, name: 'Commerciaux', allow: { national: true, mobile: true } })) as Record<string, unknown>;
  t.like(r, { id: 8, name: 'Commerciaux', allow: { national: true, mobile: true, free: true, international: false } });
  t.like(env.config.get().restrictionProfiles.find((p) => p.id === 8), { name: 'Commerciaux', allow: { mobile: true } });
  await refused(t, env, 'restriction update', { id: 10, allow: { m2m: true } }, 'E_FORBIDDEN', /RES-2/);
  await refused(t, env, 'restriction update', { id: 9, allow: { satellite: true } }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'restriction update', { id: 9, editable: false }, 'E_BAD_ARGUMENTS');
});

test('DIR-1, NUM-5: directory add, update, remove; speed dials 700-869 unique', async (t) => {
  const env = setup(t);
  ok(t, await env.admin('directory add', { name: 'Banque', number: '+33144556677', speedDial: '702' }));
  t.deepEqual(env.config.get().directory.at(-1), { name: 'Banque', number: '+33144556677', speedDial: '702' });
  const user = await env.registry.invoke('directory list', {}, { role: 'user', phone: MAC1 });
  t.deepEqual((user.ok ? (user.result as Array<{ name: string }>) : []).map((d) => d.name), ['Avocat', 'Banque', 'Plombier']);
  ok(t, await env.admin('directory update', { match: { name: 'Avocat', number: '0577000002' }, speedDial: '703', number: '0577000003' }));
  t.deepEqual(env.config.get().directory[1], { name: 'Avocat', number: '0577000003', speedDial: '703' });
  ok(t, await env.admin('directory update', { match: { speedDial: '703' }, speedDial: null }));
  t.deepEqual(env.config.get().directory[1], { name: 'Avocat', number: '0577000003' });
  ok(t, await env.admin('directory remove', { match: { speedDial: '701' } }));
  t.deepEqual(env.config.get().directory.map((d) => d.name), ['Avocat', 'Banque']);
});

test('DIR-1: directory refusals store nothing (speed dial taken or out of range, duplicate, unknown entry)', async (t) => {
  const env = setup(t);
  await refused(t, env, 'directory add', { name: 'X', number: '0577000009', speedDial: '701' }, 'E_CONFLICT');
  await refused(t, env, 'directory add', { name: 'X', number: '0577000009', speedDial: '650' }, 'E_BAD_ARGUMENTS', /700-869/);
  await refused(t, env, 'directory add', { name: 'Plombier', number: '0577000001' }, 'E_CONFLICT');
  await refused(t, env, 'directory add', { name: '', number: '0577000009' }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'directory update', { match: { name: 'Avocat', number: '0577000002' }, speedDial: '701' }, 'E_CONFLICT');
  await refused(t, env, 'directory update', { match: { speedDial: '799' }, name: 'X' }, 'E_NOT_FOUND');
  await refused(t, env, 'directory remove', { match: { name: 'Avocat', number: '0000' } }, 'E_NOT_FOUND');
  await refused(t, env, 'directory remove', { match: 0 }, 'E_BAD_ARGUMENTS');
});

test('NUM-1, INB-1, INB-2, VOX-4, VOX-6: reception show and update', async (t) => {
  const env = setup(t);
  t.like(ok(t, await env.admin('reception show')), { phone: { mac: MAC2, internalNumber: '478', name: 'Jean Martin' }, ringsBeforeOverflow: 3 });
  const view = ok(
    t,
    await env.admin('reception update', {
      phone: '601',
      ringsBeforeOverflow: 5,
      forwardAll: { enabled: true, destination: '0612345678' },
      announcements: { preAnswer: { enabled: true, mode: 'before-ringing', file: 'accueil.wav' }, holdMusic: 'attente.wav' },
      autoAttendant: { enabled: true, prompt: 'menu.wav', internalNumber: '680', keys: [{ digit: '1', action: { kind: 'call', number: '621' } }] },
    }),
  );
  const c = env.config.get();
  t.is(c.reception.phone, MAC1);
  t.deepEqual(c.reception.forwardAll, { enabled: true, destination: '0612345678' });
  t.deepEqual(c.announcements, { preAnswer: { enabled: true, mode: 'before-ringing', file: 'accueil.wav' }, holdMusic: 'attente.wav' });
  t.like(c.autoAttendant, { enabled: true, prompt: 'menu.wav', internalNumber: '680', name: 'Standard automatique' });
  t.like(view, { phone: { internalNumber: '601' }, ringsBeforeOverflow: 5 });
  ok(t, await env.admin('reception update', { phone: null, announcements: { holdMusic: null } }));
  t.is(env.config.get().reception.phone, undefined);
  t.is(env.config.get().announcements.holdMusic, undefined);
});

test('INB-2, VOX-6: reception update refusals store nothing', async (t) => {
  const env = setup(t);
  await refused(t, env, 'reception update', { phone: '699' }, 'E_NOT_FOUND');
  await refused(t, env, 'reception update', { forwardAll: { enabled: true } }, 'E_BAD_ARGUMENTS', /INB-2/);
  await refused(t, env, 'reception update', { announcements: { holdMusic: '../etc/passwd' } }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'reception update', { autoAttendant: { enabled: true } }, 'E_BAD_ARGUMENTS', /VOX-6/);
  await refused(t, env, 'reception update', { autoAttendant: { internalNumber: '621' } }, 'E_CONFLICT');
  await refused(t, env, 'reception update', { ringsBeforeOverflow: 0 }, 'E_BAD_ARGUMENTS');
});

test('NUM-8, CID-3: settings show hides passwords; settings update keeps a password that is not given', async (t) => {
  const env = setup(t);
  const shown = ok(t, await env.admin('settings show')) as { trunk: Record<string, unknown>; smtp: Record<string, unknown> };
  t.like(shown, { trunk: { username: 'acme', passwordSet: true }, smtp: { passwordSet: false } });
  t.false('password' in shown.trunk);
  t.notRegex(JSON.stringify(shown), /trunk-secret/);
  ok(t, await env.admin('settings update', { company: { name: 'ACME SARL' }, trunk: { registrar: 'sip.operator.fr', enabled: true }, capacity: { maxExternalCalls: 8 }, smtp: { host: 'smtp.acme.fr', password: 'mail-pw' }, system: { timezone: 'Europe/Brussels' } }));
  const c = env.config.get();
  t.like(c.company, { name: 'ACME SARL', mainNumber: '0577110000' });
  t.like(c.trunk, { registrar: 'sip.operator.fr', enabled: true, username: 'acme', password: 'trunk-secret' });
  t.is(c.capacity.maxExternalCalls, 8);
  t.like(c.smtp, { host: 'smtp.acme.fr', password: 'mail-pw' });
  t.is(c.system.timezone, 'Europe/Brussels');
  await refused(t, env, 'settings update', { company: { companyNumber: '0577119999' } }, 'E_CONFIG_INVALID', /company\.companyNumber/);
  await refused(t, env, 'settings update', { capacity: { maxExternalCalls: 0 } }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'settings update', { system: { timezone: 'Mars/Olympus' } }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'settings update', { system: { logLevel: 'debug' } }, 'E_BAD_ARGUMENTS');
  await refused(t, env, 'settings update', { admin: { devicePassword: 'x' } }, 'E_BAD_ARGUMENTS');
});

test('LOG-1: journal search filters by phone, kind and date range, counts, and pages newest first', async (t) => {
  const env = setup(t);
  const day = Date.UTC(2026, 0, 5, 8, 0); // 09:00 in Paris
  // LOG-2 keeps 20 calls per phone: 20 for 478, 5 for 603.
  for (let i = 0; i < 25; i++)
    env.journal.add({ startedAt: day + i * 60_000, durationSeconds: i % 2 ? 0 : 30, from: '0600000000', to: '478', direction: 'inbound', outcome: i % 2 ? 'missed' : 'answered', phones: [i < 20 ? MAC2 : MAC3] });
  env.journal.add({ startedAt: Date.UTC(2026, 0, 4, 22, 30), durationSeconds: 10, from: '601', to: '0577000001', direction: 'outbound', outcome: 'answered', phones: [MAC1], callerPhone: MAC1 });
  const all = ok(t, await env.admin('journal search')) as { total: number; pages: number; pageSize: number; rows: Array<{ id: number; startedAt: number; phoneNumbers: unknown[] }> };
  t.like(all, { total: 26, page: 1, pageSize: 10, pages: 3 });
  t.is(all.rows.length, 10);
  t.is(all.rows[0]!.startedAt, day + 24 * 60_000, 'newest first');
  t.deepEqual(all.rows[0]!.phoneNumbers, ['603']);
  const last = ok(t, await env.admin('journal search', { page: '3', pageSize: '10' })) as { rows: unknown[] };
  t.is(last.rows.length, 6, 'GET passes numbers as text');
  t.like(ok(t, await env.admin('journal search', { phone: '478', kind: 'missed', pageSize: 50 })), { total: 10, pages: 1 });
  t.like(ok(t, await env.admin('journal search', { kind: 'emitted' })), { total: 1 });
  // 22:30 UTC on the 4th is 23:30 on the 4th in Paris: the bare day is the box's local day.
  t.like(ok(t, await env.admin('journal search', { from: '2026-01-05', to: '2026-01-05' })), { total: 25 });
  t.like(ok(t, await env.admin('journal search', { to: '2026-01-04' })), { total: 1 });
  t.like(ok(t, await env.admin('journal search', { from: '2026-01-05T08:20:00Z' })), { total: 5 });
  t.like(await env.admin('journal search', { pageSize: 15 }), { ok: false, code: 'E_BAD_ARGUMENTS' });
  t.like(await env.admin('journal search', { from: '05/01/2026' }), { ok: false, code: 'E_BAD_ARGUMENTS' });
  t.like(await env.admin('journal search', { from: '2026-01-06', to: '2026-01-05' }), { ok: false, code: 'E_BAD_ARGUMENTS' });
  t.like(await env.admin('journal search', { phone: '699' }), { ok: false, code: 'E_NOT_FOUND' });
});

test('issue 10 §1: the web admin commands are not on the technician console (nested JSON is not typed there)', async (t) => {
  const env = setup(t);
  t.true((await env.registry.invoke('phone list', {}, { role: 'admin' })).ok);
  t.like(await env.registry.invoke('phone list', {}, { role: 'technician' }), { ok: false, code: 'E_NOT_FOUND' });
});
