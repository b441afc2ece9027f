/**
 * Loopback RTP for the media component tests: each test file's own block of
 * RTP ports, a peer socket that records what it receives, a remote leg on
 * loopback, and a polling wait.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { parseRtp, type LegRemote, type PayloadFormat, type RtpPacket } from '../../firmware/media/index.ts';

export const LOOPBACK = '127.0.0.1';

/**
 * Port ranges for one test file: a block of `blockSize` ports taken at
 * random among `blocks` consecutive blocks from `first` (each file has its
 * own area below the kernel's ephemeral range 32768-60999, where freePort()
 * finds SIPp's ports: docs/media.md, Tests), handed out in sub-ranges.
 */
export function rtpPortBlock(first: number, blocks: number, blockSize: number, defaultSize = 8): (size?: number) => { portMin: number; portMax: number } {
  const base = first + Math.floor(Math.random() * blocks) * blockSize;
  let used = 0;
  return (size = defaultSize) => {
    const portMin = base + used;
    used += size;
    if (used > blockSize) throw new Error('port block exhausted: enlarge it');
    return { portMin, portMax: portMin + size - 1 };
  };
}

export interface RtpPeer {
  socket: Socket;
  port: number;
  /** Datagrams received that parse as RTP. */
  rtp: RtpPacket[];
  /** Every datagram received. */
  raw: Buffer[];
  send(buf: Buffer, port: number): void;
}

/** A UDP socket on loopback that records what it receives; closed at the test's end. */
export async function rtpPeer(t: { teardown(fn: () => void): void }): Promise<RtpPeer> {
  const socket = createSocket('udp4');
  socket.bind(0, LOOPBACK);
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  const p: RtpPeer = { socket, port: socket.address().port, rtp: [], raw: [], send: (buf, port) => socket.send(buf, port, LOOPBACK) };
  socket.on('message', (buf) => {
    p.raw.push(buf);
    const r = parseRtp(buf);
    if (r) p.rtp.push(r);
  });
  return p;
}

/** A sendrecv remote leg at a loopback port (RTCP on the next one), 20 ms packets. */
export function loopbackRemote(port: number, formats: PayloadFormat[], extra: Partial<LegRemote> = {}): LegRemote {
  return { rtp: { host: LOOPBACK, port }, rtcp: { host: LOOPBACK, port: port + 1 }, direction: 'sendrecv', formats, ptimeMs: 20, ...extra };
}

/** Waits until cond() holds, polling every few ms; throws after ms. */
export async function until(cond: () => boolean, what = 'condition', ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not met in time`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
