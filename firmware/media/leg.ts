import type { RemoteInfo } from 'node:dgram';
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import {
  DTMF_DIGIT_PLAN,
  DTMF_GAP_TICKS,
  DTMF_HISTORY_MAX,
  DTMF_PACKET_MS,
  DTMF_VOLUME,
  DtmfReceiver,
  dtmfEventCode,
  encodeTelephoneEvent,
} from './dtmf.ts';
import { decodeG711, encodeG711, type G711Law } from './g711.ts';
import { InbandDtmfDetector } from './inband-dtmf.ts';
import { SAMPLES_PER_FRAME, type MediaClock } from './media-clock.ts';
import type { PortPair } from './port-allocator.ts';
import {
  RTCP_RR,
  RTCP_SR,
  parseRtcp,
  rtpPayloadLength,
  rtpPayloadOffset,
  rtpPayloadType,
  rtpSequence,
  rtpSsrc,
  rtpTimestamp,
  setRtpSequence,
  setRtpSsrc,
  setRtpTimestamp,
  writeRtpHeader,
  type RtcpReportBlock,
} from './rtp.ts';
import { RtpReceiveStats } from './stats.ts';
import type { LegId, LegRemote, LegStats, TransportAddress } from './types.ts';

/** What a leg's peer sends or receives, per payload type. */
export const ENC_UNKNOWN = 0;
export const ENC_PCMU = 1;
export const ENC_PCMA = 2;
export const ENC_G729 = 3;
export const ENC_TELEPHONE_EVENT = 4;

const ENCODING_CODE = { PCMU: ENC_PCMU, PCMA: ENC_PCMA, G729: ENC_G729, 'telephone-event': ENC_TELEPHONE_EVENT } as const;

/** Default telephone-event payload type when a leg's formats are not known yet. */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;

/** Who produced a packet sent towards a peer (a change of producer is a change of source). */
export const SRC_PEER = 1;
export const SRC_PLAYER = 2;
export const SRC_DTMF = 3;

/** 20 ms of 8 kHz audio per call, from a player. */
export interface AudioSource {
  /** Fills `frame` (160 samples). Returns false when the source is finished (frame ignored). */
  read(frame: Int16Array): boolean;
}

/** Receives 20 ms of 8 kHz audio per call (silence when nothing arrived), for a recorder. */
export interface AudioSink {
  write(frame: Int16Array): void;
}

export interface LegOwner {
  /** A valid RTP packet accepted from this leg's peer that the peer is allowed to send. */
  onRtp(from: Leg, buf: Buffer, payloadOffset: number, length: number): void;
  /** An accepted RTCP datagram from this leg's peer. */
  onRtcp(from: Leg, buf: Buffer): void;
  /** A DTMF digit (one character) from this leg's peer: an RFC 4733 event ended, or an in-band key press was detected. */
  onDtmf(from: Leg, digit: string): void;
}

export interface LegOptions {
  id: LegId;
  pair: PortPair;
  advertise: string;
  clock: Clock;
  log: Logger;
  mediaClock: MediaClock;
  /** A latched source that has been silent this long may be replaced by a new one. */
  relatchAfterMs: number;
}

/** Latching state of one channel (RTP or RTCP). */
class Latch {
  host: string | null = null;
  port = 0;
  lastRx = 0;
  changes = 0;
  dropped = 0;
  reset(): void {
    this.host = null;
    this.port = 0;
  }
}

/**
 * The stream a leg sends to its peer: one SSRC, continuous sequence numbers
 * and timestamps whatever produced the packets (RFC 3550 §8.2 is why: a new
 * SSRC mid-call makes many phones drop audio or play it late). The first
 * source is passed through unchanged; a later source (new SSRC from the other
 * peer after a re-INVITE or transfer, a player, injected DTMF) is mapped with
 * offsets that continue after the last packet sent.
 */
