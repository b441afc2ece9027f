import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import { ConfigStore, CONFIG_FILE, CONFIG_VERSION, MIGRATIONS, configSchema, defaultRestrictionProfiles, type ConfigSection, type Migration } from '../../firmware/config/index.ts';
import { makePhone, sampleConfig } from '../helpers/config.ts';
import { captureLogs, silentLogs } from '../helpers/logs.ts';
import { tmpDir } from '../helpers/tmp.ts';

function newStore(dir: string, migrations?: readonly Migration[]): ConfigStore {
  return new ConfigStore(dir, new FakeClock(), silentLogs().get('config'), migrations);
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function writeConfig(dir: string, value: unknown, file = CONFIG_FILE): void {
  fs.writeFileSync(path.join(dir, file), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
}

test('GW-4: first boot writes valid factory defaults to config.json', (t) => {
  const dir = tmpDir(t);
  const store = newStore(path.join(dir, 'nested', 'data'));
  t.deepEqual(store.load(), { source: 'defaults' });
  const onDisk = readJson(store.file);
  t.true(configSchema.safeParse(onDisk).success);
  t.is((onDisk['admin'] as { devicePassword: string }).devicePassword, store.get().admin.devicePassword);
  t.is(fs.statSync(store.file).mode & 0o777, 0o600, 'the file holds secrets: owner only');
});

test('GW-4: a second boot reads the same config back from the file', (t) => {
  const dir = tmpDir(t);
  const first = newStore(dir);
  first.load();
  const second = newStore(dir);
  t.deepEqual(second.load(), { source: 'file' });
  t.deepEqual(second.get(), first.get());
});

test('update: applies a valid change, writes it, and keeps the previous version as config.json.prev', (t) => {
  const dir = tmpDir(t);
  const store = newStore(dir);
  store.load();
  const before = fs.readFileSync(store.file, 'utf8');
  const r = store.update((c) => {
    c.company.name = 'ACME';
  });
  t.deepEqual(r, { ok: true, changed: ['company'] });
  t.is(store.get().company.name, 'ACME');
  t.is((readJson(store.file)['company'] as { name: string }).name, 'ACME');
  t.is(fs.readFileSync(`${store.file}.prev`, 'utf8'), before);
  t.false(fs.existsSync(`${store.file}.tmp`), 'no temp file left behind');
});

test('update: an invalid result is rejected with the field, nothing is stored or published', (t) => {
  const dir = tmpDir(t);
  const store = newStore(dir);
  store.load();
  t.true(store.update((c) => void c.phones.push(makePhone(1))).ok);
  const snapshot = store.get();
  const bytes = fs.readFileSync(store.file);
  const { ino, mtimeMs } = fs.statSync(store.file);
  let notified = 0;
  store.onChange(() => notified++);

  const r = store.update((c) => {
    c.company.name = 'changed too';
    c.phones.push(makePhone(2, { internalNumber: '601' }));
  });
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'E_CONFIG_INVALID');
    t.is(r.error.message, 'phones.1.internalNumber: internal number 601 already used by phone 00:08:5d:00:00:01');
  }
  t.is(store.get(), snapshot, 'the current snapshot is unchanged');
  t.true(fs.readFileSync(store.file).equals(bytes), 'the stored file is untouched');
  t.deepEqual({ ino: fs.statSync(store.file).ino, mtimeMs: fs.statSync(store.file).mtimeMs }, { ino, mtimeMs });
  t.is(notified, 0);
});

test('update: a mutator that throws gives E_BAD_ARGUMENTS and changes nothing', (t) => {
  const store = newStore(tmpDir(t));
  store.load();
  const snapshot = store.get();
  const r = store.update((c) => {
    c.company.name = 'half done';
    throw new Error('no such phone');
  });
  t.deepEqual(r.ok ? null : { code: r.error.code, message: r.error.message }, { code: 'E_BAD_ARGUMENTS', message: 'no such phone' });
  t.is(store.get(), snapshot);
});

test('update: change listeners receive the names of the changed sections and the new snapshot', (t) => {
  const store = newStore(tmpDir(t));
  store.load();
  const calls: Array<[ConfigSection[], string]> = [];
  const off = store.onChange((changed, cfg) => calls.push([changed, cfg.company.name]));
  store.update((c) => {
    c.company.name = 'ACME';
    c.phones.push(makePhone(1));
    c.sip.timers.t1 = 400;
  });
  t.deepEqual(calls, [[['company', 'phones', 'sip'], 'ACME']]);
  off();
  store.update((c) => void (c.company.name = 'Other'));
  t.is(calls.length, 1, 'unsubscribed');
});

