/**
 * Hardware in the loop: the arm64 executable booted under qemu-system-aarch64
 * (scripts/qemu/boot.sh, image from scripts/qemu/build-image.sh), and the
 * ways a test reaches it:
 *   console(cmd)  the technician console, guest /dev/hvc0 (unix socket)
 *   shell(cmd)    a root shell on the kernel console ttyAMA0 (unix socket)
 *   qmp(cmd)      QEMU's monitor (system_powerdown = reset button pulse)
 *   nsSpawn(...)  a host tool (SIPp, curl, socat) inside QEMU's network
 *                 namespace, where the slirp port forwards listen
 *   paths.modem   the modem line, guest /dev/ttyS0 (for the modem simulator)
 * QEMU is ended by PID in stop(). See docs/hil.md.
 *
 * Never block this process's event loop (spawnSync, execSync) while QEMU
 * runs: a connected socket nobody reads fills up, and QEMU's serial
 * emulation then stalls the guest (seen: a call set-up frozen for 20 s).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');
export const PROMPT = 'pbxgate> ';
const READY = /pbxgate \S+ ready on board qemu-virt/;

export interface BootOptions {
  /** Host side (inside the namespace) of the SIP forward, UDP+TCP, to guest 5060. */
  sipPort?: number;
  /** Host side of the HTTP forward, to guest 80. */
  httpPort?: number;
  /** 'server': QEMU listens on paths.modem (default); 'client': QEMU connects to it (start the simulator first). */
  modem?: 'server' | 'client';
  /** Run directory (sockets, kernel.log); a fresh temp dir by default. */
  dir?: string;
  readyTimeoutMs?: number;
}

export interface HilPaths {
  console: string;
  modem: string;
  qmp: string;
  shell: string;
  kernelLog: string;
}

