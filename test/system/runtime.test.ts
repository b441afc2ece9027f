// The real runtime (tsx firmware/main.ts on the simulated board), driven as a
// technician would: the console on stdin/stdout (GW-5), the health endpoint,
// SIGTERM. Each test has its own data dir and ports chosen by the system.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { configSchema } from '../../firmware/config/index.ts';
import { descendants, isAlive, RuntimeProcess } from '../helpers/runtime-process.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function start(t: import('ava').ExecutionContext, dataDir: string): RuntimeProcess {
  return new RuntimeProcess(t, ['--board', 'sim', '--data-dir', dataDir, '--http-port', '0', '--sip-port', '0']);
}

/** SIGTERM, then: exit code 0 and no process of ours left behind. */
async function stopCleanly(t: import('ava').ExecutionContext, rt: RuntimeProcess): Promise<void> {
  const family = descendants(rt.pid);
  t.true(family.length > 0, 'tsx runs the firmware in a child node process');
  process.kill(rt.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    rt.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within 10 s of SIGTERM\n${rt.output}`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  t.deepEqual(result, { code: 0, signal: null }, rt.output);
  for (let i = 0; i < 40 && family.some(isAlive); i++) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(family.filter(isAlive), [], 'no leftover process');
  t.truthy(rt.logRecords().find((r) => r['msg'] === 'stopping' && r['signal'] === 'SIGTERM'));
}

test('GW-5 system: the runtime boots, answers the console, serves /healthz, and exits 0 on SIGTERM', async (t) => {
  t.timeout(60_000);
  const dataDir = tmpDir(t, 'system');
  const rt = start(t, dataDir);
  const boot = await rt.ready();
  t.regex(boot, new RegExp(`^pbxgate ${VERSION.replace(/\./g, '\\.')} ready on board sim \\(Simulated board \\(runs on a PC\\)\\)\\n`));
  t.true(boot.includes(`  data:      ${path.join(dataDir, 'config.json')}\n`));
  const firstPassword = /admin password \(factory defaults\): (\S+)/.exec(boot)?.[1];
  t.truthy(firstPassword, boot);
  const port = Number(/admin web: http:\/\/127\.0\.0\.1:(\d+)\//.exec(boot)?.[1]);
  t.true(port > 0, boot);

  // status
  const status = await rt.command('status');
  t.regex(status, new RegExp(`^version: ${VERSION.replace(/\./g, '\\.')}\\nboard: sim \\(Simulated board \\(runs on a PC\\)\\)\\nuptime: 0d 00:00:\\d\\d\\nservices: `));
  for (const s of ['indicators', 'config', 'http', 'console']) t.true(status.includes(`${s}=running`), status);

  // help
  const help = await rt.command('help');
  for (const c of ['status', 'config show <path>', 'factory-reset', 'led <role> <state>', 'button <role> <action>', 'log level <level> <namespace>', 'reboot'])
    t.regex(help, new RegExp(`^${c.replace(/[<>]/g, '.')} +\\S`, 'm'), `help lists ${c}`);

  // config show sip
  const sip = JSON.parse(await rt.command('config show sip')) as { realm: string; timers: { t1: number } };
  t.is(sip.realm, 'pbxgate');
  t.is(sip.timers.t1, 500);

  // unknown command and malformed lines: one error line each, the console carries on
  t.is(await rt.command('frobnicate now'), 'error E_UNKNOWN_COMMAND: unknown command "frobnicate" (type help)');
  t.is(await rt.command('config show "sip'), 'error E_BAD_ARGUMENTS: unterminated quote');
  t.is(await rt.command('\x01\x02status\x7f\x1b'), 'error E_BAD_ARGUMENTS: unprintable characters in the line, ignored');
  t.is(await rt.command('a'.repeat(2000)), 'error E_BAD_ARGUMENTS: line too long (max 512 characters)');

  // factory-reset: "no" cancels, "yes" resets with a new admin password, stored on disk
  const question = 'All configuration (phones, groups, forwards, trunk) will be erased. Type "yes" to confirm:';
  t.is(await rt.command('factory-reset'), question);
  t.is(await rt.command('no'), 'cancelled');
  t.is(await rt.command('admin-password'), `login: admin\npassword: ${firstPassword}`);
  t.is(await rt.command('factory-reset'), question);
  const reset = await rt.command('yes');
  const newPassword = /^configuration reset to factory defaults\nadmin password: (\S+)$/.exec(reset)?.[1];
  t.truthy(newPassword, reset);
  t.not(newPassword, firstPassword);
  const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, 'config.json'), 'utf8')) as unknown;
  t.true(configSchema.safeParse(onDisk).success);
  t.is<string | undefined, string | undefined>((onDisk as { admin: { devicePassword: string } }).admin.devicePassword, newPassword);
  t.is(await rt.command('admin-password'), `login: admin\npassword: ${newPassword}`);

  // LEDs (the power LED is on while the runtime runs, GW-3) and the simulated reset button
  // The internet LED follows the simulated DSL line (on once it trains, no trunk configured): either state here.
  t.regex(await rt.command('led'), /^power: on\ninternet: (on|off)\ntelephony: off\npowerline: off$/);
  // (A reset click would reboot: docs/indicators.md. The pairing button opens powerline pairing.)
  t.is(await rt.command('button pairing click'), 'pairing: pressed for 200 ms');

  // GET /healthz on the announced admin web port
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  const health = (await res.json()) as { version: string; board: string; services: Array<{ name: string; state: string }> };
  t.is(health.version, VERSION);
  t.is(health.board, 'sim');
  t.true(health.services.some((s) => s.name === 'config' && s.state === 'running'));
  t.is((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status, 404);

  await stopCleanly(t, rt);
});

test('GW-4 system: a truncated config.json is kept aside, the log says why, and the last good version is used', async (t) => {
  t.timeout(60_000);
  const dataDir = tmpDir(t, 'system');
  const fixtures = path.join(ROOT, 'test/fixtures/config');
  fs.copyFileSync(path.join(fixtures, 'truncated.json'), path.join(dataDir, 'config.json'));
  fs.copyFileSync(path.join(fixtures, 'last-good.json'), path.join(dataDir, 'config.json.prev'));
  const rt = start(t, dataDir);
  const boot = await rt.ready();
  const warning = /WARNING: configuration was invalid \((.+)\); kept aside as (\S+), using previous/.exec(boot);
  t.truthy(warning, boot);
  t.false(boot.includes('admin password (factory defaults)'), boot);
  const quarantined = warning?.[2] ?? '';
  t.is(path.dirname(quarantined), dataDir);
  t.regex(path.basename(quarantined), /^config\.json\.bad-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
  t.true(fs.readFileSync(quarantined).equals(fs.readFileSync(path.join(fixtures, 'truncated.json'))));
  // stderr (pino JSON) says why
  const rec = rt.logRecords().find((r) => r['msg'] === 'configuration rejected: kept aside, using the last good one');
  t.like(rec, { level: 50, ns: 'config', quarantined, using: 'previous' });
  t.regex(String(rec?.['problem']), /^not valid JSON: /);
  t.is(await rt.command('config show company.name'), '"Last Good SARL"');
  t.is(await rt.command('admin-password'), 'login: admin\npassword: LastGoodPass7');
  await stopCleanly(t, rt);
});

test('GW-4 system: an empty config.json without a previous version: factory defaults, and the runtime still starts', async (t) => {
  t.timeout(60_000);
  const dataDir = tmpDir(t, 'system');
  fs.writeFileSync(path.join(dataDir, 'config.json'), '');
  const rt = start(t, dataDir);
  const boot = await rt.ready();
  t.regex(boot, /WARNING: configuration was invalid \(not valid JSON: .*\); kept aside as \S+config\.json\.bad-\S+, using defaults/);
  // The new device password is printed, since the old one is gone with the bad file.
  const shown = /admin password \(factory defaults\): (\S+)/.exec(boot)?.[1];
  t.truthy(shown, boot);
  t.is(await rt.command('admin-password'), `login: admin\npassword: ${shown}`);
  t.is(await rt.command('config show company.name'), '""');
  await stopCleanly(t, rt);
});

test('GW-5 system: reboot on the simulated board restarts the runtime in-process with the stored config', async (t) => {
  t.timeout(60_000);
  const dataDir = tmpDir(t, 'system');
  const rt = start(t, dataDir);
  await rt.ready();
  const password = /password: (\S+)/.exec(await rt.command('admin-password'))?.[1];
  t.truthy(password);
  const from = rt.stdout.length;
  t.is(await rt.command('reboot'), 'rebooting...');
  const again = await rt.waitFor((s) => /pbxgate \S+ rebooted on board sim/.test(s) && s.endsWith('pbxgate> '), 15_000, from, 'rebooted');
  t.false(again.includes('admin password (factory defaults)'), again);
  t.is(await rt.command('admin-password'), `login: admin\npassword: ${password}`);
  const status = await rt.command('status');
  for (const s of ['config', 'http', 'console']) t.true(status.includes(`${s}=running`), status);
  await stopCleanly(t, rt);
});
