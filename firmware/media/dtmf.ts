/**
 * RFC 4733 telephone-events (DTMF over RTP).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |     event     |E|R| volume    |          duration             |
 */

export const DTMF_DIGITS = '0123456789*#ABCD';

/** Event code (§3.2: 0-9, * = 10, # = 11, A-D = 12-15) of a digit, or -1. */
export function dtmfEventCode(digit: string): number {
  return DTMF_DIGITS.indexOf(digit.toUpperCase());
}

/** Digit of an event code, or '' for codes that are not DTMF (flash 16, others). */
export function dtmfDigit(event: number): string {
  return event >= 0 && event < 16 ? DTMF_DIGITS[event]! : '';
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number; // 0..63, -dBm0
  duration: number; // timestamp units
}

export function decodeTelephoneEvent(payload: Buffer, offset = 0, length = payload.length - offset): TelephoneEvent | null {
  if (length < 4) return null;
  const b1 = payload[offset + 1]!;
  return { event: payload[offset]!, end: (b1 & 0x80) !== 0, volume: b1 & 0x3f, duration: payload.readUInt16BE(offset + 2) };
}

/** Writes the 4-byte payload at offset; returns 4. */
export function encodeTelephoneEvent(out: Buffer, offset: number, ev: TelephoneEvent): number {
  out[offset] = ev.event & 0xff;
  out[offset + 1] = (ev.end ? 0x80 : 0) | (ev.volume & 0x3f);
  out.writeUInt16BE(Math.min(0xffff, ev.duration), offset + 2);
  return 4;
}

/** Longest digit string a leg keeps (the oldest digits go first). */
export const DTMF_HISTORY_MAX = 64;

/**
 * Receiver side: turns a stream of event packets into digits, once per event.
 * An event is identified by its RTP timestamp (§2.5.2.1: all packets of one
 * event carry the timestamp of its start). The digit is recorded on the first
 * end packet (the two retransmitted end packets are duplicates); if an event
 * is replaced by a new one without any end packet seen (all lost), it is
 * recorded then. Allocation-free except the string of digits itself.
 */
export class DtmfReceiver {
  private digits = '';
  private currentTs = -1;
  private currentEvent = -1;
  private recorded = true;

  get received(): string {
    return this.digits;
  }

  /** Feeds one telephone-event packet's fields. Returns the digit recorded now, or ''. */
  push(timestamp: number, payload: Buffer, offset: number, length: number): string {
    if (length < 4) return '';
    const event = payload[offset]!;
    const end = (payload[offset + 1]! & 0x80) !== 0;
    let out = '';
    if (timestamp !== this.currentTs) {
      if (!this.recorded) out = this.record(this.currentEvent);
      this.currentTs = timestamp;
      this.currentEvent = event;
      this.recorded = false;
    }
    if (end && !this.recorded) {
      this.recorded = true;
      out += this.record(event);
    }
    return out;
  }

  private record(event: number): string {
    const d = dtmfDigit(event);
    if (d === '') return '';
    this.digits = this.digits.length >= DTMF_HISTORY_MAX ? this.digits.slice(1) + d : this.digits + d;
    return d;
  }
}

/** Timing of injected digits (RFC 4733 §2.5.1; packets every `DTMF_PACKET_MS`). */
export const DTMF_PACKET_MS = 20;
/** Tone length signalled per digit (final duration = 50 ms). */
export const DTMF_TONE_MS = 50;
/** Volume written in injected events (§2.5.2.2: -10 dBm0 is typical of a phone). */
export const DTMF_VOLUME = 10;

/**
 * Packets of one injected digit, in order, each sent DTMF_PACKET_MS after the
 * previous one: start (marker, 20 ms), two updates (40 ms, then the final
 * 50 ms), then the end packet three times (§2.5.1.4). After these, the sender
 * stays silent for `DTMF_GAP_TICKS` packet intervals before the next digit.
 */
export const DTMF_DIGIT_PLAN: ReadonlyArray<{ marker: boolean; end: boolean; durationMs: number }> = [
  { marker: true, end: false, durationMs: 20 },
  { marker: false, end: false, durationMs: 40 },
  { marker: false, end: false, durationMs: DTMF_TONE_MS },
  { marker: false, end: true, durationMs: DTMF_TONE_MS },
  { marker: false, end: true, durationMs: DTMF_TONE_MS },
  { marker: false, end: true, durationMs: DTMF_TONE_MS },
];
export const DTMF_GAP_TICKS = 1;
