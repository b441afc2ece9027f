import test from 'ava';
import { isMediaError } from '../../../firmware/media/errors.ts';
import { sineTone, toneRatio } from '../../../firmware/media/goertzel.ts';
import { readWav, writeWav } from '../../../firmware/media/wav.ts';

const tone = sineTone(1000, 200, 12000);

test('PCM 16-bit round trip is exact', (t) => {
  const wav = writeWav(tone, 'pcm16');
  t.is(wav.toString('latin1', 0, 4), 'RIFF');
  t.is(wav.length, 44 + tone.length * 2);
  const back = readWav(wav);
  t.is(back.format, 'pcm16');
  t.is(back.sampleRate, 8000);
  t.deepEqual(back.samples, tone);
});

test('A-law and µ-law round trips keep the signal within G.711 error', (t) => {
  for (const format of ['alaw', 'ulaw'] as const) {
    const wav = writeWav(tone, format);
    t.is(wav.readUInt16LE(20), format === 'alaw' ? 6 : 7);
    const back = readWav(wav);
    t.is(back.format, format);
    t.is(back.samples.length, tone.length);
    for (let i = 0; i < tone.length; i++) t.true(Math.abs(back.samples[i]! - tone[i]!) <= Math.abs(tone[i]!) / 32 + 16);
    t.true(toneRatio(back.samples, 1000) > 0.95);
  }
});

test('unknown chunks are skipped, odd-sized chunks padded', (t) => {
  const wav = writeWav(tone.subarray(0, 10), 'pcm16');
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
  const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
  withList.writeUInt32LE(withList.length - 8, 4);
  t.deepEqual(readWav(withList).samples, tone.subarray(0, 10));
});

test('rejects non-WAV data and unsupported formats clearly', (t) => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.from('ID3 this is an mp3'), /not a WAV file/],
    [Buffer.alloc(0), /not a WAV file/],
  ];
  const stereo = writeWav(tone, 'pcm16');
  stereo.writeUInt16LE(2, 22);
  cases.push([stereo, /2 channels/]);
  const wideband = writeWav(tone, 'pcm16');
  wideband.writeUInt32LE(16000, 24);
  cases.push([wideband, /16000 Hz/]);
  const float = writeWav(tone, 'pcm16');
  float.writeUInt16LE(3, 20);
  cases.push([float, /format tag 3/]);
  const pcm8 = writeWav(tone, 'pcm16');
  pcm8.writeUInt16LE(8, 34);
  cases.push([pcm8, /8 bits/]);
  const noData = writeWav(tone, 'pcm16').subarray(0, 36);
  cases.push([noData, /without data/]);
  for (const [buf, re] of cases) {
    const err = t.throws(() => readWav(buf));
    t.true(isMediaError(err));
    t.is((err as { code?: string }).code, 'E_MEDIA_FORMAT');
    t.regex(err!.message, re);
  }
});
