import test from 'ava';
import { RtpReceiveStats } from '../../../firmware/media/stats.ts';

function feed(s: RtpReceiveStats, seqs: number[], ssrc = 1): void {
  for (const seq of seqs) s.update(ssrc, seq & 0xffff, seq * 160, seq * 20, 8000, true);
}

test('RFC 3550 A.3: no loss on an in-order stream, across the 16-bit wrap', (t) => {
  const s = new RtpReceiveStats();
  feed(s, Array.from({ length: 200 }, (_, i) => 65500 + i));
  t.is(s.packetsLost, 0);
  t.is(s.extendedHighestSequence, 65536 + (65500 + 199 - 65536));
});

test('A.3: gaps are counted as lost; late (reordered) packets fill them; duplicates do not make gains', (t) => {
  const s = new RtpReceiveStats();
  feed(s, [1, 2, 3, 4, 7, 8, 10]);
  t.is(s.packetsLost, 3); // 5, 6, 9
  feed(s, [5]);
  t.is(s.packetsLost, 2);
  feed(s, [8, 8, 8, 8]);
  t.is(s.packetsLost, 0, 'clamped at zero');
});

test('A.1: a huge jump is ignored once, accepted as a restart when followed by its successor', (t) => {
  const s = new RtpReceiveStats();
  feed(s, [10, 11, 12, 13]);
  t.false(s.update(1, 40000, 0, 0, 8000, true));
  t.true(s.update(1, 40001, 160, 20, 8000, true));
  feed(s, [40002, 40003]);
  t.is(s.packetsLost, 0);
});

test('a new SSRC starts a new source; losses of the old one are kept', (t) => {
  const s = new RtpReceiveStats();
  feed(s, [1, 2, 3, 6]); // 2 lost
  feed(s, [500, 501, 502, 504], 2); // 1 lost
  t.is(s.packetsLost, 3);
});

test('RFC 3550 A.8: jitter is 0 for perfectly paced packets and converges to the delay variation', (t) => {
  const s = new RtpReceiveStats();
  for (let i = 0; i < 100; i++) s.update(1, i, i * 160, 1000 + i * 20, 8000, true);
  t.is(s.jitterMs, 0);
  // Alternate arrivals 10 ms early/late: |D| = 20 ms each time; J → 20 ms (160 units).
  const j = new RtpReceiveStats();
  for (let i = 0; i < 2000; i++) j.update(1, i, i * 160, 1000 + i * 20 + (i % 2 === 0 ? 10 : -10), 8000, true);
  t.true(Math.abs(j.jitterMs - 20) < 0.5, `jitter ${j.jitterMs}`);
  t.true(Math.abs(j.jitter - 160) <= 4);
  // First steps follow J += (|D| - J)/16 exactly.
  const k = new RtpReceiveStats();
  k.update(1, 0, 0, 0, 8000, true);
  k.update(1, 1, 160, 20, 8000, true); // probation ends: first transit
  k.update(1, 2, 320, 50, 8000, true); // 10 ms late: D = 80 units
  t.is(k.jitter, 5); // 80/16
});

test('untimed packets (RFC 4733 events) are left out of jitter', (t) => {
  const s = new RtpReceiveStats();
  for (let i = 0; i < 50; i++) s.update(1, i, i * 160, i * 20, 8000, true);
  for (let i = 50; i < 60; i++) s.update(1, i, 50 * 160, i * 20, 8000, false);
  t.is(s.jitterMs, 0);
  t.is(s.packetsLost, 0);
});
