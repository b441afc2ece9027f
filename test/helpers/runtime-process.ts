import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT } from './tmp.ts';

export const PROMPT = 'pbxgate> ';
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** PIDs of every live descendant of pid (from /proc), e.g. the node process tsx starts. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // the process ended while we listed /proc
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

/** The descendants of `pid` whose command name is `comm`: under tsx a script also has esbuild's service process as a child, so "the first child" is not a safe way to find, say, its socat. */
export function descendantsNamed(pid: number, comm: string): number[] {
  return descendants(pid).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm;
    } catch {
      return false; // ended meanwhile
    }
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  // A zombie still answers kill(0); it holds nothing but its exit status.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The real runtime (`tsx firmware/main.ts`) as a child process, its console on
 * stdin/stdout. Killed by PID (with its descendants) when the test ends.
 */
export class RuntimeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  private readonly waiters = new Set<() => void>();

  constructor(t: ExecutionContext, args: string[]) {
    // As on a board: no NODE_ENV=test inherited from ava (lowdb and others change behaviour on it).
    const { NODE_ENV: _testEnv, ...env } = process.env;
    this.child = spawn(TSX, ['firmware/main.ts', ...args], { cwd: ROOT, stdio: 'pipe', env });
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.wake();
    });
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code, signal) => {
        resolve({ code, signal });
        this.wake();
      });
    });
    t.teardown(() => this.kill());
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('runtime not started');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Both streams, for assertion messages. */
  get output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Log records pino wrote on stderr. */
  logRecords(): Array<Record<string, unknown>> {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Resolves when stdout from offset `from` satisfies `done`; rejects on timeout or exit. */
  waitFor(done: (text: string) => boolean, timeoutMs: number, from = 0, what = 'output'): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const text = this.stdout.slice(from);
        if (done(text)) return finish(() => resolve(text));
        if (!this.running) finish(() => reject(new Error(`runtime exited before ${what}\n${this.output}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.output}`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the boot announcement and its first prompt. */
  ready(timeoutMs = 20_000): Promise<string> {
    return this.waitFor((s) => /pbxgate \S+ ready on board/.test(s) && s.endsWith(PROMPT), timeoutMs, 0, '"ready" and the prompt');
  }

  /** Types one console line and returns the answer, without the prompt that ends it. */
  async command(line: string, timeoutMs = 10_000): Promise<string> {
    const from = this.stdout.length;
    this.child.stdin.write(`${line}\n`);
    // The answer ends at the first prompt: more may follow in the same chunk (a reboot announces itself right after).
    const text = await this.waitFor((s) => s.includes(PROMPT), timeoutMs, from, `the answer to ${JSON.stringify(line.slice(0, 40))}`);
    return text.slice(0, text.indexOf(PROMPT)).replace(/\n$/, '');
  }

  /** SIGKILL to the process and everything it started (teardown). */
  kill(): void {
    if (this.child.pid === undefined) return;
    for (const pid of [...descendants(this.child.pid), ...(this.running ? [this.child.pid] : [])]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
