/**
 * RTP load generator for bench/media.ts: for each call two UDP sockets (peer
 * A and peer B) on 127.0.0.1, each sending G.711 (PT 8, 160-byte payload,
 * 20 ms, 50 packets/s) to its side of the relay; the streams' phases are
 * spread over the 20 ms so the relay sees a steady flow, not bursts.
 * Each payload carries the send time (performance.now(), float64), the call
 * and the direction; the receiving peer computes per packet the one-way
 * latency through the relay, per stream the loss (sent - received, after a
 * drain) and the RFC 3550 A.8 interarrival jitter of that latency.
 */
import { createSocket, type Socket } from 'node:dgram';

export const PAYLOAD_BYTES = 160;
const PACKET_BYTES = 12 + PAYLOAD_BYTES;
const PTIME_MS = 20;

export interface PeerPair {
  a: Socket;
  b: Socket;
  aPort: number;
  bPort: number;
}

/** Where each peer sends: A to the relay's A side, B to its B side. */
export interface CallPath {
  aSendsTo: number;
  bSendsTo: number;
}

export interface LoadResult {
  calls: number;
  seconds: number;
  sent: number;
  received: number;
  lossPercent: number;
  /** One-way latency through the relay (ms), over every packet received. */
  p50: number;
  p99: number;
  max: number;
  /** RFC 3550 jitter of the latency (ms): mean and max over the streams at the end. */
  jitterMean: number;
  jitterMax: number;
  /** Packets that arrived at a peer with another call's or direction's tag (misrouted). */
  misrouted: number;
}

export async function openPeers(n: number): Promise<PeerPair[]> {
  const bind = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => {
        s.setRecvBufferSize(1 << 20);
        resolve(s);
      });
    });
  const out: PeerPair[] = [];
  for (let i = 0; i < n; i++) {
    const a = await bind();
    const b = await bind();
    out.push({ a, b, aPort: a.address().port, bPort: b.address().port });
  }
  return out;
}

export async function closePeers(peers: PeerPair[]): Promise<void> {
  for (const p of peers) {
    p.a.close();
    p.b.close();
  }
}

/** Streams: index 2*i = A->B of call i (sent by a, received by b), 2*i+1 = B->A. */
export async function runLoad(peers: readonly PeerPair[], paths: readonly CallPath[], seconds: number): Promise<LoadResult> {
  const n = peers.length;
  const streams = 2 * n;
  const sent = new Uint32Array(streams);
  const received = new Uint32Array(streams);
  const seq = new Uint16Array(streams);
  const ssrc = Uint32Array.from({ length: streams }, () => (Math.random() * 0x100000000) >>> 0);
  const jitter = new Float64Array(streams);
  const lastTransit = new Float64Array(streams).fill(Number.NaN);
  const capacity = Math.ceil(streams * (seconds * 1000) / PTIME_MS * 1.05) + 1000;
  const latencies = new Float64Array(capacity);
  let nLat = 0;
  let misrouted = 0;

  const onPacket = (expected: number) => (buf: Buffer): void => {
    const now = performance.now();
    if (buf.length !== PACKET_BYTES) return;
    const stream = buf.readUInt32BE(20);
    if (stream !== expected) {
      misrouted++;
      return;
    }
    const transit = now - buf.readDoubleBE(12);
    received[stream]!++;
    if (nLat < capacity) latencies[nLat++] = transit;
    const prev = lastTransit[stream]!;
    if (!Number.isNaN(prev)) {
      const d = Math.abs(transit - prev);
      jitter[stream]! += (d - jitter[stream]!) / 16;
    }
    lastTransit[stream] = transit;
  };
  peers.forEach((p, i) => {
    p.b.on('message', onPacket(2 * i));
    p.a.on('message', onPacket(2 * i + 1));
  });

  const t0 = performance.now() + 5;
  const next = new Float64Array(streams);
  for (let s = 0; s < streams; s++) next[s] = t0 + (s * PTIME_MS) / streams;
  const stopAt = t0 + seconds * 1000;
  const payloadFill = Buffer.alloc(PAYLOAD_BYTES - 12, 0xd5); // A-law silence after our 12 bytes of tags

  const sendOne = (s: number, now: number): void => {
    const i = s >> 1;
    const fromA = (s & 1) === 0;
    const pkt = Buffer.allocUnsafe(PACKET_BYTES);
    pkt[0] = 0x80;
    pkt[1] = 8;
    seq[s] = (seq[s]! + 1) & 0xffff;
    pkt.writeUInt16BE(seq[s]!, 2);
    pkt.writeUInt32BE((sent[s]! * 160) >>> 0, 4);
    pkt.writeUInt32BE(ssrc[s]!, 8);
    pkt.writeDoubleBE(now, 12);
    pkt.writeUInt32BE(s, 20);
    payloadFill.copy(pkt, 24);
    const p = peers[i]!;
    const path = paths[i]!;
    if (fromA) p.a.send(pkt, path.aSendsTo, '127.0.0.1');
    else p.b.send(pkt, path.bSendsTo, '127.0.0.1');
    sent[s]!++;
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (now >= stopAt) {
        resolve();
        return;
      }
      for (let s = 0; s < streams; s++) {
        // A late tick sends what is due now (no catch-up burst beyond one packet per stream).
        if (next[s]! <= now) {
          sendOne(s, performance.now());
          next[s]! += PTIME_MS;
          if (next[s]! <= now) next[s] = now + PTIME_MS;
        }
      }
      setTimeout(tick, 1);
    };
    setTimeout(tick, 5);
  });
  // Drain: what is still in flight arrives within this.
  await new Promise((r) => setTimeout(r, 500));
  for (const p of peers) {
    p.a.removeAllListeners('message');
    p.b.removeAllListeners('message');
  }

  const totalSent = sent.reduce((a, b) => a + b, 0);
  const totalReceived = received.reduce((a, b) => a + b, 0);
  const lat = latencies.subarray(0, nLat).sort();
  const pct = (q: number): number => (nLat === 0 ? Number.NaN : lat[Math.min(nLat - 1, Math.floor(q * nLat))]!);
  let jMax = 0;
  let jSum = 0;
  for (let s = 0; s < streams; s++) {
    jSum += jitter[s]!;
    jMax = Math.max(jMax, jitter[s]!);
  }
  return {
    calls: n,
    seconds,
    sent: totalSent,
    received: totalReceived,
    lossPercent: totalSent === 0 ? 0 : (100 * (totalSent - Math.min(totalSent, totalReceived))) / totalSent,
    p50: pct(0.5),
    p99: pct(0.99),
    max: nLat === 0 ? Number.NaN : lat[nLat - 1]!,
    jitterMean: jSum / streams,
    jitterMax: jMax,
    misrouted,
  };
}
