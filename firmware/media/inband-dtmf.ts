/**
 * Streaming in-band DTMF detector (ITU-T Q.23 frequencies, Q.24-style
 * checks) for peers that did not negotiate RFC 4733 telephone-event: fed the
 * decoded 8 kHz audio a leg receives, it reports each key press once.
 *
 * Analysis: Goertzel on the 8 DTMF frequencies over windows of 102 samples
 * (12.75 ms; the block size of spandsp and Asterisk: bins 78 Hz apart, so
 * each row/column frequency sits ≥ 13 dB above the leakage of its
 * neighbours even 1.5 % off frequency), a new window every 51 samples (two
 * interleaved Goertzel sets, 50 % overlap). The overlap is what makes the
 * duration rules sharp at any alignment of the tone against the windows:
 *
 * - a tone of 40 ms (320 samples) always covers ≥ 4 whole windows, while a
 *   tone of 20 ms (160 samples) gives at most 2 windows that pass (a window
 *   holding m tone samples shows about m/102 of its energy in the two bins,
 *   ±3 %, and the 0.85 share needs m ≥ 84): a digit is reported at the 4th
 *   consecutive window holding it (measured at every alignment: tones
 *   under 28 ms never, from 35 ms always);
 * - a pause of 40 ms always spoils ≥ 7 windows (those holding ≥ 30 pause
 *   samples), while a ≤ 10 ms interruption spoils at most 4 (those holding
 *   ≥ 13): the digit is released after 5 consecutive windows without it,
 *   and only a released detector reports again, so the same key twice
 *   needs a real pause (measured: gaps ≤ 15 ms never split a digit, gaps
 *   from 25 ms always do).
 *
 * A window holds a digit when (all powers on the energy scale, so a pure
 * sine's power equals its energy over the window):
 * - the strongest row and the strongest column tone are each ≥ -30 dBm0;
 * - each is ≥ 8 dB above every other tone of its group (relative peak);
 * - twist: the column (high group) is at most 4 dB above the row, the row
 *   (low group) at most 8 dB above the column (the acceptance region of
 *   spandsp / Asterisk defaults);
 * - the two tones carry ≥ 85 % of the window's energy (signal to total
 *   energy: speech, music and noise spread their energy, a DTMF pair does
 *   not; spandsp uses about 82 %). Measured on a synthetic speech-like
 *   signal with narrow formants sweeping through the DTMF bands: 0.7 gave
 *   a false digit every ~40 s, 0.82 one in 2000 s, 0.85 none in 2000 s;
 *   tones still pass with white noise 8 dB under them.
 *
 * Cost: 16 Goertzel updates and one square per sample (two sets of 8
 * filters), a handful of comparisons every 51 samples; no allocation after
 * construction (digits are one-character strings from a constant table).
 */
import { ALAW_TO_LINEAR, ULAW_TO_LINEAR, type G711Law } from './g711.ts';

const RATE = 8000;
/** Samples per analysis window (12.75 ms). */
export const INBAND_DTMF_WINDOW = 102;
/** Samples between the starts of two windows (6.375 ms). */
export const INBAND_DTMF_HOP = 51;
/** Peak of a 0 dBm0 sine on the 16-bit scale (G.711 full scale is about +3.1 dBm0). */
export const DBM0_PEAK = 22_650;

const FREQS = [697, 770, 852, 941, 1209, 1336, 1477, 1633] as const;
const KEYPAD = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'] as const;

export interface InbandDtmfOptions {
  /** Lowest level of each of the two tones (dBm0). Default -30. */
  minToneDbm0?: number;
  /** Largest excess of the high (column) tone over the low (row) tone (dB). Default 4. */
  maxHighTwistDb?: number;
  /** Largest excess of the low (row) tone over the high (column) tone (dB). Default 8. */
  maxLowTwistDb?: number;
  /** How far each tone must stand above the other tones of its group (dB). Default 8. */
  relativePeakDb?: number;
  /** Share (0..1) of the window's energy the two tones must carry. Default 0.85. */
  minToneShare?: number;
  /** Consecutive windows holding one digit before it is reported. Default 4 (40 ms tones always pass). */
  hitsToReport?: number;
  /** Consecutive windows without the reported digit before another can be reported. Default 5 (a 40 ms pause always releases, a 10 ms dropout never). */
  missesToRelease?: number;
}

/**
 * Feed it audio in any chunk size (`push`, `pushG711`, `pushSilence`); each
 * call returns the digits reported by that audio ('' almost always, one
 * digit at most per 25 ms of audio).
 */
export class InbandDtmfDetector {
  private readonly coeff = new Float64Array(8);
  /** Goertzel state of the two interleaved windows: [phase * 8 + k]. */
  private readonly s1 = new Float64Array(16);
  private readonly s2 = new Float64Array(16);
  private readonly energy = new Float64Array(2);
  /** Samples in each phase's current window; negative = not started yet (phase 1 starts half a window late). */
  private readonly filled = new Int32Array(2);
  private readonly power = new Float64Array(8);

  private readonly minPower: number;
  private readonly highTwist: number;
  private readonly lowTwist: number;
  private readonly relPeak: number;
  private readonly minShare: number;
  private readonly hitsToReport: number;
  private readonly missesToRelease: number;

  /** Digit of the current run of windows (-1: none) and its length. */
  private candidate = -1;
  private hits = 0;
  /** Digit reported and not yet released (-1: none), and windows since it was last seen. */
  private active = -1;
  private misses = 0;

