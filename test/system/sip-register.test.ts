import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones, sippUsersCsv, freePort, REPO } from '../support/pbx-process.ts';

const SCENARIO = join(REPO, 'test/fixtures/sipp/register-digest.xml');

function sipp(args: string[], timeoutMs = 60_000): { status: number | null; errors: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const errFile = join(dir, 'errors.log');
  const r = spawnSync('sipp', [...args, '-trace_err', '-error_file', errFile, '-nostdin'], { cwd: dir, timeout: timeoutMs, encoding: 'utf8' });
  return { status: r.status, errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '' };
}

test('SIPp registers 40 phones with digest auth from a CSV injection file (issue 3, NUM-2, NUM-3)', async (t) => {
  const phones = makePhones(40, 20);
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const dir = mkdtempSync(join(tmpdir(), 'sipp-csv-'));
  const csv = join(dir, 'users.csv');
  writeFileSync(csv, sippUsersCsv(phones));
  const port = await freePort();
  const r = sipp([`127.0.0.1:${pbx.sipPort}`, '-sf', SCENARIO, '-inf', csv, '-m', '40', '-r', '20', '-i', '127.0.0.1', '-p', String(port), '-timeout', '20', '-timeout_error']);
  t.is(r.status, 0, `SIPp reported failed calls:\n${r.errors}`);
  const list = await pbx.command('phones');
  const registered = list.split('\n').filter((l) => / registered$/.test(l));
  t.is(registered.length, 40, list);
  t.regex(list, /^410 .* registered$/m);
  t.regex(list, /^601 .* registered$/m);
  t.regex(await pbx.command('status'), /phones: 40 registered of 40 configured/);
});
