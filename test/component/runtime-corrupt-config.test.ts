// GW-4: whatever config.json holds, the runtime starts; the bad file is kept
// aside, the log says why, and the last good version (config.json.prev) is
// used when there is one, else factory defaults. Runtime in-process on a
// SimBoard whose console is an in-process serial line.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import { Runtime } from '../../firmware/app/index.ts';
import { CONFIG_FILE, configSchema } from '../../firmware/config/index.ts';
import { loadBoardDefinition, SimBoard } from '../../firmware/hal/index.ts';
import { captureLogs } from '../helpers/logs.ts';
import { flush, ROOT, tmpDir } from '../helpers/tmp.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures/config');

const CASES: Array<{ fixture: string; problem: RegExp }> = [
  { fixture: 'truncated.json', problem: /^not valid JSON: / },
  { fixture: 'wrong-types.json', problem: /^schema: capacity\.maxExternalCalls: / },
  { fixture: 'newer-version.json', problem: /^version 3 is newer than this firmware understands \(2\)$/ },
  { fixture: 'not-an-object.json', problem: /^not a JSON object$/ },
  { fixture: 'empty.json', problem: /^not valid JSON: / },
];

async function boot(t: import('ava').ExecutionContext, dataDir: string) {
  const { logs, records } = captureLogs('info');
  const def = loadBoardDefinition('sim');
  const board = new SimBoard({ ...def, serial: { ...def.serial, console: { path: 'sim', baudRate: 115200 } } });
  const runtime = new Runtime({
    version: '0.0.0-test',
    board,
    clock: new FakeClock(Date.UTC(2026, 4, 12, 7, 45, 0)),
    logs,
    dataDir,
    httpPort: 0,
    onRebootRequested: () => {},
  });
  t.teardown(async () => {
    await runtime.stop();
    await board.close();
  });
  await runtime.start();
  return { runtime, board, records };
}

/** Types a line on the in-process console and returns the answer (echo and prompt stripped). */
async function consoleLine(board: SimBoard, line: string): Promise<string> {
  const terminal = board.peerOf('console');
  if (!terminal) throw new Error('no console line');
  let screen = '';
  const off = terminal.onData((c) => (screen += c.toString('utf8')));
  await terminal.write(`${line}\r`);
  for (let i = 0; i < 20 && !screen.endsWith('pbxgate> '); i++) await flush();
  off();
  return screen.replace(`${line}\r\n`, '').replace(/\r\npbxgate> $/, '');
}

for (const { fixture, problem } of CASES) {
  for (const withPrev of [true, false]) {
    test(`GW-4: config.json ${fixture.replace('.json', '')}, ${withPrev ? 'with' : 'without'} config.json.prev: starts on ${withPrev ? 'the last good version' : 'factory defaults'}`, async (t) => {
      const dir = tmpDir(t, 'corrupt');
      const bad = fs.readFileSync(path.join(FIXTURES, fixture));
      fs.writeFileSync(path.join(dir, CONFIG_FILE), bad);
      if (withPrev) fs.copyFileSync(path.join(FIXTURES, 'last-good.json'), path.join(dir, `${CONFIG_FILE}.prev`));

      const { runtime, board, records } = await boot(t, dir);

      // Started: every service runs.
      t.deepEqual(
        runtime.services().map((s) => `${s.name}=${s.state}`),
        ['indicators=running', 'config=running', 'http=running', 'console=running'],
      );
      // The bad file is kept aside, byte for byte, under a dated name.
      const report = runtime.configService.lastReport;
      const quarantined = path.join(dir, 'config.json.bad-2026-05-12T07-45-00-000Z');
      t.is(report?.quarantined, quarantined);
      t.true(fs.readFileSync(quarantined).equals(bad));
      t.regex(report?.problem ?? '', problem);
      t.is(report?.source, withPrev ? 'previous' : 'defaults');
      // The log says why.
      const rec = records().find((r) => r.msg === 'configuration rejected: kept aside, using the last good one');
      t.like(rec, { level: 50, ns: 'config', quarantined, using: withPrev ? 'previous' : 'defaults' });
      t.regex(String(rec?.['problem']), problem);
      // The config in use, on disk and in memory.
      const onDisk = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8')) as unknown;
      t.true(configSchema.safeParse(onDisk).success, 'config.json is valid again');
      const cfg = runtime.config.get();
      if (withPrev) {
        t.is(cfg.company.name, 'Last Good SARL');
        t.is(cfg.admin.devicePassword, 'LastGoodPass7');
      } else {
        t.is(cfg.company.name, '');
        t.not(cfg.admin.devicePassword, 'LastGoodPass7');
      }
      // The front ends answer: the console and the health endpoint.
      t.is(await consoleLine(board, 'config show company.name'), JSON.stringify(cfg.company.name));
      const res = await fetch(`http://127.0.0.1:${runtime.http.address.port}/healthz`);
      t.is(res.status, 200);
      const health = (await res.json()) as { services: Array<{ name: string; state: string }> };
      t.true(health.services.every((s) => s.state === 'running'));
    });
  }
}

test('GW-4: a valid config.json is used as is and nothing is quarantined', async (t) => {
  const dir = tmpDir(t, 'corrupt');
  fs.copyFileSync(path.join(FIXTURES, 'last-good.json'), path.join(dir, CONFIG_FILE));
  const { runtime } = await boot(t, dir);
  t.deepEqual(runtime.configService.lastReport, { source: 'file' });
  t.is(runtime.config.get().company.name, 'Last Good SARL');
  t.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.bad-')), []);
});
