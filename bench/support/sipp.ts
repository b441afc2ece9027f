/**
 * Runs SIPp (3.6.1, Debian sip-tester) as a load generator: one or more
 * instances in parallel, each with its own injection file and local port,
 * at a fixed call rate for a fixed number of calls, and reads the final
 * counters from SIPp's statistics file. Every process is bounded in time and
 * killed by PID.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds } from './procstat.ts';

export interface SippRunOptions {
  /** host:port of the target. */
  target: string;
  scenario: string;
  /** One injection file per SIPp instance (disjoint users): instances = csvFiles.length. */
  csvFiles: readonly string[];
  /** Local UDP port of each instance (same length as csvFiles). */
  localPorts: readonly number[];
  /** Total calls per second over all instances. */
  rate: number;
  /** Seconds of traffic at that rate (calls = rate * seconds). */
  seconds: number;
  /** A call with no answer for this long fails (ms). */
  recvTimeoutMs?: number;
  /** More SIPp arguments, after the usual ones. */
  extraArgs?: readonly string[];
}

export interface SippResult {
  rate: number;
  seconds: number;
  instances: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Failure causes with a non-zero count (SIPp's Failed* columns). */
  causes: Record<string, number>;
  /** Wall time from the first call to the end of the last one (s), longest instance. */
  elapsed: number;
  /** successful / elapsed: completed calls per second (authenticated registrations, calls). */
  achieved: number;
  /** CPU used by the SIPp processes, % of one core each (max over instances). */
  sippCpuPercent: number;
  /** Exit codes (0: every call succeeded). */
  exitCodes: Array<number | null>;
  /** A message when SIPp itself could not run. */
  error?: string;
}

interface Instance {
  successful: number;
  failed: number;
  retrans: number;
  causes: Record<string, number>;
  elapsed: number;
  cpuPercent: number;
  exitCode: number | null;
  error?: string;
}

/** Parses "date\ttime\tepoch" into epoch seconds. */
function epochOf(field: string | undefined): number {
  const parts = (field ?? '').split('\t');
  return Number(parts[parts.length - 1]);
}

function readStats(file: string): Omit<Instance, 'cpuPercent' | 'exitCode'> | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const col = (name: string): string | undefined => {
    const i = head.indexOf(name);
    return i >= 0 ? last[i] : undefined;
  };
  const num = (name: string): number => Number(col(name) ?? 0);
  const causes: Record<string, number> = {};
  head.forEach((name, i) => {
    if (name.startsWith('Failed') && name.endsWith('(C)') && name !== 'FailedCall(C)') {
      const v = Number(last[i] ?? 0);
      if (v > 0) causes[name.slice(6, -3)] = v;
    }
  });
  return {
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    retrans: num('Retransmissions(C)'),
    causes,
    elapsed: epochOf(col('CurrentTime')) - epochOf(col('StartTime')),
  };
}