  constructor(options: InbandDtmfOptions = {}) {
    for (let k = 0; k < 8; k++) this.coeff[k] = 2 * Math.cos((2 * Math.PI * FREQS[k]!) / RATE);
    const minAmp = DBM0_PEAK * 10 ** ((options.minToneDbm0 ?? -30) / 20);
    this.minPower = ((minAmp * minAmp) / 2) * INBAND_DTMF_WINDOW;
    this.highTwist = 10 ** ((options.maxHighTwistDb ?? 4) / 10);
    this.lowTwist = 10 ** ((options.maxLowTwistDb ?? 8) / 10);
    this.relPeak = 10 ** ((options.relativePeakDb ?? 8) / 10);
    this.minShare = options.minToneShare ?? 0.85;
    this.hitsToReport = options.hitsToReport ?? 4;
    this.missesToRelease = options.missesToRelease ?? 5;
    this.reset();
  }

  /** Forgets everything (new source: re-INVITE, new latch, new SSRC). */
  reset(): void {
    this.s1.fill(0);
    this.s2.fill(0);
    this.energy.fill(0);
    this.filled[0] = 0;
    this.filled[1] = -INBAND_DTMF_HOP;
    this.candidate = -1;
    this.hits = 0;
    this.active = -1;
    this.misses = 0;
  }

  /** Linear 16-bit samples [offset, offset + count). */
  push(samples: ArrayLike<number>, offset = 0, count = samples.length - offset): string {
    let out = '';
    for (let i = 0; i < count; i++) {
      const d = this.sample(samples[offset + i]!);
      if (d !== '') out += d;
    }
    return out;
  }

  /** G.711 bytes [offset, offset + count), decoded on the fly (no intermediate buffer). */
  pushG711(law: G711Law, bytes: Uint8Array, offset: number, count: number): string {
    const table = law === 'ulaw' ? ULAW_TO_LINEAR : ALAW_TO_LINEAR;
    let out = '';
    for (let i = 0; i < count; i++) {
      const d = this.sample(table[bytes[offset + i]!]!);
      if (d !== '') out += d;
    }
    return out;
  }

  /**
   * `count` samples of silence (a silence-suppressed gap). Only the first
   * window and the release count matter: beyond them, more silence changes nothing.
   */
  pushSilence(count: number): string {
    const n = Math.min(count, INBAND_DTMF_WINDOW + (this.missesToRelease + 1) * INBAND_DTMF_HOP);
    let out = '';
    for (let i = 0; i < n; i++) {
      const d = this.sample(0);
      if (d !== '') out += d;
    }
    return out;
  }

  private sample(x: number): string {
    let out = '';
    for (let p = 0; p < 2; p++) {
      const f = this.filled[p]!;
      if (f >= 0) {
        const base = p * 8;
        for (let k = 0; k < 8; k++) {
          const i = base + k;
          const s0 = x + this.coeff[k]! * this.s1[i]! - this.s2[i]!;
          this.s2[i] = this.s1[i]!;
          this.s1[i] = s0;
        }
        this.energy[p] = this.energy[p]! + x * x;
      }
      if (f + 1 === INBAND_DTMF_WINDOW) {
        out = this.window(p);
        this.filled[p] = 0;
      } else {
        this.filled[p] = f + 1;
      }
    }
    return out;
  }

  /** Ends one window: classifies it, updates the debouncer, clears the phase's state. */
  private window(p: number): string {
    const base = p * 8;
    for (let k = 0; k < 8; k++) {
      const a = this.s1[base + k]!;
      const b = this.s2[base + k]!;
      this.power[k] = ((a * a + b * b - this.coeff[k]! * a * b) * 2) / INBAND_DTMF_WINDOW;
      this.s1[base + k] = 0;
      this.s2[base + k] = 0;
    }
    const e = this.energy[p]!;
    this.energy[p] = 0;
    return this.debounce(this.classify(e));
  }

  /** Index in KEYPAD of the digit the window holds, or -1. */
  private classify(e: number): number {
    const pw = this.power;
    let r = 0;
    for (let k = 1; k < 4; k++) if (pw[k]! > pw[r]!) r = k;
    let c = 4;
    for (let k = 5; k < 8; k++) if (pw[k]! > pw[c]!) c = k;
    const pr = pw[r]!;
    const pc = pw[c]!;
    if (pr < this.minPower || pc < this.minPower) return -1;
    if (pc > pr * this.highTwist || pr > pc * this.lowTwist) return -1;
    if (pr + pc < this.minShare * e) return -1;
    for (let k = 0; k < 4; k++) if (k !== r && pw[k]! * this.relPeak > pr) return -1;
    for (let k = 4; k < 8; k++) if (k !== c && pw[k]! * this.relPeak > pc) return -1;
    return r * 4 + (c - 4);
  }

  private debounce(d: number): string {
    if (d >= 0 && d === this.candidate) {
      this.hits++;
    } else {
      this.candidate = d;
      this.hits = d >= 0 ? 1 : 0;
    }
    if (this.active >= 0) {
      if (d === this.active) {
        this.misses = 0;
        return '';
      }
      if (++this.misses < this.missesToRelease) return '';
      this.active = -1;
    }
    if (this.candidate >= 0 && this.hits >= this.hitsToReport) {
      this.active = this.candidate;
      this.misses = 0;
      return KEYPAD[this.candidate]!;
    }
    return '';
  }
}
