import test from 'ava';
import { detectDtmf, dtmfTone, goertzelPower, sineTone, toneLevelDbfs, toneRatio } from '../../../firmware/media/goertzel.ts';

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const silence = (ms: number): Int16Array => new Int16Array(ms * 8);

function noise(ms: number, amplitude: number, seed = 1): Int16Array {
  let s = seed;
  const out = new Int16Array(ms * 8);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.round(((s / 0x7fffffff) * 2 - 1) * amplitude);
  }
  return out;
}

test('detects each of the 16 DTMF digits in generated tones', (t) => {
  for (const d of '0123456789*#ABCD') t.is(detectDtmf(concat(silence(30), dtmfTone(d, 60), silence(30))), d, d);
});

test('a digit string with gaps, any alignment, reports each digit once', (t) => {
  const digits = '0612345678#';
  const parts: Int16Array[] = [silence(13)];
  for (const d of digits) parts.push(dtmfTone(d, 70), silence(50));
  t.is(detectDtmf(concat(...parts)), digits);
  // A repeated digit needs the gap between its tones.
  t.is(detectDtmf(concat(dtmfTone('5', 60), silence(50), dtmfTone('5', 60))), '55');
});

test('40 ms minimum: 40 ms tones are detected, 25 ms ones are not', (t) => {
  for (let off = 0; off < 40; off += 7) {
    t.is(detectDtmf(concat(silence(off), dtmfTone('7', 40), silence(20))), '7', `40 ms at ${off}`);
    t.is(detectDtmf(concat(silence(off), dtmfTone('7', 25), silence(20))), '', `25 ms at ${off}`);
  }
});

test('rejects noise, a single tone, speech-like mixtures, too much twist and too quiet tones', (t) => {
  t.is(detectDtmf(noise(500, 8000)), '');
  t.is(detectDtmf(sineTone(697, 200)), '', 'row tone alone');
  t.is(detectDtmf(sineTone(1336, 200)), '', 'column tone alone');
  t.is(detectDtmf(sineTone(1000, 200)), '', '1 kHz');
  // Twist of 15 dB: low group 15 dB under the high group.
  const low = sineTone(770, 100, 1000);
  const high = sineTone(1336, 100, Math.round(1000 * 10 ** (15 / 20)));
  t.is(detectDtmf(low.map((v, i) => v + high[i]!)), '');
  // A 6 dB twist is within the limit.
  const high6 = sineTone(1336, 100, Math.round(3000 * 10 ** (6 / 20)));
  t.is(detectDtmf(sineTone(770, 100, 3000).map((v, i) => v + high6[i]!)), '5');
  t.is(detectDtmf(dtmfTone('5', 100, 20)), '', 'too quiet');
  // A digit buried in strong noise is not reported, with light noise it is.
  const tone = dtmfTone('9', 100, 6000);
  t.is(detectDtmf(tone.map((v, i) => v + noise(100, 800)[i]!)), '9');
  t.is(detectDtmf(tone.map((v, i) => v + noise(100, 20000)[i]!)), '');
});

test('single-tone helpers: the 1 kHz tone is found, and measured at its level', (t) => {
  const tone = sineTone(1000, 1000, 16384); // -6 dBFS
  t.true(toneRatio(tone, 1000) > 0.95);
  t.true(toneRatio(tone, 1400) < 0.01);
  t.true(toneRatio(noise(1000, 8000), 1000) < 0.05);
  t.is(toneRatio(silence(100), 1000), 0);
  t.true(Math.abs(toneLevelDbfs(tone, 1000) - -6.02) < 0.3, String(toneLevelDbfs(tone, 1000)));
  // Normalisation: a pure sine's Goertzel power equals its energy.
  const n = 400;
  let e = 0;
  for (let i = 0; i < n; i++) e += tone[i]! ** 2;
  t.true(Math.abs(goertzelPower(tone, 0, n, 1000) / e - 1) < 0.01);
});
