/**
 * Starts the real pbxgate runtime (tsx firmware/main.ts, or a built
 * executable) as a child process on the simulated board, with a data dir
 * seeded with phones, and drives its console on stdin. Used by system tests
 * and benchmarks; every process is ended by PID in stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { factoryDefaults, configSchema, phoneSchema, type Config, type Phone } from '../../firmware/config/index.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const TSX = join(REPO, 'node_modules/.bin/tsx');

export interface SeededPhone {
  mac: string;
  internalNumber: string;
  username: string;
  password: string;
}

/** n phones: the first `withDid` get DIDs 05771100NN (internal 4NN), the rest 601.. (NUM-2, NUM-3). */
export function makePhones(n: number, withDid = 0): Phone[] {
  const phones: Phone[] = [];
  for (let i = 0; i < n; i++) {
    const did = i < withDid ? `05771100${String(i + 10).padStart(2, '0')}` : undefined;
    const internalNumber = did ? `4${did.slice(-2)}` : String(601 + (i - withDid));
    const mac = `00:08:5d:00:${String(Math.floor(i / 100)).padStart(2, '0')}:${String(i % 100).padStart(2, '0')}`;
    phones.push(
      phoneSchema.parse({
        mac,
        internalNumber,
        ...(did ? { did } : {}),
        sip: { username: internalNumber, password: `pw-${internalNumber}-secret` },
        restrictionProfile: did ? 10 : 1,
        forwardRestrictionProfile: did ? 10 : 1,
        installedAt: '2026-01-05T09:00:00.000Z',
      }),
    );
  }
  return phones;
}

/** Writes a valid config.json with these phones (and optional changes) into dir. */
export function seedConfig(dir: string, phones: Phone[], patch: (c: Config) => void = () => {}): Config {
  const c = structuredClone(factoryDefaults('device-password-1')) as Config;
  c.phones = structuredClone(phones); // a patch must not change the caller's phones (tests share them)
  patch(c);
  const valid = configSchema.parse(c);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(valid, null, 2));
  return valid;
}

/** A UDP+TCP port free on 127.0.0.1 at the time of the call. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => res(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const u = createSocket('udp4');
      u.once('error', () => res(false));
      u.bind(port, '127.0.0.1', () => u.close(() => res(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port');
}

export interface PbxProcess {
  proc: ChildProcess;
  pid: number;
  dataDir: string;
  sipPort: number;
  httpPort: number;
  stdout(): string;
  stderr(): string;
  /** Sends a console line and resolves with the text printed before the next prompt. */
  command(line: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<number | null>;
}

export interface StartOptions {
  phones?: Phone[];
  patch?: (c: Config) => void;
  /** Run this executable instead of tsx firmware/main.ts. */
  executable?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

const PROMPT = 'pbxgate> ';

export async function startPbx(options: StartOptions = {}): Promise<PbxProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pbxgate-test-'));
  if (options.phones || options.patch) seedConfig(dataDir, options.phones ?? [], options.patch);
  const sipPort = await freePort();
  const args = ['--board', 'sim', '--data-dir', dataDir, '--sip-port', String(sipPort), '--http-port', '0', ...(options.extraArgs ?? [])];
  const [cmd, argv] = options.executable ? [options.executable, args] : [TSX, [join(REPO, 'firmware/main.ts'), ...args]];
  const proc = spawn(cmd, argv, { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const waitFor = (pred: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timeout waiting for ${what}\nstdout:\n${out}\nstderr:\n${err.slice(-3000)}`)), timeoutMs);
      const check = (): void => {
        if (pred()) {
          clearTimeout(t);
          res();
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          clearTimeout(t);
          rej(new Error(`pbxgate exited (${proc.exitCode ?? proc.signalCode}) while waiting for ${what}\nstdout:\n${out}\nstderr:\n${err.slice(-3000)}`));
        } else waiters.push(check);
      };
      check();
    });
  // One exit listener wakes every waiter (one per waitFor call would pile up: MaxListenersExceededWarning).
  proc.once('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  await waitFor(() => /ready on board/.test(out) && out.includes(PROMPT), options.readyTimeoutMs ?? 30_000, 'ready');
  const httpPort = Number(/admin web: http:\/\/[^:]+:(\d+)\//.exec(out)?.[1] ?? 0);
  let queue: Promise<unknown> = Promise.resolve();
  const pbx: PbxProcess = {
    proc,
    pid: proc.pid!,
    dataDir,
    sipPort,
    httpPort,
    stdout: () => out,
    stderr: () => err,
    command(line, timeoutMs = 10_000) {
      const run = async (): Promise<string> => {
        const start = out.length;
        proc.stdin!.write(`${line}\n`);
        await waitFor(() => out.indexOf(PROMPT, start) >= 0, timeoutMs, `answer to "${line}"`);
        const end = out.indexOf(PROMPT, start);
        return out.slice(start, end).replace(/\n$/, '');
      };
      const p = queue.then(run, run);
      queue = p.catch(() => undefined);
      return p;
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
      process.kill(proc.pid!, 'SIGTERM');
      const t = setTimeout(() => {
        if (proc.exitCode === null) process.kill(proc.pid!, 'SIGKILL');
      }, 5000);
      const code = await exited;
      clearTimeout(t);
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  return pbx;
}

/** A SIPp injection file for the phones: "user;[authentication username=.. password=..]". */
export function sippUsersCsv(phones: readonly SeededPhone[] | readonly Phone[], mode: 'SEQUENTIAL' | 'RANDOM' = 'SEQUENTIAL'): string {
  const rows = phones.map((p) => {
    const user = 'sip' in p ? p.sip.username : p.username;
    const pass = 'sip' in p ? p.sip.password : p.password;
    return `${user};[authentication username=${user} password=${pass}]`;
  });
  return `${mode}\n${rows.join('\n')}\n`;
}

/**
 * pbxgate's stderr (its pino log) once it matches `re`, polled every 100 ms
 * for at most timeoutMs: the log pipe and a socket event race, and a
 * spawnSync'd peer holds this event loop while the log piles up. Returns the
 * text either way; the test asserts on it.
 */
export async function logMatching(pbx: PbxProcess, re: RegExp, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(pbx.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pbx.stderr();
}
