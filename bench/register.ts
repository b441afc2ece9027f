/**
 * Registrar benchmark: the highest sustained rate of authenticated
 * REGISTERs (REGISTER, 401, REGISTER with digest, 200) with zero failed
 * transactions, for pbxgate and, in the same run, for Kamailio 5.6 as the
 * reference; prints both, their ratio, and pbxgate's CPU and RSS.
 *
 *   node_modules/.bin/tsx bench/register.ts [--kamailio-auth pv|db] [--instances 1|2]
 *       [--only pbxgate|kamailio] [--pbx exe|tsx] [--children N] [--probe-seconds 5]
 *       [--sustain-seconds 20] [--start-rate 2000] [--registrar-threads auto|0..8]
 *
 * Method (same for both targets, same SIPp scenario and injection file):
 * probes of --probe-seconds at a fixed rate, raised x1.6 while a probe
 * passes (zero failed calls and an achieved rate >= 95 % of the target),
 * then a bisection between the last pass and the first failure, then the
 * best rate confirmed by one --sustain-seconds run (stepping down 10 % at
 * most 3 times if it fails). See bench/README.md. Exits 0 whatever the ratio; non-zero only if
 * the bench itself broke.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { REPO, freePort, makePhones, sippUsersCsv, startPbx, type PbxProcess } from '../test/support/pbx-process.ts';
import { startKamailio, type KamailioProcess } from './support/kamailio.ts';
import { parseBenchArgs } from './support/args.ts';
import { processTree } from './support/procstat.ts';
import { runSipp } from './support/sipp.ts';
import { fmt, ramp, type RampOutcome, type RampTarget } from './support/ramp.ts';
import { choosePbxMode } from './support/pbx-target.ts';

const TARGET_RATIO = 0.5;
const SCENARIO = join(REPO, 'test/fixtures/sipp/register-digest.xml');
const MAX_RATE = 60_000;
const MAX_PROBES = 14;
/** SipService's default cap on live transactions (firmware/pbx/sip-service.ts). */
const PBX_MAX_TRANSACTIONS = 200_000;

const args = parseBenchArgs({ startRate: 2000 }, { 'registrar-threads': {} });
/** pbxgate's sip.registrar.threads for the run (docs/sip-registrar.md "Threads"); its config default (auto) when absent. */
const registrarThreads = parseThreads(args.extra['registrar-threads']);
const { kamailioAuth, instances, probeSeconds, sustainSeconds, startRate, children } = args;

/** A ramp target that also knows its SIP port and how to stop (bench/support/ramp.ts runs the ramp). */
interface Target extends RampTarget {
  port: number;
  stop(): Promise<void>;
}

/** SIPp load on a target: the same scenario and injection files for both, one free local port per instance. */
function sippLoad(port: () => number, csvFiles: string[]): RampTarget['load'] {
  return async (rate, seconds) => {
    const localPorts: number[] = [];
    for (let i = 0; i < csvFiles.length; i++) localPorts.push(await freePort());
    return runSipp({ target: `127.0.0.1:${port()}`, scenario: SCENARIO, csvFiles, localPorts, rate, seconds });
  };
}

async function pbxTarget(phones: ReturnType<typeof makePhones>, csvFiles: string[]): Promise<Target> {
  const mode = choosePbxMode(args.pbx);
  const pbx: PbxProcess = await startPbx({
    phones,
    ...(mode.executable ? { executable: mode.executable } : {}),
    // The bench runs from 127.0.0.1 only: a ban would end it, and there is nothing wrong to log per request.
    patch: (c) => {
      c.system.logLevel = 'warn';
      if (registrarThreads !== undefined) c.sip.registrar.threads = registrarThreads;
    },
    extraArgs: ['--log-level', 'warn'],
  });
  const liveTransactions = async (): Promise<number | undefined> => {
    const text = await pbx.command('sip', 15_000).catch(() => '');
    const m = /"?server"?\s*[:=]\s*(\d+)/.exec(text);
    return m?.[1] ? Number(m[1]) : undefined;
  };
  return {
    name: 'pbxgate',
    port: pbx.sipPort,
    load: sippLoad(() => pbx.sipPort, csvFiles),
    describe: `${mode.why}, sip.registrar.threads ${registrarThreads ?? "auto (config default)"}, pid ${pbx.pid}, UDP 127.0.0.1:${pbx.sipPort}`,
    pids: () => (pbx.proc.exitCode === null ? processTree(pbx.pid) : []),
    async settle(calls) {
      // The server transaction of an authenticated UDP REGISTER lives 64*T1 = 32 s (Timer J) after
      // its 200, and pbxgate answers 503 beyond PBX_MAX_TRANSACTIONS live ones. Runs follow each other
      // without a pause (the earlier runs' transactions are part of the load), unless the ones still
      // alive plus this run's would pass 80 % of the cap: then wait for them to end (bounded: 40 s).
      const room = (n: number | undefined): boolean => n === undefined || n + calls <= 0.8 * PBX_MAX_TRANSACTIONS;
      const first = await liveTransactions();
      if (room(first)) return undefined;
      const t0 = Date.now();
      let n: number | undefined = first;
      while (!room(n) && Date.now() - t0 < 40_000) {
        await new Promise((r) => setTimeout(r, 2000));
        n = await liveTransactions();
      }
      return `${fmt(first ?? 0)} live transactions from earlier runs to end (Timer J), ${Math.round((Date.now() - t0) / 1000)} s`;
    },
    async stop() {
      if (pbx.proc.exitCode !== null) throw new Error(`pbxgate exited (${pbx.proc.exitCode}) during the bench:\n${pbx.stderr().slice(-2000)}`);
      await pbx.stop();
    },
  };
}

