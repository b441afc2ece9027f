import test from 'ava';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { FakeClock } from '../../firmware/core/clock.ts';
import { LogRegistry } from '../../firmware/core/logger.ts';
import {
  RtpRelayEngine,
  decodeTelephoneEvent,
  encodeTelephoneEvent,
  isMediaError,
  parseRtcp,
  serializeRtcpReport,
  serializeRtp,
  type LegRemote,
  type PayloadFormat,
} from '../../firmware/media/index.ts';
import { LOOPBACK, loopbackRemote, rtpPeer, rtpPortBlock, until } from '../support/rtp-loopback.ts';

const HOST = LOOPBACK;
const logs = new LogRegistry({ level: 'silent', destination: { write: () => {} } });
// media-relay: a random 200-port block in 25000-27199 (docs/media.md, Tests); each test a sub-range.
const range = rtpPortBlock(25000, 11, 200);

const PCMU: PayloadFormat = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
const TEL = (pt: number): PayloadFormat => ({ payloadType: pt, encoding: 'telephone-event', clockRate: 8000 });

function remote(port: number, extra: Partial<LegRemote> = {}): LegRemote {
  return loopbackRemote(port, [PCMU, TEL(101)], extra);
}

function audio(ssrc: number, seq: number, ts: number, fill = 0x55): Buffer {
  return serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: ts, ssrc, payload: Buffer.alloc(160, fill) });
}

/** Lets datagrams in flight arrive (loopback: well under this). */
const settle = (ms = 60): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setup(t: { teardown(fn: () => void | Promise<void>): void }, opts: { relatchAfterMs?: number } = {}) {
  const clock = new FakeClock();
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(), clock, log: logs.get('media'), ...opts });
  t.teardown(() => engine.close());
  const call = await engine.createRelayCall();
  const pa = await rtpPeer(t);
  const pb = await rtpPeer(t);
  call.setRemote('a', remote(pa.port));
  call.setRemote('b', remote(pb.port));
  return { clock, engine, call, pa, pb, portA: call.local('a').port, portB: call.local('b').port };
}

test('relays RTP both ways between the two legs, unchanged when streams are stable', async (t) => {
  const { call, pa, pb, portA, portB } = await setup(t);
  t.is(call.local('a').host, HOST);
  t.is(portA % 2, 0);
  t.not(portA, portB);
  for (let i = 0; i < 5; i++) pa.send(audio(0x1111, 100 + i, 1000 + 160 * i), portA);
  for (let i = 0; i < 5; i++) pb.send(audio(0x2222, 7 + i, 99 + 160 * i), portB);
  await until(() => pb.rtp.length === 5 && pa.rtp.length === 5, 'both directions');
  t.deepEqual(
    pb.rtp.map((p) => [p.ssrc, p.sequenceNumber, p.timestamp]),
    [0, 1, 2, 3, 4].map((i) => [0x1111, 100 + i, 1000 + 160 * i]),
  );
  t.deepEqual(pa.rtp.map((p) => p.ssrc), [0x2222, 0x2222, 0x2222, 0x2222, 0x2222]);
  const sa = call.stats('a');
  t.is(sa.packetsReceived, 5);
  t.is(sa.bytesReceived, 5 * 172);
  t.is(sa.packetsSent, 5);
  t.is(sa.packetsLost, 0);
  t.is(sa.lastPayloadType, 0);
  t.deepEqual(sa.latchedFrom, { host: HOST, port: pa.port });
});

test('latches to the real source port when it differs from the SDP (NAT), and sends back there', async (t) => {
  const { call, pb, portA, portB } = await setup(t);
  const natted = await rtpPeer(t);
  call.setRemote('a', remote(natted.port + 2000)); // SDP says one port, packets come from another
  natted.send(audio(1, 1, 160), portA);
  await until(() => pb.rtp.length === 1, 'A→B');
  t.deepEqual(call.stats('a').latchedFrom, { host: HOST, port: natted.port });
  pb.send(audio(2, 1, 160), portB);
  await until(() => natted.rtp.length === 1, 'B→A to the latched address');
});

