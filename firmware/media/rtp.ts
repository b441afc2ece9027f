/**
 * RTP and RTCP wire format (RFC 3550 §5.1, §6.4; RFC 5761 §4 for telling them apart).
 *
 * Two styles on purpose:
 * - `parseRtp` / `serializeRtp` / `parseRtcp` build objects: for tests, tools,
 *   players and anything off the hot path.
 * - `rtpPayloadOffset` and the `rtp*` accessors/writers read and patch a
 *   datagram in place without allocating: the relay uses only these.
 * Nothing here throws on malformed input: parsers return null.
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_MIN = 12;

export interface RtpPacket {
  padding: boolean;
  marker: boolean;
  payloadType: number; // 0..127
  sequenceNumber: number; // 0..65535
  timestamp: number; // 0..2^32-1
  ssrc: number; // 0..2^32-1
  csrc: readonly number[];
  /** RFC 3550 §5.3.1 header extension (profile + data, a multiple of 4 bytes). */
  extension: { profile: number; data: Buffer } | null;
  payload: Buffer;
  /** Padding octets at the end, the count octet included (0 when no padding). */
  paddingLength: number;
}

/**
 * Offset of the payload in an RTP datagram, or -1 when it is not a valid
 * RTP packet (RFC 3550 §5.1, and the validity checks of A.1 that need no state:
 * version 2, CSRC list and extension inside the packet, padding count sane).
 * Does not look at the payload type (RTCP in the same port is told apart by
 * `isRtcp` first, RFC 5761 §4).
 */
export function rtpPayloadOffset(buf: Buffer, length = buf.length): number {
  if (length < RTP_HEADER_MIN) return -1;
  const b0 = buf[0]!;
  if (b0 >> 6 !== RTP_VERSION) return -1;
  let offset = RTP_HEADER_MIN + (b0 & 0x0f) * 4;
  if (offset > length) return -1;
  if (b0 & 0x10) {
    if (offset + 4 > length) return -1;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
    if (offset > length) return -1;
  }
  if (b0 & 0x20) {
    const pad = buf[length - 1]!;
    if (pad === 0 || offset + pad > length) return -1;
  }
  return offset;
}

/** Payload length (padding removed) of a packet whose payload starts at offset. */
export function rtpPayloadLength(buf: Buffer, offset: number, length = buf.length): number {
  const pad = buf[0]! & 0x20 ? buf[length - 1]! : 0;
  return length - offset - pad;
}

export function rtpMarker(buf: Buffer): boolean {
  return (buf[1]! & 0x80) !== 0;
}
export function rtpPayloadType(buf: Buffer): number {
  return buf[1]! & 0x7f;
}
export function rtpSequence(buf: Buffer): number {
  return buf.readUInt16BE(2);
}
export function rtpTimestamp(buf: Buffer): number {
  return buf.readUInt32BE(4);
}
export function rtpSsrc(buf: Buffer): number {
  return buf.readUInt32BE(8);
}
export function setRtpPayloadType(buf: Buffer, pt: number): void {
  buf[1] = (buf[1]! & 0x80) | (pt & 0x7f);
}
export function setRtpSequence(buf: Buffer, seq: number): void {
  buf.writeUInt16BE(seq & 0xffff, 2);
}
export function setRtpTimestamp(buf: Buffer, ts: number): void {
  buf.writeUInt32BE(ts >>> 0, 4);
}
export function setRtpSsrc(buf: Buffer, ssrc: number): void {
  buf.writeUInt32BE(ssrc >>> 0, 8);
}

/**
 * RFC 5761 §4: with RTP and RTCP on one port, the second octet tells them
 * apart (RTCP packet types 192-223 fall in RTP payload types 64-95 with the
 * marker bit set, which RFC 3551 leaves unassigned).
 */
