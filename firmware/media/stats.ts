/**
 * Receive statistics of one RTP source, as RFC 3550 Appendix A computes them:
 * A.1 sequence validation (probation, dropout, misorder, 2^16 cycles), A.3
 * expected/lost, A.8 interarrival jitter. Pure and allocation-free: fed with
 * numbers, read back with getters. An SSRC change starts a new source; the
 * losses of earlier sources are kept in `lostBefore` so a leg reports a total.
 */

const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

export class RtpReceiveStats {
  private ssrc = -1;
  private maxSeq = 0;
  private cycles = 0; // shifted count of seq number cycles (multiples of 2^16)
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private received = 0;
  private lostBefore = 0;
  private transit = 0;
  private haveTransit = false;
  /** Jitter in timestamp units, kept as a float (A.8 keeps it scaled by 16; same result). */
  private jitterUnits = 0;
  private clockRate = 8000;

  /** Packets counted as received by A.1 (after probation). */
  get packetsReceived(): number {
    return this.received;
  }

  /** A.3: expected - received over every source seen (never negative: duplicates do not make gains). */
  get packetsLost(): number {
    return this.lostBefore + this.currentLost();
  }

  get extendedHighestSequence(): number {
    return this.cycles + this.maxSeq;
  }

  get jitterMs(): number {
    return (this.jitterUnits / this.clockRate) * 1000;
  }

  /** Jitter in timestamp units (what an RTCP report block carries). */
  get jitter(): number {
    return Math.floor(this.jitterUnits);
  }

  /**
   * Accounts one packet. `arrivalMs` is the monotonic arrival time; `timed`
   * is false for packets whose timestamp does not advance with time
   * (RFC 4733 events keep their start timestamp), which are left out of jitter.
   * Returns false when A.1 rejects the packet (probation or a big jump).
   */
  update(ssrc: number, seq: number, timestamp: number, arrivalMs: number, clockRate: number, timed: boolean): boolean {
    if (ssrc !== this.ssrc) {
      if (this.ssrc !== -1) this.lostBefore += this.currentLost();
      this.ssrc = ssrc;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = MIN_SEQUENTIAL;
      this.haveTransit = false;
    }
    if (!this.updateSeq(seq)) return false;
    if (timed) this.updateJitter(timestamp, arrivalMs, clockRate);
    return true;
  }

  private currentLost(): number {
    if (this.ssrc === -1) return 0;
    const expected = this.cycles + this.maxSeq - this.baseSeq + 1;
    const lost = expected - this.received;
    return lost > 0 ? lost : 0;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
  }

  /** RFC 3550 A.1 update_seq, transcribed. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    // "Source is not valid until MIN_SEQUENTIAL packets with sequential sequence numbers have been received."
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    } else if (udelta < MAX_DROPOUT) {
      // in order, with permissible gap
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // sequence number wrapped
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // the sequence number made a very large jump
      if (seq === this.badSeq) {
        // "Two sequential packets -- assume that the other side restarted without telling us"
        this.lostBefore += this.currentLost();
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet
    this.received++;
    return true;
  }

  /** RFC 3550 A.8: J += (|D(i-1,i)| - J) / 16, D from transit times in timestamp units. */
  private updateJitter(timestamp: number, arrivalMs: number, clockRate: number): void {
    this.clockRate = clockRate;
    const arrival = Math.floor((arrivalMs * clockRate) / 1000);
    // Both wrap at 2^32; the difference is taken modulo 2^32 as a signed value.
    const transit = (arrival - timestamp) | 0;
    if (this.haveTransit) {
      let d = (transit - this.transit) | 0;
      if (d < 0) d = -d;
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.transit = transit;
    this.haveTransit = true;
  }
}
