/**
 * Call setup benchmark (issue 4): the highest rate of complete calls
 * (INVITE, 401, ACK, INVITE with digest, 100/180/200, ACK, BYE, 200) with
 * zero failed calls over --sustain-seconds, through pbxgate's B2BUA (two
 * legs, an RTP relay call per call) and, in the same run, through Kamailio
 * 5.6 as a stateful proxy (tm + rr, registrar in memory, the same digest on
 * INVITE and REGISTER) on the same SIPp scenario; prints both rates, the
 * ratio, and the CPU and RSS of each target.
 *
 *   node_modules/.bin/tsx bench/calls.ts [--only pbxgate|kamailio] [--pbx exe|tsx]
 *       [--instances 1|2] [--children N] [--kamailio-auth pv|db] [--rtp sim|wide]
 *       [--probe-seconds 5] [--sustain-seconds 20] [--start-rate 100]
 *
 * The ramp is bench/support/ramp.ts (the one of bench/register.ts). Exits 0
 * whatever the figures; non-zero only if the bench itself broke. See bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { REPO, freePort, makePhones } from '../test/support/pbx-process.ts';
import type { Phone } from '../firmware/config/index.ts';
import { startKamailio } from './support/kamailio.ts';
import { parseBenchArgs } from './support/args.ts';
import { processTree } from './support/procstat.ts';
import { fmt, ramp, type RampOutcome, type RampTarget } from './support/ramp.ts';
import { runSipp, startSippServer, type SippServer } from './support/sipp.ts';
import { startBenchPbx } from './support/pbx-target.ts';

const UAC = join(REPO, 'test/fixtures/sipp/bench-call-uac.xml');
const UAS = join(REPO, 'test/fixtures/sipp/bench-call-uas.xml');
const REGISTER = join(REPO, 'test/fixtures/sipp/register-digest.xml');
/** SipService's default cap on live transactions (firmware/pbx/sip-service.ts). */
const PBX_MAX_TRANSACTIONS = 200_000;
/** A UAS runs at most this long (s): the whole ramp of one target. */
const UAS_MAX_SECONDS = 240;