export class OutStream {
  ssrc = (Math.random() * 0x100000000) >>> 0;
  started = false;
  lastSeq = (Math.random() * 0x10000) & 0xffff;
  lastTs = (Math.random() * 0x100000000) >>> 0;
  /** Monotonic time of the last packet sent, -1 before any. */
  lastAt = -1;
  srcId = 0;
  srcSsrc = -1;
  seqOffset = 0;
  tsOffset = 0;
  clockRate = 8000;

  /** Rewrites an RTP packet in place (only the fields that change). `now` is monotonic ms. */
  rewrite(buf: Buffer, srcId: number, now: number): void {
    const inSsrc = rtpSsrc(buf);
    const inSeq = rtpSequence(buf);
    const inTs = rtpTimestamp(buf);
    if (!this.started) {
      this.started = true;
      this.ssrc = inSsrc;
      this.srcId = srcId;
      this.srcSsrc = inSsrc;
      this.seqOffset = 0;
      this.tsOffset = 0;
      this.lastSeq = (inSeq - 1) & 0xffff;
    } else if (srcId !== this.srcId || inSsrc !== this.srcSsrc) {
      this.srcId = srcId;
      this.srcSsrc = inSsrc;
      this.seqOffset = (this.lastSeq + 1 - inSeq) & 0xffff;
      this.tsOffset = (this.estimateTs(now) - inTs) >>> 0;
    }
    const seq = (inSeq + this.seqOffset) & 0xffff;
    const ts = (inTs + this.tsOffset) >>> 0;
    if (this.seqOffset !== 0) setRtpSequence(buf, seq);
    if (this.tsOffset !== 0) setRtpTimestamp(buf, ts);
    if (inSsrc !== this.ssrc) setRtpSsrc(buf, this.ssrc);
    // Newer than the last one sent (serial number arithmetic): remember it.
    if (((seq - this.lastSeq) & 0xffff) < 0x8000) {
      this.lastSeq = seq;
      this.lastTs = ts;
      this.lastAt = now;
    }
  }

  /** Next sequence number for a packet the leg makes itself (DTMF); shifts the current mapping after it. */
  injectSeq(): number {
    if (!this.started) {
      this.started = true;
      this.srcId = SRC_DTMF;
      this.srcSsrc = -1;
    }
    this.lastSeq = (this.lastSeq + 1) & 0xffff;
    this.seqOffset = (this.seqOffset + 1) & 0xffff;
    return this.lastSeq;
  }

  /** Timestamp for a new event starting now; becomes the reference for later estimates. */
  injectTs(now: number): number {
    const ts = this.estimateTs(now);
    this.lastTs = ts;
    this.lastAt = now;
    return ts;
  }

  /** Where the stream's timestamp should be now: last one plus elapsed time (at least one frame). */
  estimateTs(now: number): number {
    if (this.lastAt < 0) return this.lastTs;
    const elapsed = Math.round(((now - this.lastAt) * this.clockRate) / 1000);
    const frame = (this.clockRate * 20) / 1000;
    return (this.lastTs + Math.max(frame, elapsed)) >>> 0;
  }
}

/**
 * One side of a call as the engine sees it: a local RTP/RTCP port pair, the
 * peer's SDP view (LegRemote), latching, receive statistics and DTMF
 * detection for what the peer sends (RFC 4733 always; in band while digits
 * are listened for and the peer has no telephone-event), and the continuous
 * outgoing stream towards the peer (forwarded media, player frames,
 * injected DTMF).
 */
export class Leg {
  readonly id: LegId;
  remote: LegRemote | null = null;
  /** Encoding per payload type of this leg's peer (ENC_*). */
  readonly encodingOf = new Uint8Array(128);
  telephoneEventPt = DEFAULT_TELEPHONE_EVENT_PT;
  /** G.711 law for frames this leg sends from a player, null when none was negotiated. */
  audioLaw: G711Law | null = 'ulaw';
  audioPt = 0;

