/**
 * Media contract between call control (pbx/calls) and the media engine.
 * Media never imports SIP: call control turns SDP into these plain values.
 */

import type { AudioSink, AudioSource } from './leg.ts';

export interface TransportAddress {
  host: string; // IPv4/IPv6 literal
  port: number;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One negotiated payload type on a leg (RFC 3551 static or dynamic). */
export interface PayloadFormat {
  payloadType: number; // 0..127
  encoding: 'PCMU' | 'PCMA' | 'G729' | 'telephone-event';
  clockRate: number; // 8000
}

/** What one side of the relay talks to, from its SDP (c= / m= / a=rtpmap / a=sendrecv). */
export interface LegRemote {
  /** Remote RTP address from SDP; null = on hold with c=0.0.0.0, or not known yet. */
  rtp: TransportAddress | null;
  /** Remote RTCP address (a=rtcp or RTP port + 1). */
  rtcp: TransportAddress | null;
  direction: Direction;
  formats: readonly PayloadFormat[];
  ptimeMs: number; // 20 by default
}

export interface LegStats {
  packetsReceived: number;
  packetsSent: number;
  bytesReceived: number;
  /** Packets lost as seen from sequence numbers (RFC 3550 A.3). */
  packetsLost: number;
  /** Interarrival jitter in ms (RFC 3550 A.8). */
  jitterMs: number;
  /** Where media actually comes from (after latching), if anything arrived. */
  latchedFrom: TransportAddress | null;
  lastPayloadType: number | null;
  /** Digits received (RFC 4733 events, or detected in band), in order. */
  dtmfReceived: string;
}

export type LegId = 'a' | 'b';

/**
 * One relayed call: two legs, each with a local RTP/RTCP port pair from the
 * board's range. Packets from leg A's peer go out to leg B's peer and back
 * (SSRC and sequence numbers rewritten so each peer sees one continuous
 * stream across re-INVITEs, RFC 3550 §8.2 / RFC 7667 relay behaviour).
 */
export interface RelayCall {
  readonly id: string;
  /** Local addresses to put in each leg's SDP (c= and m= port). */
  local(leg: LegId): TransportAddress;
  /** Updates what a leg's peer said in SDP (offer, answer, re-INVITE, hold). */
  setRemote(leg: LegId, remote: LegRemote): void;
  /** Sends RFC 4733 events for the digits towards a leg's peer. */
  sendDtmf(leg: LegId, digits: string): void;
  stats(leg: LegId): LegStats;
  /**
   * Plays audio from the PBX itself towards a leg's peer instead of what the
   * other leg sends (tones, prompts); `onEnd` runs when the source is done.
   */
  attachPlayer(leg: LegId, source: AudioSource, onEnd?: () => void): void;
  detachPlayer(leg: LegId): void;
  /** Records what a leg's peer sends (20 ms frames, silence when nothing came); it is still relayed. */
  attachRecorder(leg: LegId, sink: AudioSink): void;
  detachRecorder(leg: LegId): void;
  /** Calls `listener(leg, digit)` for each digit received (RFC 4733, or in-band when the peer has no telephone-event); returns the unsubscribe function. */
  onDtmfReceived(listener: (leg: LegId, digit: string) => void): () => void;
  /** Releases both port pairs; idempotent. */
  close(): void;
}

export interface MediaEngine {
  /** Reserves two RTP/RTCP port pairs; rejects when the range is exhausted. */
  createRelayCall(): Promise<RelayCall>;
  /** Calls open now (leak checks, console). */
  openCalls(): number;
  /** RTP ports held now, calls included. */
  portsInUse(): number;
  close(): Promise<void>;
}
