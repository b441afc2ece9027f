import type { AudioSink } from './leg.ts';
import { writeWav, type WavFormat } from './wav.ts';

export interface WavRecorderOptions {
  /** Longest recording kept (ms); frames beyond it are not stored (default 10 minutes). */
  maxDurationMs?: number;
}

/**
 * Records 20 ms frames (from a leg's tick on the shared MediaClock: silence
 * when the peer sent nothing, so the recording keeps real time) and produces
 * a WAV file. Bounded: storage is one Int16Array per second, up to
 * maxDurationMs; `full` tells when the limit was reached.
 */
export class WavRecorder implements AudioSink {
  private readonly chunks: Int16Array[] = [];
  private fill = 0; // samples used in the last chunk
  private total = 0;
  private readonly maxSamples: number;

  constructor(options: WavRecorderOptions = {}) {
    this.maxSamples = Math.floor(((options.maxDurationMs ?? 600_000) * 8000) / 1000);
  }

  get durationMs(): number {
    return (this.total * 1000) / 8000;
  }

  get full(): boolean {
    return this.total >= this.maxSamples;
  }

  write(frame: Int16Array): void {
    let i = 0;
    while (i < frame.length && this.total < this.maxSamples) {
      let chunk = this.chunks[this.chunks.length - 1];
      if (!chunk || this.fill === chunk.length) {
        chunk = new Int16Array(8000);
        this.chunks.push(chunk);
        this.fill = 0;
      }
      const n = Math.min(frame.length - i, chunk.length - this.fill, this.maxSamples - this.total);
      chunk.set(frame.subarray(i, i + n), this.fill);
      this.fill += n;
      this.total += n;
      i += n;
    }
  }

  /** Everything recorded, as one array of samples. */
  samples(): Int16Array {
    const out = new Int16Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      const n = Math.min(c.length, this.total - at);
      out.set(c.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  /** The recording as a WAV file (write it with the config layer's atomic file helper, or fs). */
  toWav(format: WavFormat = 'pcm16'): Buffer {
    return writeWav(this.samples(), format);
  }
}