export function isRtcp(buf: Buffer, length = buf.length): boolean {
  if (length < 8 || buf[0]! >> 6 !== RTP_VERSION) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

export function parseRtp(buf: Buffer): RtpPacket | null {
  const offset = rtpPayloadOffset(buf);
  if (offset < 0) return null;
  const b0 = buf[0]!;
  const cc = b0 & 0x0f;
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(buf.readUInt32BE(RTP_HEADER_MIN + i * 4));
  let extension: RtpPacket['extension'] = null;
  if (b0 & 0x10) {
    const at = RTP_HEADER_MIN + cc * 4;
    extension = { profile: buf.readUInt16BE(at), data: Buffer.from(buf.subarray(at + 4, offset)) };
  }
  const paddingLength = b0 & 0x20 ? buf[buf.length - 1]! : 0;
  return {
    padding: paddingLength > 0,
    marker: rtpMarker(buf),
    payloadType: rtpPayloadType(buf),
    sequenceNumber: rtpSequence(buf),
    timestamp: rtpTimestamp(buf),
    ssrc: rtpSsrc(buf),
    csrc,
    extension,
    payload: Buffer.from(buf.subarray(offset, buf.length - paddingLength)),
    paddingLength,
  };
}

export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc?: readonly number[];
  extension?: { profile: number; data: Buffer } | null;
  payload: Buffer;
  /** Total padding octets to append (count octet included); 0 = none. */
  paddingLength?: number;
}

/** Serializes a packet. Throws RangeError on values that cannot be encoded (a caller bug, not input). */
export function serializeRtp(p: RtpPacketInit): Buffer {
  const csrc = p.csrc ?? [];
  const ext = p.extension ?? null;
  const pad = p.paddingLength ?? 0;
  if (csrc.length > 15) throw new RangeError('at most 15 CSRC');
  if (ext && ext.data.length % 4 !== 0) throw new RangeError('extension data must be a multiple of 4 bytes');
  if (pad < 0 || pad > 255) throw new RangeError('padding 0..255');
  const extLen = ext ? 4 + ext.data.length : 0;
  const headerLen = RTP_HEADER_MIN + csrc.length * 4 + extLen;
  const out = Buffer.alloc(headerLen + p.payload.length + pad);
  out[0] = (RTP_VERSION << 6) | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  let at = RTP_HEADER_MIN;
  for (const c of csrc) {
    out.writeUInt32BE(c >>> 0, at);
    at += 4;
  }
  if (ext) {
    out.writeUInt16BE(ext.profile & 0xffff, at);
    out.writeUInt16BE(ext.data.length / 4, at + 2);
    ext.data.copy(out, at + 4);
    at += extLen;
  }
  p.payload.copy(out, at);
  if (pad > 0) out[out.length - 1] = pad;
  return out;
}

/** Writes a 12-byte header (no CSRC, no extension) into buf at 0; returns 12. Hot-path helper for players/DTMF. */
export function writeRtpHeader(
  buf: Buffer,
  marker: boolean,
  payloadType: number,
  seq: number,
  timestamp: number,
  ssrc: number,
): number {
  buf[0] = RTP_VERSION << 6;
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf.writeUInt16BE(seq & 0xffff, 2);
  buf.writeUInt32BE(timestamp >>> 0, 4);
  buf.writeUInt32BE(ssrc >>> 0, 8);
  return RTP_HEADER_MIN;
}

// ---------------------------------------------------------------------------
// RTCP (RFC 3550 §6.4): SR and RR are decoded for statistics, everything else
// (SDES, BYE, APP, XR, feedback) is kept as its type and length only.

export const RTCP_SR = 200;
export const RTCP_RR = 201;

export interface RtcpReportBlock {
  ssrc: number;
  fractionLost: number; // 0..255 (fixed point /256)
  cumulativeLost: number; // signed 24-bit
  highestSequence: number; // extended
  jitter: number; // timestamp units
  lastSr: number;
  delaySinceLastSr: number;
}

