// Types of bcg729.node as loaded by index.cjs (see bcg729.c).
declare const bcg729: {
  /** Whole 10-byte G.729 frames to 8 kHz samples, 80 per frame; throws a RangeError (code E_G729_LENGTH) otherwise. */
  decode(frames: Uint8Array): Int16Array;
  /** Whole 80-sample frames to 10-byte G.729 frames (VAD off); throws a RangeError (code E_G729_LENGTH) otherwise. */
  encode(samples: Int16Array): Buffer;
  /** libbcg729's version, e.g. "1.1.1". */
  readonly version: string;
};
export = bcg729;
