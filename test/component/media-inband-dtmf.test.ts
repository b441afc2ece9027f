import test from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import { LogRegistry } from '../../firmware/core/logger.ts';
import {
  RtpRelayEngine,
  dtmfEventCode,
  dtmfTone,
  encodeG711,
  encodeTelephoneEvent,
  serializeRtp,
  type G711Law,
  type PayloadFormat,
} from '../../firmware/media/index.ts';
import { LOOPBACK as HOST, loopbackRemote as remote, rtpPeer as peer, rtpPortBlock, until, type RtpPeer } from '../support/rtp-loopback.ts';

const logs = new LogRegistry({ level: 'silent', destination: { write: () => {} } });
// media-inband-dtmf: a random 200-port block in 29400-30599, below the ephemeral range (docs/media.md, Tests).
const range = rtpPortBlock(29400, 6, 200);

const PCMA: PayloadFormat = { payloadType: 8, encoding: 'PCMA', clockRate: 8000 };
const PCMU: PayloadFormat = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
const TEL: PayloadFormat = { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 };

const settle = (ms = 80): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Audio for a key sequence: `toneMs` of each key then `gapMs` of silence. */
function keys(digits: string, toneMs = 80, gapMs = 60): Int16Array {
  const parts: Int16Array[] = [new Int16Array(160)];
  for (const d of digits) parts.push(dtmfTone(d, toneMs), new Int16Array(gapMs * 8));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An RTP sender on a peer's socket: one SSRC, 20 ms G.711 packets, optional RFC 4733 events. */
class Sender {
  seq = 1000;
  ts = 50_000;
  private sent = 0;
  constructor(
    private readonly from: RtpPeer,
    private readonly toPort: number,
    private readonly law: G711Law,
    readonly ssrc = 0x1234,
  ) {}

  private async send(buf: Buffer): Promise<void> {
    this.from.socket.send(buf, this.toPort, HOST);
    // Pace a little so loopback never drops a burst.
    if (++this.sent % 8 === 0) await settle(4);
  }

  /** Sends `pcm` as 20 ms packets (the last one padded with silence). */
  async audio(pcm: Int16Array): Promise<void> {
    for (let at = 0; at < pcm.length; at += 160) {
      const frame = new Int16Array(160);
      frame.set(pcm.subarray(at, Math.min(at + 160, pcm.length)));
      const payload = Buffer.alloc(160);
      encodeG711(this.law, frame, payload, 0, 160);
      await this.send(serializeRtp({ payloadType: this.law === 'alaw' ? 8 : 0, sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc, payload }));
      this.seq = (this.seq + 1) & 0xffff;
      this.ts += 160;
    }
  }

  /** RFC 4733 events for a digit (start, update, 3 end packets) at the stream's current timestamp. */
  async event(digit: string): Promise<void> {
    const ts = this.ts;
    for (const [end, duration] of [[false, 160], [false, 320], [true, 400], [true, 400], [true, 400]] as const) {
      const payload = Buffer.alloc(4);
      encodeTelephoneEvent(payload, 0, { event: dtmfEventCode(digit), end, volume: 10, duration });
      await this.send(serializeRtp({ payloadType: 101, sequenceNumber: this.seq, timestamp: ts, ssrc: this.ssrc, payload }));
      this.seq = (this.seq + 1) & 0xffff;
    }
  }

  /** Silence suppression: the timestamp moves on, the sequence numbers do not skip. */
  suppress(ms: number): void {
    this.ts += ms * 8;
  }

  /** Lost packets: both move on. */
  lose(packets: number): void {
    this.seq = (this.seq + packets) & 0xffff;
    this.ts += packets * 160;
  }
}

async function setup(t: { teardown(fn: () => void | Promise<void>): void }, formatsA: PayloadFormat[]) {
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(), clock: new FakeClock(), log: logs.get('media') });
  t.teardown(() => engine.close());
  const call = await engine.createRelayCall();
  const pa = await peer(t);
  const pb = await peer(t);
  call.setRemote('a', remote(pa.port, formatsA));
  call.setRemote('b', remote(pb.port, [PCMU, TEL]));
  const got: string[] = [];
  return { engine, call, pa, pb, got, portA: call.local('a').port };
}

test('a PCMA-only peer keying 1, 2, # in band: onDtmfReceived gets 1, 2, # in order; the audio is still relayed', async (t) => {
  const { call, pa, pb, got, portA } = await setup(t, [PCMA]);
  call.onDtmfReceived((leg, d) => got.push(`${leg}:${d}`));
  t.true(call.a.inbandDtmfActive(), 'A has no telephone-event: detector on');
  t.false(call.b.inbandDtmfActive(), 'B negotiated telephone-event: detector off');
  const pcm = keys('12#');
  const packets = Math.ceil(pcm.length / 160);
  await new Sender(pa, portA, 'alaw').audio(pcm);
  await until(() => got.length === 3, 'three digits');
  await settle();
  t.deepEqual(got, ['a:1', 'a:2', 'a:#']);
  t.is(call.stats('a').dtmfReceived, '12#');
  t.is(call.stats('b').dtmfReceived, '');
  await until(() => pb.rtp.length === packets, 'all audio relayed to B');
  t.true(pb.rtp.every((p) => p.payloadType === 8));
});

