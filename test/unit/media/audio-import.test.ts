import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { G729_TAGS, g729ParityOk, importAudio, type ImportResult, type RefusalReason } from '../../../firmware/media/audio-import.ts';
import { sineTone, toneLevelDbfs, toneRatio } from '../../../firmware/media/goertzel.ts';
import { resample } from '../../../firmware/media/resample.ts';
import { writeWav } from '../../../firmware/media/wav.ts';

// Real files come from sox (Debian package sox, installed by scripts/install-debian-deps.sh).
const LIMITS = { maxBytes: 8 * 1024 * 1024, maxSeconds: 120 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-audio-import-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

let soxChecked = false;
function sox(name: string, ...args: string[]): Buffer {
  if (!soxChecked) {
    try {
      execFileSync('sox', ['--version'], { stdio: 'pipe' });
    } catch {
      throw new Error('sox is missing: run `bash scripts/install-debian-deps.sh` (make deps-test)');
    }
    soxChecked = true;
  }
  const file = path.join(dir, name);
  execFileSync('sox', ['-V1', ...args.map((a) => (a === '@' ? file : a))], { stdio: 'pipe' });
  return fs.readFileSync(file);
}

/** `seconds` of a sine at `hz`, written by sox with the given output options. */
function soxTone(name: string, hz: number, seconds: number, ...outOpts: string[]): Buffer {
  return sox(name, '-n', ...outOpts, '@', 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5');
}

function ok(t: import('ava').ExecutionContext, r: ImportResult): Extract<ImportResult, { ok: true }> {
  if (!r.ok) {
    t.fail(`refused: ${r.reason}: ${r.message}`);
    throw new Error('refused');
  }
  return r;
}

function pcm(t: import('ava').ExecutionContext, r: ImportResult): Int16Array {
  const a = ok(t, r);
  if (a.kind !== 'pcm') throw new Error(`expected pcm, got ${a.kind}`);
  return a.samples;
}

/** G.729 frames with random content and the right parity bit (what an encoder writes). */
function g729Frames(count: number, seed = 1): Buffer {
  const out = Buffer.alloc(count * 10);
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  for (let f = 0; f < count; f++) {
    if (!g729ParityOk(out, f * 10)) out[f * 10 + 3]! ^= 0x20; // bit 26 is byte 3, mask 0x20
  }
  return out;
}

/** A WAV around `data` with any format tag (for G.729 WAVs and odd headers). */
function wavWith(tag: number, channels: number, rate: number, bits: number, blockAlign: number, data: Buffer, extra = Buffer.alloc(0)): Buffer {
  const fmt = Buffer.alloc(16 + extra.length);
  fmt.writeUInt16LE(tag, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(bits, 14);
  extra.copy(fmt, 16);
  const chunk = (id: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, Buffer.alloc(body.length & 1)]);
  };
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), chunk('data', data)]);
  const h = Buffer.alloc(8);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}

/** The same audio as WAVE_FORMAT_EXTENSIBLE (sub-format = the original tag). */
function extensible(wav: Buffer): Buffer {
  const tag = wav.readUInt16LE(20);
  const channels = wav.readUInt16LE(22);
  const rate = wav.readUInt32LE(24);
  const blockAlign = wav.readUInt16LE(32);
  const bits = wav.readUInt16LE(34);
  const dataAt = wav.indexOf('data', 12, 'latin1');
  const data = wav.subarray(dataAt + 8, dataAt + 8 + wav.readUInt32LE(dataAt + 4));
  const extra = Buffer.alloc(24);
  extra.writeUInt16LE(22, 0); // cbSize
  extra.writeUInt16LE(bits, 2); // valid bits
  extra.writeUInt32LE(channels === 1 ? 0x4 : 0x3, 4); // channel mask
  extra.writeUInt16LE(tag, 8);
  Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]).copy(extra, 10);
  return wavWith(0xfffe, channels, rate, bits, blockAlign, data, extra);
}

// --- accepted ---

