import test from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { MediaClock } from '../../../firmware/media/media-clock.ts';
import { WavPlayer } from '../../../firmware/media/player.ts';
import { WavRecorder } from '../../../firmware/media/recorder.ts';
import { readWav, writeWav } from '../../../firmware/media/wav.ts';

test('one interval timer for all subscribers, armed only while someone listens', (t) => {
  const clock = new FakeClock();
  const mc = new MediaClock(clock);
  let a = 0;
  let b = 0;
  const ha = mc.subscribe(() => a++);
  const hb = mc.subscribe(() => b++);
  t.is(clock.pending(), 1);
  clock.advance(100);
  t.deepEqual([a, b], [5, 5]);
  ha.cancel();
  ha.cancel();
  clock.advance(40);
  t.deepEqual([a, b], [5, 7]);
  hb.cancel();
  t.false(mc.running());
  t.is(clock.pending(), 0);
});

test('a subscriber may unsubscribe from its own tick; a throwing one is removed and reported', (t) => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const mc = new MediaClock(clock, { onError: (e) => errors.push(e) });
  let n = 0;
  const h = mc.subscribe(() => {
    n++;
    if (n === 2) h.cancel();
  });
  mc.subscribe(() => {
    throw new Error('broken session');
  });
  let other = 0;
  mc.subscribe(() => other++);
  clock.advance(200);
  t.is(n, 2);
  t.is(errors.length, 1);
  t.is(other, 10);
  t.is(mc.size(), 1);
});

test('WavPlayer yields 20 ms frames, pads the last one, loops when asked', (t) => {
  const samples = Int16Array.from({ length: 400 }, (_, i) => i + 1);
  const p = WavPlayer.fromWav(writeWav(samples));
  const frame = new Int16Array(160);
  t.true(p.read(frame));
  t.is(frame[0], 1);
  t.true(p.read(frame));
  t.true(p.read(frame));
  t.is(frame[79], 400);
  t.is(frame[80], 0, 'padded with silence');
  t.false(p.read(frame));
  t.true(p.finished);
  const looping = new WavPlayer(samples.subarray(0, 160), { loop: true, maxLoops: 3 });
  let frames = 0;
  while (looping.read(frame)) frames++;
  t.is(frames, 3);
  const forever = new WavPlayer(samples, { loop: true });
  for (let i = 0; i < 100; i++) t.true(forever.read(frame));
  forever.stop();
  t.false(forever.read(frame));
});

test('WavRecorder keeps frames in order, bounded by maxDurationMs, and writes WAV', (t) => {
  const r = new WavRecorder({ maxDurationMs: 1000 });
  const frame = new Int16Array(160);
  for (let i = 0; i < 60; i++) {
    frame.fill(i);
    r.write(frame);
  }
  t.true(r.full);
  t.is(r.durationMs, 1000);
  const s = r.samples();
  t.is(s.length, 8000);
  t.is(s[0], 0);
  t.is(s[160 * 49], 49);
  const back = readWav(r.toWav('alaw'));
  t.is(back.format, 'alaw');
  t.is(back.samples.length, 8000);
});
