/**
 * G.729 to 8 kHz 16-bit PCM (VOX-3: an uploaded G.729 announcement must play
 * to G.711-only phones too). Backed by bcg729.node, our Node-API addon over
 * Debian's libbcg729 (GPL-3.0-or-later), shipped beside the executable in
 * native/linux-<arch>/ like the other addons; docs/g729.md says why and how.
 *
 * The import is static on purpose: esbuild inlines native/bcg729/index.cjs
 * and scripts/native-shim.cjs, which dlopens the addon at import time and,
 * if it is missing or will not load, hands back a stand-in that throws on
 * first use. So a build without the addon still starts; only decoding fails,
 * with a MediaError('E_MEDIA_FORMAT') that says so.
 */
import bcg729 from '../../native/bcg729/index.cjs';
import { MediaError } from './errors.ts';

/** Bytes of one G.729 (Annex A bitstream) frame: 10 ms of speech. */
export const G729_FRAME_BYTES = 10;
/** 8 kHz samples in one frame. */
export const G729_FRAME_SAMPLES = 80;

/** Set by native-shim.cjs on the stand-in it returns when an addon failed to load. */
const LOAD_ERROR = Symbol.for('pbxgate.native.loadError');

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why the decoder cannot run here (the addon's load error), or undefined when it can. */
export function g729Unavailable(): string | undefined {
  const failure = (bcg729 as unknown as Record<symbol, unknown>)[LOAD_ERROR];
  return failure === undefined ? undefined : message(failure);
}

/** libbcg729's version ("1.1.1"), or undefined when the addon is unavailable. */
export function g729Version(): string | undefined {
  return g729Unavailable() === undefined ? bcg729.version : undefined;
}

function unavailable(reason: string): MediaError {
  return new MediaError('E_MEDIA_FORMAT', `G.729 cannot be decoded on this build: ${reason}; send a WAV file (PCM, A-law or µ-law) instead`);
}

/**
 * Decodes raw G.729 frames (10 bytes each, back to back: what
 * importAudio's kind 'g729' gives) into 8 kHz mono samples, 80 per frame.
 * One decoder channel runs over the whole buffer. Any bytes decode (the
 * codec has no invalid frames; garbage gives noise, never a crash); Annex B
 * SID frames (2 bytes) are not accepted. Throws MediaError('E_MEDIA_FORMAT')
 * when the length is not a whole number of frames or the addon is missing.
 *
 * Synchronous: ≈ 50 ms for 60 s of audio on the x64 dev machine (see
 * docs/g729.md for the figures); fine for an upload, not for a call path.
 */
export function decodeG729(frames: Uint8Array): Int16Array {
  if (frames.length % G729_FRAME_BYTES !== 0) {
    throw new MediaError(
      'E_MEDIA_FORMAT',
      `G.729 data of ${frames.length} bytes is not a whole number of ${G729_FRAME_BYTES}-byte frames (${frames.length % G729_FRAME_BYTES} bytes left over): the file is truncated or not G.729`,
    );
  }
  const reason = g729Unavailable();
  if (reason !== undefined) throw unavailable(reason);
  try {
    return bcg729.decode(frames);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'PBX_NATIVE_UNAVAILABLE') throw unavailable(message(err));
    throw new MediaError('E_MEDIA_FORMAT', `G.729 decoding failed: ${message(err)}`);
  }
}

/**
 * Encodes 8 kHz mono samples (a whole number of 80-sample frames) into raw
 * G.729 frames, VAD off. For tests and tools (round trips); the PBX itself
 * only decodes.
 */
export function encodeG729(samples: Int16Array): Buffer {
  if (samples.length % G729_FRAME_SAMPLES !== 0) {
    throw new MediaError('E_MEDIA_FORMAT', `${samples.length} samples is not a whole number of ${G729_FRAME_SAMPLES}-sample G.729 frames`);
  }
  const reason = g729Unavailable();
  if (reason !== undefined) throw unavailable(reason);
  try {
    return bcg729.encode(samples);
  } catch (err) {
    throw new MediaError('E_MEDIA_FORMAT', `G.729 encoding failed: ${message(err)}`);
  }
}
