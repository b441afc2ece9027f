/**
 * ITU-T G.711 A-law and µ-law, as the reference code of G.191 (g711.c)
 * computes them, through tables built once at module load:
 * decode 256 entries each, encode 65536 entries each (indexed by the 16-bit
 * sample + 32768), so both directions are one array read per sample.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

function ulawEncodeSample(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > ULAW_CLIP) s = ULAW_CLIP;
  s += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function ulawDecodeSample(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

function alawEncodeSample(sample: number): number {
  // G.711 A-law works on 13-bit magnitudes; even bits are inverted (0x55).
  let s = sample >> 3;
  let mask: number;
  if (s >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    s = -s - 1;
  }
  let seg = 0;
  const ends = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  while (seg < 8 && s > ends[seg]!) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (s >> 1) & 0x0f : (s >> seg) & 0x0f;
  return aval ^ mask;
}

function alawDecodeSample(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

export const ULAW_TO_LINEAR = new Int16Array(256);
export const ALAW_TO_LINEAR = new Int16Array(256);
const LINEAR_TO_ULAW = new Uint8Array(65536);
const LINEAR_TO_ALAW = new Uint8Array(65536);

for (let i = 0; i < 256; i++) {
  ULAW_TO_LINEAR[i] = ulawDecodeSample(i);
  ALAW_TO_LINEAR[i] = alawDecodeSample(i);
}
for (let i = 0; i < 65536; i++) {
  LINEAR_TO_ULAW[i] = ulawEncodeSample(i - 32768);
  LINEAR_TO_ALAW[i] = alawEncodeSample(i - 32768);
}

export function linearToUlaw(sample: number): number {
  return LINEAR_TO_ULAW[(sample | 0) + 32768]!;
}
export function ulawToLinear(code: number): number {
  return ULAW_TO_LINEAR[code & 0xff]!;
}
export function linearToAlaw(sample: number): number {
  return LINEAR_TO_ALAW[(sample | 0) + 32768]!;
}
export function alawToLinear(code: number): number {
  return ALAW_TO_LINEAR[code & 0xff]!;
}

export type G711Law = 'ulaw' | 'alaw';

/** Encodes `count` samples of pcm (from pcmOffset) into out (from outOffset). No allocation. */
export function encodeG711(law: G711Law, pcm: Int16Array, out: Buffer, outOffset = 0, count = pcm.length, pcmOffset = 0): void {
  const table = law === 'ulaw' ? LINEAR_TO_ULAW : LINEAR_TO_ALAW;
  for (let i = 0; i < count; i++) out[outOffset + i] = table[pcm[pcmOffset + i]! + 32768]!;
}

/** Decodes `count` bytes of src (from srcOffset) into pcm (from pcmOffset). No allocation. */
export function decodeG711(law: G711Law, src: Buffer, pcm: Int16Array, pcmOffset = 0, count = src.length, srcOffset = 0): void {
  const table = law === 'ulaw' ? ULAW_TO_LINEAR : ALAW_TO_LINEAR;
  for (let i = 0; i < count; i++) pcm[pcmOffset + i] = table[src[srcOffset + i]!]!;
}

/** Code of digital silence: µ-law 0xFF, A-law 0xD5 (both decode to the smallest magnitude). */
export const ULAW_SILENCE = 0xff;
export const ALAW_SILENCE = 0xd5;
