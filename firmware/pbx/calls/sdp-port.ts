import type { Direction, LegRemote, PayloadFormat, TransportAddress } from '../../media/types.ts';

/**
 * What call control needs of SDP, as one small interface so the B2BUA's
 * logic does not depend on the SDP module's data model. The implementation
 * (sdp-adapter.ts) sits on firmware/sdp.
 */
export interface ParsedSdp {
  /** The audio stream as the media engine needs it. */
  remote: LegRemote;
  /** Origin session id and version (o=), to tell a refresh from a change (RFC 3264 §8). */
  originKey: string;
  /** Opaque parsed description, given back to answer(). */
  description: unknown;
}

/** Our o= line for one leg: same session id for the whole call, version +1 on each change. */
export interface LocalSession {
  sessionId: string;
  version: number;
  address: string;
}

export interface SdpPort {
  read(body: Buffer): { ok: true; sdp: ParsedSdp } | { ok: false; reason: string };
  offer(session: LocalSession, local: TransportAddress, formats: readonly PayloadFormat[], direction: Direction, ptimeMs: number): Buffer;
  /**
   * RFC 3264 §6 answer to an offer: the offerer's first codec among those we
   * accept; `direction` is what we want, the answer's is derived per §6.1.
   */
  answer(
    offer: ParsedSdp,
    session: LocalSession,
    local: TransportAddress,
    supported: readonly PayloadFormat[],
    direction?: Direction,
  ): { ok: true; body: Buffer; formats: PayloadFormat[] } | { ok: false; reason: string };
}
