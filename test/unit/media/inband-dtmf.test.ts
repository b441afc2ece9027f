import test from 'ava';
import { decodeG711, encodeG711, type G711Law } from '../../../firmware/media/g711.ts';
import { DBM0_PEAK, InbandDtmfDetector } from '../../../firmware/media/inband-dtmf.ts';
import { defaultHoldMusic } from '../../../firmware/media/tones.ts';

const KEYS = '0123456789*#ABCD';
const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477, 1633];
const GRID = ['123A', '456B', '789C', '*0#D'];

const amp = (dbm0: number): number => DBM0_PEAK * 10 ** (dbm0 / 20);

/** A DTMF key: the row tone at `rowDbm0`, the column tone at `colDbm0` (phones send the high group ~2 dB louder). */
function key(k: string, ms: number, rowDbm0 = -8, colDbm0 = -6, phase = 0.3): Float64Array {
  const r = GRID.findIndex((row) => row.includes(k));
  const c = GRID[r]!.indexOf(k);
  const n = ms * 8;
  const out = new Float64Array(n);
  const a1 = amp(rowDbm0);
  const a2 = amp(colDbm0);
  for (let i = 0; i < n; i++) {
    out[i] = a1 * Math.sin((2 * Math.PI * ROWS[r]! * i) / 8000 + phase) + a2 * Math.sin((2 * Math.PI * COLS[c]! * i) / 8000);
  }
  return out;
}

const gap = (ms: number): Float64Array => new Float64Array(Math.round(ms * 8));

function concat(...parts: ArrayLike<number>[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) out[at + i] = Math.max(-32768, Math.min(32767, Math.round(p[i]!)));
    at += p.length;
  }
  return out;
}

/** Deterministic white noise (uniform), `rmsDbm0` as the level of a sine with the same power. */
function noise(ms: number, rmsDbm0: number, seed = 7): Float64Array {
  const rms = amp(rmsDbm0) / Math.SQRT2;
  const a = rms * Math.sqrt(3); // uniform in [-a, a] has rms a/√3
  let s = seed;
  const out = new Float64Array(ms * 8);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s / 0x100000000 - 0.5) * 2 * a;
  }
  return out;
}

function add(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + (b[i % b.length] ?? 0);
  return out;
}

/** Runs a fresh detector over `pcm` in 20 ms frames (as the leg does). */
function detect(pcm: Int16Array, frame = 160): string {
  const d = new InbandDtmfDetector();
  let out = '';
  for (let at = 0; at < pcm.length; at += frame) out += d.push(pcm, at, Math.min(frame, pcm.length - at));
  return out;
}

/** Through G.711 and back, 20 ms per packet, fed as bytes. */
function detectG711(law: G711Law, pcm: Int16Array): string {
  const d = new InbandDtmfDetector();
  const bytes = Buffer.alloc(pcm.length);
  encodeG711(law, pcm, bytes, 0, pcm.length);
  let out = '';
  for (let at = 0; at < bytes.length; at += 160) out += d.pushG711(law, bytes, at, Math.min(160, bytes.length - at));
  return out;
}

test('every key 0-9 * # A-D at phone levels, linear and through A-law and µ-law', (t) => {
  for (const k of KEYS) {
    const pcm = concat(gap(30), key(k, 100), gap(100));
    t.is(detect(pcm), k, `linear ${k}`);
    t.is(detectG711('alaw', pcm), k, `A-law ${k}`);
    t.is(detectG711('ulaw', pcm), k, `µ-law ${k}`);
  }
});

test('a 40 ms burst is one digit at every alignment; so is a 100 ms burst', (t) => {
  for (let off = 0; off < 102; off++) {
    t.is(detect(concat(gap(off / 8), key('7', 40), gap(60))), '7', `40 ms at +${off}`);
    t.is(detect(concat(gap(off / 8), key('#', 100), gap(60))), '#', `100 ms at +${off}`);
  }
});

test('a 20 ms burst is no digit at any alignment (nor 23 ms)', (t) => {
  for (let off = 0; off < 102; off++) {
    t.is(detect(concat(gap(off / 8), key('7', 20), gap(60))), '', `20 ms at +${off}`);
    t.is(detect(concat(gap(off / 8), key('5', 23), gap(60))), '', `23 ms at +${off}`);
  }
});

test('the same key twice with a 50 ms (or 40 ms) gap is two digits; a 10 ms dropout is one', (t) => {
  for (let off = 0; off < 102; off++) {
    t.is(detect(concat(gap(off / 8), key('5', 60), gap(50), key('5', 60), gap(60))), '55', `50 ms gap at +${off}`);
    t.is(detect(concat(gap(off / 8), key('5', 60), gap(40), key('5', 60), gap(60))), '55', `40 ms gap at +${off}`);
    t.is(detect(concat(gap(off / 8), key('5', 60), gap(10), key('5', 60), gap(60))), '5', `10 ms dropout at +${off}`);
    t.is(detect(concat(gap(off / 8), key('5', 60), gap(10), key('5', 60, -8, -6, 2.1), gap(60))), '5', `10 ms dropout, phase jump, at +${off}`);
  }
  // A dialled string, 70 ms tones and 50 ms pauses (a fast auto-dialler).
  const parts: Float64Array[] = [gap(17)];
  for (const k of '0612345678#9*') parts.push(key(k, 70), gap(50));
  t.is(detect(concat(...parts)), '0612345678#9*');
});

