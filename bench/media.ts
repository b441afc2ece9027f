/**
 * Media relay benchmark (issue 4): N concurrent relayed G.711 calls with RTP
 * both ways (50 packets/s each way, 160-byte payload), N = 10, 50, 100, 200,
 * through pbxgate's RTP relay and, in the same run, through Debian's
 * rtpengine 10.5 (userspace) as the reference, plus a direct path (the
 * peers send to each other, no relay) measuring the generator's own latency.
 * Per N and target: loss, one-way latency p50/p99 (and added latency: minus
 * the direct path's), jitter, relay CPU per call. Criterion: pbxgate relays
 * 100 concurrent calls with < 0.1 % loss and p99 added latency < 5 ms.
 *
 *   node_modules/.bin/tsx bench/media.ts [--ns 10,50,100,200] [--seconds 10]
 *       [--pbx exe|tsx] [--no-pin] [--rtpengine-threads N] [--only pbxgate|rtpengine]
 *       [--pbx-node-options='--cpu-prof --cpu-prof-dir=/tmp/prof'] (profile pbxgate; tsx mode)
 *
 * pbxgate's calls are real: a minimal SIP caller (digest) calls a registered
 * callee through the B2BUA, each with a generator socket in its SDP, so the
 * relay path is the one phones get. rtpengine's come from ng offer/answer.
 * The generator (bench/support/rtp-load.ts) runs in this process, pinned to
 * CPU 1; the relays are pinned to CPU 0 (--no-pin: no pinning). Exits 0
 * whatever the figures; non-zero only if the bench broke. See bench/README.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort, makePhones } from '../test/support/pbx-process.ts';
import { ResourceMeter, processTree } from './support/procstat.ts';
import { startBenchPbx, type BenchPbx } from './support/pbx-target.ts';
import { closePeers, openPeers, runLoad, type CallPath, type LoadResult, type PeerPair } from './support/rtp-load.ts';
import { sdpAudioAddress, startRtpengine, type Rtpengine } from './support/rtpengine.ts';
import { SipPhone, g711Sdp } from './support/sip-ua.ts';

const { values: argv } = parseArgs({
  options: {
    ns: { type: 'string', default: '10,50,100,200' },
    seconds: { type: 'string', default: '10' },
    pbx: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'rtpengine-threads': { type: 'string' },
    only: { type: 'string' },
    'pbx-node-options': { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
  strict: true,
});
const ns = argv.ns.split(',').map(Number).sort((a, b) => a - b);
if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 240)) throw new Error('--ns: integers 1..240');
const seconds = Number(argv.seconds);
const pin = !argv['no-pin'];
const maxN = ns[ns.length - 1]!;
const CRITERION_N = 100;
/** Interleaved rounds (direct, rtpengine, pbxgate) at the criterion's N: the verdict takes their median, not one draw of this noisy machine. */
const ROUNDS = Number(argv.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 9) throw new Error('--rounds: 1..9');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pinTo(cpu: number, pids: readonly number[]): void {
  if (!pin) return;
  for (const pid of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    } catch {
      // a process that ended meanwhile
    }
  }
}

interface Relay {
  name: string;
  describe: string;
  pids(): readonly number[];
  /** Sets up calls [from, to) on the relay; returns where each call's peers send. */
  addCalls(peers: readonly PeerPair[], from: number, to: number): Promise<CallPath[]>;
  stop(): Promise<void>;
}

async function pbxRelay(): Promise<Relay> {
  const phones = makePhones(2, 0); // 601 calls 602
  // Wide RTP range: 200 calls hold 400 pairs, and the pairs of earlier runs sit in quarantine.
  const b: BenchPbx = await startBenchPbx(phones, { forced: argv.pbx, rtp: { portMin: 20000, portMax: 29998 }, nodeOptions: argv['pbx-node-options'] });
  const cred = (i: number): { user: string; password: string } => ({ user: phones[i]!.sip.username, password: phones[i]!.sip.password });
  const caller = new SipPhone(b.pbx.sipPort, cred(0));
  const callee = new SipPhone(b.pbx.sipPort, cred(1));
  const hangups: Array<() => Promise<void>> = [];
  try {
    await caller.open();
    await callee.open();
    await callee.register();
  } catch (err) {
    caller.close();
    callee.close();
    await b.stop();
    throw err;
  }
  return {
    name: 'pbxgate',
    describe: `B2BUA + relay, ${b.why}, pid ${b.pbx.pid}`,
    pids: () => (b.pbx.proc.exitCode === null ? processTree(b.pbx.pid) : []),
    async addCalls(peers, from, to) {
      const paths: CallPath[] = [];
      for (let i = from; i < to; i++) {
        const answered = callee.expectCall(peers[i]!.bPort);
        const c = await caller.call(phones[1]!.internalNumber, peers[i]!.aPort);
        const relayB = await answered;
        hangups.push(c.hangup);
        paths.push({ aSendsTo: c.relay.port, bSendsTo: relayB.port });
      }
      return paths;
    },
    async stop() {
      for (const h of hangups) await h();
      caller.close();
      callee.close();
      await b.stop();
    },
  };
}