async function runOne(opts: SippRunOptions, index: number, rate: number, calls: number): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sipp-'));
  const statFile = join(dir, 'stat.csv');
  const recvTimeout = opts.recvTimeoutMs ?? 6000;
  const hardLimitS = Math.ceil(opts.seconds * 3 + recvTimeout / 1000 + 15);
  const args = [
    opts.target,
    '-sf', opts.scenario,
    '-inf', opts.csvFiles[index]!,
    '-i', '127.0.0.1',
    '-p', String(opts.localPorts[index]),
    '-r', String(rate),
    '-rp', '1000',
    '-m', String(calls),
    // Open calls at most: 1 s of traffic. A target that falls behind makes SIPp slow down (achieved rate drops).
    '-l', String(Math.max(500, Math.ceil(rate))),
    '-recv_timeout', String(recvTimeout),
    '-max_retrans', '4',
    // 4 MB socket buffers (net.core.rmem_max here): SIPp's default 64 KB overflows in bursts above ~5,000 calls/s.
    '-buff_size', '4194304',
    '-timeout', String(hardLimitS),
    '-timeout_error',
    // No default behaviours: a failed call is not followed by a BYE (the targets would answer 481, more load in an overload).
    '-nd',
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const t0 = performance.now();
  let lastCpu = 0;
  const sampler = setInterval(() => {
    if (proc.pid !== undefined) lastCpu = Math.max(lastCpu, cpuSeconds([proc.pid]));
  }, 250);
  const exitCode = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => {
      if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
    }, (hardLimitS + 10) * 1000);
    proc.once('error', (err) => {
      clearTimeout(kill);
      stderr += String(err);
      resolve(null);
    });
    proc.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
  });
  clearInterval(sampler);
  const wall = (performance.now() - t0) / 1000;
  const stats = readStats(statFile);
  rmSync(dir, { recursive: true, force: true });
  if (!stats) {
    return { successful: 0, failed: calls, retrans: 0, causes: {}, elapsed: wall, cpuPercent: 0, exitCode, error: `SIPp produced no statistics (exit ${exitCode}): ${stderr.trim().slice(0, 500)}` };
  }
  return { ...stats, cpuPercent: (100 * lastCpu) / Math.max(stats.elapsed, 0.001), exitCode };
}

/** Runs the instances in parallel, each at rate/instances, and sums their counters. */
export async function runSipp(opts: SippRunOptions): Promise<SippResult> {
  const n = opts.csvFiles.length;
  const perRate = opts.rate / n;
  const perCalls = Math.max(1, Math.round(perRate * opts.seconds));
  const results = await Promise.all(Array.from({ length: n }, (_, i) => runOne(opts, i, perRate, perCalls)));
  const causes: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.causes)) causes[k] = (causes[k] ?? 0) + v;
  const successful = results.reduce((s, r) => s + r.successful, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  const errors = results.map((r) => r.error).filter((e): e is string => e !== undefined);
  return {
    rate: opts.rate,
    seconds: opts.seconds,
    instances: n,
    calls: perCalls * n,
    successful,
    // Calls SIPp never completed (killed, missing) count as failed too.
    failed: Math.max(failed, perCalls * n - successful),
    retransmissions: results.reduce((s, r) => s + r.retrans, 0),
    causes,
    elapsed,
    achieved: elapsed > 0 ? successful / elapsed : 0,
    sippCpuPercent: Math.max(...results.map((r) => r.cpuPercent)),
    exitCodes: results.map((r) => r.exitCode),
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
}

export interface SippServer {
  pid: number;
  /** Calls the server completed and failed so far (its statistics file, written every second). */
  counts(): { successful: number; failed: number };
  /** Ends it by PID (SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * A SIPp server (a UAS scenario) in the background on 127.0.0.1:localPort,
 * until stop() (and at most `maxSeconds`): the called phone of bench/calls.ts.
 */
export function startSippServer(opts: { target: string; scenario: string; localPort: number; maxSeconds: number; extraArgs?: readonly string[] }): SippServer {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sipp-uas-'));
  const statFile = join(dir, 'stat.csv');
  const args = [
    opts.target,
    '-sf', opts.scenario,
    '-i', '127.0.0.1',
    '-p', String(opts.localPort),
    '-buff_size', '4194304',
    '-max_retrans', '4',
    '-timeout', String(opts.maxSeconds),
    '-nd',
    '-nostdin',
    '-trace_stat', '-stf', statFile, '-fd', '1',
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  const pid = proc.pid;
  if (pid === undefined) throw new Error('sipp did not start');
  const kill = setTimeout(() => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
  }, (opts.maxSeconds + 10) * 1000);
  return {
    pid,
    counts: () => {
      const s = readStats(statFile);
      return { successful: s?.successful ?? 0, failed: s?.failed ?? 0 };
    },
    async stop() {
      clearTimeout(kill);
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        process.kill(pid, 'SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