for (const rate of [8000, 16000]) {
  for (const channels of [1, 2]) {
    for (const [enc, label, opts] of [
      ['pcm', 'PCM 16-bit', ['-b', '16', '-e', 'signed-integer']],
      ['alaw', 'A-law', ['-e', 'a-law']],
      ['ulaw', 'µ-law', ['-e', 'u-law']],
    ] as const) {
      test(`accepts WAV ${label} ${rate} Hz ${channels === 1 ? 'mono' : 'stereo'} (sox)`, (t) => {
        const file = soxTone(`t-${enc}-${rate}-${channels}.wav`, 1000, 1, '-r', String(rate), '-c', String(channels), ...opts);
        const r = ok(t, importAudio(file, LIMITS));
        t.is(r.kind, 'pcm');
        t.is(r.source, `WAV ${label} ${rate} Hz ${channels === 1 ? 'mono' : 'stereo'}`);
        t.true(Math.abs(r.seconds - 1) < 0.01);
        const s = pcm(t, r);
        t.true(Math.abs(s.length - 8000) <= 2, `length ${s.length}`);
        t.true(toneRatio(s.subarray(400, 7600), 1000) > 0.95);
        // sox's "vol 0.5" is -6 dBFS; G.711 and the resampler keep the level.
        t.true(Math.abs(toneLevelDbfs(s.subarray(400, 7600), 1000) + 6) < 0.5);
      });
    }
  }
}

test('accepts the other common PCM rates (11025, 22050, 44100, 48000 Hz) and converts them to 8 kHz', (t) => {
  for (const rate of [11025, 22050, 44100, 48000]) {
    const s = pcm(t, importAudio(soxTone(`rate-${rate}.wav`, 800, 0.5, '-r', String(rate), '-c', '2', '-b', '16'), LIMITS));
    t.true(Math.abs(s.length - 4000) <= 2, `${rate}: ${s.length}`);
    t.true(toneRatio(s.subarray(200, 3800), 800) > 0.95, String(rate));
  }
});

test('a stereo file is mixed down: opposite channels cancel, identical ones keep their level', (t) => {
  soxTone('l.wav', 1000, 0.5, '-r', '8000', '-c', '1', '-b', '16');
  const left = path.join(dir, 'l.wav');
  const both = sox('stereo-same.wav', left, '-c', '2', '@');
  t.true(Math.abs(toneLevelDbfs(pcm(t, importAudio(both, LIMITS)), 1000) + 6) < 0.5);
  const anti = sox('stereo-anti.wav', left, '-c', '2', '@', 'remix', '1', '1v-1');
  const s = pcm(t, importAudio(anti, LIMITS));
  t.true(s.every((v) => Math.abs(v) <= 1));
});

test('accepts WAVE_FORMAT_EXTENSIBLE with PCM 16-bit, A-law and µ-law sub-formats', (t) => {
  for (const [name, opts, label] of [
    ['x-pcm.wav', ['-r', '16000', '-b', '16'], 'WAV (extensible) PCM 16-bit 16000 Hz mono'],
    ['x-alaw.wav', ['-r', '8000', '-e', 'a-law'], 'WAV (extensible) A-law 8000 Hz mono'],
    ['x-ulaw.wav', ['-r', '8000', '-c', '2', '-e', 'u-law'], 'WAV (extensible) µ-law 8000 Hz stereo'],
  ] as const) {
    const r = ok(t, importAudio(extensible(soxTone(name, 1000, 0.5, ...opts)), LIMITS));
    t.is(r.source, label);
    t.true(toneRatio(pcm(t, r), 1000) > 0.95);
  }
});

test('accepts a WAV written to a pipe (data size left at 0x7FFFF000 by sox)', (t) => {
  const file = execFileSync('sox', ['-V1', '-n', '-r', '8000', '-c', '1', '-b', '16', '-t', 'wav', '-', 'synth', '0.5', 'sine', '1000']);
  t.is(file.readUInt32LE(40), 0x7ffff000);
  t.is(pcm(t, importAudio(file, LIMITS)).length, 4000);
});

test('accepts raw G.729: a whole number of 10-byte frames with valid parity bits', (t) => {
  const frames = g729Frames(300);
  const r = ok(t, importAudio(frames, LIMITS));
  t.is(r.kind, 'g729');
  t.is(r.seconds, 3);
  t.is(r.source, 'raw G.729 (300 frames)');
  if (r.kind === 'g729') t.deepEqual(r.frames, frames);
  // Some damaged frames (bit errors) are tolerated; padding frames of zeros too.
  const damaged = Buffer.concat([g729Frames(100, 7), Buffer.alloc(200)]);
  for (let f = 0; f < 5; f++) damaged[f * 10 + 3]! ^= 0x20;
  t.is(ok(t, importAudio(damaged, LIMITS)).kind, 'g729');
});