test('RTP bleed: a third address is dropped once latched; it may latch only after a pause', async (t) => {
  const { clock, call, pa, pb, portA } = await setup(t, { relatchAfterMs: 2000 });
  const intruder = await rtpPeer(t);
  pa.send(audio(1, 1, 160), portA);
  await until(() => pb.rtp.length === 1, 'genuine');
  intruder.send(audio(9, 1, 160, 0x11), portA);
  intruder.send(audio(9, 2, 320, 0x11), portA);
  await settle();
  t.is(pb.rtp.length, 1, 'intruder packets not relayed');
  t.is(call.rtcpStats('a').droppedFromUnknownSource, 2);
  t.deepEqual(call.stats('a').latchedFrom, { host: HOST, port: pa.port });
  // After 2 s of silence from the latched source the next one may latch (a new NAT binding, say).
  clock.advance(2500);
  intruder.send(audio(9, 3, 480, 0x11), portA);
  await until(() => pb.rtp.length === 2, 're-latched');
  t.deepEqual(call.stats('a').latchedFrom, { host: HOST, port: intruder.port });
  // The SDP address always wins back: the signalled peer sends again.
  pa.send(audio(1, 2, 320), portA);
  await until(() => pb.rtp.length === 3, 'sdp address accepted');
  t.deepEqual(call.stats('a').latchedFrom, { host: HOST, port: pa.port });
});

test('a new SDP address (re-INVITE) clears the latch', async (t) => {
  const { call, pa, pb, portA } = await setup(t);
  pa.send(audio(1, 1, 160), portA);
  await until(() => pb.rtp.length === 1, 'first');
  const moved = await rtpPeer(t);
  call.setRemote('a', remote(moved.port + 1000));
  t.is(call.stats('a').latchedFrom, null);
  moved.send(audio(1, 2, 320), portA);
  await until(() => pb.rtp.length === 2, 'from the new source');
  t.deepEqual(call.stats('a').latchedFrom, { host: HOST, port: moved.port });
});

test('hold: nothing is sent to a peer that does not receive; an inactive peer is not relayed', async (t) => {
  const { call, pa, pb, portA, portB } = await setup(t);
  // A puts B on hold: A is sendonly (it sends music, receives nothing), B answers recvonly.
  call.setRemote('a', remote(pa.port, { direction: 'sendonly' }));
  call.setRemote('b', remote(pb.port, { direction: 'recvonly' }));
  pb.send(audio(2, 1, 160), portB);
  pa.send(audio(1, 1, 160), portA);
  await until(() => pb.rtp.length === 1, 'A→B still relayed');
  await settle();
  t.is(pa.rtp.length, 0, 'nothing towards the sendonly peer');
  t.is(call.stats('b').packetsReceived, 1, 'still counted');
  // Both inactive: nothing either way.
  call.setRemote('a', remote(pa.port, { direction: 'inactive' }));
  call.setRemote('b', remote(pb.port, { direction: 'inactive' }));
  pa.send(audio(1, 2, 320), portA);
  pb.send(audio(2, 2, 320), portB);
  await settle();
  t.is(pb.rtp.length, 1);
  t.is(pa.rtp.length, 0);
  // Resume.
  call.setRemote('a', remote(pa.port));
  call.setRemote('b', remote(pb.port));
  pb.send(audio(2, 3, 480), portB);
  await until(() => pa.rtp.length === 1, 'resumed');
  // c=0.0.0.0 style hold (no address): nothing is sent either.
  call.setRemote('a', { ...remote(pa.port), rtp: null, rtcp: null });
  pb.send(audio(2, 4, 640), portB);
  await settle();
  t.is(pa.rtp.length, 1);
});

test('an SSRC change on one side is hidden from the other: one continuous stream', async (t) => {
  const { clock, call, pa, pb, portA } = await setup(t);
  for (let i = 0; i < 5; i++) pa.send(audio(0xaaaa, 100 + i, 8000 + 160 * i), portA);
  await until(() => pb.rtp.length === 5, 'first stream');
  clock.advance(20);
  // Transfer: a new source with its own SSRC, sequence and timestamp base.
  for (let i = 0; i < 5; i++) pa.send(audio(0xbbbb, 60000 + i, 123456789 + 160 * i), portA);
  await until(() => pb.rtp.length === 10, 'second stream');
  t.deepEqual(new Set(pb.rtp.map((p) => p.ssrc)), new Set([0xaaaa]));
  t.deepEqual(
    pb.rtp.map((p) => p.sequenceNumber),
    Array.from({ length: 10 }, (_, i) => 100 + i),
  );
  const ts = pb.rtp.map((p) => p.timestamp);
  for (let i = 1; i < 10; i++) t.is(ts[i]! - ts[i - 1]!, 160, `timestamp step ${i}`);
  t.is(call.stats('a').packetsLost, 0, 'the new source is not loss');
});

