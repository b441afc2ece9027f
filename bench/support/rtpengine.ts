/**
 * rtpengine (Debian rtpengine-daemon 10.5) for the media benchmark:
 * userspace only (--table=-1, no kernel forwarding), RTP on 127.0.0.1 in
 * its own port range, driven over the ng control protocol (a cookie, a
 * space, a bencoded dictionary, over UDP). Runs in the foreground and is
 * stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bdecode, bencode, type BValue } from './bencode.ts';
import { processTree, stopProcessTree } from './procstat.ts';

export interface RtpengineOptions {
  ngPort: number;
  portMin: number;
  portMax: number;
  /** Worker threads (--num-threads); rtpengine's default is the number of CPUs. */
  threads?: number;
}

export interface Rtpengine {
  pid: number;
  pids(): number[];
  /** One ng command; resolves with the reply dictionary (result "ok"), rejects otherwise or after timeoutMs. */
  ng(command: { [key: string]: BValue }, timeoutMs?: number): Promise<{ [key: string]: BValue }>;
  log(): string;
  stop(): Promise<void>;
}

export async function startRtpengine(o: RtpengineOptions): Promise<Rtpengine> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rtpengine-'));
  const args = [
    '--foreground',
    '--log-stderr',
    '--log-level=5',
    '--config-file=none',
    '--table=-1',
    '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${o.ngPort}`,
    `--port-min=${o.portMin}`,
    `--port-max=${o.portMax}`,
    '--delete-delay=0',
    '--timeout=60',
    ...(o.threads ? [`--num-threads=${o.threads}`] : []),
  ];
  const proc: ChildProcess = spawn('rtpengine', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (d: string): void => {
    if (log.length < 50_000) log += d;
  };
  proc.stdout!.setEncoding('utf8').on('data', onData);
  proc.stderr!.setEncoding('utf8').on('data', onData);
  const pid = proc.pid;
  if (pid === undefined) throw new Error('rtpengine did not start');

  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const pending = new Map<string, (reply: { [key: string]: BValue }) => void>();
  sock.on('message', (msg) => {
    const space = msg.indexOf(0x20);
    if (space < 0) return;
    const cookie = msg.toString('latin1', 0, space);
    try {
      const { value } = bdecode(msg, space + 1);
      if (typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) pending.get(cookie)?.(value);
    } catch {
      // not for us
    }
  });
  let seq = 0;
  const ng: Rtpengine['ng'] = (command, timeoutMs = 3000) =>
    new Promise((resolve, reject) => {
      const cookie = `${process.pid}_${++seq}`;
      const t = setTimeout(() => {
        pending.delete(cookie);
        reject(new Error(`rtpengine: no answer to ${String(command.command)} in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(cookie, (reply) => {
        clearTimeout(t);
        pending.delete(cookie);
        if (reply.result === 'ok') resolve(reply);
        else reject(new Error(`rtpengine ${String(command.command)}: ${JSON.stringify(reply)}`));
      });
      sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(command)]), o.ngPort, '127.0.0.1');
    });

  const stop = async (): Promise<void> => {
    sock.close();
    await stopProcessTree(proc);
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when it answers a ping.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`rtpengine exited (${proc.exitCode}):\n${log.slice(-3000)}`);
    }
    try {
      const r = await ng({ command: 'ping' }, 300);
      if (r.result === 'ok' || r.result === 'pong') break;
    } catch (err) {
      if ((err as Error).message.includes('pong')) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`rtpengine did not answer ping: ${(err as Error).message}\n${log.slice(-3000)}`);
      }
    }
  }
  return { pid, pids: () => (proc.exitCode === null ? processTree(pid) : []), ng, log: () => log, stop };
}

/** host and port of the first audio stream of an SDP (c= and m=audio). */
export function sdpAudioAddress(sdp: string): { host: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(sdp);
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!c?.[1] || !m?.[1]) throw new Error(`no audio address in SDP:\n${sdp}`);
  return { host: c[1], port: Number(m[1]) };
}
