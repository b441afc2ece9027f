/**
 * The modem simulator (scripts/modem-sim.ts) on the HIL machine's modem line:
 * it connects to QEMU's pci-serial socket (guest /dev/ttyS0, board
 * serial.modem) and takes scripted faults on its control socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO, type HilMachine } from './qemu.ts';

export interface HilModem {
  proc: ChildProcess;
  /** One control command (drop, recover, noise N, mute on|off, plug MAC RATE...) -> its one-line reply. */
  control(command: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the simulator with --connect on machine.paths.modem (QEMU listens there by default); resolves once it serves. */
export async function startModemSim(m: HilMachine, extra: string[] = [], timeoutMs = 20_000): Promise<HilModem> {
  const ctl = join(m.dir, 'modem.ctl');
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/modem-sim.ts'), '--connect', m.paths.modem, '--control', ctl, ...extra], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + timeoutMs;
  while (!/modem-sim ready/.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`modem-sim did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    control: (command) =>
      new Promise((resolve, reject) => {
        const sock = connect(ctl);
        let buf = '';
        sock.setEncoding('utf8');
        sock.on('connect', () => sock.write(`${command}\n`));
        sock.on('data', (d: string) => {
          buf += d;
          const i = buf.indexOf('\n');
          if (i >= 0) {
            sock.destroy();
            resolve(buf.slice(0, i));
          }
        });
        sock.on('error', reject);
      }),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}