test('payload types are translated when the peers number telephone-event differently', async (t) => {
  const { call, pa, pb, portA } = await setup(t);
  call.setRemote('a', remote(pa.port, { formats: [PCMU, TEL(101)] }));
  call.setRemote('b', remote(pb.port, { formats: [PCMU, TEL(96)] }));
  const ev = Buffer.alloc(4);
  encodeTelephoneEvent(ev, 0, { event: 1, end: false, volume: 10, duration: 160 });
  pa.send(serializeRtp({ payloadType: 101, sequenceNumber: 1, timestamp: 1, ssrc: 5, payload: ev, marker: true }), portA);
  await until(() => pb.rtp.length === 1, 'event');
  t.is(pb.rtp[0]!.payloadType, 96);
  t.true(pb.rtp[0]!.marker);
});

test('RFC 4733 digits sent by a peer are counted once each (3 end packets deduplicated)', async (t) => {
  const { call, pa, pb, portA } = await setup(t);
  const got: string[] = [];
  call.onDtmfReceived((leg, d) => got.push(`${leg}:${d}`));
  let seq = 10;
  for (const [event, ts] of [
    [5, 1000],
    [11, 3000],
    [5, 5000],
  ] as const) {
    for (const [end, dur] of [
      [false, 160],
      [false, 320],
      [true, 400],
      [true, 400],
      [true, 400],
    ] as const) {
      const p = Buffer.alloc(4);
      encodeTelephoneEvent(p, 0, { event, end, volume: 10, duration: dur });
      pa.send(serializeRtp({ payloadType: 101, sequenceNumber: seq++, timestamp: ts, ssrc: 7, payload: p }), portA);
    }
  }
  await until(() => pb.rtp.length === 15, 'relayed too');
  t.is(call.stats('a').dtmfReceived, '5#5');
  t.deepEqual(got, ['a:5', 'a:#', 'a:5']);
  t.is(call.stats('b').dtmfReceived, '');
});

test('sendDtmf injects RFC 4733 packets continuing the leg’s outgoing stream', async (t) => {
  const { clock, call, pa, pb, portA } = await setup(t);
  for (let i = 0; i < 3; i++) pa.send(audio(0x4242, 500 + i, 16000 + 160 * i), portA);
  await until(() => pb.rtp.length === 3, 'audio');
  call.sendDtmf('b', '1#');
  // Digit plan: start, 2 updates, 3 end packets, one silent interval; 20 ms apart.
  for (let i = 0; i < 14; i++) {
    clock.advance(20);
    await settle(5);
  }
  await until(() => pb.rtp.length === 3 + 12, 'twelve event packets');
  const events = pb.rtp.slice(3);
  t.true(events.every((p) => p.payloadType === 101 && p.ssrc === 0x4242));
  t.deepEqual(
    events.map((p) => p.sequenceNumber),
    Array.from({ length: 12 }, (_, i) => 503 + i),
  );
  const decoded = events.map((p) => decodeTelephoneEvent(p.payload)!);
  t.deepEqual(
    decoded.map((e) => [e.event, e.end, e.duration]),
    [
      [1, false, 160],
      [1, false, 320],
      [1, false, 400],
      [1, true, 400],
      [1, true, 400],
      [1, true, 400],
      [11, false, 160],
      [11, false, 320],
      [11, false, 400],
      [11, true, 400],
      [11, true, 400],
      [11, true, 400],
    ],
  );
  t.deepEqual(
    events.map((p) => p.marker),
    [true, false, false, false, false, false, true, false, false, false, false, false],
  );
  // One timestamp per event, after the audio; the second event later than the first.
  t.is(new Set(events.slice(0, 6).map((p) => p.timestamp)).size, 1);
  t.is(new Set(events.slice(6).map((p) => p.timestamp)).size, 1);
  t.true(events[0]!.timestamp > 16000 + 320);
  t.true(events[6]!.timestamp > events[0]!.timestamp);
  // Audio relayed afterwards continues after the injected packets.
  pa.send(audio(0x4242, 503, 16000 + 160 * 3), portA);
  await until(() => pb.rtp.length === 16, 'audio after');
  t.is(pb.rtp[15]!.sequenceNumber, 515);
  t.is(call.stats('b').packetsSent, 16);
});

