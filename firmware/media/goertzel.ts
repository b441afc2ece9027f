/**
 * Goertzel detection on 8 kHz 16-bit PCM: in-band DTMF (ITU-T Q.23/Q.24
 * frequencies; twist and energy checks; 40 ms minimum) and the power of a
 * single tone (tests check "the recording contains the 1 kHz tone").
 */

export const DTMF_ROW_HZ = [697, 770, 852, 941] as const;
export const DTMF_COL_HZ = [1209, 1336, 1477, 1633] as const;
const KEYPAD = ['123A', '456B', '789C', '*0#D'] as const;

/**
 * Power of `freq` in samples[start, start+n), normalised so that a pure sine
 * of amplitude A at that frequency gives about A²·n/2 (its energy), i.e. the
 * same scale as the sum of squares.
 */
export function goertzelPower(samples: ArrayLike<number>, start: number, n: number, freq: number, sampleRate = 8000): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[start + i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / n;
}

function energy(samples: ArrayLike<number>, start: number, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[start + i]!;
    e += v * v;
  }
  return e;
}

/**
 * Share (0..1) of the signal's energy at `freq`, over blocks of 50 ms: near 1
 * for a pure tone, near 0 when the tone is absent. Silence gives 0.
 */
export function toneRatio(samples: ArrayLike<number>, freq: number, sampleRate = 8000): number {
  const n = Math.floor(sampleRate / 20);
  let tone = 0;
  let total = 0;
  for (let at = 0; at + n <= samples.length; at += n) {
    tone += goertzelPower(samples, at, n, freq, sampleRate);
    total += energy(samples, at, n);
  }
  return total > 0 ? Math.min(1, tone / total) : 0;
}

/** Level of `freq` in dB relative to a full-scale sine (0 dBFS), over the whole buffer. */
export function toneLevelDbfs(samples: ArrayLike<number>, freq: number, sampleRate = 8000): number {
  const n = Math.floor(sampleRate / 20);
  let tone = 0;
  let blocks = 0;
  for (let at = 0; at + n <= samples.length; at += n) {
    tone += goertzelPower(samples, at, n, freq, sampleRate);
    blocks++;
  }
  if (blocks === 0 || tone <= 0) return -Infinity;
  const meanSquare = tone / (blocks * n); // A²/2 for a sine of amplitude A
  return 10 * Math.log10(meanSquare / (32767 * 32767 * 0.5));
}

export interface DtmfDetectorOptions {
  sampleRate?: number;
  /** Shortest tone reported (ms); Q.24 asks for 40 ms to be accepted. */
  minDurationMs?: number;
  /** Largest level difference between the two tones (dB). */
  maxTwistDb?: number;
  /** Smallest RMS level of the block (linear, 16-bit scale). */
  minRms?: number;
  /** Share of the block's energy the two tones must carry. */
  minToneShare?: number;
}

/**
 * Detects DTMF digits in PCM. Blocks of 205 samples (the classic N for 8 kHz:
 * bins fall near all eight frequencies) every 40 samples (5 ms). A block
 * holds a digit when: the strongest row and column tones carry most of the
 * block's energy (rejects noise and speech), each beats the other tones of
 * its group by 6 dB, their levels differ by no more than the twist limit
 * (rejects a single tone), and the block is loud enough. A digit is reported
 * once when it holds over consecutive blocks spanning the minimum duration,
 * and again only after a block without it.
 */
export function detectDtmf(samples: ArrayLike<number>, options: DtmfDetectorOptions = {}): string {
  const rate = options.sampleRate ?? 8000;
  const n = Math.round((205 * rate) / 8000);
  const hop = Math.round((40 * rate) / 8000);
  const minSpan = ((options.minDurationMs ?? 40) * rate) / 1000;
  const maxTwist = 10 ** ((options.maxTwistDb ?? 8) / 10);
  const minEnergy = (options.minRms ?? 100) ** 2 * n;
  const minShare = options.minToneShare ?? 0.7;
  // Blocks holding the digit: those fully inside a tone of minSpan samples,
  // plus the one at each edge that still passes with most of its window in the
  // tone (measured: 40 ms tones always pass, 30 ms ones never, at any alignment).
  const needed = Math.max(1, Math.ceil((minSpan - n) / hop) + 2);
  const rows = new Float64Array(4);
  const cols = new Float64Array(4);
  let out = '';
  let current = '';
  let run = 0;
  let reported = false;
  for (let at = 0; at + n <= samples.length; at += hop) {
    let digit = '';
    const e = energy(samples, at, n);
    if (e >= minEnergy) {
      for (let i = 0; i < 4; i++) {
        rows[i] = goertzelPower(samples, at, n, DTMF_ROW_HZ[i]!, rate);
        cols[i] = goertzelPower(samples, at, n, DTMF_COL_HZ[i]!, rate);
      }
      const r = strongest(rows);
      const c = strongest(cols);
      const pr = rows[r]!;
      const pc = cols[c]!;
      const ok =
        (pr + pc) / e >= minShare &&
        pr <= pc * maxTwist &&
        pc <= pr * maxTwist &&
        dominates(rows, r, 4) &&
        dominates(cols, c, 4);
      if (ok) digit = KEYPAD[r]![c]!;
    }
    if (digit !== '' && digit === current) {
      run++;
    } else {
      current = digit;
      run = digit === '' ? 0 : 1;
      reported = false;
    }
    if (current !== '' && !reported && run >= needed) {
      out += current;
      reported = true;
    }
  }
  return out;
}

function strongest(p: Float64Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

/** The chosen tone is `ratio` times stronger than each other tone of its group. */
function dominates(p: Float64Array, k: number, ratio: number): boolean {
  for (let i = 0; i < p.length; i++) if (i !== k && p[i]! * ratio > p[k]!) return false;
  return true;
}

/** Generates a DTMF digit (for tests and tools): two tones at `amplitude` each. */
export function dtmfTone(digit: string, durationMs: number, amplitude = 8000, sampleRate = 8000): Int16Array {
  const d = digit.toUpperCase();
  const r = KEYPAD.findIndex((row) => row.includes(d));
  if (r < 0 || d.length !== 1) throw new RangeError(`not a DTMF digit: ${digit}`);
  const c = KEYPAD[r]!.indexOf(d);
  const f1 = DTMF_ROW_HZ[r]!;
  const f2 = DTMF_COL_HZ[c]!;
  const n = Math.round((durationMs * sampleRate) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    out[i] = Math.round(amplitude * (Math.sin(2 * Math.PI * f1 * t) + Math.sin(2 * Math.PI * f2 * t)));
  }
  return out;
}

/** A sine at `freq` (for tests, ring-back, the 1 kHz test tone). */
export function sineTone(freq: number, durationMs: number, amplitude = 8000, sampleRate = 8000): Int16Array {
  const n = Math.round((durationMs * sampleRate) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / sampleRate));
  return out;
}