  readonly out = new OutStream();
  readonly rtpLatch = new Latch();
  readonly rtcpLatch = new Latch();
  readonly rx = new RtpReceiveStats();
  readonly dtmf = new DtmfReceiver();
  rxPackets = 0;
  rxBytes = 0;
  txPackets = 0;
  malformed = 0;
  sendErrors = 0;
  lastPayloadType: number | null = null;
  rtcpReceived = 0;
  rtcpSent = 0;
  /** Last SR/RR report block received from the peer (about what we send it). */
  lastRemoteReport: RtcpReportBlock | null = null;

  // Destination resolved by resolveRtp/resolveRtcp (fields, so sending allocates nothing).
  private destHost = '';
  private destPort = 0;
  private sdpRtpMapped = '';
  private sdpRtcpMapped = '';
  private closed = false;

  // Player / recorder (driven by the shared media clock).
  private player: AudioSource | null = null;
  private playerEnd: (() => void) | null = null;
  private recorder: AudioSink | null = null;
  private tick: TimerHandle | null = null;
  private readonly frame = new Int16Array(SAMPLES_PER_FRAME);
  private playerSsrc = (Math.random() * 0x100000000) >>> 0;
  private playerSeq = 0;
  private playerTs = 0;
  private playerMarker = true;
  /** Decoded received audio waiting for the recorder: a ring of 1 s. */
  private readonly fifo = new Int16Array(8000);
  private fifoHead = 0;
  private fifoCount = 0;

  /** Digits received (RFC 4733 and in band), in order, the last DTMF_HISTORY_MAX. */
  private digitHistory = '';

  // In-band DTMF: `inband` is the running detector (null = off, the receive path skips it).
  private dtmfListening = false;
  private inband: InbandDtmfDetector | null = null;
  private inbandDetector: InbandDtmfDetector | null = null;
  /** SSRC of the stream the detector follows; -1 = start over at the next packet (new source). */
  private inbandSsrc = -1;
  private inbandSeq = 0;
  private inbandNextTs = 0;

  // DTMF injection (RFC 4733), one packet per DTMF_PACKET_MS.
  private dtmfQueue = '';
  private dtmfStep = 0;
  private dtmfEvent = 0;
  private dtmfTs = 0;
  private dtmfTimer: TimerHandle | null = null;

  constructor(
    private readonly options: LegOptions,
    private readonly owner: LegOwner,
  ) {
    this.id = options.id;
    this.applyFormats(null);
  }

  get pair(): PortPair {
    return this.options.pair;
  }

  local(): TransportAddress {
    return { host: this.options.advertise, port: this.options.pair.rtpPort };
  }

  /** Attaches the socket listeners. */
  open(): void {
    const { rtp, rtcp } = this.options.pair;
    rtp.on('message', this.onRtpMessage);
    rtcp.on('message', this.onRtcpMessage);
    rtp.on('error', this.onSocketError);
    rtcp.on('error', this.onSocketError);
  }

  /** Detaches listeners and stops timers; the owner releases the port pair. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { rtp, rtcp } = this.options.pair;
    rtp.removeListener('message', this.onRtpMessage);
    rtcp.removeListener('message', this.onRtcpMessage);
    // The error listeners stay: a send completing after close must not crash the process.
    this.dtmfTimer?.cancel();
    this.dtmfTimer = null;
    this.dtmfQueue = '';
    this.tick?.cancel();
    this.tick = null;
    this.player = null;
    this.recorder = null;
    this.playerEnd = null;
    this.inband = null;
  }

  setRemote(remote: LegRemote): void {
    const before = this.remote;
    if (!sameAddress(before?.rtp ?? null, remote.rtp)) {
      this.rtpLatch.reset();
      this.inbandSsrc = -1; // another source: the in-band detector starts over
    }
    if (!sameAddress(before?.rtcp ?? null, remote.rtcp)) this.rtcpLatch.reset();
    this.remote = remote;
    this.sdpRtpMapped = remote.rtp ? `::ffff:${remote.rtp.host}` : '';
    this.sdpRtcpMapped = remote.rtcp ? `::ffff:${remote.rtcp.host}` : '';
    this.applyFormats(remote);
    this.updateInband();
  }

  /**
   * Someone listens for this leg's digits (or no longer does). In-band
   * detection runs only while someone listens and the peer did not
   * negotiate telephone-event (with RFC 4733 the peer's digits come as
   * events; detecting its audio too would report them twice).
   */
  setDtmfListening(on: boolean): void {
    this.dtmfListening = on;
    this.updateInband();
  }

