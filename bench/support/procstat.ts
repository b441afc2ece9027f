/**
 * CPU time and memory of a process tree from /proc (Linux only): used by the
 * benchmarks to report what a target consumed during a measured run.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK, 100 on Linux). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface StatFields {
  ppid: number;
  /** utime + stime, in ticks. */
  ticks: number;
}

function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return { ppid, ticks: utime + stime };
}

/** pid and all its descendants alive now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by these processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / clockTicks();
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident set size (kB) of each process. */
export function rssKb(pid: number): number {
  return statusKb(pid, 'VmRSS');
}

/** Peak resident set size (kB) of a process. */
export function peakRssKb(pid: number): number {
  return statusKb(pid, 'VmHWM');
}

/**
 * Samples CPU time of a process tree between start() and stop(), and the
 * largest RSS seen (sampled every intervalMs) of the sampled processes.
 */
export class ResourceMeter {
  private t0 = 0;
  private cpu0 = 0;
  private timer: NodeJS.Timeout | undefined;
  private maxRss = 0;

  constructor(
    private readonly pids: () => readonly number[],
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.t0 = performance.now();
    this.cpu0 = cpuSeconds(this.pids());
    this.maxRss = this.rssNow();
    this.timer = setInterval(() => {
      this.maxRss = Math.max(this.maxRss, this.rssNow());
    }, this.intervalMs);
  }

  private rssNow(): number {
    return this.pids().reduce((sum, p) => sum + rssKb(p), 0);
  }

  /** CPU in % of one core over the window, and RSS (sum over the processes) at the end and at most. */
  stop(): { cpuPercent: number; cpuSeconds: number; rssKb: number; maxRssKb: number; seconds: number } {
    clearInterval(this.timer);
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu = cpuSeconds(this.pids()) - this.cpu0;
    const rss = this.rssNow();
    this.maxRss = Math.max(this.maxRss, rss);
    return { cpuPercent: (100 * cpu) / seconds, cpuSeconds: cpu, rssKb: rss, maxRssKb: this.maxRss, seconds };
  }
}

/**
 * Ends a daemon and its children: SIGTERM to the main process, SIGKILL to the
 * whole tree if it has not exited after 5 s, then any child still alive.
 */
export async function stopProcessTree(proc: ChildProcess): Promise<void> {
  const pid = proc.pid;
  if (pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const all = processTree(pid);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const killAll = (): void => {
    for (const p of all) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.kill(pid, 'SIGTERM');
  const t = setTimeout(killAll, 5000);
  await exited;
  clearTimeout(t);
  // The children leave with the main process; make sure none is left behind.
  await new Promise((r) => setTimeout(r, 200));
  killAll();
}