test('refuses bytes that only look like G.729 by their length (random data fails the parity check)', (t) => {
  const noise = g729Frames(300, 3);
  for (let f = 0; f < 300; f += 2) noise[f * 10 + 3]! ^= 0x20; // half the parity bits wrong
  const r = importAudio(noise, LIMITS);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.reason, 'unrecognised');
    t.regex(r.message, /parity/);
  }
  const zeros = importAudio(Buffer.alloc(1000), LIMITS);
  t.false(zeros.ok);
  t.false(importAudio(g729Frames(5), LIMITS).ok, 'under 10 frames it cannot be told from noise');
});

test('accepts G.729 inside a WAV for every tag in use (0x0083, 0x0133...), refuses it stereo or with partial frames', (t) => {
  const frames = g729Frames(150);
  for (const tag of G729_TAGS.keys()) {
    const r = ok(t, importAudio(wavWith(tag, 1, 8000, 0, 10, frames, Buffer.from([0, 0])), LIMITS));
    t.is(r.kind, 'g729');
    t.is(r.seconds, 1.5);
    t.true(r.source.includes(`0x${tag.toString(16).padStart(4, '0')}`), r.source);
    if (r.kind === 'g729') t.deepEqual(r.frames, frames);
  }
  const stereo = importAudio(wavWith(0x0133, 2, 8000, 0, 20, frames), LIMITS);
  t.false(stereo.ok);
  if (!stereo.ok) t.regex(stereo.message, /8000 Hz mono/);
  const partial = importAudio(wavWith(0x0083, 1, 8000, 0, 10, frames.subarray(0, 1497)), LIMITS);
  t.false(partial.ok);
  if (!partial.ok) t.regex(partial.message, /10-byte frames/);
});

test('accepts an ITU-T G.729 bitstream (.bit) and packs it into 10-byte frames', (t) => {
  const frames = g729Frames(20);
  const bit = Buffer.alloc(20 * 164);
  for (let f = 0; f < 20; f++) {
    bit.writeUInt16LE(0x6b21, f * 164);
    bit.writeUInt16LE(80, f * 164 + 2);
    for (let b = 0; b < 80; b++) bit.writeUInt16LE((frames[f * 10 + (b >> 3)]! >> (7 - (b & 7))) & 1 ? 0x81 : 0x7f, f * 164 + 4 + 2 * b);
  }
  const r = ok(t, importAudio(bit, LIMITS));
  t.is(r.kind, 'g729');
  if (r.kind === 'g729') t.deepEqual(r.frames, frames);
});

// --- resampling ---

test('resampling 16 kHz -> 8 kHz: a 3 kHz tone survives, a 6 kHz tone is removed (>= 30 dB), not folded onto 2 kHz', (t) => {
  const keep = resample(sineTone(3000, 1000, 16000, 16000), 16000, 8000);
  const inLevel = toneLevelDbfs(sineTone(3000, 1000, 16000, 16000), 3000, 16000);
  t.true(Math.abs(toneLevelDbfs(keep.subarray(100, 7900), 3000) - inLevel) < 1);
  const gone = resample(sineTone(6000, 1000, 16000, 16000), 16000, 8000);
  const folded = toneLevelDbfs(gone.subarray(100, 7900), 2000);
  t.true(folded <= inLevel - 30, `6 kHz folded to 2 kHz at ${folded} dBFS`);
  // Naive decimation would keep it at full level: the test would catch it.
  const naive = Int16Array.from(sineTone(6000, 1000, 16000, 16000).filter((_, i) => i % 2 === 0));
  t.true(toneLevelDbfs(naive, 2000) > inLevel - 1);
});

test('resampling through the import: a sox 16 kHz file with 3 kHz + 6 kHz keeps only 3 kHz', (t) => {
  const file = sox('mix.wav', '-n', '-r', '16000', '-b', '16', '@', 'synth', '1', 'sine', '3000', 'sine', '6000', 'channels', '1', 'vol', '0.4');
  const s = pcm(t, importAudio(file, LIMITS)).subarray(200, 7800);
  const three = toneLevelDbfs(s, 3000);
  t.true(three > -15, `3 kHz at ${three}`);
  t.true(toneLevelDbfs(s, 2000) < three - 30);
});

test('resample keeps DC and length for every accepted rate', (t) => {
  for (const rate of [11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]) {
    const dc = new Int16Array(rate).fill(1000);
    const out = resample(dc, rate, 8000);
    t.is(out.length, 8000);
    t.is(out[4000], 1000);
  }
  t.deepEqual(resample(Int16Array.from([1, 2, 3]), 8000, 8000), Int16Array.from([1, 2, 3]));
  t.throws(() => resample([], 0, 8000), { instanceOf: RangeError });
});