/** Builds the image if needed (cached under .cache/qemu; needs out/pbxgate-linux-arm64). */
export function buildImage(): void {
  const r = spawnSync('bash', [join(REPO, 'scripts/qemu/build-image.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`scripts/qemu/build-image.sh failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A line-oriented client on one of the guest's serial sockets: send, then wait until `done` matches what came since. */
class SerialClient {
  private buf = '';
  private waiter: (() => void) | undefined;
  private closed = false;
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    sock.on('error', () => {});
  }

  static async open(path: string): Promise<SerialClient> {
    const sock = await new Promise<Socket>((res, rej) => {
      const s = connect(path);
      s.once('connect', () => res(s));
      s.once('error', rej);
    });
    return new SerialClient(sock);
  }

  /** Sends `text`, returns what arrived after it once `done(received)` gives an index (end of the answer). */
  async exchange(text: string, done: (received: string) => number | undefined, timeoutMs: number): Promise<string> {
    this.buf = '';
    this.sock.write(text);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = done(this.buf);
      if (end !== undefined) {
        const out = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        return out;
      }
      if (this.closed) throw new Error(`serial socket closed; received: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer to ${JSON.stringify(text)} in ${timeoutMs} ms; received: ${JSON.stringify(this.buf.slice(-2000))}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiter = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.waiter = undefined;
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

export class HilMachine {
  readonly paths: HilPaths;
  /** Milliseconds from QEMU's start to pbxgate's "ready" line. */
  bootMs = 0;
  private consoleClient: SerialClient | undefined;
  /** The boot (count of "ready" lines) at which the shell's echo was turned off: a reboot brings a new shell. */
  private shellReadyAt = -1;
  private shellSeq = 0;
  private readonly exited: Promise<void>;
  private exitInfo: string | undefined;
  private stderr = '';

  private constructor(
    readonly qemu: ChildProcess,
    readonly dir: string,
    readonly sipPort: number,
    readonly httpPort: number,
    private readonly ownDir: boolean,
  ) {
    this.paths = {
      console: join(dir, 'console.sock'),
      modem: join(dir, 'modem.sock'),
      qmp: join(dir, 'qmp.sock'),
      shell: join(dir, 'shell.sock'),
      kernelLog: join(dir, 'kernel.log'),
    };
    qemu.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-8000);
    });
    this.exited = new Promise((res) => {
      qemu.once('exit', (code, signal) => {
        this.exitInfo = `QEMU exited (code ${code}, signal ${signal}); stderr: ${this.stderr}`;
        res();
      });
    });
  }

  /** Boots the image and waits for pbxgate's "ready" on the kernel console. */
  static async boot(options: BootOptions = {}): Promise<HilMachine> {
    const ownDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pbxgate-hil-'));
    const sipPort = options.sipPort ?? 5060;
    const httpPort = options.httpPort ?? 8080;
    const args = ['--dir', dir, '--sip-port', String(sipPort), '--http-port', String(httpPort), '--modem', options.modem ?? 'server'];
    const started = Date.now();
    // boot.sh execs unshare, sh and QEMU in turn: this child's PID is QEMU's.
    const qemu = spawn(join(REPO, 'scripts/qemu/boot.sh'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const m = new HilMachine(qemu, dir, sipPort, httpPort, ownDir);
    try {
      await m.waitForLog(READY, options.readyTimeoutMs ?? 90_000);
    } catch (err) {
      await m.stop();
      throw err;
    }
    m.bootMs = Date.now() - started;
    return m;
  }

  get pid(): number {
    return this.qemu.pid!;
  }

  /** Everything ttyAMA0 printed so far: kernel, /init ("hil: ..." lines), pbxgate's stdout and logs. */
  kernelLog(): string {
    return existsSync(this.paths.kernelLog) ? readFileSync(this.paths.kernelLog, 'utf8') : '';
  }

  /** How many times pbxgate said "ready" since QEMU started (1 after boot(), 2 after a reboot...). */
  readyCount(): number {
    return this.kernelLog().match(new RegExp(READY.source, 'g'))?.length ?? 0;
  }

  /** Waits for the n-th "ready" (after a reboot of the guest: QEMU resets the machine and boots the same image). */
  async waitForReady(n: number, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.readyCount() < n) {
      if (this.exitInfo) throw new Error(`${this.exitInfo}\nkernel.log:\n${this.kernelLog().slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`"ready" #${n} not seen in ${timeoutMs} ms; kernel.log:\n${this.kernelLog().slice(-4000)}`);
      await sleep(100);
    }
  }

  /** Waits until the kernel console log matches `re` (polls the log file every 100 ms). */
  async waitForLog(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.kernelLog().match(re);
      if (m) return m;
      if (this.exitInfo) throw new Error(`${this.exitInfo}\nkernel.log:\n${this.kernelLog().slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`${re} not seen in ${timeoutMs} ms; kernel.log:\n${this.kernelLog().slice(-4000)}`);
      await sleep(100);
    }
  }

  /** One technician console command; its answer without the echo and the prompt. */
  async console(command: string, timeoutMs = 15_000): Promise<string> {
    this.consoleClient ??= await SerialClient.open(this.paths.console);
    const raw = await this.consoleClient.exchange(
      `${command}\r`,
      (s) => {
        const i = s.indexOf(`\n${PROMPT}`);
        return i < 0 ? undefined : i + PROMPT.length + 1;
      },
      timeoutMs,
    );
    const lines = raw.replace(/\r/g, '').split('\n');
    lines.pop(); // the prompt
    // The console echoes what is typed (a serial terminal expects it).
    if (lines[0]?.trim() === command.trim()) lines.shift();
    return lines.join('\n').trim();
  }

  /**
   * A guest shell command (busybox ash as root); its output, without pbxgate's
   * log lines that share the console. The socket is connected for the call
   * only: QEMU's PL011 writes byte by byte and blocks the whole machine when
   * a connected reader falls behind (a few hundred unread bytes fill the unix
   * socket's buffer), whereas with no reader it drops the bytes (kernel.log
   * keeps them).
   */
  async shell(command: string, timeoutMs = 15_000): Promise<string> {
    const client = await SerialClient.open(this.paths.shell);
    try {
      const boots = this.readyCount();
      if (this.shellReadyAt !== boots) {
        // No echo: the answer is then only the command's output (and whatever else ttyAMA0 prints).
        await client.exchange('stty -echo; echo __hil_ready\n', (s) => this.markerEnd(s, '__hil_ready'), timeoutMs);
        this.shellReadyAt = boots;
      }
      const n = ++this.shellSeq;
      const raw = await client.exchange(`echo __hil_b${n}; ${command}; echo __hil_e${n}\n`, (s) => this.markerEnd(s, `__hil_e${n}`), timeoutMs);
      const body = raw.replace(/\r/g, '').split(`__hil_b${n}\n`).pop() ?? '';
      return body
        .split('\n')
        .filter((l) => l !== `__hil_e${n}` && !l.startsWith('{"level":'))
        .join('\n')
        .trim();
    } finally {
      client.close();
    }
  }

  private markerEnd(s: string, marker: string): number | undefined {
    const m = new RegExp(`(^|\\n)${marker}\\r?\\n`).exec(s);
    return m ? m.index + m[0].length : undefined;
  }

  /** One QMP command (after the capabilities handshake); resolves with its "return", rejects on "error". */
  async qmp(execute: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    const sock = connect(this.paths.qmp);
    sock.setEncoding('utf8');
    let buf = '';
    const replies: Record<string, unknown>[] = [];
    let wake: (() => void) | undefined;
    sock.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) replies.push(JSON.parse(line) as Record<string, unknown>);
      }
      wake?.();
    });
    sock.on('error', () => wake?.());
    const next = async (): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // Events (POWERDOWN...) may come between the command and its answer.
        const idx = replies.findIndex((r) => 'return' in r || 'error' in r || 'QMP' in r);
        if (idx >= 0) return replies.splice(idx, 1)[0]!;
        if (Date.now() > deadline || sock.destroyed) throw new Error(`QMP ${execute}: no answer`);
        await new Promise<void>((r) => {
          const timer = setTimeout(r, 100);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    };
    try {
      await next(); // greeting
      sock.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
      await next();
      sock.write(`${JSON.stringify({ execute, ...(args ? { arguments: args } : {}) })}\n`);
      const r = await next();
      if ('error' in r) throw new Error(`QMP ${execute}: ${JSON.stringify(r.error)}`);
      return r.return;
    } finally {
      sock.destroy();
    }
  }

  /** argv prefix that runs a host program inside QEMU's network namespace (where 127.0.0.1:sipPort reaches the guest). */
  nsArgv(command: string, args: string[]): [string, string[]] {
    return ['nsenter', [`--net=/proc/${this.pid}/ns/net`, '--', command, ...args]];
  }

  nsSpawn(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const [c, a] = this.nsArgv(command, args);
    return spawn(c, a, options);
  }

  /** Runs a host program in the namespace to its end (asynchronously: see the note at the top). */
  nsRun(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = this.nsSpawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    return new Promise((res) => {
      child.once('exit', (status) => {
        clearTimeout(timer);
        res({ status, stdout, stderr });
      });
    });
  }

  /** Ends QEMU by PID (SIGTERM, then SIGKILL after 3 s), copies kernel.log to test/artifacts/hil-kernel.log, removes its temp dir (kept with HIL_KEEP=1). */
  async stop(): Promise<void> {
    this.consoleClient?.close();
    if (!this.exitInfo && this.qemu.pid !== undefined) {
      try {
        process.kill(this.qemu.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([this.exited.then(() => true), sleep(3000).then(() => false)]);
      if (!killed) {
        try {
          process.kill(this.qemu.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await this.exited;
      }
    }
    // Kept for CI and post-mortems (test/artifacts/ is git-ignored).
    if (existsSync(this.paths.kernelLog)) {
      mkdirSync(join(REPO, 'test/artifacts'), { recursive: true });
      copyFileSync(this.paths.kernelLog, join(REPO, 'test/artifacts/hil-kernel.log'));
    }
    if (this.ownDir && !process.env.HIL_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}
