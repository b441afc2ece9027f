/**
 * The simulated DSL/powerline modem as a process (docs/modem.md "Simulator"):
 * ModemSimulator served on a unix socket (QEMU's pci-serial chardev connects
 * to it, or it connects to QEMU's), or on a pseudo-terminal made by socat,
 * plus a control socket taking one text command per line so tests can script
 * it from another process.
 *
 *   node --import tsx scripts/modem-sim.ts --pty /tmp/ttyMODEM --control /tmp/modem.ctl
 *   node --import tsx scripts/modem-sim.ts --listen /tmp/modem.sock   (--socket is the same)
 *   node --import tsx scripts/modem-sim.ts --connect /tmp/qemu-modem.sock
 *
 * Prints "modem-sim ready ..." on stdout once it serves; ends cleanly on SIGTERM/SIGINT,
 * and when the process that started it goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { SystemClock } from '../firmware/core/index.ts';
import { ModemSimulator, type ByteDuplex } from '../firmware/modem/index.ts';

const USAGE = `usage: modem-sim (--listen PATH | --socket PATH | --connect PATH | --pty LINK) [--control PATH] [--training-ms N] [--handshake-ms N]`;

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    socket: { type: 'string' },
    connect: { type: 'string' },
    pty: { type: 'string' },
    control: { type: 'string' },
    'training-ms': { type: 'string' },
    'handshake-ms': { type: 'string' },
    help: { type: 'boolean' },
  },
});

const listenPath = values.listen ?? values.socket;
const modes = [listenPath, values.connect, values.pty].filter((v) => v !== undefined);
if (values.help || modes.length !== 1) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}

function ms(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name}: a whole number of milliseconds\n`);
    process.exit(2);
  }
  return n;
}

const clock = new SystemClock();
const sim = new ModemSimulator(clock, {
  trainingMs: ms('training-ms', values['training-ms'], 2000),
  handshakeMs: ms('handshake-ms', values['handshake-ms'], 500),
});
const servers: net.Server[] = [];
const ownedPaths: string[] = [];
let socat: ChildProcess | undefined;
let stopping = false;
// SystemClock timers are unref'd: this keeps the process up until a signal ends it.
const keepAlive = setInterval(() => {}, 1 << 30);

function log(msg: string): void {
  process.stderr.write(`modem-sim: ${msg}\n`);
}

function socketDuplex(sock: net.Socket): ByteDuplex {
  return {
    write: (d) => (sock.writable ? sock.write(d) : false),
    onData: (h) => sock.on('data', h),
  };
}

function listenOn(path: string, onConnection: (sock: net.Socket) => void): Promise<void> {
  fs.rmSync(path, { force: true });
  const server = net.createServer(onConnection);
  servers.push(server);
  ownedPaths.push(path);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

async function serveListen(path: string): Promise<string> {
  await listenOn(path, (sock) => {
    log('host connected');
    // The newest connection is the line (a reconnecting host replaces the old one).
    sim.attach(socketDuplex(sock));
    sock.on('error', () => {});
  });
  return `listen=${path}`;
}

function serveConnect(path: string): string {
  const attempt = (): void => {
    if (stopping) return;
    const sock = net.connect(path);
    sock.on('connect', () => {
      log(`connected to ${path}`);
      sim.attach(socketDuplex(sock));
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (!stopping) setTimeout(attempt, 500).unref();
    });
  };
  attempt();
  return `connect=${path}`;
}

async function servePty(link: string): Promise<string> {
  const startSocat = (): void => {
    if (stopping) return;
    // socat owns the pty; its STDIO side is our pipes. raw + echo=0: bytes pass untouched.
    const child = spawn('socat', [`PTY,link=${link},raw,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'inherit'] });
    socat = child;
    const stdin = child.stdin!;
    stdin.on('error', () => {});
    sim.attach({ write: (d) => (stdin.writable ? stdin.write(d) : false), onData: (h) => child.stdout!.on('data', h) });
    child.on('exit', (code, signal) => {
      if (socat === child) socat = undefined;
      if (stopping) return;
      // The host closing the pty ends socat (EIO on the master): make a new pty at the same link.
      log(`socat ended (${code ?? signal}), new pty at ${link}`);
      setTimeout(startSocat, 100).unref();
    });
  };
  fs.rmSync(link, { force: true });
  startSocat();
  for (let i = 0; i < 100 && !fs.existsSync(link); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(link)) throw new Error(`socat made no pty at ${link}`);
  return `pty=${link}`;
}

/** One control command -> one reply line. */
function control(line: string): string {
  const [cmd, ...args] = line.trim().split(/\s+/);
  const num = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  switch (cmd) {
    case 'drop':
      sim.dropLine();
      return 'ok';
    case 'recover':
      sim.recover();
      return 'ok';
    case 'noise': {
      const n = num(args[0]) ?? 50;
      sim.noisy(n);
      return 'ok';
    }
    case 'garbage':
      sim.garbage();
      return 'ok';
    case 'mute':
      if (args[0] !== 'on' && args[0] !== 'off') return 'error: mute on|off';
      sim.mute(args[0] === 'on');
      return 'ok';
    case 'slow': {
      const n = num(args[0]);
      if (n === undefined) return 'error: slow <ms>';
      sim.slow(n);
      return 'ok';
    }
    case 'plug': {
      const rate = num(args[1]);
      if (!args[0] || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(args[0]) || rate === undefined) return 'error: plug <mac> <rate Mbps> [unpaired]';
      sim.plugAdapter(args[0], rate, args[2] !== 'unpaired');
      return 'ok';
    }
    case 'unplug':
      if (!args[0]) return 'error: unplug <mac>';
      sim.unplugAdapter(args[0]);
      return 'ok';
    case 'state':
      return JSON.stringify(sim.state());
    case 'help':
    case '':
    case undefined:
      return 'commands: drop, recover, noise N, garbage, mute on|off, slow MS, plug MAC RATE [unpaired], unplug MAC, state';
    default:
      return `error: unknown command ${cmd}`;
  }
}

async function serveControl(path: string): Promise<string> {
  await listenOn(path, (sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (sock.writable) sock.write(`${control(line)}\n`);
      }
      // A control line has no business being long: drop the client that floods.
      if (buf.length > 1024) sock.destroy();
    });
  });
  return `control=${path}`;
}

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  sim.stop();
  clearInterval(keepAlive);
  const child = socat;
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000))]);
  }
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  for (const p of ownedPaths) fs.rmSync(p, { force: true });
  if (values.pty) fs.rmSync(values.pty, { force: true });
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
// A test runner that dies without its teardown must not leave the simulator (and its socat) behind.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown('parent gone');
}, 1000).unref();
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  const parts: string[] = [];
  if (listenPath) parts.push(await serveListen(listenPath));
  else if (values.connect) parts.push(serveConnect(values.connect));
  else if (values.pty) parts.push(await servePty(values.pty));
  if (values.control) parts.push(await serveControl(values.control));
  sim.start();
  process.stdout.write(`modem-sim ready ${parts.join(' ')}\n`);
} catch (err) {
  log((err as Error).message);
  await shutdown('error');
  process.exitCode = 1;
}