test('twist: high group ≤ 4 dB above the low one and low ≤ 8 dB above the high one pass, more does not', (t) => {
  t.is(detect(concat(key('8', 100, -12, -8.5), gap(40))), '8', 'high +3.5 dB');
  t.is(detect(concat(key('8', 100, -12, -7), gap(40))), '', 'high +5 dB');
  t.is(detect(concat(key('8', 100, -5, -12.5), gap(40))), '8', 'low +7.5 dB');
  t.is(detect(concat(key('8', 100, -5, -14), gap(40))), '', 'low +9 dB');
  t.is(detect(concat(key('8', 100, -5, -25), gap(40))), '', 'low +20 dB');
});

test('level: -20 dBm0 tones with white noise 15 dB under them are found; -36 dBm0 and single tones are not', (t) => {
  for (const k of KEYS) {
    const pcm = concat(add(concat(gap(40), key(k, 60, -20, -20), gap(60)), noise(160, -35, 3 + k.charCodeAt(0))));
    t.is(detect(pcm), k, `-20 dBm0 + noise ${k}`);
    t.is(detectG711('alaw', pcm), k, `-20 dBm0 + noise, A-law ${k}`);
  }
  // 10 dB signal to noise (each tone 10 dB above the noise) still passes.
  for (let seed = 1; seed <= 8; seed++) {
    t.is(detect(concat(add(concat(gap(40), key('9', 80, -20, -20), gap(60)), noise(180, -30, seed)))), '9', `10 dB S/N, seed ${seed}`);
  }
  t.is(detect(concat(key('3', 200, -36, -36), gap(40))), '', 'below -30 dBm0');
  const row = concat(key('1', 200, -8, -200)); // column tone absent
  t.is(detect(row), '', 'row tone alone');
  t.is(detect(concat(key('1', 200, -200, -6))), '', 'column tone alone');
});

test('ten seconds of hold music, speech-like sound or white noise give no digit', (t) => {
  const music = defaultHoldMusic();
  const tenSeconds = new Int16Array(80000);
  for (let i = 0; i < tenSeconds.length; i++) tenSeconds[i] = music[i % music.length]!;
  t.is(detect(tenSeconds), '', 'hold music');
  t.is(detect(concat(add(tenSeconds, tenSeconds))), '', 'hold music, +6 dB');
  t.is(detectG711('alaw', tenSeconds), '', 'hold music through A-law');
  for (let seed = 1; seed <= 6; seed++) t.is(detect(speechLike(10_000, seed)), '', `speech-like (${seed})`);
  t.is(detectG711('ulaw', speechLike(10_000, 3)), '', 'speech-like through µ-law');
  for (const level of [-40, -20, -10, -3]) t.is(detect(concat(noise(10_000, level, 11))), '', `white noise ${level} dBm0`);
});

test('the result does not depend on how the audio is cut into pushes', (t) => {
  const pcm = concat(gap(13), key('1', 45), gap(45), key('1', 45), gap(60), key('D', 300), gap(5), key('D', 50), gap(80));
  const expected = detect(pcm);
  t.is(expected, '11D');
  for (const frame of [1, 7, 80, 102, 160, 240, 1000]) t.is(detect(pcm, frame), expected, `frames of ${frame}`);
});

test('pushSilence (a silence-suppressed gap) separates digits; reset forgets a digit in progress', (t) => {
  const d = new InbandDtmfDetector();
  const tone = concat(key('2', 80));
  t.is(d.push(tone), '2');
  t.is(d.push(tone), '', 'the same key continuing');
  t.is(d.pushSilence(8000), '');
  t.is(d.push(tone), '2', 'after the gap');
  const half = concat(key('6', 25));
  const e = new InbandDtmfDetector();
  t.is(e.push(half), '');
  e.reset();
  t.is(e.push(half), '', 'two halves across a reset are not one 50 ms tone');
  const f = new InbandDtmfDetector();
  t.is(f.push(tone), '2');
  f.reset();
  t.is(f.push(tone), '2', 'after a reset (new source) the key is new');
});

/**
 * A speech-like signal: voiced syllables (150-350 ms) of harmonics of a
 * gliding pitch (80-260 Hz) shaped by two formants sweeping through the DTMF
 * bands (F1 300-1000 Hz, F2 900-2500 Hz), separated by short pauses, around
 * -15 dBm0 with peaks near -5 dBm0.
 */
function speechLike(ms: number, seed: number): Int16Array {
  let s = seed * 7919;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 0x100000000;
  };
  const n = ms * 8;
  const out = new Float64Array(n);
  let at = 0;
  while (at < n) {
    const len = Math.round((150 + rnd() * 200) * 8);
    const f0a = 80 + rnd() * 180;
    const f0b = 80 + rnd() * 180;
    const f1a = 300 + rnd() * 700;
    const f1b = 300 + rnd() * 700;
    const f2a = 900 + rnd() * 1600;
    const f2b = 900 + rnd() * 1600;
    const level = amp(-12 + rnd() * 6);
    const phases = new Float64Array(40);
    for (let i = 0; i < len && at + i < n; i++) {
      const x = i / len;
      const f0 = f0a + (f0b - f0a) * x;
      const f1 = f1a + (f1b - f1a) * x;
      const f2 = f2a + (f2b - f2a) * x;
      const env = Math.sin(Math.PI * x) ** 0.5;
      let v = 0;
      let norm = 0;
      for (let h = 1; h < 40; h++) {
        const f = h * f0;
        if (f > 3600) break;
        phases[h] = phases[h]! + (2 * Math.PI * f) / 8000;
        const g = 1 / (1 + ((f - f1) / 120) ** 2) + 0.6 / (1 + ((f - f2) / 150) ** 2) + 0.03;
        v += g * Math.sin(phases[h]!);
        norm += g * g;
      }
      out[at + i] = (level * env * v) / Math.sqrt(norm);
    }
    at += len + Math.round(rnd() * 120 * 8);
  }
  return concat(out);
}