  /** The in-band DTMF detector is running on what the peer sends. */
  inbandDtmfActive(): boolean {
    return this.inband !== null;
  }

  private updateInband(): void {
    const want = this.dtmfListening && !this.closed && this.telephoneEventPt < 0;
    if (want && this.inband === null) {
      this.inband = this.inbandDetector ??= new InbandDtmfDetector();
      this.inbandSsrc = -1;
    } else if (!want) {
      this.inband = null;
    }
  }

  /** The peer said it sends (sendrecv/sendonly), or nothing is known yet. */
  peerSends(): boolean {
    const d = this.remote?.direction;
    return d === undefined || d === 'sendrecv' || d === 'sendonly';
  }

  /** The peer said it receives (sendrecv/recvonly), or nothing is known yet. */
  peerReceives(): boolean {
    const d = this.remote?.direction;
    return d === undefined || d === 'sendrecv' || d === 'recvonly';
  }

  hasPlayer(): boolean {
    return this.player !== null;
  }

  stats(): LegStats {
    return {
      packetsReceived: this.rxPackets,
      packetsSent: this.txPackets,
      bytesReceived: this.rxBytes,
      packetsLost: this.rx.packetsLost,
      jitterMs: this.rx.jitterMs,
      latchedFrom: this.rtpLatch.host === null ? null : { host: this.rtpLatch.host, port: this.rtpLatch.port },
      lastPayloadType: this.lastPayloadType,
      dtmfReceived: this.digitHistory,
    };
  }

  /**
   * Sends an RTP packet (made by the other peer or a player) to this leg's
   * peer after mapping it onto the outgoing stream. Returns false when the
   * peer does not receive (hold) or has no address yet.
   */
  sendRtp(buf: Buffer, length: number, srcId: number): boolean {
    if (!this.peerReceives() || !this.resolveRtp()) return false;
    this.out.rewrite(buf, srcId, this.options.clock.monotonic());
    // A whole datagram goes as is: with an offset and a length dgram would make a Buffer per packet.
    if (length === buf.length) this.options.pair.rtp.send(buf, this.destPort, this.destHost);
    else this.options.pair.rtp.send(buf, 0, length, this.destPort, this.destHost);
    this.txPackets++;
    return true;
  }

  /** Sends an RTCP datagram to this leg's peer (RTCP continues on hold, RFC 3264 §5.1). */
  sendRtcp(buf: Buffer, length: number): boolean {
    if (!this.resolveRtcp()) return false;
    if (length === buf.length) this.options.pair.rtcp.send(buf, this.destPort, this.destHost);
    else this.options.pair.rtcp.send(buf, 0, length, this.destPort, this.destHost);
    this.rtcpSent++;
    return true;
  }

  // ---------------------------------------------------------------- receive

