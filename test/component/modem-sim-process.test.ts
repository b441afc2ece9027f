import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { EventBus, SystemClock } from '../../firmware/core/index.ts';
import { openDeviceSerialLine } from '../../firmware/hal/serial-device.ts';
import { ModemService, type ModemEvents } from '../../firmware/modem/index.ts';
import { descendants, descendantsNamed, isAlive } from '../helpers/runtime-process.ts';
import { silentLogs } from '../helpers/logs.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

// Issue 8 §3/§4: scripts/modem-sim.ts as a real process on a socat pseudo-terminal, the
// driver opening the pty through hal/serial-device.ts, scripted through the control socket.

interface SimProcess {
  pid: number;
  ready: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function startModemSim(t: ExecutionContext, args: string[]): SimProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/modem-sim.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /modem-sim ready .*\n/.exec(out);
      if (m) resolve(m[0]);
    });
    void exited.then(() => reject(new Error(`modem-sim exited before ready: ${err}`)));
  });
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  const pid = child.pid!;
  t.teardown(async () => {
    // By PID: the script, then whatever it left (its socat) if it did not clean up.
    const kids = descendants(pid);
    if (isAlive(pid)) process.kill(pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    for (const k of [pid, ...kids]) if (isAlive(k)) process.kill(k, 'SIGKILL');
  });
  return { pid, ready, exited, stderr: () => err };
}

/** Sends one control command, returns the reply line. */
function controlCmd(socketPath: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath);
    let buf = '';
    c.setEncoding('utf8');
    c.on('error', reject);
    c.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) {
        c.end();
        resolve(buf.slice(0, i));
      }
    });
    c.write(`${cmd}\n`);
  });
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('issue 8 §3-4 (GW-2): modem-sim on a socat pty, ModemService through serial-device: showtime, line drop and recovery, SIGTERM', async (t) => {
  const dir = tmpDir(t, 'modem-sim');
  const link = path.join(dir, 'ttyMODEM');
  const ctl = path.join(dir, 'modem.ctl');
  const sim = startModemSim(t, ['--pty', link, '--control', ctl, '--training-ms', '300', '--handshake-ms', '100']);
  t.regex(await sim.ready, /pty=.*ttyMODEM control=.*modem\.ctl/);

  const bus = new EventBus<ModemEvents>();
  const states: string[] = [];
  bus.on('modem.dsl', (e) => void states.push(e.alarm ? `${e.state}+alarm` : e.state));
  const service = new ModemService({
    clock: new SystemClock(),
    log: silentLogs().get('modem'),
    events: bus,
    open: () => openDeviceSerialLine('modem', link, 115200),
    options: { pollIntervalMs: 300, tickMs: 50, supervisor: { retrainBaseMs: 200, retrainMaxMs: 400, alarmAfterFailures: 2, trainingTimeoutMs: 3000 } },
  });
  t.teardown(() => service.stop());
  await service.start({ signal: new AbortController().signal, fail: () => {} });

  await until('showtime', () => service.snapshot().dsl.state === 'showtime' && service.snapshot().dsl.downKbps > 0);
  t.is(service.snapshot().line, 'open');

  t.is(await controlCmd(ctl, 'plug 00:0b:3b:11:22:33 200'), 'ok');
  await until('adapter', () => service.snapshot().plc.adapters.length === 1);

  t.is(await controlCmd(ctl, 'drop'), 'ok');
  await until('down', () => service.snapshot().dsl.state !== 'showtime');
  // The supervisor retrains (200 ms, then 400 ms); the cut line fails twice: alarm.
  await until('alarm', () => service.snapshot().dsl.alarm);
  t.true(JSON.parse(await controlCmd(ctl, 'state')).lineCut);
  t.true(service.snapshot().dsl.retrains >= 2);

  t.is(await controlCmd(ctl, 'garbage'), 'ok');
  t.is(await controlCmd(ctl, 'recover'), 'ok');
  await until('showtime again', () => service.snapshot().dsl.state === 'showtime' && !service.snapshot().dsl.alarm);
  t.true(states.includes('down+alarm'));
  t.is(states.at(-1), 'showtime');
  t.true(service.snapshot().serial.overlong >= 1, 'the garbage reached the driver and was skipped');

  await service.stop();
  const kids = descendants(sim.pid);
  t.is(descendantsNamed(sim.pid, 'socat').length, 1, 'socat runs under modem-sim');
  process.kill(sim.pid, 'SIGTERM');
  t.deepEqual(await sim.exited, { code: 0, signal: null });
  for (const k of kids) t.false(isAlive(k), 'socat ended with it');
});

test('issue 8 §3: modem-sim --listen serves the protocol to a socket client (QEMU chardev side)', async (t) => {
  const dir = tmpDir(t, 'modem-sim');
  const sock = path.join(dir, 'modem.sock');
  const sim = startModemSim(t, ['--listen', sock, '--training-ms', '100', '--handshake-ms', '50']);
  await sim.ready;
  const c = net.connect(sock);
  let text = '';
  c.setEncoding('latin1');
  c.on('data', (d: string) => void (text += d));
  await new Promise((r) => c.once('connect', r));
  c.write('AT\rAT+VER?\r\nAT+NOPE\r');
  await until('answers', () => text.includes('ERROR\r\n'), 5000);
  // The DSL state URCs of the training may fall between the answers: they are not part of them.
  const answers = text.split('\r\n').filter((l) => l !== '' && !l.startsWith('+DSLSTATE:') && l !== '+READY');
  t.deepEqual(answers, ['OK', '+VER: SIM-1.0,pbxgate-sim', 'OK', 'ERROR']);
  c.destroy();
  process.kill(sim.pid, 'SIGTERM');
  t.deepEqual(await sim.exited, { code: 0, signal: null });
});

// A write that meets EIO as the device goes away is emitted as 'error' by the serialport
// stream: firmware/hal/serial-device.ts listens for it, or the runtime would crash here.
test('issue 8 §2c/§3: the pty disappearing (socat killed) is survived: the driver reopens the new pty at the same link', async (t) => {
  const dir = tmpDir(t, 'modem-sim');
  const link = path.join(dir, 'ttyMODEM');
  const sim = startModemSim(t, ['--pty', link, '--training-ms', '100', '--handshake-ms', '50']);
  await sim.ready;
  const service = new ModemService({
    clock: new SystemClock(),
    log: silentLogs().get('modem'),
    events: new EventBus<ModemEvents>(),
    open: () => openDeviceSerialLine('modem', link, 115200),
    options: { pollIntervalMs: 200, tickMs: 50, driver: { reopenBaseMs: 100, reopenMaxMs: 400 } },
  });
  t.teardown(() => service.stop());
  await service.start({ signal: new AbortController().signal, fail: () => {} });
  await until('showtime', () => service.snapshot().dsl.state === 'showtime');
  const [socat] = descendantsNamed(sim.pid, 'socat');
  t.truthy(socat);
  process.kill(socat!, 'SIGKILL');
  // The closed window may be shorter than one poll under load: a reopen counted also proves the line was lost.
  await until('line lost', () => service.snapshot().line === 'closed' || service.snapshot().dsl.state === 'unknown' || service.snapshot().serial.reopens >= 1);
  await until('reopened, showtime again', () => service.snapshot().line === 'open' && service.snapshot().dsl.state === 'showtime');
  t.true(service.snapshot().serial.reopens >= 1);
  t.not(descendantsNamed(sim.pid, 'socat')[0], socat, 'a new socat made the new pty');
});