test('the detector runs only while someone listens: no listener, no in-band digits', async (t) => {
  const { call, pa, pb, got, portA } = await setup(t, [PCMA]);
  t.false(call.a.inbandDtmfActive(), 'nobody listens');
  const s = new Sender(pa, portA, 'alaw');
  await s.audio(keys('4'));
  await until(() => pb.rtp.length > 0, 'relayed');
  await settle();
  t.is(call.stats('a').dtmfReceived, '');
  const off = call.onDtmfReceived((leg, d) => got.push(`${leg}:${d}`));
  const off2 = call.onDtmfReceived(() => {});
  t.true(call.a.inbandDtmfActive());
  await s.audio(keys('5'));
  await until(() => got.length === 1, 'digit while listening');
  off();
  t.true(call.a.inbandDtmfActive(), 'one listener left');
  off2();
  t.false(call.a.inbandDtmfActive(), 'last listener gone');
  await s.audio(keys('6'));
  await settle();
  t.deepEqual(got, ['a:5']);
  t.is(call.stats('a').dtmfReceived, '5');
  // A re-INVITE adding telephone-event turns the detector off while listened to; removing it turns it back on.
  call.onDtmfReceived(() => {});
  t.true(call.a.inbandDtmfActive());
  call.setRemote('a', remote(pa.port, [PCMA, TEL]));
  t.false(call.a.inbandDtmfActive());
  call.setRemote('a', remote(pa.port, [PCMA]));
  t.true(call.a.inbandDtmfActive());
  call.close();
  t.false(call.a.inbandDtmfActive(), 'closed');
});

test('a peer that negotiated telephone-event: the same audio with RFC 4733 events is reported once per key', async (t) => {
  const { call, pa, got, portA } = await setup(t, [PCMA, TEL]);
  call.onDtmfReceived((leg, d) => got.push(`${leg}:${d}`));
  t.false(call.a.inbandDtmfActive(), 'RFC 4733 negotiated: in-band detection stays off');
  const s = new Sender(pa, portA, 'alaw');
  for (const d of '12#') {
    await s.event(d);
    await s.audio(keys(d));
  }
  await until(() => got.length >= 3, 'three digits');
  await settle();
  t.deepEqual(got, ['a:1', 'a:2', 'a:#']);
  t.is(call.stats('a').dtmfReceived, '12#');
});

test('silence suppression between two presses of one key gives two digits; a lost packet inside a tone does not split it', async (t) => {
  const { call, pa, got, portA } = await setup(t, [PCMU]);
  call.onDtmfReceived((_leg, d) => got.push(d));
  const s = new Sender(pa, portA, 'ulaw');
  await s.audio(dtmfTone('5', 100));
  s.suppress(200); // no packets for 200 ms, sequence numbers contiguous
  await s.audio(dtmfTone('5', 100));
  await s.audio(new Int16Array(800));
  await until(() => got.length === 2, 'two presses');
  // One long press with a lost packet in the middle: one digit.
  await s.audio(dtmfTone('9', 100));
  s.lose(1);
  await s.audio(dtmfTone('9', 100));
  await s.audio(new Int16Array(800));
  await settle(150);
  t.deepEqual(got, ['5', '5', '9']);
});

test('a new media source (re-INVITE to another address) starts the detector over', async (t) => {
  const { call, pa, got, portA } = await setup(t, [PCMA]);
  call.onDtmfReceived((_leg, d) => got.push(d));
  await new Sender(pa, portA, 'alaw').audio(dtmfTone('7', 200));
  await until(() => got.length === 1 && call.stats('a').packetsReceived === 10, 'first press, every packet in');
  // Transfer: the peer is now another phone that is holding 7 down too; no pause in between.
  const other = await peer(t);
  call.setRemote('a', remote(other.port, [PCMA]));
  await new Sender(other, portA, 'alaw', 0x9999).audio(dtmfTone('7', 200));
  await until(() => got.length === 2, 'second press, from the new source');
  await settle();
  t.deepEqual(got, ['7', '7']);
});

test('a media session (voicemail, IVR) reads in-band digits from a G.711-only peer', async (t) => {
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(), clock: new FakeClock(), log: logs.get('media') });
  t.teardown(() => engine.close());
  const s = await engine.createSession();
  const p = await peer(t);
  s.setRemote(remote(p.port, [PCMU]));
  const got: string[] = [];
  s.onDtmfReceived((leg, d) => got.push(`${leg}:${d}`));
  await new Sender(p, s.local().port, 'ulaw').audio(keys('0*D9', 60, 50));
  await until(() => got.length === 4, 'four digits');
  t.deepEqual(got, ['a:0', 'a:*', 'a:D', 'a:9']);
  t.is(s.stats().dtmfReceived, '0*D9');
});
