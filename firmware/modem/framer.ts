/**
 * Byte stream -> lines, for the modem protocol (docs/modem-protocol.md §2).
 *
 * Pure and synchronous: push() takes whatever chunk the UART delivered and
 * returns the complete lines it finished. It resynchronises on garbage the
 * way a UART reader must: CR and LF both end a line (so CR LF, bare CR, bare
 * LF and LF CR all work and empty lines vanish), bytes outside printable
 * ASCII are dropped and counted, and a line longer than maxLine is thrown
 * away up to the next terminator and counted.
 */
export const MAX_LINE = 256;

export interface FramerStats {
  /** Lines returned. */
  lines: number;
  /** Bytes dropped because they are not printable ASCII (NUL, 0x80-0xFF, control codes). */
  garbageBytes: number;
  /** Lines discarded because they exceeded maxLine. */
  overlong: number;
}

const CR = 0x0d;
const LF = 0x0a;

export class LineFramer {
  private buf: number[] = [];
  private discarding = false;
  readonly stats: FramerStats = { lines: 0, garbageBytes: 0, overlong: 0 };

  constructor(private readonly maxLine = MAX_LINE) {}

  push(chunk: Uint8Array): string[] {
    const out: string[] = [];
    for (const b of chunk) {
      if (b === CR || b === LF) {
        if (this.discarding) this.discarding = false;
        else if (this.buf.length > 0) {
          out.push(String.fromCharCode(...this.buf));
          this.stats.lines++;
        }
        this.buf = [];
        continue;
      }
      if (b < 0x20 || b > 0x7e) {
        this.stats.garbageBytes++;
        continue;
      }
      if (this.discarding) continue;
      if (this.buf.length >= this.maxLine) {
        // Counted once per overlong line; the rest of it is skipped up to the terminator.
        this.stats.overlong++;
        this.discarding = true;
        this.buf = [];
        continue;
      }
      this.buf.push(b);
    }
    return out;
  }

  /** Bytes of an unfinished line held for the next chunk. */
  pending(): number {
    return this.buf.length;
  }

  /** True while the rest of an overlong line is being skipped. */
  isDiscarding(): boolean {
    return this.discarding;
  }

  /** Forgets a partial line (the serial line was reopened: what came before is stale). */
  reset(): void {
    this.buf = [];
    this.discarding = false;
  }
}