const args = parseBenchArgs({ startRate: 100 }, { rtp: { default: 'wide' } });
const { kamailioAuth, instances, children } = args;
const rtp = args.extra.rtp;
if (rtp !== 'wide' && rtp !== 'sim') throw new Error('--rtp is wide or sim');
const rampOptions = {
  startRate: args.startRate,
  maxRate: 20_000,
  maxProbes: 14,
  probeSeconds: args.probeSeconds,
  sustainSeconds: args.sustainSeconds,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIPp instance i: its callee (registered, a UAS on its own port) and its callers. */
interface Side {
  callee: Phone;
  callers: Phone[];
  csv: string;
}

function auth(p: Phone): string {
  return `[authentication username=${p.sip.username} password=${p.sip.password}]`;
}

function sides(phones: Phone[], dir: string): Side[] {
  const out: Side[] = [];
  for (let i = 0; i < instances; i++) {
    const callee = phones[i]!;
    const callers = phones.slice(instances).filter((_, k) => k % instances === i);
    const csv = join(dir, `calls-${i}.csv`);
    writeFileSync(csv, `SEQUENTIAL\n${callers.map((c) => `${c.sip.username};${auth(c)};${callee.internalNumber}`).join('\n')}\n`);
    out.push({ callee, callers, csv });
  }
  return out;
}

/** Registers each callee from a fresh port and starts its UAS there. */
async function startCallees(target: string, list: Side[], dir: string): Promise<SippServer[]> {
  const servers: SippServer[] = [];
  try {
    for (const [i, s] of list.entries()) {
      const port = await freePort();
      const csv = join(dir, `callee-${i}.csv`);
      writeFileSync(csv, `SEQUENTIAL\n${s.callee.sip.username};${auth(s.callee)}\n`);
      const reg = await runSipp({ target, scenario: REGISTER, csvFiles: [csv], localPorts: [port], rate: 1, seconds: 1 });
      if (reg.successful !== 1) throw new Error(`callee ${s.callee.sip.username} could not register at ${target}: ${JSON.stringify(reg)}`);
      servers.push(startSippServer({ target, scenario: UAS, localPort: port, maxSeconds: UAS_MAX_SECONDS }));
    }
    await sleep(300);
  } catch (err) {
    for (const s of servers) await s.stop();
    throw err;
  }
  return servers;
}

interface Running extends RampTarget {
  stop(): Promise<void>;
  /** Calls the callees' UAS completed and failed. */
  uasCounts(): { successful: number; failed: number };
}

function loadFor(target: string, list: Side[]): RampTarget['load'] {
  return async (rate, seconds) => {
    const localPorts: number[] = [];
    for (let i = 0; i < list.length; i++) localPorts.push(await freePort());
    return runSipp({ target, scenario: UAC, csvFiles: list.map((s) => s.csv), localPorts, rate, seconds });
  };
}

function uasCounts(servers: SippServer[]): { successful: number; failed: number } {
  return servers.reduce((a, s) => {
    const c = s.counts();
    return { successful: a.successful + c.successful, failed: a.failed + c.failed };
  }, { successful: 0, failed: 0 });
}

async function pbxTarget(phones: Phone[], list: Side[], dir: string): Promise<Running> {
  const b = await startBenchPbx(phones, { forced: args.pbx, ...(rtp === 'wide' ? { rtp: { portMin: 20000, portMax: 29998 } } : {}) });
  const target = `127.0.0.1:${b.pbx.sipPort}`;
  let servers: SippServer[];
  try {
    servers = await startCallees(target, list, dir);
  } catch (err) {
    await b.stop();
    throw err;
  }
  return {
    name: 'pbxgate',
    describe: `B2BUA, ${b.why}, pid ${b.pbx.pid}, UDP ${target}`,
    pids: () => (b.pbx.proc.exitCode === null ? processTree(b.pbx.pid) : []),
    async settle(calls) {
      // Server transactions (BYE: Timer J, 32 s) from earlier runs: wait when they and this run's
      // (~3 per call) would pass 80 % of the cap (bounded: 40 s).
      const room = (n: number | undefined): boolean => n === undefined || n + 3 * calls <= 0.8 * PBX_MAX_TRANSACTIONS;
      const first = await b.liveTransactions();
      if (room(first)) return undefined;
      const t0 = Date.now();
      let n = first;
      while (!room(n) && Date.now() - t0 < 40_000) {
        await sleep(2000);
        n = await b.liveTransactions();
      }
      return `${fmt(first ?? 0)} live transactions from earlier runs to end, ${Math.round((Date.now() - t0) / 1000)} s`;
    },
    load: loadFor(target, list),
    uasCounts: () => uasCounts(servers),
    async stop() {
      for (const s of servers) await s.stop();
      await b.stop();
    },
  };
}

async function kamailioTarget(phones: Phone[], list: Side[], dir: string): Promise<Running> {
  const port = await freePort();
  const k = await startKamailio({
    port,
    auth: kamailioAuth,
    users: phones.map((p) => ({ username: p.sip.username, password: p.sip.password })),
    children,
    sharedMb: 1024,
    role: 'proxy',
  });
  const target = `127.0.0.1:${port}`;
  let servers: SippServer[];
  try {
    servers = await startCallees(target, list, dir);
  } catch (err) {
    await k.stop();
    throw err;
  }
  return {
    name: 'kamailio',
    describe:
      `stateful proxy (tm, rr, registrar/usrloc in memory, ${kamailioAuth === 'pv' ? 'pv_www_authenticate with the password computed in the script' : 'auth_db over db_text'} ` +
      `on INVITE and REGISTER), children=${children}, -m 1024, pid ${k.pid}, UDP ${target}`,
    pids: () => k.pids(),
    settle: () => Promise.resolve(undefined),
    load: loadFor(target, list),
    uasCounts: () => uasCounts(servers),
    async stop() {
      for (const s of servers) await s.stop();
      await k.stop();
    },
  };
}

const tmpDirs: string[] = [];

async function main(): Promise<void> {
  const started = performance.now();
  const phones = makePhones(60, 40); // as bench/register.ts: 40 with DIDs (internal 410-449), 20 more (601-620)
  const dir = mkdtempSync(join(tmpdir(), 'bench-calls-'));
  tmpDirs.push(dir);
  const list = sides(phones, dir);
  const sippVersion = /SIPp v[^\s]+/.exec(spawnSync('sipp', ['-v'], { encoding: 'utf8' }).stdout)?.[0] ?? 'SIPp ?';
  const kamVersion = /version: (.*)/.exec(execFileSync('kamailio', ['-v'], { encoding: 'utf8' }))?.[1]?.trim() ?? 'kamailio ?';
  console.log(`bench/calls: ${new Date().toISOString()}, node ${process.version}, ${sippVersion}, ${kamVersion}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(
    `${phones.length} phones; ${instances} SIPp UAC instance(s), each calling its own registered callee (a SIPp UAS) from ${list[0]!.callers.length} callers; ` +
      `probes ${rampOptions.probeSeconds} s, sustained ${rampOptions.sustainSeconds} s; a call = INVITE/401/ACK/INVITE+digest/100/180/200/ACK/BYE/200, no talk time; ` +
      `pass = 0 failed calls and >= 95 % of the target rate`,
  );

  const order = args.only ? [args.only] : ['kamailio', 'pbxgate'];
  const outcomes: Array<RampOutcome & { uas: { successful: number; failed: number } }> = [];
  let broke = false;
  for (const name of order) {
    if (name !== 'kamailio' && name !== 'pbxgate') throw new Error('--only is kamailio or pbxgate');
    const target = name === 'kamailio' ? await kamailioTarget(phones, list, dir) : await pbxTarget(phones, list, dir);
    try {
      const o = await ramp(target, rampOptions);
      outcomes.push({ ...o, uas: target.uasCounts() });
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

  console.log('\n== Result (max sustained calls/s with zero failed calls over the sustained run)');
  console.log(`${'target'.padEnd(10)} ${'calls/s'.padStart(8)} ${'failures'.padStart(9)} ${'CPU %'.padStart(6)} ${'RSS MB'.padStart(7)} ${'peak RSS'.padStart(8)}  ramp; UAS calls ok/failed (whole ramp)`);
  for (const o of outcomes) {
    const s = o.sustained;
    console.log(
      `${o.name.padEnd(10)} ${fmt(o.best).padStart(8)} ${String(s ? s.failed : '-').padStart(9)} ${o.cpuPercent.toFixed(0).padStart(6)} ` +
        `${o.rssMb.toFixed(1).padStart(7)} ${o.maxRssMb.toFixed(1).padStart(8)}  ${o.steps.length} runs, ${Math.round(o.seconds)} s; ${fmt(o.uas.successful)}/${fmt(o.uas.failed)}`,
    );
  }
  console.log('(CPU % of one core and RSS of the whole process tree over the sustained run; kamailio: main process + children, RSS counts shared memory once per process)');
  const pbx = outcomes.find((o) => o.name === 'pbxgate');
  const kam = outcomes.find((o) => o.name === 'kamailio');
  if (pbx && kam && kam.best > 0) {
    console.log(`\nratio pbxgate (B2BUA) / kamailio (stateful proxy) = ${(pbx.best / kam.best).toFixed(2)}`);
    if (pbx.best > 0 && pbx.cpuPercent > 0 && kam.cpuPercent > 0) {
      const pbxMs = (10 * pbx.cpuPercent) / pbx.best;
      const kamMs = (10 * kam.cpuPercent) / kam.best;
      console.log(`CPU per call: pbxgate ${pbxMs.toFixed(2)} ms, kamailio ${kamMs.toFixed(2)} ms (x${(pbxMs / kamMs).toFixed(1)})`);
    }
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; bench duration ${Math.round((performance.now() - started) / 1000)} s`);
  if (broke) process.exitCode = 1;
}

main().catch((err: unknown) => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  console.error(err);
  process.exitCode = 1;
});