async function rtpengineRelay(): Promise<Relay> {
  const ngPort = await freePort();
  const r: Rtpengine = await startRtpengine({
    ngPort,
    portMin: 10000,
    portMax: 19998,
    ...(argv['rtpengine-threads'] ? { threads: Number(argv['rtpengine-threads']) } : {}),
  });
  const ids: string[] = [];
  const v = spawnSync('rtpengine', ['--version'], { encoding: 'utf8' });
  const version = /Version: (\S+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? '?';
  return {
    name: 'rtpengine',
    describe: `rtpengine ${version} userspace (--table=-1), ${argv['rtpengine-threads'] ?? 'default (one per CPU)'} worker threads, pid ${r.pid}`,
    pids: () => r.pids(),
    async addCalls(peers, from, to) {
      const paths: CallPath[] = [];
      for (let i = from; i < to; i++) {
        const callId = `bench-${process.pid}-${i}`;
        ids.push(callId);
        // offer: A's SDP in, the SDP for B out (rtpengine's port that B sends to).
        const offer = await r.ng({ command: 'offer', 'call-id': callId, 'from-tag': `a${i}`, sdp: g711Sdp(peers[i]!.aPort, i + 1), replace: ['origin', 'session-connection'], ICE: 'remove' });
        const forB = sdpAudioAddress(String(offer.sdp));
        const answer = await r.ng({ command: 'answer', 'call-id': callId, 'from-tag': `a${i}`, 'to-tag': `b${i}`, sdp: g711Sdp(peers[i]!.bPort, i + 1001), replace: ['origin', 'session-connection'], ICE: 'remove' });
        const forA = sdpAudioAddress(String(answer.sdp));
        paths.push({ aSendsTo: forA.port, bSendsTo: forB.port });
      }
      return paths;
    },
    async stop() {
      for (const [i, id] of ids.entries()) await r.ng({ command: 'delete', 'call-id': id, 'from-tag': `a${i}` }).catch(() => undefined);
      await r.stop();
    },
  };
}

interface Row {
  target: string;
  n: number;
  round: number;
  r: LoadResult;
  cpuPercent: number;
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');

function printRow(row: Row, base: Row | undefined): void {
  const added = base ? row.r.p99 - base.r.p99 : Number.NaN;
  console.log(
    `  ${row.target.padEnd(10)} N=${String(row.n).padStart(3)}  sent ${String(row.r.sent).padStart(6)}  loss ${f(row.r.lossPercent, 3).padStart(6)}%  ` +
      `latency p50 ${f(row.r.p50, 3)} p99 ${f(row.r.p99, 3)} max ${f(row.r.max, 1)} ms` +
      `${row.target === 'direct' ? '' : ` (p99 added ${f(added, 3)})`}  jitter ${f(row.r.jitterMean, 3)}/${f(row.r.jitterMax, 3)} ms  ` +
      `${row.target === 'direct' ? '' : `CPU ${f(row.cpuPercent, 1)}% = ${f(row.cpuPercent / row.n, 3)}%/call`}${row.r.misrouted ? `  MISROUTED ${row.r.misrouted}` : ''}` +
      `${starved(row) ? `  GENERATOR STARVED (sent ${f((100 * row.r.sent) / expected(row), 1)}% of its packets: machine overloaded, figures not valid)` : ''}`,
  );
}

const expected = (row: Row): number => row.n * 2 * 50 * row.r.seconds;
/** The generator did not get the CPU to send its packets on time: the machine is overloaded, the row measures that. */
const starved = (row: Row): boolean => row.r.sent < 0.98 * expected(row);

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`bench/media: ${new Date().toISOString()}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(
    `N = ${ns.join(', ')} concurrent calls, G.711 PCMA 20 ms both ways (${2 * 50} packets/s per call), ${seconds} s per N and target; ` +
      `latency = one-way, generator socket to generator socket; ${pin ? 'generator pinned to CPU 1, relays to CPU 0' : 'no CPU pinning'}`,
  );
  pinTo(1, [process.pid]);
  const peers = await openPeers(maxN);
  const relays: Relay[] = [];
  const rows: Row[] = [];
  let broke = false;
  try {
    if (argv.only !== undefined && argv.only !== 'pbxgate' && argv.only !== 'rtpengine') throw new Error('--only is pbxgate or rtpengine');
    if (argv.only !== 'pbxgate') relays.push(await rtpengineRelay());
    if (argv.only !== 'rtpengine') relays.push(await pbxRelay());
    for (const r of relays) {
      pinTo(0, r.pids());
      console.log(`  ${r.name}: ${r.describe}`);
    }
    const paths = new Map<string, CallPath[]>(relays.map((r) => [r.name, []]));
    const direct: CallPath[] = peers.map((p) => ({ aSendsTo: p.bPort, bSendsTo: p.aPort }));
    let have = 0;
    for (const n of ns) {
      const t0 = performance.now();
      for (const r of relays) paths.get(r.name)!.push(...(await r.addCalls(peers, have, n)));
      have = n;
      console.log(`\n== N = ${n} (calls set up in ${Math.round(performance.now() - t0)} ms)`);
      const rounds = n === CRITERION_N ? ROUNDS : 1;
      for (let round = 1; round <= rounds; round++) {
        if (rounds > 1) console.log(`  -- round ${round} of ${rounds}`);
        const base: Row = { target: 'direct', n, round, r: await runLoad(peers.slice(0, n), direct.slice(0, n), seconds), cpuPercent: 0 };
        rows.push(base);
        printRow(base, undefined);
        for (const r of relays) {
          await sleep(300);
          const meter = new ResourceMeter(() => r.pids());
          meter.start();
          const result = await runLoad(peers.slice(0, n), paths.get(r.name)!.slice(0, n), seconds);
          const m = meter.stop();
          const row: Row = { target: r.name, n, round, r: result, cpuPercent: m.cpuPercent };
          rows.push(row);
          printRow(row, base);
        }
      }
    }
  } catch (err) {
    broke = true;
    console.error(err);
  } finally {
    for (const r of relays) {
      await r.stop().catch((err: unknown) => {
        broke = true;
        console.error(String(err));
      });
    }
    await closePeers(peers);
  }

  console.log('\n== Result (loss %, one-way latency p50/p99 ms and p99 added over the direct path of the same round, jitter mean ms, relay CPU % of one core per call)');
  console.log(`${'N'.padStart(4)}  ${'target'.padEnd(10)} ${'round'.padStart(5)} ${'loss %'.padStart(7)} ${'p50'.padStart(6)} ${'p99'.padStart(6)} ${'+p99'.padStart(6)} ${'jitter'.padStart(7)} ${'CPU %'.padStart(6)} ${'%/call'.padStart(7)}`);
  const baseOf = (row: Row): Row | undefined => rows.find((x) => x.target === 'direct' && x.n === row.n && x.round === row.round);
  const addedOf = (row: Row): number => {
    const base = baseOf(row);
    return row.target === 'direct' || !base ? Number.NaN : row.r.p99 - base.r.p99;
  };
  for (const row of rows) {
    console.log(
      `${String(row.n).padStart(4)}  ${row.target.padEnd(10)} ${String(row.round).padStart(5)} ${f(row.r.lossPercent, 3).padStart(7)} ${f(row.r.p50, 3).padStart(6)} ${f(row.r.p99, 3).padStart(6)} ${f(addedOf(row), 3).padStart(6)} ` +
        `${f(row.r.jitterMean, 3).padStart(7)} ${(row.target === 'direct' ? '-' : f(row.cpuPercent, 1)).padStart(6)} ${(row.target === 'direct' ? '-' : f(row.cpuPercent / row.n, 3)).padStart(7)}`,
    );
  }
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length === 0 ? Number.NaN : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const crits = rows.filter((x) => x.target === 'pbxgate' && x.n === CRITERION_N && baseOf(x));
  if (crits.length > 0) {
    const added = median(crits.map(addedOf));
    const loss = Math.max(...crits.map((x) => x.r.lossPercent));
    const ok = loss < 0.1 && added < 5 && crits.every((x) => x.r.misrouted === 0);
    const invalid = crits.some((x) => starved(x) || starved(baseOf(x)!));
    const rtes = rows.filter((x) => x.target === 'rtpengine' && x.n === CRITERION_N && baseOf(x));
    console.log(
      `\npbxgate, ${CRITERION_N} concurrent calls, ${crits.length} round(s): loss ${f(loss, 3)}% at most (< 0.1), p99 added latency ${f(added, 3)} ms median ` +
        `(< 5; rounds ${crits.map((x) => f(addedOf(x), 2)).join(', ')}; rtpengine ${rtes.length ? `${f(median(rtes.map(addedOf)), 3)} ms median` : 'not run'}): ${ok ? 'PASS' : 'FAIL'}` +
        `${invalid ? ' (NOT VALID: the generator was starved, the machine was overloaded: run again)' : ''}`,
    );
    if (rtes.length > 0) {
      const cpu = (xs: Row[]): number => median(xs.map((x) => x.cpuPercent));
      if (cpu(rtes) > 0) console.log(`CPU per call at N=${CRITERION_N}: pbxgate/rtpengine = ${f(cpu(crits) / cpu(rtes), 2)}`);
    }
  } else console.log(`\n(criterion not evaluated: N=${CRITERION_N} not in --ns or the run broke)`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; bench duration ${Math.round((performance.now() - started) / 1000)} s`);
  if (broke) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
