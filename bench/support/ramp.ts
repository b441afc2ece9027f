/**
 * The ramp of the SIPp benchmarks (bench/register.ts and bench/calls.ts): probes of `probeSeconds` at a fixed rate,
 * raised x1.6 while a probe passes (zero failed calls and an achieved rate
 * >= 95 % of the target), then a bisection between the last pass and the
 * first failure down to ~6 %, then the best rate held for `sustainSeconds`
 * (stepping down 10 % at most 3 times if it fails), with the CPU and RSS of
 * the target measured over that sustained run.
 */
import { ResourceMeter, cpuSeconds } from './procstat.ts';
import type { SippResult } from './sipp.ts';

export interface RampTarget {
  name: string;
  describe: string;
  /** Processes whose CPU and RSS are reported. */
  pids(): readonly number[];
  /** Before a run of `calls` calls: waits until state left by earlier runs allows it (bounded); returns what it waited for. */
  settle(calls: number): Promise<string | undefined>;
  /** One SIPp run at this rate for this long. */
  load(rate: number, seconds: number): Promise<SippResult>;
}

export interface RampOptions {
  startRate: number;
  maxRate: number;
  maxProbes: number;
  probeSeconds: number;
  sustainSeconds: number;
}

export interface RampStep {
  kind: 'probe' | 'sustain';
  result: SippResult;
  pass: boolean;
}

export interface RampOutcome {
  name: string;
  describe: string;
  /** Highest rate held for sustainSeconds with zero failures (0: none). */
  best: number;
  sustained: SippResult | undefined;
  steps: RampStep[];
  cpuPercent: number;
  rssMb: number;
  maxRssMb: number;
  seconds: number;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function passes(r: SippResult): boolean {
  return r.error === undefined && r.failed === 0 && r.successful === r.calls && r.achieved >= 0.95 * r.rate;
}

export function stepLine(step: RampStep): string {
  const r = step.result;
  const causes = Object.entries(r.causes)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    `    ${step.kind.padEnd(7)} ${fmt(r.rate).padStart(7)}/s x ${r.seconds}s: ${fmt(r.successful).padStart(7)} ok, ${fmt(r.failed)} failed, ` +
    `achieved ${fmt(r.achieved)}/s, ${fmt(r.retransmissions)} retrans, sipp cpu ${Math.round(r.sippCpuPercent)}%` +
    `${causes ? ` [${causes}]` : ''}${r.error ? ` ERROR ${r.error}` : ''} -> ${step.pass ? 'pass' : 'FAIL'}`
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A target is quiet when its processes use less than this share of one core over QUIET_WINDOW_MS. */
const QUIET_CPU = 0.1;
const QUIET_WINDOW_MS = 500;
const QUIET_MAX_MS = 30_000;

/**
 * Waits (at least minMs, at most QUIET_MAX_MS) until the target has worked
 * off what the last run left: its socket queue and the late retransmissions
 * of a SIPp that is gone. A run that starts while the target still works
 * measures the previous run too. Returns the milliseconds it took beyond minMs
 * when that was long enough to mention.
 */
async function quiet(target: RampTarget, minMs: number): Promise<number | undefined> {
  await sleep(minMs);
  const t0 = performance.now();
  for (;;) {
    const pids = target.pids();
    const before = cpuSeconds(pids);
    await sleep(QUIET_WINDOW_MS);
    const busy = (cpuSeconds(pids) - before) / (QUIET_WINDOW_MS / 1000);
    const waited = performance.now() - t0;
    if (busy < QUIET_CPU || waited >= QUIET_MAX_MS) return waited > 2 * QUIET_WINDOW_MS ? waited : undefined;
  }
}

export async function ramp(target: RampTarget, o: RampOptions): Promise<RampOutcome> {
  const t0 = performance.now();
  const steps: RampStep[] = [];
  console.log(`\n== ${target.name}: ${target.describe}`);
  const run = async (rate: number, seconds: number): Promise<RampStep> => {
    const waited = await target.settle(rate * seconds);
    if (waited) console.log(`    (waited for ${waited})`);
    const result = await target.load(rate, seconds);
    const step: RampStep = { kind: 'probe', result, pass: passes(result) };
    steps.push(step);
    console.log(stepLine(step));
    // Let retransmissions and late answers drain before the next run (longer after an overload).
    const drained = await quiet(target, step.pass ? 1000 : 3000);
    if (drained !== undefined) console.log(`    (${target.name} busy ${(drained / 1000).toFixed(1)} s more after the run)`);
    return step;
  };

  // 1. Geometric ramp.
  let lo = 0;
  let hi: number | undefined;
  let rate = o.startRate;
  while (steps.length < o.maxProbes && rate <= o.maxRate) {
    const s = await run(rate, o.probeSeconds);
    if (s.result.error && s.result.successful === 0) throw new Error(`${target.name}: ${s.result.error}`);
    if (!s.pass) {
      hi = rate;
      break;
    }
    lo = rate;
    rate = Math.round(rate * 1.6);
  }
  // 2. Bisection down to ~6 % between the last pass and the first failure.
  const round = (x: number): number => (x >= 1000 ? Math.round(x / 50) * 50 : x >= 100 ? Math.round(x / 5) * 5 : Math.round(x));
  while (hi !== undefined && steps.length < o.maxProbes && hi / Math.max(lo, 1) > 1.06) {
    const mid = lo === 0 ? Math.round(hi / 2) : round(Math.sqrt(lo * hi));
    if (mid <= lo || mid >= hi) break;
    const s = await run(mid, o.probeSeconds);
    if (s.pass) lo = mid;
    else hi = mid;
  }
  // 3. Sustained confirmation; step down if it fails.
  let best = 0;
  let sustained: SippResult | undefined;
  let cpu = { cpuPercent: 0, rssKb: 0, maxRssKb: 0 };
  let candidate = lo;
  for (let attempt = 0; attempt < 4 && candidate > 0; attempt++) {
    const waited = await target.settle(candidate * o.sustainSeconds);
    if (waited) console.log(`    (waited for ${waited})`);
    const meter = new ResourceMeter(() => target.pids());
    meter.start();
    const result = await target.load(candidate, o.sustainSeconds);
    const m = meter.stop();
    const step: RampStep = { kind: 'sustain', result, pass: passes(result) };
    steps.push(step);
    console.log(stepLine(step));
    sustained = result;
    cpu = m;
    if (step.pass) {
      best = candidate;
      break;
    }
    candidate = round(candidate * 0.9);
    const drained = await quiet(target, 3000);
    if (drained !== undefined) console.log(`    (${target.name} busy ${(drained / 1000).toFixed(1)} s more after the run)`);
  }
  return {
    name: target.name,
    describe: target.describe,
    best,
    sustained,
    steps,
    cpuPercent: cpu.cpuPercent,
    rssMb: cpu.rssKb / 1024,
    maxRssMb: cpu.maxRssKb / 1024,
    seconds: (performance.now() - t0) / 1000,
  };
}