export interface RtcpSenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface RtcpPacket {
  type: number; // 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, ...
  /** Offset of this packet inside the compound datagram, and its length in bytes. */
  offset: number;
  length: number;
  /** Sender SSRC for SR/RR (and the first SSRC/CSRC field for others that have one), else null. */
  ssrc: number | null;
  sender: RtcpSenderInfo | null;
  reports: RtcpReportBlock[];
}

/**
 * Splits a compound RTCP datagram (RFC 3550 §6.1) and decodes SR/RR. Returns
 * null when the datagram is not valid RTCP (A.2 checks: version 2, lengths
 * that add up exactly, no padding except in the last packet).
 */
export function parseRtcp(buf: Buffer, length = buf.length): RtcpPacket[] | null {
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < length) {
    if (at + 4 > length) return null;
    const b0 = buf[at]!;
    if (b0 >> 6 !== RTP_VERSION) return null;
    const type = buf[at + 1]!;
    if (type < 192 || type > 223) return null;
    const len = (buf.readUInt16BE(at + 2) + 1) * 4;
    if (at + len > length) return null;
    if (b0 & 0x20 && at + len !== length) return null;
    const count = b0 & 0x1f;
    const p: RtcpPacket = { type, offset: at, length: len, ssrc: len >= 8 ? buf.readUInt32BE(at + 4) : null, sender: null, reports: [] };
    let blocks = -1;
    if (type === RTCP_SR) {
      if (len < 28) return null;
      p.sender = {
        ntpSeconds: buf.readUInt32BE(at + 8),
        ntpFraction: buf.readUInt32BE(at + 12),
        rtpTimestamp: buf.readUInt32BE(at + 16),
        packetCount: buf.readUInt32BE(at + 20),
        octetCount: buf.readUInt32BE(at + 24),
      };
      blocks = at + 28;
    } else if (type === RTCP_RR) {
      if (len < 8) return null;
      blocks = at + 8;
    }
    if (blocks >= 0) {
      if (blocks + count * 24 > at + len) return null;
      for (let i = 0; i < count; i++) {
        const o = blocks + i * 24;
        p.reports.push({
          ssrc: buf.readUInt32BE(o),
          fractionLost: buf[o + 4]!,
          cumulativeLost: buf.readIntBE(o + 5, 3),
          highestSequence: buf.readUInt32BE(o + 8),
          jitter: buf.readUInt32BE(o + 12),
          lastSr: buf.readUInt32BE(o + 16),
          delaySinceLastSr: buf.readUInt32BE(o + 20),
        });
      }
    }
    packets.push(p);
    at += len;
  }
  return packets.length > 0 ? packets : null;
}

/** Builds an RR or SR packet (tests and tools). */
export function serializeRtcpReport(
  ssrc: number,
  reports: readonly RtcpReportBlock[],
  sender: RtcpSenderInfo | null = null,
): Buffer {
  const len = (sender ? 28 : 8) + reports.length * 24;
  const out = Buffer.alloc(len);
  out[0] = (RTP_VERSION << 6) | reports.length;
  out[1] = sender ? RTCP_SR : RTCP_RR;
  out.writeUInt16BE(len / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  let at = 8;
  if (sender) {
    out.writeUInt32BE(sender.ntpSeconds >>> 0, 8);
    out.writeUInt32BE(sender.ntpFraction >>> 0, 12);
    out.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
    out.writeUInt32BE(sender.packetCount >>> 0, 20);
    out.writeUInt32BE(sender.octetCount >>> 0, 24);
    at = 28;
  }
  for (const r of reports) {
    out.writeUInt32BE(r.ssrc >>> 0, at);
    out[at + 4] = r.fractionLost & 0xff;
    out.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)), at + 5, 3);
    out.writeUInt32BE(r.highestSequence >>> 0, at + 8);
    out.writeUInt32BE(r.jitter >>> 0, at + 12);
    out.writeUInt32BE(r.lastSr >>> 0, at + 16);
    out.writeUInt32BE(r.delaySinceLastSr >>> 0, at + 20);
    at += 24;
  }
  return out;
}