test('update: a change to nothing publishes nothing and writes nothing', (t) => {
  const store = newStore(tmpDir(t));
  store.load();
  const mtime = fs.statSync(store.file).mtimeMs;
  let notified = 0;
  store.onChange(() => notified++);
  const r = store.update((c) => void (c.company.name = c.company.name));
  t.deepEqual(r, { ok: true, changed: [] });
  t.is(notified, 0);
  t.is(fs.statSync(store.file).mtimeMs, mtime);
  t.false(fs.existsSync(`${store.file}.prev`));
});

test('update: a throwing listener is logged and does not stop the others nor undo the change', (t) => {
  const { logs, records } = captureLogs();
  const store = new ConfigStore(tmpDir(t), new FakeClock(), logs.get('config'));
  store.load();
  const seen: string[] = [];
  store.onChange(() => {
    throw new Error('listener broke');
  });
  store.onChange((changed) => seen.push(...changed));
  const r = store.update((c) => void (c.company.name = 'ACME'));
  t.true(r.ok);
  t.deepEqual(seen, ['company']);
  t.truthy(records().find((x) => x.msg === 'config change listener failed' && x['err'] === 'listener broke'));
});

test('snapshots are deeply frozen; an update publishes a new object and leaves the old one as it was', (t) => {
  const store = newStore(tmpDir(t));
  store.load();
  const old = store.get();
  t.true(Object.isFrozen(old));
  t.true(Object.isFrozen(old.company));
  t.true(Object.isFrozen(old.groups[0]?.members));
  t.throws(() => {
    (old.company as { name: string }).name = 'mutated';
  }, { instanceOf: TypeError });
  store.update((c) => void (c.company.name = 'ACME'));
  t.not(store.get(), old);
  t.is(old.company.name, '');
  t.is(store.get().company.name, 'ACME');
});

test('get() before load() is an error', (t) => {
  t.throws(() => newStore(tmpDir(t)).get(), { message: 'config not loaded' });
});

test('factoryReset: defaults with a new device password, written, every section reported', (t) => {
  const store = newStore(tmpDir(t));
  store.load();
  const firstPassword = store.get().admin.devicePassword;
  store.update((c) => {
    c.company.name = 'ACME';
    c.phones.push(makePhone(1));
  });
  const changes: ConfigSection[][] = [];
  store.onChange((changed) => changes.push(changed));
  store.onChange(() => {
    throw new Error('a broken listener does not break the reset');
  });
  const password = store.factoryReset();
  t.not(password, firstPassword);
  t.is(store.get().admin.devicePassword, password);
  t.deepEqual(store.get().phones, []);
  t.is(store.get().company.name, '');
  t.deepEqual(store.get().groups.map((g) => g.internalNumber), ['999']);
  t.is((readJson(store.file)['admin'] as { devicePassword: string }).devicePassword, password);
  t.is(changes.length, 1);
  t.deepEqual([...(changes[0] ?? [])].sort(), Object.keys(store.get()).sort());
});

test('load: config.json missing but config.json.prev valid: the previous version is used and written back', (t) => {
  const dir = tmpDir(t);
  const cfg = sampleConfig();
  writeConfig(dir, cfg, `${CONFIG_FILE}.prev`);
  const store = newStore(dir);
  const r = store.load();
  t.is(r.source, 'previous');
  t.is(store.get().company.name, 'ACME');
  t.is((readJson(path.join(dir, CONFIG_FILE))['company'] as { name: string }).name, 'ACME');
});

test('load: a bad file is quarantined as config.json.bad-<time>, the previous version is used, the log says why', (t) => {
  const dir = tmpDir(t);
  const { logs, records } = captureLogs();
  writeConfig(dir, sampleConfig(), `${CONFIG_FILE}.prev`);
  writeConfig(dir, '{"version": 1, "admin": {');
  const store = new ConfigStore(dir, new FakeClock(Date.UTC(2026, 2, 1, 8, 30, 15, 250)), logs.get('config'));
  const r = store.load();
  const bad = path.join(dir, 'config.json.bad-2026-03-01T08-30-15-250Z');
  t.is(r.source, 'previous');
  t.is(r.quarantined, bad);
  t.regex(r.problem ?? '', /^not valid JSON: /);
  t.is(fs.readFileSync(bad, 'utf8'), '{"version": 1, "admin": {', 'the bad file is kept as it was');
  t.is(store.get().company.name, 'ACME');
  t.true(configSchema.safeParse(readJson(path.join(dir, CONFIG_FILE))).success, 'a good config.json is back');
  const rec = records().find((x) => x.msg === 'configuration rejected: kept aside, using the last good one');
  t.like(rec, { level: 50, ns: 'config', quarantined: bad, using: 'previous' });
  t.regex(String(rec?.['problem']), /not valid JSON/);
});