  private readonly onRtpMessage = (buf: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    const now = this.options.clock.monotonic();
    const sdp = this.remote?.rtp ?? null;
    if (!this.accept(this.rtpLatch, rinfo.address, rinfo.port, now, sdp, this.sdpRtpMapped)) return;
    const length = buf.length;
    const offset = rtpPayloadOffset(buf, length);
    if (offset < 0) {
      this.malformed++;
      return;
    }
    this.rxPackets++;
    this.rxBytes += length;
    const pt = rtpPayloadType(buf);
    this.lastPayloadType = pt;
    const enc = this.encodingOf[pt]!;
    this.rx.update(rtpSsrc(buf), rtpSequence(buf), rtpTimestamp(buf), now, 8000, enc !== ENC_TELEPHONE_EVENT);
    if (enc === ENC_TELEPHONE_EVENT) {
      const digits = this.dtmf.push(rtpTimestamp(buf), buf, offset, rtpPayloadLength(buf, offset, length));
      if (digits !== '') this.digitsReceived(digits);
    }
    // RFC 3264 §6.1: a recvonly or inactive peer sends nothing; whatever it sends anyway is dropped.
    if (!this.peerSends()) return;
    if (this.recorder !== null && (enc === ENC_PCMU || enc === ENC_PCMA)) {
      this.toFifo(enc === ENC_PCMU ? 'ulaw' : 'alaw', buf, offset, rtpPayloadLength(buf, offset, length));
    }
    // One null check when nobody listens for digits or the peer has telephone-event.
    if (this.inband !== null && (enc === ENC_PCMU || enc === ENC_PCMA)) this.detectInband(this.inband, enc, buf, offset, length);
    this.owner.onRtp(this, buf, offset, length);
  };

  /** Records digits (RFC 4733 or in band) and reports them to the owner one by one. */
  private digitsReceived(digits: string): void {
    for (const d of digits) {
      this.digitHistory = this.digitHistory.length >= DTMF_HISTORY_MAX ? this.digitHistory.slice(1) + d : this.digitHistory + d;
      this.owner.onDtmf(this, d);
    }
  }

  /**
   * Feeds a G.711 packet's audio to the in-band detector. A new SSRC (or a
   * new address or latch, which clear inbandSsrc) starts it over; a
   * timestamp jump with contiguous sequence numbers is silence suppression
   * (RFC 3551 §4.1), fed as silence so two presses of one key stay two;
   * a sequence gap (loss) is not (the tone goes on); late and duplicate
   * packets are skipped.
   */
  private detectInband(det: InbandDtmfDetector, enc: number, buf: Buffer, offset: number, length: number): void {
    const ssrc = rtpSsrc(buf);
    const seq = rtpSequence(buf);
    const ts = rtpTimestamp(buf);
    const count = rtpPayloadLength(buf, offset, length);
    let digits = '';
    if (ssrc !== this.inbandSsrc) {
      det.reset();
      this.inbandSsrc = ssrc;
    } else if (seq === ((this.inbandSeq + 1) & 0xffff)) {
      const skipped = (ts - this.inbandNextTs) | 0;
      if (skipped > 0) digits = det.pushSilence(skipped);
    } else if (((seq - this.inbandSeq) & 0xffff) >= 0x8000 || seq === this.inbandSeq) {
      return;
    }
    this.inbandSeq = seq;
    this.inbandNextTs = (ts + count) >>> 0;
    digits += det.pushG711(enc === ENC_PCMU ? 'ulaw' : 'alaw', buf, offset, count);
    if (digits !== '') this.digitsReceived(digits);
  }

  private readonly onRtcpMessage = (buf: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    const now = this.options.clock.monotonic();
    const sdp = this.remote?.rtcp ?? null;
    if (!this.accept(this.rtcpLatch, rinfo.address, rinfo.port, now, sdp, this.sdpRtcpMapped)) return;
    // RTCP comes every few seconds: parsing it into objects is fine here.
    const packets = parseRtcp(buf);
    if (!packets) {
      this.malformed++;
      return;
    }
    this.rtcpReceived++;
    for (const p of packets) {
      if ((p.type === RTCP_SR || p.type === RTCP_RR) && p.reports.length > 0) this.lastRemoteReport = p.reports[0]!;
    }
    this.owner.onRtcp(this, buf);
  };

  private readonly onSocketError = (err: Error): void => {
    this.sendErrors++;
    if (this.options.log.isLevelEnabled('debug')) this.options.log.debug({ leg: this.id, err: err.message }, 'rtp socket error');
  };

