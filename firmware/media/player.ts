import type { AudioSource } from './leg.ts';
import { readWav } from './wav.ts';

export interface WavPlayerOptions {
  /** Start again at the end (music on hold); `stop()` ends it. */
  loop?: boolean;
  /** Repeat at most this many times in total when looping (default: forever). */
  maxLoops?: number;
}

/**
 * Plays 8 kHz PCM (a WAV file or samples) as 20 ms frames. It is a pull
 * source: attach it to a leg (`RelayCall.attachPlayer`, `MediaSession.play`),
 * whose tick on the shared MediaClock asks for a frame, encodes it in the
 * peer's G.711 law and sends it. The last partial frame is padded with silence.
 */
export class WavPlayer implements AudioSource {
  private position = 0;
  private loops = 0;
  private stopped = false;
  framesPlayed = 0;

  constructor(
    private readonly samples: Int16Array,
    private readonly options: WavPlayerOptions = {},
  ) {}

  /** From the bytes of a WAV file (PCM 16-bit, A-law or µ-law, 8 kHz mono); throws E_MEDIA_FORMAT otherwise. */
  static fromWav(file: Buffer, options: WavPlayerOptions = {}): WavPlayer {
    return new WavPlayer(readWav(file).samples, options);
  }

  stop(): void {
    this.stopped = true;
  }

  get finished(): boolean {
    return this.stopped;
  }

  read(frame: Int16Array): boolean {
    if (this.stopped) return false;
    if (this.position >= this.samples.length) {
      this.loops++;
      const again = this.options.loop && this.samples.length > 0 && (this.options.maxLoops === undefined || this.loops < this.options.maxLoops);
      if (!again) {
        this.stopped = true;
        return false;
      }
      this.position = 0;
    }
    const n = Math.min(frame.length, this.samples.length - this.position);
    frame.set(this.samples.subarray(this.position, this.position + n));
    if (n < frame.length) frame.fill(0, n);
    this.position += n;
    this.framesPlayed++;
    return true;
  }
}
