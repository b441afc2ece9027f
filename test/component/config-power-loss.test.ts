// GW-4 power-loss test: a child process commits config changes in a tight loop
// and is killed with SIGKILL at random moments, 200 times. After every kill
// config.json must parse, validate, be one complete version written by the
// store (never older than the last one seen), and the runtime's own
// ConfigStore.load() must boot from it as is.
//
// The child (test/fixtures/config-writer.ts) is bundled once with esbuild into
// one CJS file, as the shipped executable is (GW-1), and run with this node:
// under tsx each start costs ~0.7 s on this 2-core machine, 200 starts would
// take minutes; the bundle starts in ~0.15 s.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { build } from 'esbuild';
import { FakeClock } from '../../firmware/core/clock.ts';
import { ConfigStore, CONFIG_FILE, configSchema } from '../../firmware/config/index.ts';
import { versionDirectory } from '../fixtures/config-writer.ts';
import { silentLogs } from '../helpers/logs.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const KILLS = 200;
const LANES = 2; // independent children and data dirs, one per core
const KILL_AFTER_MS = { min: 5, max: 60 };

interface Version {
  n: number;
  text: string;
}

/** Reads one config file and checks that it is a complete version as the store writes it. */
function readVersion(file: string): Version {
  const text = fs.readFileSync(file, 'utf8');
  const raw = JSON.parse(text) as unknown; // throws on a torn file
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new Error(`${file} does not validate: ${r.error.message}`);
  if (text !== `${JSON.stringify(raw, null, 2)}\n`) throw new Error(`${file} is not a complete serialization`);
  const m = /^n(\d+)$/.exec(r.data.company.name);
  const n = m ? Number(m[1]) : 0;
  if (JSON.stringify(r.data.directory) !== JSON.stringify(versionDirectory(n)))
    throw new Error(`${file}: directory does not belong to version ${n} (a mixed file)`);
  return { n, text };
}

function waitForReady(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^ready (\d+) (\w+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code, signal) => reject(new Error(`writer exited (${code ?? signal}) before ready: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}

test('GW-4: 200 SIGKILLs during config writes never leave a bad, partial or older config.json', async (t) => {
  t.timeout(120_000);
  const work = tmpDir(t, 'powerloss');
  const bundle = path.join(work, 'config-writer.cjs');
  await build({
    entryPoints: [path.join(ROOT, 'test/fixtures/config-writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    outfile: bundle,
    logLevel: 'silent',
  });

  const alive = new Set<ChildProcess>();
  t.teardown(() => {
    for (const c of alive) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  });

  const stats = { kills: 0, advanced: 0, tornTmpLeft: 0, writes: 0 };

  const lane = async (id: number, kills: number): Promise<void> => {
    const dir = path.join(work, `lane-${id}`);
    const file = path.join(dir, CONFIG_FILE);
    let last = -1;
    for (let i = 0; i < kills; i++) {
      const child = spawn(process.execPath, [bundle, dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_COMPILE_CACHE: path.join(work, 'compile-cache') }, // ~30 % faster starts
      });
      alive.add(child);
      const startN = await waitForReady(child);
      if (startN < last) throw new Error(`lane ${id}: the writer booted on version ${startN}, older than ${last}`);
      const delay = KILL_AFTER_MS.min + Math.floor(Math.random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min + 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      const how = await exited(child);
      alive.delete(child);
      if (how !== 'SIGKILL') throw new Error(`lane ${id}: the writer ended by ${String(how)}, not by our SIGKILL`);
      stats.kills++;

      const now = readVersion(file);
      if (now.n < last) throw new Error(`lane ${id}: config.json went back from version ${last} to ${now.n}`);
      if (fs.existsSync(`${file}.prev`)) {
        const prev = readVersion(`${file}.prev`);
        if (prev.n > now.n) throw new Error(`lane ${id}: .prev (${prev.n}) is newer than config.json (${now.n})`);
      }
      if (fs.existsSync(`${file}.tmp`)) stats.tornTmpLeft++;
      if (now.n > startN) stats.advanced++;
      stats.writes += now.n - startN;

      // The runtime would boot with this directory, using config.json as is.
      const store = new ConfigStore(dir, new FakeClock(), silentLogs().get('config'));
      const report = store.load();
      if (report.source !== 'file' || report.quarantined !== undefined)
        throw new Error(`lane ${id}: load() did not use config.json: ${JSON.stringify(report)}`);
      // Version 0 is the factory file (name ""), seen when the kill came before the first commit.
      const expected = now.n === 0 ? /^(n0)?$/ : new RegExp(`^n${now.n}$`);
      if (!expected.test(store.get().company.name)) throw new Error(`lane ${id}: load() gave "${store.get().company.name}", file is version ${now.n}`);
      if (fs.readFileSync(file, 'utf8') !== now.text) throw new Error(`lane ${id}: load() rewrote a good config.json`);
      last = now.n;
    }
  };

  const started = Date.now();
  await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, KILLS / LANES)));
  t.log(
    `${stats.kills} kills in ${((Date.now() - started) / 1000).toFixed(1)} s; ${stats.writes} versions committed; ` +
      `${stats.advanced} kills after at least one commit; ${stats.tornTmpLeft} left a temp file behind`,
  );
  t.is(stats.kills, KILLS);
  // The kills must land while the writer is writing, or the test proves nothing.
  t.true(stats.advanced >= KILLS / 2, `only ${stats.advanced} of ${KILLS} kills came after a commit`);
});
