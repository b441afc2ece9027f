import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { MediaError } from './errors.ts';
import { Leg, SRC_PEER, type AudioSink, type AudioSource, type LegOwner } from './leg.ts';
import { MediaClock } from './media-clock.ts';
import { PortAllocator, type PortPair } from './port-allocator.ts';
import { setRtpPayloadType } from './rtp.ts';
import type { LegId, LegRemote, LegStats, MediaEngine, RelayCall, TransportAddress } from './types.ts';

export interface RtpRelayEngineOptions {
  /** Address the RTP/RTCP sockets bind to. */
  listen: string;
  /** Address written in SDP (c=) for our ports. */
  advertise: string;
  /** The board's rtp.portMin..portMax. */
  portMin: number;
  portMax: number;
  clock: Clock;
  log: Logger;
  /** Quarantine of a released port pair (ms, default 4000). */
  portQuarantineMs?: number;
  /** A latched source silent this long may be replaced by another one (ms, default 2000). */
  relatchAfterMs?: number;
  /** Shared 20 ms clock for players/recorders (one is made on `clock` if absent). */
  mediaClock?: MediaClock;
}

export const DEFAULT_RELATCH_AFTER_MS = 2000;

/** RTCP details of a leg beyond LegStats (console, diagnostics). */
export interface LegRtcpStats {
  rtcpReceived: number;
  rtcpSent: number;
  /** Loss and jitter the peer reported about what we send it (first SR/RR block), if any. */
  remoteFractionLost: number | null;
  remoteJitter: number | null;
  /** Packets dropped because they came from neither the latched nor the SDP address. */
  droppedFromUnknownSource: number;
  /** Times the RTP latch moved to a new source. */
  relatches: number;
  malformed: number;
}

type DtmfListener = (leg: LegId, digit: string) => void;

/** Common part of relayed calls and single-leg sessions. */
abstract class LegSet implements LegOwner {
  protected closed = false;
  private readonly dtmfListeners: DtmfListener[] = [];

  constructor(
    readonly id: string,
    protected readonly engine: RtpRelayEngine,
    protected readonly pairs: readonly PortPair[],
  ) {}

  abstract onRtp(from: Leg, buf: Buffer, payloadOffset: number, length: number): void;
  abstract onRtcp(from: Leg, buf: Buffer): void;
  protected abstract legs(): readonly Leg[];

