import {
  audioMediaIndex,
  buildAnswer,
  buildOffer,
  originKey,
  parseSdp,
  remoteFromSdp,
  serializeSdp,
  type SessionDescription,
} from '../../sdp/index.ts';
import type { SdpPort, ParsedSdp } from './sdp-port.ts';

/** SdpPort over firmware/sdp: what the B2BUA reads and writes on each leg. */
export const sdpAdapter: SdpPort = {
  read(body) {
    const r = parseSdp(body);
    if (!r.ok) return r;
    const index = audioMediaIndex(r.sdp);
    if (index < 0) return { ok: false, reason: 'no audio stream' };
    const sdp: ParsedSdp = {
      remote: remoteFromSdp(r.sdp, index),
      // Origin and version: a new version is a new offer, the same one a refresh (RFC 3264 §8).
      originKey: `${originKey(r.sdp.origin)} ${r.sdp.origin.version}`,
      description: r.sdp,
    };
    return { ok: true, sdp };
  },
  offer(session, local, formats, direction, ptimeMs) {
    const sdp = buildOffer({
      origin: { username: 'pbxgate', sessionId: session.sessionId, version: session.version, address: session.address },
      local,
      formats: [...formats],
      direction,
      ptimeMs,
    });
    return Buffer.from(serializeSdp(sdp), 'utf8');
  },
  answer(offer, session, local, supported, direction) {
    const r = buildAnswer(offer.description as SessionDescription, {
      origin: { username: 'pbxgate', sessionId: session.sessionId, version: session.version, address: session.address },
      local,
      supported,
      ...(direction !== undefined ? { direction } : {}),
    });
    if (!r.ok) return r;
    return { ok: true, body: Buffer.from(serializeSdp(r.sdp), 'utf8'), formats: r.formats };
  },
};
