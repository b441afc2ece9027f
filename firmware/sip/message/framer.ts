/**
 * Message framing on stream transports (TCP, TLS): RFC 3261 §18.3 frames
 * by Content-Length; RFC 5626 §4.4.1 keep-alives (CRLF ping / CRLF pong)
 * may sit between messages.
 *
 * A framing error (no end of header section within maxSize, missing or bad
 * Content-Length, a message larger than maxSize, more than maxBuffer bytes
 * pending) leaves no way to find the next message: the framer reports it
 * once, becomes `failed`, and drops all further input. The transport then
 * closes the connection.
 */
import type { ParseResult } from './types.ts';
import { DEFAULT_MAX_SIZE, parseMessage } from './parse.ts';
import { parseBoundedInt, trimWs } from './charset.ts';
import { headerKey } from './headers.ts';

export interface StreamFramerOptions {
  /** Largest message (header section + body). Default 65535. */
  maxSize?: number;
  /** Largest number of bytes kept pending between pushes. Default 2 * maxSize. */
  maxBuffer?: number;
  /**
   * A double-CRLF ping was received between messages: answer with a single
   * CRLF pong (RFC 5626 §4.4.1 "When a server receives a double CRLF ... it
   * MUST respond with a single CRLF").
   */
  onPing?: () => void;
  /** A single CRLF (pong, or stray CRLF) was received between messages. */
  onPong?: () => void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY: Buffer = Buffer.alloc(0);

type Framing = { kind: 'need-more' } | { kind: 'message'; length: number } | { kind: 'error'; result: ParseResult };

export class StreamFramer {
  private buf: Buffer = EMPTY;
  private off = 0;
  private broken = false;
  private readonly maxSize: number;
  private readonly maxBuffer: number;
  private readonly onPing: (() => void) | undefined;
  private readonly onPong: (() => void) | undefined;

  constructor(opts: StreamFramerOptions = {}) {
    this.maxSize = opts.maxSize ?? DEFAULT_MAX_SIZE;
    this.maxBuffer = opts.maxBuffer ?? 2 * this.maxSize;
    this.onPing = opts.onPing;
    this.onPong = opts.onPong;
  }

  /** True once a framing error was reported; the connection should be closed. */
  get failed(): boolean {
    return this.broken;
  }

  /** Bytes received and not yet returned as a message. */
  get pending(): number {
    return this.buf.length - this.off;
  }

  /** Feeds received bytes; returns the messages (and errors) they complete, in order. */
  push(chunk: Buffer): ParseResult[] {
    const out: ParseResult[] = [];
    if (this.broken || chunk.length === 0) return out;
    this.buf = this.off < this.buf.length ? Buffer.concat([this.buf.subarray(this.off), chunk]) : chunk;
    this.off = 0;
    for (;;) {
      if (!this.skipKeepAlives(false)) break;
      const f = this.frame();
      if (f.kind === 'need-more') break;
      if (f.kind === 'error') {
        out.push(f.result);
        this.fail();
        return out;
      }
      const msg = this.buf.subarray(this.off, this.off + f.length);
      this.off += f.length;
      out.push(parseMessage(msg, { maxSize: this.maxSize, stream: true }));
    }
    // A lone CRLF left at the end of a push is a pong, not half a ping:
    // pings are written as one 4-byte unit.
    this.skipKeepAlives(true);
    if (this.pending > this.maxBuffer) {
      out.push({ ok: false, error: { code: 'too-large', reason: 'Message Too Large' } });
      this.fail();
    }
    if (this.off === this.buf.length) {
      this.buf = EMPTY;
      this.off = 0;
    }
    return out;
  }

  private fail(): void {
    this.broken = true;
    this.buf = EMPTY;
    this.off = 0;
  }