async function kamailioTarget(phones: ReturnType<typeof makePhones>, csvFiles: string[]): Promise<Target> {
  const port = await freePort();
  const k: KamailioProcess = await startKamailio({
    port,
    auth: kamailioAuth,
    users: phones.map((p) => ({ username: p.sip.username, password: p.sip.password })),
    children,
    sharedMb: 1024,
  });
  return {
    name: 'kamailio',
    port,
    load: sippLoad(() => port, csvFiles),
    describe: `kamailio 5.6 (${kamailioAuth === 'pv' ? 'pv_www_authenticate, password computed in the script' : 'auth_db over db_text'}, usrloc db_mode 0, sl), children=${children}, -m 1024, pid ${k.pid}, UDP 127.0.0.1:${port}`,
    pids: () => k.pids(),
    settle: () => Promise.resolve(undefined),
    stop: () => k.stop(),
  };
}

/** Temp dirs to remove if main() fails half-way. */
const tmpDirs: string[] = [];

async function main(): Promise<void> {
  const started = performance.now();
  const phones = makePhones(60, 40);
  const dir = mkdtempSync(join(tmpdir(), 'bench-register-'));
  tmpDirs.push(dir);
  // Disjoint halves of the users for two SIPp instances (a user registers from one instance only).
  const csvFiles =
    instances === 1
      ? [join(dir, 'users.csv')]
      : [join(dir, 'users-a.csv'), join(dir, 'users-b.csv')];
  if (instances === 1) writeFileSync(csvFiles[0]!, sippUsersCsv(phones));
  else {
    writeFileSync(csvFiles[0]!, sippUsersCsv(phones.filter((_, i) => i % 2 === 0)));
    writeFileSync(csvFiles[1]!, sippUsersCsv(phones.filter((_, i) => i % 2 === 1)));
  }
  const sippVersion = /SIPp v[^\s]+/.exec(spawnSync('sipp', ['-v'], { encoding: 'utf8' }).stdout)?.[0] ?? 'SIPp ?';
  const kamVersion = /version: (.*)/.exec(execFileSync('kamailio', ['-v'], { encoding: 'utf8' }))?.[1]?.trim() ?? 'kamailio ?';
  console.log(`bench/register: ${new Date().toISOString()}, node ${process.version}, ${sippVersion}, ${kamVersion}`);
  console.log(
    `${phones.length} phones, ${instances} SIPp instance(s) (disjoint users), probes ${probeSeconds} s, sustained ${sustainSeconds} s; ` +
      `a call = one authenticated registration (REGISTER/401/REGISTER/200); pass = 0 failed calls and >= 95 % of the target rate`,
  );

  const order = args.only ? [args.only] : ['kamailio', 'pbxgate'];
  const outcomes: RampOutcome[] = [];
  let broke = false;
  for (const name of order) {
    if (name !== 'kamailio' && name !== 'pbxgate') throw new Error('--only is kamailio or pbxgate');
    const target = name === 'kamailio' ? await kamailioTarget(phones, csvFiles) : await pbxTarget(phones, csvFiles);
    try {
      outcomes.push(await ramp(target, { startRate, maxRate: MAX_RATE, maxProbes: MAX_PROBES, probeSeconds, sustainSeconds }));
    } catch (err) {
      broke = true;
      console.error(`${name}: ${(err as Error).message}`);
    } finally {
      await target.stop().catch((err: unknown) => {
        broke = true;
        console.error(String(err));
      });
    }
  }
  rmSync(dir, { recursive: true, force: true });

  console.log('\n== Result (max sustained authenticated REGISTERs/s with zero failures over the sustained run)');
  const header = `${'target'.padEnd(10)} ${'REGISTER/s'.padStart(10)} ${'failures'.padStart(9)} ${'CPU %'.padStart(6)} ${'RSS MB'.padStart(7)} ${'peak RSS'.padStart(8)}  ramp`;
  console.log(header);
  for (const o of outcomes) {
    const s = o.sustained;
    console.log(
      `${o.name.padEnd(10)} ${fmt(o.best).padStart(10)} ${String(s ? s.failed : '-').padStart(9)} ${o.cpuPercent.toFixed(0).padStart(6)} ` +
        `${o.rssMb.toFixed(1).padStart(7)} ${o.maxRssMb.toFixed(1).padStart(8)}  ${o.steps.length} runs, ${Math.round(o.seconds)} s`,
    );
  }
  console.log('(CPU % of one core and RSS of the whole process tree over the sustained run; kamailio: main process + children, RSS counts shared memory once per process)');
  const pbx = outcomes.find((o) => o.name === 'pbxgate');
  const kam = outcomes.find((o) => o.name === 'kamailio');
  if (pbx && kam && kam.best > 0) {
    const ratio = pbx.best / kam.best;
    console.log(`\nratio pbxgate/kamailio = ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}, aim 1.0): ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`);
  }
  console.log(`bench duration ${Math.round((performance.now() - started) / 1000)} s`);
  if (broke) process.exitCode = 1;
}

main().catch((err: unknown) => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  console.error(err);
  process.exitCode = 1;
});

function parseThreads(v: string | undefined): number | 'auto' | undefined {
  if (v === undefined || v === 'auto') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 8) throw new Error('--registrar-threads is auto or 0..8');
  return n;
}