// --- refused ---

function refused(t: import('ava').ExecutionContext, buf: Buffer, reason: RefusalReason, message: RegExp, limits = LIMITS): void {
  const r = importAudio(buf, limits);
  if (r.ok) {
    t.fail(`accepted as ${r.source}, expected ${reason}`);
    return;
  }
  t.is(r.reason, reason, r.message);
  t.regex(r.message, message);
}

test('refuses other audio formats made by sox, naming them: AIFF, FLAC, OGG, AU', (t) => {
  refused(t, soxTone('x.aiff', 1000, 0.3, '-r', '8000'), 'other-format', /is an AIFF audio file, not a WAV or G\.729 file/);
  refused(t, soxTone('x.flac', 1000, 0.3, '-r', '8000'), 'other-format', /is a FLAC audio file/);
  refused(t, soxTone('x.ogg', 1000, 0.3, '-r', '8000'), 'other-format', /is an OGG Vorbis audio file/);
  refused(t, soxTone('x.au', 1000, 0.3, '-r', '8000'), 'other-format', /Sun\/NeXT AU/);
});

/** Valid MPEG-1 Layer III frame headers (128 kb/s, 44.1 kHz: 417-byte frames), zero payload. */
function mp3Frames(count: number): Buffer {
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

test('refuses MP3 (with an ID3 tag, bare frames, or after junk), AAC, M4A, MP4 and WMA from minimal headers', (t) => {
  const id3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x0a', 'latin1'), Buffer.alloc(10), mp3Frames(3)]);
  refused(t, id3, 'other-format', /is an MP3 audio file \(ID3 tag\)/);
  refused(t, mp3Frames(5), 'other-format', /is an MP3 audio file/);
  refused(t, Buffer.concat([Buffer.alloc(37, 0x55), mp3Frames(5)]), 'other-format', /is an MP3 audio file/);
  const adts = Buffer.alloc(200);
  for (const at of [0, 100]) adts.set([0xff, 0xf1, 0x50, 0x80, 0x0c, 0x9f, 0xfc], at); // frame length 100
  refused(t, adts, 'other-format', /AAC audio file/);
  const m4a = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A \x00\x00\x02\x00M4A isomiso2\x00\x00\x00\x08free', 'latin1')]);
  refused(t, m4a, 'other-format', /is an M4A audio file/);
  const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom\x00\x00\x02\x00isomiso2', 'latin1')]);
  refused(t, mp4, 'other-format', /is an MP4\/M4A file/);
  const wma = Buffer.concat([Buffer.from([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c]), Buffer.alloc(200)]);
  refused(t, wma, 'other-format', /is a Windows Media file \(WMA\/WMV\)/);
});

test('refuses renamed non-audio files: PNG, JPEG, PDF, ZIP, HTML, plain text, JSON', (t) => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]);
  refused(t, png, 'other-format', /is a PNG image/);
  refused(t, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF'), Buffer.alloc(100)]), 'other-format', /is a JPEG image/);
  refused(t, Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n', 'latin1'), 'other-format', /is a PDF document/);
  refused(t, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(26), Buffer.from('word/document.xml')]), 'other-format', /Word document/);
  refused(t, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200)]), 'other-format', /is a ZIP archive/);
  refused(t, Buffer.from('<!DOCTYPE html>\n<html><head><title>Erreur 404</title></head><body>Page introuvable</body></html>\n'), 'other-format', /is an HTML page/);
  refused(t, Buffer.from('Bonjour,\nvoici le message d’accueil à enregistrer : « Bienvenue chez Dupont ».\n'), 'other-format', /is a text file/);
  refused(t, Buffer.from('{"greeting": "bonjour"}\n'), 'other-format', /text file \(JSON\)/);
  // A text whose length is a multiple of 10 is still text, not G.729.
  refused(t, Buffer.from('0123456789'.repeat(30)), 'other-format', /is a text file/);
});