  onDtmf(from: Leg, digit: string): void {
    // A copy: a listener may unsubscribe in its callback (a dialogue hanging up on a key).
    for (const fn of [...this.dtmfListeners]) {
      try {
        fn(from.id, digit);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /**
   * Calls `listener(leg, digit)` for each digit received: RFC 4733 events,
   * and, from a peer that did not negotiate telephone-event, key presses
   * detected in its G.711 audio (the in-band detector runs only while at
   * least one listener is subscribed). Returns the unsubscribe function.
   */
  onDtmfReceived(listener: DtmfListener): () => void {
    if (this.closed) return () => {};
    this.dtmfListeners.push(listener);
    if (this.dtmfListeners.length === 1) for (const leg of this.legs()) leg.setDtmfListening(true);
    return () => {
      const i = this.dtmfListeners.indexOf(listener);
      if (i < 0) return;
      this.dtmfListeners.splice(i, 1);
      if (this.dtmfListeners.length === 0 && !this.closed) for (const leg of this.legs()) leg.setDtmfListening(false);
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dtmfListeners.length = 0;
    for (const leg of this.legs()) leg.close();
    for (const pair of this.pairs) this.engine.releasePair(pair);
    this.engine.forget(this);
  }

  isClosed(): boolean {
    return this.closed;
  }

  protected rtcpStatsOf(leg: Leg): LegRtcpStats {
    return {
      rtcpReceived: leg.rtcpReceived,
      rtcpSent: leg.rtcpSent,
      remoteFractionLost: leg.lastRemoteReport ? leg.lastRemoteReport.fractionLost / 256 : null,
      remoteJitter: leg.lastRemoteReport ? leg.lastRemoteReport.jitter : null,
      droppedFromUnknownSource: leg.rtpLatch.dropped + leg.rtcpLatch.dropped,
      relatches: leg.rtpLatch.changes,
      malformed: leg.malformed,
    };
  }
}

/**
 * A relayed call: what leg A's peer sends to leg A's port goes out of leg B's
 * port to leg B's peer, and back. See docs/media.md for the rules.
 */
export class RtpRelayCall extends LegSet implements RelayCall {
  readonly a: Leg;
  readonly b: Leg;
  /** Payload type translation A→B and B→A (identity unless both sides name one encoding differently). */
  private readonly ptAtoB = identityMap();
  private readonly ptBtoA = identityMap();

  constructor(id: string, engine: RtpRelayEngine, pairA: PortPair, pairB: PortPair, legOptions: LegFactoryOptions) {
    super(id, engine, [pairA, pairB]);
    this.a = new Leg({ ...legOptions, id: 'a', pair: pairA }, this);
    this.b = new Leg({ ...legOptions, id: 'b', pair: pairB }, this);
  }

  /** Attaches the socket listeners (called by the engine once the call is registered). */
  open(): void {
    this.a.open();
    this.b.open();
  }

  protected legs(): readonly Leg[] {
    return [this.a, this.b];
  }

  leg(id: LegId): Leg {
    return id === 'a' ? this.a : this.b;
  }

  local(leg: LegId): TransportAddress {
    return this.leg(leg).local();
  }

  setRemote(leg: LegId, remote: LegRemote): void {
    if (this.closed) return;
    this.leg(leg).setRemote(remote);
    buildPtMap(this.ptAtoB, this.a.remote, this.b.remote);
    buildPtMap(this.ptBtoA, this.b.remote, this.a.remote);
  }

  sendDtmf(leg: LegId, digits: string): void {
    if (this.closed) return;
    this.leg(leg).sendDtmf(digits);
  }

  stats(leg: LegId): LegStats {
    return this.leg(leg).stats();
  }

  rtcpStats(leg: LegId): LegRtcpStats {
    return this.rtcpStatsOf(this.leg(leg));
  }

  /**
   * Plays `source` to `leg`'s peer in place of the other peer (whose media
   * towards `leg` is dropped while the player is attached; the other
   * direction is still relayed). The outgoing stream stays continuous.
   */
  attachPlayer(leg: LegId, source: AudioSource, onEnd?: () => void): void {
    this.leg(leg).attachPlayer(source, onEnd);
  }

  detachPlayer(leg: LegId): void {
    this.leg(leg).detachPlayer();
  }

  /** Records what `leg`'s peer sends (it is still relayed). */
  attachRecorder(leg: LegId, sink: AudioSink): void {
    this.leg(leg).attachRecorder(sink);
  }

  detachRecorder(leg: LegId): void {
    this.leg(leg).detachRecorder();
  }

  // Hot path: no allocation, no logging.
  onRtp(from: Leg, buf: Buffer, _payloadOffset: number, length: number): void {
    const to = from === this.a ? this.b : this.a;
    if (to.hasPlayer()) return;
    const map = from === this.a ? this.ptAtoB : this.ptBtoA;
    const pt = buf[1]! & 0x7f;
    const mapped = map[pt]!;
    if (mapped !== pt) setRtpPayloadType(buf, mapped);
    to.sendRtp(buf, length, SRC_PEER);
  }

  onRtcp(from: Leg, buf: Buffer): void {
    const to = from === this.a ? this.b : this.a;
    to.mapRtcpFrom(from, buf);
    to.sendRtcp(buf, buf.length);
  }
}

/**
 * A single-leg media endpoint (announcements, voicemail, IVR): the engine is
 * the peer. Play WAV prompts with `play`, record with `record`, read digits
 * with `onDtmfReceived` or `stats().dtmfReceived`.
 */
export class MediaSession extends LegSet {
  readonly leg: Leg;

  constructor(id: string, engine: RtpRelayEngine, pair: PortPair, legOptions: LegFactoryOptions) {
    super(id, engine, [pair]);
    this.leg = new Leg({ ...legOptions, id: 'a', pair }, this);
  }

  open(): void {
    this.leg.open();
  }

  protected legs(): readonly Leg[] {
    return [this.leg];
  }

  local(): TransportAddress {
    return this.leg.local();
  }

  setRemote(remote: LegRemote): void {
    if (!this.closed) this.leg.setRemote(remote);
  }

  play(source: AudioSource, onEnd?: () => void): void {
    this.leg.attachPlayer(source, onEnd);
  }

  stopPlaying(): void {
    this.leg.detachPlayer();
  }

  record(sink: AudioSink): void {
    this.leg.attachRecorder(sink);
  }

  stopRecording(): void {
    this.leg.detachRecorder();
  }

  sendDtmf(digits: string): void {
    if (!this.closed) this.leg.sendDtmf(digits);
  }

  stats(): LegStats {
    return this.leg.stats();
  }

  rtcpStats(): LegRtcpStats {
    return this.rtcpStatsOf(this.leg);
  }

  onRtp(): void {
    // The engine is the peer: received audio goes to the recorder (inside the leg) and stops here.
  }

  onRtcp(): void {
    // Received RTCP is only accounted for.
  }
}

interface LegFactoryOptions {
  advertise: string;
  clock: Clock;
  log: Logger;
  mediaClock: MediaClock;
  relatchAfterMs: number;
}

/** The RTP relay engine of the PBX (MediaEngine): port pairs, relayed calls and media sessions. */
export class RtpRelayEngine implements MediaEngine {
  readonly mediaClock: MediaClock;
  private readonly ports: PortAllocator;
  private readonly open = new Set<LegSet>();
  private nextId = 1;
  private closed = false;
  private readonly legOptions: LegFactoryOptions;

  constructor(private readonly options: RtpRelayEngineOptions) {
    this.mediaClock =
      options.mediaClock ??
      new MediaClock(options.clock, { onError: (err) => options.log.error({ err }, 'media tick failed; subscriber removed') });
    this.ports = new PortAllocator({
      address: options.listen,
      portMin: options.portMin,
      portMax: options.portMax,
      clock: options.clock,
      log: options.log,
      ...(options.portQuarantineMs !== undefined ? { quarantineMs: options.portQuarantineMs } : {}),
    });
    this.legOptions = {
      advertise: options.advertise,
      clock: options.clock,
      log: options.log,
      mediaClock: this.mediaClock,
      relatchAfterMs: options.relatchAfterMs ?? DEFAULT_RELATCH_AFTER_MS,
    };
  }

  async createRelayCall(): Promise<RtpRelayCall> {
    this.assertOpen();
    const pairA = await this.ports.allocate();
    let pairB: PortPair;
    try {
      pairB = await this.ports.allocate();
    } catch (err) {
      this.ports.release(pairA, false);
      throw err;
    }
    if (this.closed) {
      this.ports.release(pairA, false);
      this.ports.release(pairB, false);
      throw new MediaError('E_MEDIA_CLOSED');
    }
    const call = new RtpRelayCall(`r${this.nextId++}`, this, pairA, pairB, this.legOptions);
    this.open.add(call);
    call.open();
    if (this.options.log.isLevelEnabled('debug')) {
      this.options.log.debug({ call: call.id, a: pairA.rtpPort, b: pairB.rtpPort }, 'relay call created');
    }
    return call;
  }

  /** A single-leg endpoint (player/recorder/DTMF) on its own port pair. */
  async createSession(): Promise<MediaSession> {
    this.assertOpen();
    const pair = await this.ports.allocate();
    if (this.closed) {
      this.ports.release(pair, false);
      throw new MediaError('E_MEDIA_CLOSED');
    }
    const session = new MediaSession(`s${this.nextId++}`, this, pair, this.legOptions);
    this.open.add(session);
    session.open();
    return session;
  }

  /** Relay calls and sessions open now. */
  openCalls(): number {
    return this.open.size;
  }

  /** RTP ports held now (one per leg: each also holds its RTCP port), calls and sessions included. */
  portsInUse(): number {
    return this.ports.pairsInUse();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.open]) c.close();
  }

  /** @internal used by calls and sessions on close */
  releasePair(pair: PortPair): void {
    this.ports.release(pair, true);
  }

  /** @internal */
  forget(set: LegSet): void {
    this.open.delete(set);
    if (this.options.log.isLevelEnabled('debug')) this.options.log.debug({ call: set.id }, 'media closed');
  }

  private assertOpen(): void {
    if (this.closed) throw new MediaError('E_MEDIA_CLOSED');
  }
}

function identityMap(): Uint8Array {
  const m = new Uint8Array(128);
  for (let i = 0; i < 128; i++) m[i] = i;
  return m;
}

/**
 * PT translation from one peer to the other: a payload type the sender
 * negotiated for an encoding is rewritten to the type the receiver uses for
 * the same encoding (e.g. telephone-event 101 on one side, 96 on the other).
 */
function buildPtMap(map: Uint8Array, from: LegRemote | null, to: LegRemote | null): void {
  for (let i = 0; i < 128; i++) map[i] = i;
  if (!from || !to) return;
  for (const f of from.formats) {
    const g = to.formats.find((x) => x.encoding === f.encoding && x.clockRate === f.clockRate);
    if (g) map[f.payloadType & 0x7f] = g.payloadType & 0x7f;
  }
}
