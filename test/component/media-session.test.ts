import test from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import { LogRegistry } from '../../firmware/core/logger.ts';
import {
  RtpRelayEngine,
  WavPlayer,
  WavRecorder,
  decodeG711,
  encodeG711,
  serializeRtp,
  sineTone,
  toneRatio,
  writeWav,
  type LegRemote,
} from '../../firmware/media/index.ts';
import { LOOPBACK as HOST, loopbackRemote, rtpPeer as peer, rtpPortBlock, until } from '../support/rtp-loopback.ts';

const logs = new LogRegistry({ level: 'silent', destination: { write: () => {} } });
// media-session: a random 200-port block in 27200-29399, below the ephemeral range (docs/media.md, Tests).
const range = rtpPortBlock(27200, 11, 200);

function remote(port: number, law: 'PCMU' | 'PCMA' = 'PCMU'): LegRemote {
  return loopbackRemote(port, [
    { payloadType: law === 'PCMU' ? 0 : 8, encoding: law, clockRate: 8000 },
    { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 },
  ]);
}

test('a session plays a WAV as 20 ms G.711 frames on the shared media clock', async (t) => {
  const clock = new FakeClock();
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(), clock, log: logs.get('media') });
  t.teardown(() => engine.close());
  const session = await engine.createSession();
  const p = await peer(t);
  session.setRemote(remote(p.port, 'PCMA'));
  let ended = false;
  session.play(WavPlayer.fromWav(writeWav(sineTone(1000, 200, 12000))), () => (ended = true));
  t.true(engine.mediaClock.running());
  for (let i = 0; i < 12; i++) clock.advance(20);
  await until(() => p.rtp.length === 10, 'ten frames');
  t.true(ended);
  t.false(engine.mediaClock.running(), 'the tick stops with the last player');
  t.true(p.rtp.every((r) => r.payloadType === 8 && r.payload.length === 160));
  t.deepEqual(
    p.rtp.map((r) => r.sequenceNumber - p.rtp[0]!.sequenceNumber),
    Array.from({ length: 10 }, (_, i) => i),
  );
  t.deepEqual(
    p.rtp.map((r) => r.timestamp - p.rtp[0]!.timestamp),
    Array.from({ length: 10 }, (_, i) => i * 160),
  );
  t.true(p.rtp[0]!.marker);
  const pcm = new Int16Array(1600);
  p.rtp.forEach((r, i) => decodeG711('alaw', r.payload, pcm, i * 160));
  t.true(toneRatio(pcm, 1000) > 0.9);
  session.close();
  t.is(engine.portsInUse(), 0);
});

test('a session records what the peer sends, with silence for missing frames', async (t) => {
  const clock = new FakeClock();
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(), clock, log: logs.get('media') });
  t.teardown(() => engine.close());
  const session = await engine.createSession();
  const p = await peer(t);
  session.setRemote(remote(p.port));
  const rec = new WavRecorder();
  session.record(rec);
  const tone = sineTone(1000, 400, 10000);
  for (let i = 0; i < 20; i++) {
    const payload = Buffer.alloc(160);
    encodeG711('ulaw', tone.subarray(i * 160, (i + 1) * 160), payload);
    p.socket.send(serializeRtp({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 77, payload }), session.local().port, HOST);
    await until(() => session.stats().packetsReceived === i + 1, `packet ${i}`);
    clock.advance(20);
  }
  clock.advance(200); // ten ticks of silence
  session.stopRecording();
  t.is(rec.durationMs, 600);
  const s = rec.samples();
  t.true(toneRatio(s.subarray(0, 3200), 1000) > 0.95, 'the 1 kHz tone is in the recording');
  t.true(s.subarray(3200).every((v) => v === 0));
  t.false(engine.mediaClock.running());
});

test('a player on a relay leg replaces the other peer towards that leg, keeping one stream', async (t) => {
  const clock = new FakeClock();
  const engine = new RtpRelayEngine({ listen: HOST, advertise: HOST, ...range(), clock, log: logs.get('media') });
  t.teardown(() => engine.close());
  const call = await engine.createRelayCall();
  const pa = await peer(t);
  const pb = await peer(t);
  call.setRemote('a', remote(pa.port));
  call.setRemote('b', remote(pb.port));
  const audio = (seq: number): Buffer =>
    serializeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x77, payload: Buffer.alloc(160, 0xff) });
  pb.socket.send(audio(10), call.local('b').port, HOST);
  await until(() => pa.rtp.length === 1, 'relayed');
  call.attachPlayer('a', new WavPlayer(sineTone(440, 60)));
  pb.socket.send(audio(11), call.local('b').port, HOST); // dropped while the player talks to A
  await new Promise((r) => setTimeout(r, 30));
  for (let i = 0; i < 4; i++) clock.advance(20);
  await until(() => pa.rtp.length === 4, 'three player frames');
  pb.socket.send(audio(12), call.local('b').port, HOST);
  await until(() => pa.rtp.length === 5, 'relayed again');
  t.deepEqual(
    pa.rtp.map((r) => r.ssrc),
    [0x77, 0x77, 0x77, 0x77, 0x77],
  );
  t.deepEqual(
    pa.rtp.map((r) => r.sequenceNumber),
    [10, 11, 12, 13, 14],
  );
  const ts = pa.rtp.map((r) => r.timestamp);
  for (let i = 1; i < ts.length; i++) t.true(ts[i]! > ts[i - 1]!, `timestamp grows at ${i}`);
});
