// The single executables built by `make build` (scripts/build.mjs): they start on
// the sim board, answer the console, stop on SIGTERM, and load their native
// addons; the arm64 one under qemu-user. Nothing here builds: a missing out/
// is a failure that says to run `make build`.
import test from 'ava';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(ROOT, 'out');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const QEMU = 'qemu-aarch64-static';
const QEMU_ENV = { QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' };

interface Target {
  arch: 'x64' | 'arm64';
  /** Time allowed to reach "ready" (qemu-user emulates every instruction). */
  readyMs: number;
  /** How to run a file built for this arch on this host. */
  command(file: string, args: string[]): { cmd: string; args: string[]; env: NodeJS.ProcessEnv };
}

const X64: Target = {
  arch: 'x64',
  readyMs: 10_000,
  command: (file, args) => ({ cmd: file, args, env: process.env }),
};
const ARM64: Target = {
  arch: 'arm64',
  readyMs: 60_000,
  command: (file, args) => ({ cmd: QEMU, args: [file, ...args], env: { ...process.env, ...QEMU_ENV } }),
};

function built(relative: string): string {
  const file = path.join(OUT, relative);
  if (!fs.existsSync(file)) throw new Error(`out/${relative} is missing: run \`make build\` first`);
  return file;
}

function requireQemu(): void {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${QEMU} not runnable: run \`make deps-test\` (qemu-user-static)`);
}

/** A child process with line-based waiting; always killed by PID in dispose(). */
class Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stdout = '';
  private stderr = '';
  private waiters = new Set<() => void>();

  constructor(target: Target, file: string, args: string[]) {
    const { cmd, args: argv, env } = target.command(file, args);
    this.child = spawn(cmd, argv, { env, stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      for (const w of this.waiters) w();
    });
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code, signal) => {
        resolve({ code, signal });
        for (const w of this.waiters) w();
      });
    });
  }

  get output(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with the first stdout line matching re; rejects on timeout or exit. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.stdout.split('\n').find((l) => re.test(l));
        if (line !== undefined) return done(() => resolve(line));
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done(() => reject(new Error(`exited (${this.child.exitCode ?? this.child.signalCode}) before ${re}\n${this.output}`)));
        }
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${re} within ${timeoutMs} ms\n${this.output}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  async exitWithin(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not exit within ${timeoutMs} ms\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  dispose(): void {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone between the check and the kill
      }
    }
  }
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pbxgate-${prefix}-`));
}

/** ready -> status -> SIGTERM -> exit 0, on the sim board with a fresh data dir. */
async function smoke(target: Target, exe: string): Promise<{ ready: string; status: string; code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const dataDir = tempDir('data');
  // Ports 0: other system tests may hold the defaults (5060, 8080) meanwhile.
  const proc = new Running(target, exe, ['--board', 'sim', '--data-dir', dataDir, '--sip-port', '0', '--http-port', '0']);
  try {
    const ready = await proc.waitForLine(/pbxgate \S+ ready/, target.readyMs);
    proc.child.stdin.write('status\n');
    // The console prints a prompt ("pbxgate> ") before its answer.
    const status = await proc.waitForLine(/\bversion: \S+/, 10_000);
    if (proc.child.pid !== undefined) process.kill(proc.child.pid, 'SIGTERM');
    const { code, signal } = await proc.exitWithin(target.arch === 'x64' ? 10_000 : 30_000);
    return { ready, status, code, signal, output: proc.output };
  } finally {
    proc.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function nativeCheck(target: Target, exe: string): Promise<{ result: unknown; code: number | null; output: string }> {
  const proc = new Running(target, exe, ['--check-native']);
  try {
    const line = await proc.waitForLine(/^\{/, target.readyMs);
    const { code } = await proc.exitWithin(10_000);
    return { result: JSON.parse(line) as unknown, code, output: proc.output };
  } finally {
    proc.dispose();
  }
}

function assertSmoke(t: import('ava').ExecutionContext, r: Awaited<ReturnType<typeof smoke>>): void {
  t.true(r.ready.includes(`pbxgate ${VERSION} ready`), r.ready);
  t.is(/\bversion: (\S+)/.exec(r.status)?.[1], VERSION, r.status);
  // firmware/main.ts must catch SIGTERM, stop its services and exit 0.
  t.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null }, `SIGTERM must end pbxgate with exit code 0\n${r.output}`);
}

test.serial('x64 executable: ready, status, clean exit on SIGTERM', async (t) => {
  assertSmoke(t, await smoke(X64, built('pbxgate-linux-x64')));
});

test.serial('arm64 executable under qemu-user: ready, status, clean exit on SIGTERM', async (t) => {
  requireQemu();
  t.timeout(150_000);
  assertSmoke(t, await smoke(ARM64, built('pbxgate-linux-arm64')));
});

for (const target of [X64, ARM64]) {
  test.serial(`${target.arch} executable loads serialport, epoll and the G.729 decoder from native/linux-${target.arch}/`, async (t) => {
    if (target.arch === 'arm64') {
      requireQemu();
      t.timeout(150_000);
    }
    built(`native/linux-${target.arch}/bindings-cpp.node`);
    built(`native/linux-${target.arch}/epoll.node`);
    built(`native/linux-${target.arch}/bcg729.node`);
    const r = await nativeCheck(target, built(`pbxgate-linux-${target.arch}`));
    t.deepEqual(r.result, { serialport: true, epoll: true, bcg729: true, errors: [] }, r.output);
    t.is(r.code, 0, r.output);
  });
}

test.serial('x64 executable without epoll.node: sim board still runs, --check-native names the missing addon', async (t) => {
  const exe = built('pbxgate-linux-x64');
  // A copy, not a symlink: the shim looks beside the real path of the binary.
  const dir = tempDir('noepoll');
  try {
    const native = path.join(dir, 'native', 'linux-x64');
    fs.mkdirSync(native, { recursive: true });
    fs.copyFileSync(built('native/linux-x64/bindings-cpp.node'), path.join(native, 'bindings-cpp.node'));
    const copy = path.join(dir, path.basename(exe));
    fs.copyFileSync(exe, copy);

    assertSmoke(t, await smoke(X64, copy));

    const c = await nativeCheck(X64, copy);
    const result = c.result as { serialport: boolean; epoll: boolean; errors: string[] };
    t.true(result.serialport, c.output);
    t.false(result.epoll, c.output);
    t.regex(result.errors.join('\n'), /epoll.*epoll\.node/, c.output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