test('load: bad file and no previous version: factory defaults', (t) => {
  const dir = tmpDir(t);
  writeConfig(dir, { ...sampleConfig(), version: 7 });
  const store = newStore(dir);
  const r = store.load();
  t.is(r.source, 'defaults');
  t.is(r.problem, `version 7 is newer than this firmware understands (${CONFIG_VERSION})`);
  t.deepEqual(store.get().phones, []);
  t.is(fs.readdirSync(dir).filter((f) => f.startsWith('config.json.bad-')).length, 1);
});

test('load: a bad file with an invalid previous version too: factory defaults', (t) => {
  const dir = tmpDir(t);
  writeConfig(dir, '[]');
  writeConfig(dir, '{"version": 1}', `${CONFIG_FILE}.prev`);
  const r = newStore(dir).load();
  t.is(r.source, 'defaults');
  t.is(r.problem, 'not a JSON object');
});

test('load: schema violations are quarantined with the field in the reason', (t) => {
  const dir = tmpDir(t);
  const cfg = sampleConfig() as unknown as { capacity: { maxExternalCalls: unknown } };
  cfg.capacity.maxExternalCalls = 'four';
  writeConfig(dir, cfg);
  const r = newStore(dir).load();
  t.regex(r.problem ?? '', /^schema: capacity\.maxExternalCalls: /);
});

const renameCompany: Migration = {
  from: 0,
  describe: 'company was a string',
  migrate: (raw) => {
    const { companyName, ...rest } = raw as { companyName?: string };
    return { ...rest, company: { name: companyName ?? '' } };
  },
};

test('migrations: an older file is migrated, backed up as config.json.v<n>, and the new version written', (t) => {
  const dir = tmpDir(t);
  const current = sampleConfig() as unknown as Record<string, unknown>;
  const { company: _company, ...withoutCompany } = current;
  const old = `${JSON.stringify({ ...withoutCompany, version: 0, companyName: 'Old Corp' }, null, 2)}\n`;
  writeConfig(dir, old);
  const store = newStore(dir, [renameCompany, ...MIGRATIONS]);
  const r = store.load();
  t.deepEqual(r, { source: 'file', migrated: ['0->1: company was a string', `1->2: ${MIGRATIONS[0]!.describe}`] });
  t.is(store.get().company.name, 'Old Corp');
  t.is(store.get().version, CONFIG_VERSION);
  t.is(fs.readFileSync(path.join(dir, 'config.json.v0'), 'utf8'), old, 'the backup is the file as it was');
  const onDisk = readJson(path.join(dir, CONFIG_FILE));
  t.is(onDisk['version'], CONFIG_VERSION);
  t.deepEqual(onDisk['company'], { name: 'Old Corp', dids: [] });
  // The next boot reads the current version as is.
  t.deepEqual(newStore(dir, [renameCompany, ...MIGRATIONS]).load(), { source: 'file' });
});

test('migrations: an older file without a migration path is quarantined, not guessed at', (t) => {
  const dir = tmpDir(t);
  writeConfig(dir, { ...sampleConfig(), version: 0 });
  const r = newStore(dir).load();
  t.is(r.source, 'defaults');
  t.is(r.problem, 'no migration from version 0');
});

test("migrations 1->2: the guide's 2015 restriction switches become today's categories, choices kept (RES-1, RES-2)", (t) => {
  const dir = tmpDir(t);
  const v1Allow = (on: string[]): Record<string, boolean> =>
    Object.fromEntries(['freeAndService', 'nationalFixed', 'sharedCost', 'mobile', 'overseas', 'premium', 'international'].map((c) => [c, on.includes(c)]));
  const current = sampleConfig();
  const v1Profiles = current.restrictionProfiles.map((p) => ({ ...p, allow: v1Allow(['freeAndService']) }));
  // An admin had made editable profile 8 "national + overseas + premium".
  v1Profiles[7] = { ...v1Profiles[7]!, allow: v1Allow(['freeAndService', 'nationalFixed', 'overseas', 'premium']) };
  v1Profiles[9] = { ...v1Profiles[9]!, allow: v1Allow(['freeAndService', 'nationalFixed', 'sharedCost', 'mobile', 'overseas', 'premium', 'international']) };
  writeConfig(dir, { ...current, version: 1, restrictionProfiles: v1Profiles, outgoing: undefined });
  const store = newStore(dir);
  t.is(store.load().source, 'file');
  const p8 = store.get().restrictionProfiles.find((p) => p.id === 8)!;
  t.deepEqual(p8.allow, {
    free: true, operatorService: true, national: true, lowCapPremium: false, mobile: false, dom: true, comTom: true,
    premium: true, directory: true, international: false, m2m: false,
  });
  t.deepEqual(store.get().restrictionProfiles.find((p) => p.id === 10)!.allow, defaultRestrictionProfiles()[9]!.allow);
  t.true(fs.existsSync(path.join(dir, 'config.json.v1')), 'the version-1 file is kept as a backup');
});