  /**
   * Consumes CRLF keep-alives at a message boundary. Returns false when the
   * buffer holds only a prefix of what could be a ping (wait for more).
   */
  private skipKeepAlives(atEnd: boolean): boolean {
    const b = this.buf;
    while (this.off < b.length) {
      const c = b[this.off];
      if (c === 0x0d) {
        if (this.off + 1 >= b.length) return false;
        if (b[this.off + 1] !== 0x0a) {
          // A stray CR: RFC 3261 §7.5 lets us ignore it before a start line.
          this.off += 1;
          continue;
        }
        if (this.off + 2 >= b.length) {
          if (!atEnd) return false;
          this.off += 2;
          this.onPong?.();
          continue;
        }
        if (b[this.off + 2] === 0x0d) {
          if (this.off + 3 >= b.length) return false;
          if (b[this.off + 3] === 0x0a) {
            this.off += 4;
            this.onPing?.();
            continue;
          }
        }
        this.off += 2;
        this.onPong?.();
      } else if (c === 0x0a) {
        this.off += 1; // bare LF between messages
      } else {
        return true;
      }
    }
    return false;
  }

  /** Where the message starting at `off` ends, once its header section is complete. */
  private frame(): Framing {
    const b = this.buf;
    const start = this.off;
    const sep = b.indexOf(CRLFCRLF, start);
    if (sep < 0) {
      if (b.length - start > this.maxSize) {
        return { kind: 'error', result: { ok: false, error: { code: 'too-large', reason: 'Header Section Too Large' } } };
      }
      return { kind: 'need-more' };
    }
    const headLen = sep + 4 - start;
    if (headLen > this.maxSize) {
      return { kind: 'error', result: { ok: false, error: { code: 'too-large', reason: 'Header Section Too Large' } } };
    }
    const cl = contentLength(b.toString('latin1', start, sep + 2));
    if (typeof cl !== 'number') {
      // Let the parser describe the problem (and fill `partial` so the
      // transport can still answer 400 before closing).
      const result = parseMessage(b.subarray(start, sep + 4), { maxSize: this.maxSize, stream: true });
      if (result.ok) {
        return { kind: 'error', result: { ok: false, error: { code: 'bad-content-length', reason: 'Bad Content-Length' } } };
      }
      return { kind: 'error', result };
    }
    if (headLen + cl > this.maxSize) {
      return { kind: 'error', result: { ok: false, error: { code: 'too-large', reason: 'Message Too Large' } } };
    }
    if (b.length - start < headLen + cl) return { kind: 'need-more' };
    return { kind: 'message', length: headLen + cl };
  }
}

/**
 * Content-Length of a header section (latin1 text, CRLF line ends): the
 * number, 'missing', or 'bad' (not 1*DIGIT, or repeated).
 */
function contentLength(head: string): number | 'missing' | 'bad' {
  let found: number | 'missing' | 'bad' = 'missing';
  let pos = head.indexOf('\n') + 1;
  while (pos > 0 && pos < head.length) {
    const nl = head.indexOf('\n', pos);
    const end = nl < 0 ? head.length : nl;
    const c0 = head.charCodeAt(pos);
    // Cheap prefilter: only names starting with l/L/c/C can be Content-Length.
    if (c0 === 0x6c || c0 === 0x4c || c0 === 0x63 || c0 === 0x43) {
      const colon = head.indexOf(':', pos);
      if (colon > pos && colon < end && headerKey(trimWs(head.slice(pos, colon))) === 'content-length') {
        if (found !== 'missing') return 'bad';
        // Include continuation lines, if any (folded Content-Length is legal if odd).
        let valueEnd = end;
        while (valueEnd + 1 < head.length && (head.charCodeAt(valueEnd + 1) === 0x20 || head.charCodeAt(valueEnd + 1) === 0x09)) {
          const n = head.indexOf('\n', valueEnd + 1);
          valueEnd = n < 0 ? head.length : n;
        }
        const v = trimWs(head.slice(colon + 1, valueEnd).replace(/[\r\n\t ]+/g, ' '));
        found = parseBoundedInt(v, Number.MAX_SAFE_INTEGER) ?? 'bad';
      }
    }
    pos = end + 1;
  }
  return found;
}