test('RTCP is relayed between the RTCP ports with latching, and SR/RR are accounted for', async (t) => {
  const { call, pa, pb, portA } = await setup(t);
  const rtcpA = await rtpPeer(t);
  const rtcpB = await rtpPeer(t);
  call.setRemote('a', { ...remote(pa.port), rtcp: { host: HOST, port: rtcpA.port } });
  call.setRemote('b', { ...remote(pb.port), rtcp: { host: HOST, port: rtcpB.port } });
  const rr = serializeRtcpReport(0x1111, [
    { ssrc: 0x2222, fractionLost: 64, cumulativeLost: 3, highestSequence: 100, jitter: 12, lastSr: 0, delaySinceLastSr: 0 },
  ]);
  rtcpA.send(rr, portA + 1);
  await until(() => rtcpB.raw.length === 1, 'rtcp relayed');
  const parsed = parseRtcp(rtcpB.raw[0]!);
  t.is(parsed?.[0]?.type, 201);
  const st = call.rtcpStats('a');
  t.is(st.rtcpReceived, 1);
  t.is(st.remoteFractionLost, 0.25);
  t.is(st.remoteJitter, 12);
  t.is(call.rtcpStats('b').rtcpSent, 1);
  // A stranger's RTCP is dropped once the RTCP source is latched.
  const stranger = await rtpPeer(t);
  stranger.send(rr, portA + 1);
  await settle();
  t.is(rtcpB.raw.length, 1);
});

test('a port pair in use by someone else is skipped; exhaustion is a clear error', async (t) => {
  const clock = new FakeClock();
  const r = range(4); // two pairs
  const squatter = createSocket('udp4');
  squatter.bind(r.portMin + 1, HOST); // the RTCP port of the first pair
  await once(squatter, 'listening');
  t.teardown(() => squatter.close());
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...r, clock, log: logs.get('media') });
  t.teardown(() => engine.close());
  const session = await engine.createSession();
  t.is(session.local().port, r.portMin + 2);
  const err = await t.throwsAsync(engine.createRelayCall());
  t.true(isMediaError(err));
  t.is((err as { code?: string }).code, 'E_MEDIA_PORTS_EXHAUSTED');
  t.regex(err!.message, /no free RTP port pair/);
  t.is(engine.portsInUse(), 1, 'a failed call gives back what it took');
});

test('released pairs rest in quarantine before reuse', async (t) => {
  const clock = new FakeClock();
  const r = range(4);
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...r, clock, log: logs.get('media'), portQuarantineMs: 1000 });
  t.teardown(() => engine.close());
  const call = await engine.createRelayCall();
  call.close();
  call.close(); // idempotent
  await t.throwsAsync(engine.createRelayCall(), { message: /2 quarantined/ });
  clock.advance(1001);
  const again = await engine.createRelayCall();
  t.is(engine.portsInUse(), 2);
  again.close();
  t.is(engine.portsInUse(), 0);
});

test.serial('200 create/close cycles leak neither ports nor sockets', async (t) => {
  const clock = new FakeClock();
  const r = range(40);
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...r, clock, log: logs.get('media'), portQuarantineMs: 500 });
  const udpHandles = (): number => process.getActiveResourcesInfo().filter((x) => x === 'UDPWrap').length;
  await settle(20);
  const before = udpHandles();
  const pa = await rtpPeer(t);
  const pb = await rtpPeer(t);
  for (let i = 0; i < 200; i++) {
    const call = await engine.createRelayCall();
    call.setRemote('a', remote(pa.port));
    call.setRemote('b', remote(pb.port));
    if (i % 20 === 0) {
      pa.send(audio(1, i, i * 160), call.local('a').port);
      call.sendDtmf('a', '9'); // a timer armed, then cancelled by close
    }
    call.close();
    clock.advance(100);
  }
  t.is(engine.openCalls(), 0);
  t.is(engine.portsInUse(), 0);
  t.is(clock.pending(), 0, 'no timer left behind');
  await engine.close();
  await settle(50);
  t.is(udpHandles(), before + 2, 'only the two test peers remain');
  // Every port of the range can be bound again.
  for (let p = r.portMin; p <= r.portMax; p++) {
    const s = createSocket('udp4');
    s.bind(p, HOST);
    await once(s, 'listening');
    s.close();
  }
  t.pass();
});

test('a closed engine refuses new calls and closes the open ones', async (t) => {
  const clock = new FakeClock();
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(8), clock, log: logs.get('media') });
  const call = await engine.createRelayCall();
  await engine.close();
  t.is(engine.openCalls(), 0);
  t.is(engine.portsInUse(), 0);
  t.true(call.isClosed());
  const err = await t.throwsAsync(engine.createRelayCall());
  t.is((err as { code?: string }).code, 'E_MEDIA_CLOSED');
});
