/**
 * Sample-rate conversion for imported audio and build-time prompts: a
 * polyphase windowed-sinc FIR (Kaiser window), exact for any pair of integer
 * rates (the ratio is reduced to up/down by their GCD, one filter phase per
 * output position modulo `up`).
 *
 * The low-pass cuts at `cutoff` × the lower of the two Nyquist frequencies
 * (default 0.9: 3.6 kHz when going to 8 kHz), with a Kaiser window of
 * beta 8 (about 80 dB of stop-band rejection) over ±`zeroCrossings` lobes
 * of the sinc (default 24: the transition is about 750 Hz wide for 8 kHz
 * output, so the telephone band up to ~3.2 kHz passes flat and everything
 * above ~4 kHz, which would alias, is removed). Naive decimation (keeping
 * every n-th sample) would fold a 6 kHz tone at 16 kHz onto 2 kHz at full
 * level; here it comes out more than 60 dB down.
 *
 * Samples outside the input count as silence. Each phase is normalised to a
 * DC gain of exactly 1. The output is rounded and clipped to 16 bits.
 *
 * Erasable TypeScript only (no enums, no parameter properties, no imports):
 * scripts/build-prompts.mjs loads this file with Node's own type stripping.
 */

export interface ResampleOptions {
  /** Cut-off as a fraction of the lower Nyquist frequency (0 < cutoff ≤ 1; default 0.9). */
  cutoff?: number;
  /** Sinc lobes on each side of the centre (default 24). */
  zeroCrossings?: number;
  /** Kaiser window beta (default 8). */
  beta?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series; converges fast for the betas used). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

interface Filter {
  up: number;
  down: number;
  /** Taps per phase; tap j of a phase weighs input sample (base + j - half + 1). */
  taps: number;
  half: number;
  /** phases × taps coefficients, phase-major. */
  coeffs: Float64Array;
}

const filters = new Map<string, Filter>();

function design(fromRate: number, toRate: number, options: ResampleOptions): Filter {
  const cutoff = options.cutoff ?? 0.9;
  const zeroCrossings = options.zeroCrossings ?? 24;
  const beta = options.beta ?? 8;
  const key = `${fromRate}/${toRate}/${cutoff}/${zeroCrossings}/${beta}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Cut-off in cycles per input sample.
  const fc = (cutoff * 0.5 * Math.min(fromRate, toRate)) / fromRate;
  // Half-width of the kernel in input samples.
  const width = zeroCrossings / (2 * fc);
  const half = Math.ceil(width);
  const taps = 2 * half;
  const coeffs = new Float64Array(up * taps);
  const i0beta = besselI0(beta);
  for (let p = 0; p < up; p++) {
    const frac = p / up; // output position between input samples base and base+1
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const t = j - half + 1 - frac; // distance from the output position, in input samples
      const x = 2 * fc * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / width;
      const w = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
      const c = 2 * fc * sinc * w;
      coeffs[p * taps + j] = c;
      sum += c;
    }
    for (let j = 0; j < taps; j++) coeffs[p * taps + j]! /= sum;
  }
  const f = { up, down, taps, half, coeffs };
  filters.set(key, f);
  return f;
}

/**
 * Converts `input` (samples at `fromRate`, any scale of 16-bit values) to
 * `toRate`. The output holds floor(n × toRate / fromRate) samples.
 */
export function resample(input: ArrayLike<number>, fromRate: number, toRate: number, options: ResampleOptions = {}): Int16Array {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
    throw new RangeError(`resample: rates must be positive integers (${fromRate} -> ${toRate})`);
  }
  if (fromRate === toRate) return toInt16(input);
  const { up, down, taps, half, coeffs } = design(fromRate, toRate, options);
  const n = input.length;
  const outLen = Math.floor((n * up) / down);
  const out = new Int16Array(outLen);
  for (let k = 0; k < outLen; k++) {
    const pos = k * down; // in units of 1/up input samples
    const base = Math.floor(pos / up);
    const phase = pos - base * up;
    const c0 = phase * taps;
    const first = base - half + 1;
    let acc = 0;
    const jFrom = first < 0 ? -first : 0;
    const jTo = first + taps > n ? n - first : taps;
    for (let j = jFrom; j < jTo; j++) acc += coeffs[c0 + j]! * input[first + j]!;
    out[k] = clip(acc);
  }
  return out;
}

function clip(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

function toInt16(input: ArrayLike<number>): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = clip(input[i]!);
  return out;
}
