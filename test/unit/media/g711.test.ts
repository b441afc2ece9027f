import test from 'ava';
import {
  ALAW_SILENCE,
  ULAW_SILENCE,
  alawToLinear,
  decodeG711,
  encodeG711,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
} from '../../../firmware/media/g711.ts';

test('G.711 µ-law known values', (t) => {
  t.is(linearToUlaw(0), 0xff);
  t.is(ulawToLinear(0xff), 0);
  t.is(ulawToLinear(0x7f), 0);
  t.is(ulawToLinear(0x00), -32124);
  t.is(ulawToLinear(0x80), 32124);
  t.is(linearToUlaw(32767), 0x80);
  t.is(linearToUlaw(-32768), 0x00);
  t.is(ULAW_SILENCE, 0xff);
});

test('G.711 A-law known values', (t) => {
  t.is(linearToAlaw(0), 0xd5);
  t.is(alawToLinear(0xd5), 8);
  t.is(alawToLinear(0x55), -8);
  t.is(alawToLinear(0xaa), 32256);
  t.is(alawToLinear(0x2a), -32256);
  t.is(linearToAlaw(32767), 0xaa);
  t.is(linearToAlaw(-32768), 0x2a);
  t.is(ALAW_SILENCE, 0xd5);
});

test('decode(encode(x)) is within half a quantisation step (|x|/32 + the linear step), for every 16-bit value', (t) => {
  // Above the largest code (µ-law 32124, A-law 32256) the value clips to it.
  let badU: number | null = null;
  let badA: number | null = null;
  for (let x = -32768; x <= 32767; x++) {
    const cu = Math.sign(x) * Math.min(Math.abs(x), 32124);
    const ca = Math.sign(x) * Math.min(Math.abs(x), 32256);
    if (Math.abs(ulawToLinear(linearToUlaw(x)) - cu) > Math.abs(cu) / 32 + 8) badU ??= x;
    if (Math.abs(alawToLinear(linearToAlaw(x)) - ca) > Math.abs(ca) / 32 + 16) badA ??= x;
  }
  t.is(badU, null);
  t.is(badA, null);
  // Codes are stable: encode(decode(code)) === code.
  for (let c = 0; c < 256; c++) {
    t.is(linearToAlaw(alawToLinear(c)), c, `A-law code ${c}`);
    if (c !== 0x7f) t.is(linearToUlaw(ulawToLinear(c)), c, `µ-law code ${c}`); // 0x7f (-0) encodes as 0xff (+0)
  }
});

test('monotonic: decoded values follow encoded order', (t) => {
  let prevU = -Infinity;
  let prevA = -Infinity;
  for (let x = -32768; x <= 32767; x += 7) {
    const u = ulawToLinear(linearToUlaw(x));
    const a = alawToLinear(linearToAlaw(x));
    t.true(u >= prevU && a >= prevA);
    prevU = u;
    prevA = a;
  }
});

test('buffer encode/decode without allocation round trip a frame', (t) => {
  const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(10000 * Math.sin(i / 5)));
  for (const law of ['ulaw', 'alaw'] as const) {
    const enc = Buffer.alloc(172);
    encodeG711(law, pcm, enc, 12);
    const back = new Int16Array(160);
    decodeG711(law, enc, back, 0, 160, 12);
    for (let i = 0; i < 160; i++) t.true(Math.abs(back[i]! - pcm[i]!) <= Math.max(16, Math.abs(pcm[i]!) / 16));
  }
});
