import test, { type ExecutionContext } from 'ava';
import { LogRegistry } from '../../firmware/core/logger.ts';
import {
  decodeTelephoneEvent,
  encodeTelephoneEvent,
  isMediaError,
  serializeRtp,
  type LegRemote,
  type PayloadFormat,
} from '../../firmware/media/index.ts';
import { LOOPBACK as HOST, loopbackRemote, rtpPeer as peer, rtpPortBlock, until } from '../support/rtp-loopback.ts';
import { WorkerRelayEngine } from '../../firmware/media/worker-engine.ts';
import { mediaWorkerSpawner } from '../../firmware/media/worker-spawn.ts';

// Issue 4 §2 on the media thread: the relay engine in a worker thread, driven through the
// same RelayCall contract as the in-thread one (docs/media.md, "the media thread").

// media-worker: a random 100-port block in 30600-31699, below the ephemeral range (docs/media.md, Tests).
const range = rtpPortBlock(30600, 11, 100, 16);

const PCMU: PayloadFormat = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
const TEL: PayloadFormat = { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 };

function remote(port: number, formats: PayloadFormat[] = [PCMU, TEL]): LegRemote {
  return loopbackRemote(port, formats);
}

function audio(ssrc: number, seq: number, fill = 0x55): Buffer {
  return serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc, payload: Buffer.alloc(160, fill) });
}

async function engine(t: ExecutionContext, size = 16): Promise<WorkerRelayEngine> {
  const lines: string[] = [];
  const e = new WorkerRelayEngine({
    listen: HOST,
    advertise: HOST,
    ...range(size),
    log: new LogRegistry({ level: 'info', destination: { write: (s: string) => void lines.push(s) } }).get('media'),
    portQuarantineMs: 50,
    spawn: await mediaWorkerSpawner(),
  });
  t.teardown(() => e.close());
  await e.start();
  return e;
}

test('issue 4 §2: the media thread relays both ways, rewrites the stream, and its statistics are read without a round trip', async (t) => {
  const e = await engine(t);
  const call = await e.createRelayCall();
  const [a, b] = [await peer(t), await peer(t)];
  call.setRemote('a', remote(a.port));
  call.setRemote('b', remote(b.port));
  t.is(e.openCalls(), 1);
  t.is(e.portsInUse(), 2);
  for (let i = 0; i < 10; i++) {
    a.send(audio(0x1111, 100 + i), call.local('a').port);
    b.send(audio(0x2222, 500 + i, 0x66), call.local('b').port);
    await new Promise((r) => setTimeout(r, 2));
  }
  await until(() => b.rtp.length === 10 && a.rtp.length === 10, 'both directions');
  t.true(b.rtp.every((p) => p.payload[0] === 0x55));
  t.true(a.rtp.every((p) => p.payload[0] === 0x66));
  await until(() => call.stats('a').packetsReceived === 10 && call.stats('b').packetsSent === 10, 'stats published');
  t.like(call.stats('a'), { packetsReceived: 10, bytesReceived: 1720, packetsLost: 0, lastPayloadType: 0, latchedFrom: { host: HOST, port: a.port } });
  call.close();
  t.is(e.openCalls(), 0);
  t.is(call.stats('a').packetsReceived, 10, 'the last figures stay readable after the close');
  await until(() => e.portsInUse() === 0, 'ports released after the quarantine');
});

test('issue 4 §2: RFC 4733 digits both ways through the media thread: sent to a peer, received from a peer', async (t) => {
  const e = await engine(t);
  const call = await e.createRelayCall();
  const [a, b] = [await peer(t), await peer(t)];
  call.setRemote('a', remote(a.port));
  call.setRemote('b', remote(b.port));
  const got: string[] = [];
  const off = call.onDtmfReceived((leg, digit) => got.push(`${leg}:${digit}`));
  // "5" from A: three updates and the three end packets, as phones send it.
  for (let i = 0; i < 6; i++) {
    const end = i >= 3;
    const payload = Buffer.alloc(4);
    encodeTelephoneEvent(payload, 0, { event: 5, end, volume: 10, duration: 160 * (i + 1) });
    a.send(serializeRtp({ payloadType: 101, marker: i === 0, sequenceNumber: 10 + i, timestamp: 8000, ssrc: 0x3333, payload }), call.local('a').port);
  }
  await until(() => got.length === 1, 'the digit from A');
  t.deepEqual(got, ['a:5']);
  off();
  call.sendDtmf('b', '7');
  // B hears A's "5" relayed, then the PBX's own "7".
  const events = () => b.rtp.filter((p) => p.payloadType === 101).map((p) => decodeTelephoneEvent(p.payload)!);
  await until(() => events().some((ev) => ev.event === 7 && ev.end), 'the digit towards B');
  t.deepEqual([...new Set(events().map((ev) => ev.event))], [5, 7]);
  await until(() => call.stats('a').dtmfReceived === '5', 'the digit in the shared statistics');
});

test('issue 4 §2: a player on the main thread is heard by the peer through the media thread to its end; a recorder gets what the peer sends', async (t) => {
  const e = await engine(t);
  const call = await e.createRelayCall();
  const [a, b] = [await peer(t), await peer(t)];
  call.setRemote('a', remote(a.port));
  call.setRemote('b', remote(b.port));
  // 25 frames (0.5 s) of a constant level: read ahead by the main thread, paced by the worker's clock.
  let left = 25;
  let ended = 0;
  const startedAt = Date.now();
  call.attachPlayer('a', { read: (f) => (left-- > 0 ? (f.fill(8000), true) : false) }, () => void ended++);
  await until(() => ended === 1, 'the player ended', 3000);
  const elapsed = Date.now() - startedAt;
  t.true(elapsed >= 400, `played in real time (${elapsed} ms)`);
  t.is(a.rtp.length, 25, 'every frame reached A once');
  t.true(a.rtp.every((p) => p.payloadType === 0 && p.payload.length === 160));
  // The recorder: frames of what B sends come back to the main thread, 20 ms each.
  const frames: Int16Array[] = [];
  call.attachRecorder('b', { write: (f) => void frames.push(f) });
  for (let i = 0; i < 10; i++) {
    b.send(audio(0x4444, i, 0x00), call.local('b').port); // µ-law 0x00: a loud negative sample
    await new Promise((r) => setTimeout(r, 20));
  }
  await until(() => frames.length >= 10, 'recorded frames');
  call.detachRecorder('b');
  t.true(frames.every((f) => f.length === 160));
  t.true(frames.some((f) => f[0]! < -8000), 'the recorded audio is what B sent');
});

test('issue 4 §2: an exhausted port range is E_MEDIA_PORTS_EXHAUSTED from the worker; closing the engine ends the thread and its calls', async (t) => {
  const e = await engine(t, 4); // one call: 2 RTP/RTCP pairs
  const first = await e.createRelayCall();
  const err = await t.throwsAsync(() => e.createRelayCall());
  t.true(isMediaError(err));
  t.is((err as { code?: string }).code, 'E_MEDIA_PORTS_EXHAUSTED');
  await e.close();
  t.is(e.openCalls(), 0);
  first.setRemote('a', remote(9)); // a closed call ignores what comes late
  const closed = await t.throwsAsync(() => e.createRelayCall());
  t.is((closed as { code?: string }).code, 'E_MEDIA_CLOSED');
});
