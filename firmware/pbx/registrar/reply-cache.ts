/**
 * The answers of a stateless UAS (RFC 3261 §8.2.7), kept for as long as a
 * server transaction would be (64*T1, Timer J) so that a retransmitted
 * request gets the same answer again without being processed twice: for
 * authenticated REGISTERs, processing again would fail the digest replay
 * check (same nonce and nonce-count).
 *
 * Per entry only the key and the serialized response (~0.6 KB, against
 * ~7 KB for a server transaction holding the parsed request and response
 * and a timer). The bytes are kept as a one-byte (latin1) string on the V8
 * heap, not as a Buffer: tens of thousands of Buffers would each pin a part
 * of an 8 KB allocation pool slab, and that external memory makes V8 run
 * full collections far more often (measured: the registrar lost a third of
 * its throughput after 70,000 entries). Entries share one lifetime, so they expire in insertion
 * order: expiry is a walk from the front of the Map, no timer per entry.
 * Bounded: beyond `max` the oldest entry goes first.
 */
export class ReplyCache {
  private readonly entries = new Map<string, { data: string; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The answer sent to the request with this key, if still kept. */
  get(key: string, now: number): Buffer | undefined {
    this.expire(now);
    const e = this.entries.get(key);
    return e === undefined ? undefined : Buffer.from(e.data, 'latin1');
  }

  set(key: string, data: Buffer, now: number): void {
    this.expire(now);
    this.entries.delete(key); // re-inserted at the end: the order stays the order of expiry
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { data: data.toString('latin1'), expires: now + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }

  private expire(now: number): void {
    for (const [key, e] of this.entries) {
      if (e.expires > now) return;
      this.entries.delete(key);
    }
  }
}