  /**
   * Symmetric RTP (RFC 4961) with latching and bleed protection:
   * - nothing latched yet: the first source latches, whatever its address
   *   (NAT: the real source differs from the SDP);
   * - the exact SDP address is always accepted and latches (the signalled
   *   address wins over a learnt one);
   * - otherwise only the latched source is accepted, until it has been
   *   silent for relatchAfterMs: then the next source latches.
   * A new SDP address (re-INVITE) clears the latch in setRemote.
   */
  private accept(l: Latch, host: string, port: number, now: number, sdp: TransportAddress | null, sdpMapped: string): boolean {
    if (l.host !== null && l.port === port && l.host === host) {
      l.lastRx = now;
      return true;
    }
    const fromSdp = sdp !== null && sdp.port === port && (sdp.host === host || sdpMapped === host);
    if (l.host === null || fromSdp || now - l.lastRx > this.options.relatchAfterMs) {
      if (l.host !== null) l.changes++;
      if (l === this.rtpLatch) this.inbandSsrc = -1; // another source: the in-band detector starts over
      l.host = host;
      l.port = port;
      l.lastRx = now;
      if (this.options.log.isLevelEnabled('debug')) this.options.log.debug({ leg: this.id, host, port }, 'media latched');
      return true;
    }
    l.dropped++;
    return false;
  }

  private resolveRtp(): boolean {
    const remote = this.remote;
    // c=0.0.0.0 (RFC 3264 §8.4 legacy hold) or no address: nothing is sent.
    if (remote !== null && remote.rtp === null) return false;
    if (this.rtpLatch.host !== null) {
      this.destHost = this.rtpLatch.host;
      this.destPort = this.rtpLatch.port;
      return true;
    }
    if (remote?.rtp) {
      this.destHost = remote.rtp.host;
      this.destPort = remote.rtp.port;
      return true;
    }
    return false;
  }

  private resolveRtcp(): boolean {
    const remote = this.remote;
    if (remote !== null && remote.rtp === null) return false;
    if (this.rtcpLatch.host !== null) {
      this.destHost = this.rtcpLatch.host;
      this.destPort = this.rtcpLatch.port;
      return true;
    }
    if (remote?.rtcp) {
      this.destHost = remote.rtcp.host;
      this.destPort = remote.rtcp.port;
      return true;
    }
    return false;
  }

  private applyFormats(remote: LegRemote | null): void {
    this.encodingOf.fill(ENC_UNKNOWN);
    if (!remote || remote.formats.length === 0) {
      // RFC 3551 static types and the usual dynamic telephone-event type.
      this.encodingOf[0] = ENC_PCMU;
      this.encodingOf[8] = ENC_PCMA;
      this.encodingOf[18] = ENC_G729;
      this.encodingOf[DEFAULT_TELEPHONE_EVENT_PT] = ENC_TELEPHONE_EVENT;
      this.telephoneEventPt = DEFAULT_TELEPHONE_EVENT_PT;
      this.audioLaw = 'ulaw';
      this.audioPt = 0;
      return;
    }
    this.telephoneEventPt = -1;
    this.audioLaw = null;
    this.audioPt = -1;
    for (const f of remote.formats) {
      const code = ENCODING_CODE[f.encoding];
      this.encodingOf[f.payloadType & 0x7f] = code;
      if (code === ENC_TELEPHONE_EVENT && this.telephoneEventPt < 0) this.telephoneEventPt = f.payloadType;
      if ((code === ENC_PCMU || code === ENC_PCMA) && this.audioLaw === null) {
        this.audioLaw = code === ENC_PCMU ? 'ulaw' : 'alaw';
        this.audioPt = f.payloadType;
      }
    }
  }

  // ----------------------------------------------------------- DTMF inject