test('refuses WAV encodings it cannot play, naming them: 24-bit, float, 8-bit unsigned, ADPCM, GSM', (t) => {
  refused(t, soxTone('b24.wav', 1000, 0.2, '-r', '8000', '-b', '24'), 'unsupported-encoding', /uses 24-bit PCM, which is not supported/);
  refused(t, soxTone('f32.wav', 1000, 0.2, '-r', '8000', '-e', 'floating-point', '-b', '32'), 'unsupported-encoding', /32-bit floating-point PCM/);
  refused(t, soxTone('u8.wav', 1000, 0.2, '-r', '8000', '-e', 'unsigned-integer', '-b', '8'), 'unsupported-encoding', /8-bit unsigned PCM/);
  refused(t, soxTone('adpcm.wav', 1000, 0.2, '-r', '8000', '-e', 'ms-adpcm'), 'unsupported-encoding', /Microsoft ADPCM \(format tag 0x0002\)/);
  refused(t, soxTone('ima.wav', 1000, 0.2, '-r', '8000', '-e', 'ima-adpcm'), 'unsupported-encoding', /IMA ADPCM/);
  refused(t, soxTone('gsm.wav', 1000, 0.2, '-r', '8000', '-e', 'gsm-full-rate'), 'unsupported-encoding', /GSM 6\.10/);
  refused(t, soxTone('c3.wav', 1000, 0.2, '-r', '8000', '-b', '16', '-c', '3'), 'unsupported-encoding', /3 channels/);
  refused(t, soxTone('r6000.wav', 1000, 0.2, '-r', '6000', '-b', '16'), 'unsupported-encoding', /6000 Hz, which is not supported/);
  refused(t, wavWith(0x55, 1, 8000, 0, 1, Buffer.alloc(400)), 'unsupported-encoding', /contains MP3 \(format tag 0x0055\)/);
});

test('refuses truncated and malformed WAV files', (t) => {
  const good = soxTone('good.wav', 1000, 1, '-r', '8000', '-b', '16');
  refused(t, good.subarray(0, 8), 'truncated', /header is cut short/);
  refused(t, good.subarray(0, 30), 'truncated', /header is cut short/);
  refused(t, good.subarray(0, 40), 'truncated', /audio data is missing|truncated/);
  refused(t, good.subarray(0, 44 + 8000), 'truncated', /declares 1 s of audio but contains only 0\.5 s/);
  const noData = Buffer.from(good.subarray(0, 36));
  noData.writeUInt32LE(28, 4);
  refused(t, noData, 'malformed', /no data chunk/);
  const badAlign = Buffer.from(good);
  badAlign.writeUInt16LE(3, 32);
  refused(t, badAlign, 'malformed', /inconsistent/);
  refused(t, Buffer.concat([Buffer.from('RIFF\x00\x00\x00\x00AVI LIST', 'latin1'), Buffer.alloc(50)]), 'other-format', /AVI video/);
});

test('refuses empty, too large, too long and too short files', (t) => {
  refused(t, Buffer.alloc(0), 'empty', /empty/);
  const long = soxTone('long.wav', 1000, 5, '-r', '8000', '-b', '16');
  refused(t, long, 'too-large', /too large: 78\.2 kB\. The limit is 50\.0 kB/, { maxBytes: 50 * 1024, maxSeconds: 60 });
  refused(t, long, 'too-long', /too long: 5 s\. The limit is 2 s/, { maxBytes: 1e6, maxSeconds: 2 });
  refused(t, g729Frames(500), 'too-long', /too long/, { maxBytes: 1e6, maxSeconds: 2 });
  refused(t, writeWav(new Int16Array(400)), 'too-short', /too short/);
});

// --- never throws ---

test('property: arbitrary bytes never throw; a result is either a refusal with a message or consistent audio', (t) => {
  const check = (buf: Buffer) => {
    const r = importAudio(buf, { maxBytes: 1 << 20, maxSeconds: 30 });
    // "could not be read" is the catch-all for an exception inside: a bug, not an answer.
    if (!r.ok) return r.message.length > 0 && !r.message.startsWith('The file could not be read');
    if (r.kind === 'pcm') return r.samples.length > 0 && Math.abs(r.samples.length - r.seconds * 8000) <= 2;
    return r.frames.length === Math.round(r.seconds * 1000) && r.frames.length % 10 === 0;
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (a) => check(Buffer.from(a))), { numRuns: 500 });
  // Mutations of real headers reach the deeper paths.
  const seeds = [
    writeWav(sineTone(1000, 200), 'pcm16'),
    writeWav(sineTone(1000, 200), 'alaw'),
    extensible(writeWav(sineTone(1000, 200), 'ulaw')),
    wavWith(0x0133, 1, 8000, 0, 10, g729Frames(20)),
    mp3Frames(3),
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(5000),
      (seed, edits, cut) => {
        const b = Buffer.from(seed.subarray(0, Math.max(1, seed.length - cut)));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        return check(b);
      },
    ),
    { numRuns: 1500 },
  );
  t.pass();
});