  /**
   * Queues RFC 4733 events for the digits (0-9 * # A-D; other characters are
   * ignored) on the peer's telephone-event payload type, continuing the
   * outgoing stream's sequence numbers. Returns the digits queued.
   */
  sendDtmf(digits: string): string {
    if (this.closed) return '';
    if (this.telephoneEventPt < 0) {
      this.options.log.warn({ leg: this.id }, 'sendDtmf: no telephone-event negotiated with this peer');
      return '';
    }
    let accepted = '';
    for (const d of digits) if (dtmfEventCode(d) >= 0) accepted += d.toUpperCase();
    if (accepted === '') return '';
    const idle = this.dtmfQueue === '';
    this.dtmfQueue += accepted;
    if (idle) {
      this.dtmfStep = 0;
      this.dtmfStepNow();
    }
    return accepted;
  }

  /** True while injected digits are still being sent. */
  dtmfPending(): boolean {
    return this.dtmfQueue !== '';
  }

  private readonly dtmfStepNow = (): void => {
    this.dtmfTimer = null;
    if (this.closed || this.dtmfQueue === '') return;
    const step = this.dtmfStep;
    if (step < DTMF_DIGIT_PLAN.length) {
      const now = this.options.clock.monotonic();
      if (step === 0) {
        this.dtmfEvent = dtmfEventCode(this.dtmfQueue[0]!);
        this.dtmfTs = this.out.injectTs(now);
      }
      const plan = DTMF_DIGIT_PLAN[step]!;
      const pkt = Buffer.allocUnsafe(16);
      writeRtpHeader(pkt, plan.marker, this.telephoneEventPt, this.out.injectSeq(), this.dtmfTs, this.out.ssrc);
      encodeTelephoneEvent(pkt, 12, {
        event: this.dtmfEvent,
        end: plan.end,
        volume: DTMF_VOLUME,
        duration: (plan.durationMs * this.out.clockRate) / 1000,
      });
      if (this.peerReceives() && this.resolveRtp()) {
        this.options.pair.rtp.send(pkt, 0, 16, this.destPort, this.destHost);
        this.txPackets++;
      }
    }
    this.dtmfStep++;
    if (this.dtmfStep >= DTMF_DIGIT_PLAN.length + DTMF_GAP_TICKS) {
      this.dtmfQueue = this.dtmfQueue.slice(1);
      this.dtmfStep = 0;
      if (this.dtmfQueue === '') return;
    }
    this.dtmfTimer = this.options.clock.setTimeout(this.dtmfStepNow, DTMF_PACKET_MS);
  };

  // ------------------------------------------------------ player, recorder

  /**
   * Plays `source` to this leg's peer, in G.711 (the first PCMU/PCMA the peer
   * negotiated), one frame per media clock tick. Replaces a player already
   * attached (its onEnd is not called). `onEnd` runs when the source is finished.
   */
  attachPlayer(source: AudioSource, onEnd?: () => void): void {
    if (this.closed) return;
    this.player = source;
    this.playerEnd = onEnd ?? null;
    this.playerMarker = true;
    this.ensureTick();
  }

  detachPlayer(): void {
    this.player = null;
    this.playerEnd = null;
    this.maybeStopTick();
  }

  /** Writes what this leg's peer sends (decoded G.711, silence when nothing came) to `sink` every 20 ms. */
  attachRecorder(sink: AudioSink): void {
    if (this.closed) return;
    this.recorder = sink;
    this.fifoHead = 0;
    this.fifoCount = 0;
    this.ensureTick();
  }

  detachRecorder(): void {
    this.recorder = null;
    this.maybeStopTick();
  }

  private ensureTick(): void {
    if (!this.tick) this.tick = this.options.mediaClock.subscribe(this.onTick);
  }

  private maybeStopTick(): void {
    if (this.player === null && this.recorder === null && this.tick) {
      this.tick.cancel();
      this.tick = null;
    }
  }

  private readonly onTick = (): void => {
    if (this.player !== null) this.playFrame(this.player);
    if (this.recorder !== null) {
      this.fromFifo(this.frame);
      this.recorder.write(this.frame);
    }
    this.maybeStopTick();
  };

  private playFrame(player: AudioSource): void {
    if (!player.read(this.frame)) {
      const end = this.playerEnd;
      this.player = null;
      this.playerEnd = null;
      end?.();
      return;
    }
    const law = this.audioLaw;
    this.playerSeq = (this.playerSeq + 1) & 0xffff;
    this.playerTs = (this.playerTs + SAMPLES_PER_FRAME) >>> 0;
    if (law === null) return; // no G.711 with this peer: time passes, nothing is sent
    // One buffer per frame (50/s, from Node's pool): dgram may still hold the previous one
    // when ticks catch up in a burst, so buffers cannot be recycled safely.
    const buf = Buffer.allocUnsafe(12 + SAMPLES_PER_FRAME);
    writeRtpHeader(buf, this.playerMarker, this.audioPt, this.playerSeq, this.playerTs, this.playerSsrc);
    this.playerMarker = false;
    encodeG711(law, this.frame, buf, 12, SAMPLES_PER_FRAME);
    this.sendRtp(buf, buf.length, SRC_PLAYER);
  }

  private toFifo(law: G711Law, buf: Buffer, offset: number, count: number): void {
    const size = this.fifo.length;
    for (let i = 0; i < count; i += SAMPLES_PER_FRAME) {
      const n = Math.min(SAMPLES_PER_FRAME, count - i);
      // Overflow (the peer sends faster than 8 kHz): the oldest samples go.
      if (this.fifoCount + n > size) {
        const drop = this.fifoCount + n - size;
        this.fifoHead = (this.fifoHead + drop) % size;
        this.fifoCount -= drop;
      }
      let tail = (this.fifoHead + this.fifoCount) % size;
      for (let k = 0; k < n; k++) {
        decodeG711(law, buf, this.fifo, tail, 1, offset + i + k);
        tail = tail + 1 === size ? 0 : tail + 1;
      }
      this.fifoCount += n;
    }
  }

  private fromFifo(frame: Int16Array): void {
    const size = this.fifo.length;
    const n = Math.min(frame.length, this.fifoCount);
    for (let k = 0; k < n; k++) {
      frame[k] = this.fifo[this.fifoHead]!;
      this.fifoHead = this.fifoHead + 1 === size ? 0 : this.fifoHead + 1;
    }
    this.fifoCount -= n;
    frame.fill(0, n);
  }

  /**
   * Rewrites, in place, the SSRCs of an SR/RR compound coming from the other
   * leg's peer so they match the streams as this leg's peer knows them: the
   * sender SSRC (and SR RTP timestamp) follow this leg's outgoing mapping; the
   * report blocks about `other`'s outgoing stream get its source SSRC back.
   */
  mapRtcpFrom(other: Leg, buf: Buffer): void {
    const packets = parseRtcp(buf);
    if (!packets) return;
    for (const p of packets) {
      if (p.type !== RTCP_SR && p.type !== RTCP_RR) continue;
      if (p.ssrc !== null && this.out.started && this.out.srcId === SRC_PEER && p.ssrc === this.out.srcSsrc) {
        buf.writeUInt32BE(this.out.ssrc >>> 0, p.offset + 4);
        if (p.type === RTCP_SR && p.sender) buf.writeUInt32BE((p.sender.rtpTimestamp + this.out.tsOffset) >>> 0, p.offset + 16);
      }
      const blocks = p.offset + (p.type === RTCP_SR ? 28 : 8);
      for (let i = 0; i < p.reports.length; i++) {
        const r = p.reports[i]!;
        if (other.out.started && other.out.srcId === SRC_PEER && r.ssrc === other.out.ssrc && other.out.srcSsrc >= 0) {
          const o = blocks + i * 24;
          buf.writeUInt32BE(other.out.srcSsrc >>> 0, o);
          const low = (r.highestSequence - other.out.seqOffset) & 0xffff;
          buf.writeUInt32BE(((r.highestSequence & 0xffff0000) | low) >>> 0, o + 8);
        }
      }
    }
  }
}

function sameAddress(a: TransportAddress | null, b: TransportAddress | null): boolean {
  if (a === null || b === null) return a === b;
  return a.host === b.host && a.port === b.port;
}
