import { ALAW_TO_LINEAR, ULAW_TO_LINEAR } from './g711.ts';
import { resample } from './resample.ts';

/**
 * Audio uploads (VOX-3): a file's bytes in, the announcement in the engine's
 * form out, or a refusal whose message says what the file really is. The
 * decision is made from the content (magic bytes, headers), never from the
 * file name. Pure: no I/O, never throws (a property test feeds it random
 * bytes). The rules are in docs/audio-uploads.md.
 *
 * Accepted:
 * - WAV (RIFF/WAVE, also WAVE_FORMAT_EXTENSIBLE with these sub-formats):
 *   16-bit PCM, A-law, µ-law; mono or stereo (stereo is mixed down);
 *   8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000 Hz
 *   (converted to 8 kHz with the anti-aliasing resampler of resample.ts).
 *   → kind 'pcm', 8 kHz mono samples.
 * - WAV whose format tag is one of G.729's (G729_TAGS), 8 kHz mono, data a
 *   whole number of 10-byte frames → kind 'g729'.
 * - Raw G.729 (`.g729`, what Asterisk and most phones' tools write: 10-byte
 *   frames back to back, no header). With no header, it is recognised by
 *   elimination and by G.729's own parity bit: not any known format, not
 *   text, a multiple of 10 bytes, at least 10 frames (0.1 s), and the parity
 *   bit P0 (over the 6 high bits of the first pitch delay P1) right in at
 *   least 90 % of the frames that are not all 0x00 or all 0xFF. Random bytes
 *   pass that with a probability below 2^-10 for 10 frames and vanishing for
 *   longer files. Annex B streams (2-byte silence frames) are refused.
 * - ITU-T test-vector bitstreams (`.bit`: per frame the sync word 0x6B21, the
 *   length 80, then 80 words 0x007F/0x0081) are packed into raw frames.
 *
 * Refused, with `reason` (for the web UI to translate) and an English message
 * in plain words: empty, too large (before anything is parsed), too long,
 * too short (< 0.1 s), truncated (header cut, or a data chunk shorter than
 * it declares), malformed, an unsupported WAV encoding (named: 8-bit
 * unsigned PCM, 24-bit PCM, 32-bit float, Microsoft ADPCM, MP3 in WAV...),
 * another known format (MP3, AAC, M4A/MP4, WMA, OGG, FLAC, AIFF, AU, ...,
 * or not audio at all: text, HTML, PNG, JPEG, PDF, ZIP, ...), unrecognised.
 */

export interface ImportOptions {
  /** Largest file accepted, in bytes (checked first). */
  maxBytes: number;
  /** Longest announcement accepted, in seconds. */
  maxSeconds: number;
}

export type RefusalReason =
  | 'empty'
  | 'too-large'
  | 'too-long'
  | 'too-short'
  | 'truncated'
  | 'malformed'
  | 'unsupported-encoding'
  | 'other-format'
  | 'unrecognised';

export type ImportResult =
  | { ok: true; kind: 'pcm'; samples: Int16Array; seconds: number; source: string }
  | { ok: true; kind: 'g729'; frames: Buffer; seconds: number; source: string }
  | { ok: false; reason: RefusalReason; message: string; detected?: string };

export type ImportRefusal = Extract<ImportResult, { ok: false }>;

/** Sample rates accepted for PCM and G.711 WAV files (converted to 8 kHz). */
export const ACCEPTED_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/** Shortest announcement accepted (seconds). */
export const MIN_SECONDS = 0.1;

/**
 * WAV format tags used for G.729 in the wild (Microsoft's registry, mmreg.h):
 * 0x0083 AT&T G.729A (what FFmpeg writes), 0x0133 Sipro Lab G.729 and 0x0134
 * its G.729A (the Windows ACM codecs most PBX tools use), 0x0044 Intel G.729,
 * 0x008C Convedia, 0xA103 Symbol, 0xA114 Polycom G.729A, 0xA11E/0xA11F
 * Vocord, 0xA123 France Télécom G.729, 0x7290/0x7292 Intel IPP (non-VAD).
 * All carry the same 10-byte frames (G.729 and G.729A share the bitstream).
 */
export const G729_TAGS: ReadonlyMap<number, string> = new Map([
  [0x0083, 'G.729A (AT&T)'],
  [0x0133, 'G.729 (Sipro Lab)'],
  [0x0134, 'G.729A (Sipro Lab)'],
  [0x0044, 'G.729 (Intel)'],
  [0x008c, 'G.729 (Convedia)'],
  [0xa103, 'G.729A (Symbol)'],
  [0xa114, 'G.729A (Polycom)'],
  [0xa11e, 'G.729 (Vocord)'],
  [0xa11f, 'G.729A (Vocord)'],
  [0xa123, 'G.729 (France Telecom)'],
  [0x7290, 'G.729 (Intel IPP)'],
  [0x7292, 'G.729A (Intel IPP)'],
]);

const ACCEPTED = 'Please use a WAV file (16-bit PCM, A-law or µ-law, mono or stereo, 8 to 48 kHz) or a G.729 file.';

const OTHER_WAV_TAGS: ReadonlyMap<number, string> = new Map([
  [0x0002, 'Microsoft ADPCM'],
  [0x0011, 'IMA ADPCM'],
  [0x0031, 'GSM 6.10'],
  [0x0022, 'TrueSpeech'],
  [0x0040, 'G.721 ADPCM'],
  [0x0064, 'G.726 ADPCM'],
  [0x0014, 'G.723 ADPCM'],
  [0x0042, 'G.723.1'],
  [0x0050, 'MPEG audio'],
  [0x0055, 'MP3'],
  [0x00ff, 'AAC'],
  [0x1610, 'AAC'],
  [0x0161, 'Windows Media Audio'],
  [0x0162, 'Windows Media Audio Pro'],
  [0xf1ac, 'FLAC'],
  [0x704f, 'Opus'],
]);

function refuse(reason: RefusalReason, message: string, detected?: string): ImportRefusal {
  return detected === undefined ? { ok: false, reason, message } : { ok: false, reason, message, detected };
}

function otherFormat(what: string, detected: string): ImportRefusal {
  return refuse('other-format', `This file is ${what}, not a WAV or G.729 file. ${ACCEPTED}`, detected);
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${n} bytes`;
}

function formatSeconds(s: number): string {
  return s >= 10 ? `${Math.round(s)} s` : `${Number(s.toFixed(2))} s`;
}

function checkLength(seconds: number, opts: ImportOptions): ImportRefusal | null {
  if (seconds > opts.maxSeconds) {
    return refuse('too-long', `The recording is too long: ${formatSeconds(seconds)}. The limit is ${formatSeconds(opts.maxSeconds)}.`);
  }
  if (seconds < MIN_SECONDS) {
    return refuse('too-short', `The recording is too short (${formatSeconds(seconds)}): it must last at least ${MIN_SECONDS} s.`);
  }
  return null;
}

/** Reads an upload. Never throws. */
export function importAudio(buf: Buffer, opts: ImportOptions): ImportResult {
  try {
    return importUnchecked(buf, opts);
  } catch (err) {
    // A bug, not a user error: still an answer, never a crash of the caller.
    return refuse('malformed', `The file could not be read (${err instanceof Error ? err.message : String(err)}). ${ACCEPTED}`);
  }
}

function importUnchecked(buf: Buffer, opts: ImportOptions): ImportResult {
  if (buf.length === 0) return refuse('empty', 'The file is empty.');
  if (buf.length > opts.maxBytes) {
    return refuse('too-large', `The file is too large: ${formatBytes(buf.length)}. The limit is ${formatBytes(opts.maxBytes)}.`);
  }
  const head4 = buf.toString('latin1', 0, Math.min(4, buf.length));
  if (head4 === 'RIFF' || (buf.length < 4 && 'RIFF'.startsWith(head4))) {
    if (buf.length < 12) return refuse('truncated', 'The WAV header is cut short: the file is truncated.', 'WAV');
    const type = buf.toString('latin1', 8, 12);
    if (type === 'WAVE') return importWav(buf, opts);
  }
  const known = identify(buf);
  if (known) return known;
  if (isItuBitstream(buf)) return importItuBitstream(buf, opts);
  const text = describeText(buf);
  if (text) return otherFormat(text, 'text');
  const g729 = rawG729Verdict(buf);
  if (g729 === 'yes') {
    const frames = buf.length / 10;
    const seconds = frames / 100;
    return checkLength(seconds, opts) ?? { ok: true, kind: 'g729', frames: Buffer.from(buf), seconds, source: `raw G.729 (${frames} frames)` };
  }
  if (findMpegStream(buf)) return otherFormat('an MP3 audio file', 'MP3');
  if (g729 === 'parity') {
    return refuse(
      'unrecognised',
      `The file format is not recognised. It is not a WAV file, and it is not G.729 audio either (its 10-byte frames fail the G.729 parity check). ${ACCEPTED}`,
    );
  }
  return refuse('unrecognised', `The file format is not recognised: it is not a WAV or G.729 file. ${ACCEPTED}`);
}

// --- WAV ---

interface Fmt {
  tag: number;
  extensible: boolean;
  channels: number;
  rate: number;
  blockAlign: number;
  bits: number;
}

/** Bytes after the tag in the KSDATAFORMAT_SUBTYPE GUIDs built from a format tag: xxxx0000-0000-0010-8000-00AA00389B71. */
const KS_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

function importWav(buf: Buffer, opts: ImportOptions): ImportResult {
  let at = 12;
  let fmt: Fmt | null = null;
  let data: { start: number; length: number; declared: number; streamed: boolean } | null = null;
  let cut = false;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16) return refuse('malformed', `The WAV format chunk is too short (${size} bytes).`, 'WAV');
      if (body + Math.min(size, 40) > buf.length) return refuse('truncated', 'The WAV header is cut short: the file is truncated.', 'WAV');
      let tag = buf.readUInt16LE(body);
      let extensible = false;
      if (tag === 0xfffe) {
        if (size < 40) return refuse('malformed', 'The WAV header says "extensible format" but its format chunk is too short.', 'WAV');
        extensible = true;
        if (!buf.subarray(body + 26, body + 40).equals(KS_TAIL)) {
          return refuse('unsupported-encoding', `This WAV file uses an unknown extensible sub-format. ${ACCEPTED}`, 'WAV');
        }
        tag = buf.readUInt16LE(body + 24);
      }
      fmt = {
        tag,
        extensible,
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data' && data === null) {
      const available = buf.length - body;
      // Writers that cannot seek back (pipes) leave 0, 0xFFFFFFFF or about 2 GB (sox: 0x7FFFF000):
      // the data runs to the end of the file.
      const streamed = size >= 0x7ffff000 || (size === 0 && available > 0);
      const length = streamed ? available : Math.min(size, available);
      data = { start: body, length, declared: streamed ? available : size, streamed };
      if (streamed) break;
    }
    if (body + size > buf.length && id !== 'data') cut = true;
    at = body + size + (size & 1);
  }
  if (at < buf.length && at + 8 > buf.length && !data?.streamed) cut = true; // a chunk header cut in the middle
  if (!fmt) {
    return cut || !data
      ? refuse('truncated', 'The WAV header is cut short (no format chunk): the file is truncated or damaged.', 'WAV')
      : refuse('malformed', 'The WAV file has no format chunk.', 'WAV');
  }
  if (!data) {
    return cut
      ? refuse('truncated', 'The WAV file is truncated: its audio data is missing.', 'WAV')
      : refuse('malformed', 'The WAV file contains no audio data (no data chunk).', 'WAV');
  }
  const { tag, channels, rate, bits } = fmt;
  const wrapper = fmt.extensible ? 'WAV (extensible)' : 'WAV';
  const layout = channels === 1 ? 'mono' : channels === 2 ? 'stereo' : `${channels} channels`;

  const g729 = G729_TAGS.get(tag);
  if (g729 !== undefined) {
    if (channels !== 1 || rate !== 8000) {
      return refuse('malformed', `This G.729 WAV file declares ${rate} Hz ${layout}: G.729 is always 8000 Hz mono.`, 'WAV G.729');
    }
    if (data.length < data.declared) return truncatedData(data.declared, data.length, 1000, 'WAV G.729');
    if (data.length % 10 !== 0) {
      return refuse(
        'unsupported-encoding',
        'The G.729 data in this WAV file is not a whole number of 10-byte frames (it may use Annex B silence frames, which are not supported).',
        'WAV G.729',
      );
    }
    const seconds = data.length / 1000;
    return (
      checkLength(seconds, opts) ?? {
        ok: true,
        kind: 'g729',
        frames: Buffer.from(buf.subarray(data.start, data.start + data.length)),
        seconds,
        source: `${wrapper} ${g729}, format tag 0x${tag.toString(16).padStart(4, '0')}`,
      }
    );
  }

  let encoding: 'pcm16' | 'alaw' | 'ulaw';
  let label: string;
  if (tag === 1) {
    if (bits !== 16) {
      const what = bits === 8 ? '8-bit unsigned PCM' : `${bits}-bit PCM`;
      return refuse('unsupported-encoding', `This WAV file uses ${what}, which is not supported. ${ACCEPTED}`, `WAV ${what}`);
    }
    encoding = 'pcm16';
    label = 'PCM 16-bit';
  } else if (tag === 6 || tag === 7) {
    if (bits !== 8) return refuse('malformed', `This WAV file declares ${tag === 6 ? 'A-law' : 'µ-law'} with ${bits} bits per sample (it must be 8).`, 'WAV');
    encoding = tag === 6 ? 'alaw' : 'ulaw';
    label = tag === 6 ? 'A-law' : 'µ-law';
  } else if (tag === 3) {
    const what = `${bits}-bit floating-point PCM`;
    return refuse('unsupported-encoding', `This WAV file uses ${what}, which is not supported. ${ACCEPTED}`, `WAV ${what}`);
  } else {
    const name = OTHER_WAV_TAGS.get(tag);
    const what = name ? `${name} (format tag 0x${tag.toString(16).padStart(4, '0')})` : `an unknown encoding (format tag 0x${tag.toString(16).padStart(4, '0')})`;
    return refuse('unsupported-encoding', `This WAV file contains ${what}, which is not supported. ${ACCEPTED}`, `WAV ${name ?? 'unknown'}`);
  }
  if (channels < 1 || channels > 2) {
    return refuse(channels === 0 ? 'malformed' : 'unsupported-encoding', `This WAV file has ${channels} channels: only mono and stereo are supported.`, 'WAV');
  }
  if (!ACCEPTED_RATES.includes(rate)) {
    return refuse(
      'unsupported-encoding',
      `This WAV file is sampled at ${rate} Hz, which is not supported. Accepted rates: ${ACCEPTED_RATES.join(', ')} Hz.`,
      'WAV',
    );
  }
  const bytesPerFrame = (bits / 8) * channels;
  if (fmt.blockAlign !== bytesPerFrame) {
    return refuse('malformed', `The WAV header is inconsistent (block size ${fmt.blockAlign}, expected ${bytesPerFrame}).`, 'WAV');
  }
  if (data.length < data.declared) return truncatedData(data.declared, data.length, rate * bytesPerFrame, 'WAV');
  const frames = Math.floor(data.length / bytesPerFrame);
  const seconds = frames / rate;
  const bad = checkLength(seconds, opts);
  if (bad) return bad;

  // Decode and mix down to one channel.
  const mono = new Int16Array(frames);
  const start = data.start;
  if (encoding === 'pcm16') {
    if (channels === 1) {
      for (let i = 0; i < frames; i++) mono[i] = buf.readInt16LE(start + 2 * i);
    } else {
      for (let i = 0; i < frames; i++) mono[i] = (buf.readInt16LE(start + 4 * i) + buf.readInt16LE(start + 4 * i + 2)) >> 1;
    }
  } else {
    const table = encoding === 'alaw' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
    if (channels === 1) {
      for (let i = 0; i < frames; i++) mono[i] = table[buf[start + i]!]!;
    } else {
      for (let i = 0; i < frames; i++) mono[i] = (table[buf[start + 2 * i]!]! + table[buf[start + 2 * i + 1]!]!) >> 1;
    }
  }
  const samples = rate === 8000 ? mono : resample(mono, rate, 8000);
  return { ok: true, kind: 'pcm', samples, seconds, source: `${wrapper} ${label} ${rate} Hz ${layout}` };
}

function truncatedData(declared: number, present: number, bytesPerSecond: number, detected: string): ImportRefusal {
  return refuse(
    'truncated',
    `The WAV file is truncated: it declares ${formatSeconds(declared / bytesPerSecond)} of audio but contains only ${formatSeconds(present / bytesPerSecond)}. The upload or copy was probably interrupted.`,
    detected,
  );
}

// --- G.729 without a WAV header ---

/** ITU-T G.192-style bitstream of the G.729 test vectors: 82 16-bit words per frame. */
function isItuBitstream(buf: Buffer): boolean {
  return buf.length >= 164 && buf.readUInt16LE(0) === 0x6b21 && buf.readUInt16LE(2) === 80 && (buf[4] === 0x7f || buf[4] === 0x81) && buf[5] === 0;
}

function importItuBitstream(buf: Buffer, opts: ImportOptions): ImportResult {
  if (buf.length % 164 !== 0) {
    return refuse('unsupported-encoding', 'This G.729 bitstream (.bit) is truncated or contains frames other than 80-bit speech frames (Annex B silence frames are not supported).', 'G.729 bitstream');
  }
  const count = buf.length / 164;
  const seconds = count / 100;
  const bad = checkLength(seconds, opts);
  if (bad) return bad;
  const frames = Buffer.alloc(count * 10);
  for (let f = 0; f < count; f++) {
    const base = f * 164;
    if (buf.readUInt16LE(base) !== 0x6b21 || buf.readUInt16LE(base + 2) !== 80) {
      return refuse('unsupported-encoding', `This G.729 bitstream (.bit) has an erased or non-speech frame (frame ${f + 1}); only 80-bit speech frames are supported.`, 'G.729 bitstream');
    }
    for (let b = 0; b < 80; b++) {
      const w = buf.readUInt16LE(base + 4 + 2 * b);
      if (w === 0x0081) frames[f * 10 + (b >> 3)]! |= 0x80 >> (b & 7);
      else if (w !== 0x007f) return refuse('malformed', `This G.729 bitstream (.bit) is damaged (frame ${f + 1}).`, 'G.729 bitstream');
    }
  }
  return { ok: true, kind: 'g729', frames, seconds, source: `ITU-T G.729 bitstream (${count} frames)` };
}

/**
 * The parity bit P0 of a G.729 frame (bit 26, MSB first) is 1 XOR the parity
 * of the 6 high bits of P1 (bits 18..23). G.729 §3.7.2 / the ITU reference's
 * Parity_Pitch().
 */
export function g729ParityOk(frame: Uint8Array, offset = 0): boolean {
  const bit = (k: number) => (frame[offset + (k >> 3)]! >> (7 - (k & 7))) & 1;
  let p = 1;
  for (let k = 18; k < 24; k++) p ^= bit(k);
  return p === bit(26);
}

function rawG729Verdict(buf: Buffer): 'yes' | 'no' | 'parity' {
  if (buf.length % 10 !== 0 || buf.length < 100) return 'no';
  let counted = 0;
  let good = 0;
  for (let at = 0; at < buf.length; at += 10) {
    let zeros = 0;
    let ones = 0;
    for (let i = 0; i < 10; i++) {
      if (buf[at + i] === 0) zeros++;
      else if (buf[at + i] === 0xff) ones++;
    }
    if (zeros === 10 || ones === 10) continue; // padding, not a coded frame
    counted++;
    if (g729ParityOk(buf, at)) good++;
  }
  if (counted < 10) return 'parity';
  return good >= 0.9 * counted ? 'yes' : 'parity';
}

// --- everything else, by magic bytes ---

function ascii(buf: Buffer, at: number, s: string): boolean {
  return buf.length >= at + s.length && buf.toString('latin1', at, at + s.length) === s;
}

function bytes(buf: Buffer, at: number, b: readonly number[]): boolean {
  if (buf.length < at + b.length) return false;
  for (let i = 0; i < b.length; i++) if (buf[at + i] !== b[i]) return false;
  return true;
}

const ASF_GUID = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c];

/** A refusal naming the format when the content is a known non-WAV format, else null. */
function identify(buf: Buffer): ImportRefusal | null {
  // RIFF family other than WAVE.
  if (ascii(buf, 0, 'RIFF') && buf.length >= 12) {
    const type = buf.toString('latin1', 8, 12);
    if (type === 'AVI ') return otherFormat('an AVI video', 'AVI');
    if (type === 'WEBP') return otherFormat('a WebP image', 'WebP');
    if (type === 'RMID') return otherFormat('a MIDI file', 'MIDI');
    return otherFormat(`a RIFF file of type "${type.replace(/[^\x20-\x7e]/g, '?')}"`, 'RIFF');
  }
  if (ascii(buf, 0, 'RF64') || ascii(buf, 0, 'BW64')) {
    return refuse('unsupported-encoding', `This is a 64-bit WAV file (${buf.toString('latin1', 0, 4)}), which is not supported: save it as a standard WAV file. ${ACCEPTED}`, 'RF64');
  }
  if (ascii(buf, 0, 'RIFX')) return refuse('unsupported-encoding', `This is a big-endian WAV file (RIFX), which is not supported. ${ACCEPTED}`, 'RIFX');
  if (ascii(buf, 0, 'ID3')) return afterId3(buf);
  const mpeg = mpegHeader(buf, 0);
  if (mpeg && (buf.length < mpeg.length + 4 || mpegHeader(buf, mpeg.length))) return otherFormat('an MP3 audio file', 'MP3');
  const adts = adtsLength(buf, 0);
  if (adts > 0 && (buf.length < adts + 2 || adtsLength(buf, adts) > 0)) return otherFormat('an AAC audio file (ADTS)', 'AAC');
  if (ascii(buf, 4, 'ftyp')) {
    const brand = buf.length >= 12 ? buf.toString('latin1', 8, 12) : '';
    if (brand.startsWith('M4A') || brand.startsWith('M4B') || brand.startsWith('M4P')) return otherFormat('an M4A audio file (AAC or ALAC in MP4)', 'M4A');
    if (brand === 'qt  ') return otherFormat('a QuickTime movie (MOV)', 'MOV');
    if (brand.startsWith('3g')) return otherFormat('a 3GP audio/video file', '3GP');
    if (['heic', 'heix', 'mif1', 'msf1', 'avif'].includes(brand)) return otherFormat('a HEIF/AVIF image', 'HEIF');
    return otherFormat('an MP4/M4A file', 'MP4');
  }
  if (bytes(buf, 0, ASF_GUID)) return otherFormat('a Windows Media file (WMA/WMV)', 'WMA');
  if (ascii(buf, 0, 'OggS')) {
    const head = buf.toString('latin1', 28, Math.min(buf.length, 40));
    if (head.startsWith('\x01vorbis')) return otherFormat('an OGG Vorbis audio file', 'OGG');
    if (head.startsWith('OpusHead')) return otherFormat('an OGG Opus audio file', 'OGG');
    if (head.startsWith('Speex')) return otherFormat('an OGG Speex audio file', 'OGG');
    if (head.startsWith('\x7fFLAC')) return otherFormat('an OGG FLAC audio file', 'OGG');
    return otherFormat('an OGG file', 'OGG');
  }
  if (ascii(buf, 0, 'fLaC')) return otherFormat('a FLAC audio file', 'FLAC');
  if (ascii(buf, 0, 'FORM') && buf.length >= 12) {
    const type = buf.toString('latin1', 8, 12);
    if (type === 'AIFF') return otherFormat('an AIFF audio file', 'AIFF');
    if (type === 'AIFC') return otherFormat('an AIFF-C audio file', 'AIFF');
    if (type === '8SVX') return otherFormat('an IFF 8SVX audio file', '8SVX');
  }
  if (ascii(buf, 0, '.snd')) return otherFormat('a Sun/NeXT AU audio file', 'AU');
  if (ascii(buf, 0, 'caff')) return otherFormat('an Apple CAF audio file', 'CAF');
  if (ascii(buf, 0, '#!AMR')) return otherFormat('an AMR audio file', 'AMR');
  if (ascii(buf, 0, '#!SILK')) return otherFormat('a SILK audio file', 'SILK');
  if (ascii(buf, 0, 'Creative Voice File')) return otherFormat('a Creative VOC audio file', 'VOC');
  if (ascii(buf, 0, 'MThd')) return otherFormat('a MIDI file', 'MIDI');
  if (ascii(buf, 0, 'wvpk')) return otherFormat('a WavPack audio file', 'WavPack');
  if (ascii(buf, 0, 'MAC ')) return otherFormat("a Monkey's Audio file (APE)", 'APE');
  if (ascii(buf, 0, 'MPCK') || ascii(buf, 0, 'MP+')) return otherFormat('a Musepack audio file', 'Musepack');
  if (ascii(buf, 0, 'TTA1')) return otherFormat('a TrueAudio file', 'TTA');
  if (bytes(buf, 0, [0x1a, 0x45, 0xdf, 0xa3])) return otherFormat('a Matroska/WebM audio or video file', 'Matroska');
  if (ascii(buf, 0, 'FLV')) return otherFormat('a Flash video (FLV)', 'FLV');
  if (bytes(buf, 0, [0x00, 0x00, 0x01, 0xba]) || bytes(buf, 0, [0x00, 0x00, 0x01, 0xb3])) return otherFormat('an MPEG video', 'MPEG');
  // Images.
  if (bytes(buf, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return otherFormat('a PNG image', 'PNG');
  if (bytes(buf, 0, [0xff, 0xd8, 0xff])) return otherFormat('a JPEG image', 'JPEG');
  if (ascii(buf, 0, 'GIF87a') || ascii(buf, 0, 'GIF89a')) return otherFormat('a GIF image', 'GIF');
  if (ascii(buf, 0, 'BM') && buf.length >= 14 && buf.readUInt32LE(2) === buf.length) return otherFormat('a BMP image', 'BMP');
  if (bytes(buf, 0, [0x49, 0x49, 0x2a, 0x00]) || bytes(buf, 0, [0x4d, 0x4d, 0x00, 0x2a])) return otherFormat('a TIFF image', 'TIFF');
  if (bytes(buf, 0, [0x00, 0x00, 0x01, 0x00]) && buf.length >= 6 && buf.readUInt16LE(4) > 0 && buf.readUInt16LE(4) < 256 && buf.length >= 22) {
    // ICO: reserved 0, type 1, count; weak, so only with a plausible first entry.
    if (buf[9] === 0 && buf.readUInt16LE(10) <= 1) return otherFormat('an icon image (ICO)', 'ICO');
  }
  // Documents and archives.
  if (ascii(buf, 0, '%PDF')) return otherFormat('a PDF document', 'PDF');
  if (bytes(buf, 0, [0x50, 0x4b, 0x03, 0x04]) || bytes(buf, 0, [0x50, 0x4b, 0x05, 0x06]) || bytes(buf, 0, [0x50, 0x4b, 0x07, 0x08])) return otherFormat(describeZip(buf), 'ZIP');
  if (bytes(buf, 0, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return otherFormat('a Microsoft Office document (Word, Excel or PowerPoint)', 'OLE2');
  if (bytes(buf, 0, [0x1f, 0x8b])) return otherFormat('a gzip archive', 'gzip');
  if (ascii(buf, 0, 'BZh') && buf.length >= 4 && buf[3]! >= 0x31 && buf[3]! <= 0x39) return otherFormat('a bzip2 archive', 'bzip2');
  if (bytes(buf, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return otherFormat('an xz archive', 'xz');
  if (bytes(buf, 0, [0x28, 0xb5, 0x2f, 0xfd])) return otherFormat('a Zstandard archive', 'zstd');
  if (bytes(buf, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return otherFormat('a 7-Zip archive', '7z');
  if (ascii(buf, 0, 'Rar!\x1a\x07')) return otherFormat('a RAR archive', 'RAR');
  if (ascii(buf, 257, 'ustar')) return otherFormat('a tar archive', 'tar');
  // Programs.
  if (bytes(buf, 0, [0x7f, 0x45, 0x4c, 0x46])) return otherFormat('a program (ELF executable)', 'ELF');
  if (ascii(buf, 0, 'MZ') && buf.length >= 64) {
    const pe = buf.readUInt32LE(0x3c);
    if (pe + 4 <= buf.length && ascii(buf, pe, 'PE\0\0')) return otherFormat('a Windows program (EXE or DLL)', 'EXE');
  }
  return null;
}

function afterId3(buf: Buffer): ImportRefusal {
  // ID3v2: "ID3", version (2), flags, size (4 × 7 bits). What follows tells the audio format.
  if (buf.length >= 10) {
    const size = ((buf[6]! & 0x7f) << 21) | ((buf[7]! & 0x7f) << 14) | ((buf[8]! & 0x7f) << 7) | (buf[9]! & 0x7f);
    const next = 10 + size + (buf[5]! & 0x10 ? 10 : 0);
    if (ascii(buf, next, 'fLaC')) return otherFormat('a FLAC audio file (with an ID3 tag)', 'FLAC');
    if (adtsLength(buf, next) > 0) return otherFormat('an AAC audio file (with an ID3 tag)', 'AAC');
  }
  return otherFormat('an MP3 audio file (ID3 tag)', 'MP3');
}

function describeZip(buf: Buffer): string {
  const head = buf.toString('latin1', 0, Math.min(buf.length, 2048));
  if (head.includes('mimetypeapplication/vnd.oasis.opendocument')) return 'an OpenDocument file (LibreOffice), a ZIP archive';
  if (head.includes('word/')) return 'a Word document (DOCX)';
  if (head.includes('xl/')) return 'an Excel spreadsheet (XLSX)';
  if (head.includes('ppt/')) return 'a PowerPoint presentation (PPTX)';
  return 'a ZIP archive';
}

const MPEG_BITRATES: Record<string, readonly number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_RATES: Record<number, readonly number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** An MPEG audio frame header (layers I-III, not free format) at `at`, with its frame length. */
export function mpegHeader(buf: Buffer, at: number): { length: number } | null {
  if (at + 4 > buf.length || buf[at] !== 0xff || (buf[at + 1]! & 0xe0) !== 0xe0) return null;
  const version = (buf[at + 1]! >> 3) & 3; // 0: 2.5, 1: reserved, 2: 2, 3: 1
  const layerBits = (buf[at + 1]! >> 1) & 3; // 1: III, 2: II, 3: I
  const bitrateIndex = buf[at + 2]! >> 4;
  const rateIndex = (buf[at + 2]! >> 2) & 3;
  const padding = (buf[at + 2]! >> 1) & 1;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const layer = 4 - layerBits;
  const kbps = MPEG_BITRATES[`${version === 3 ? 1 : 2}-${layer}`]![bitrateIndex]!;
  const rate = MPEG_RATES[version]![rateIndex]!;
  let length: number;
  if (layer === 1) length = (Math.floor((12 * kbps * 1000) / rate) + padding) * 4;
  else if (layer === 3 && version !== 3) length = Math.floor((72 * kbps * 1000) / rate) + padding;
  else length = Math.floor((144 * kbps * 1000) / rate) + padding;
  return length >= 4 ? { length } : null;
}

/** Length of an ADTS (AAC) frame at `at`, or 0. */
function adtsLength(buf: Buffer, at: number): number {
  if (at + 7 > buf.length || buf[at] !== 0xff || (buf[at + 1]! & 0xf6) !== 0xf0) return 0;
  if (((buf[at + 2]! >> 2) & 0xf) > 12) return 0;
  const length = ((buf[at + 3]! & 0x03) << 11) | (buf[at + 4]! << 3) | (buf[at + 5]! >> 5);
  return length >= 7 ? length : 0;
}

/** Three consecutive MPEG audio frames somewhere in the first 8 kB (MP3s that start with junk or padding). */
function findMpegStream(buf: Buffer): boolean {
  const end = Math.min(buf.length - 4, 8192);
  for (let at = 0; at < end; at++) {
    if (buf[at] !== 0xff) continue;
    const a = mpegHeader(buf, at);
    if (!a) continue;
    const b = mpegHeader(buf, at + a.length);
    if (!b) continue;
    if (mpegHeader(buf, at + a.length + b.length)) return true;
  }
  return false;
}

/** "an HTML page", "a text file"... when the start of the file reads as text, else null. */
function describeText(buf: Buffer): string | null {
  const n = Math.min(buf.length, 4096);
  if (n >= 4 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
    // UTF-16 text: every other byte of ASCII text is zero.
    let zeros = 0;
    const hi = buf[0] === 0xff ? 1 : 0;
    for (let i = 2 + hi; i < n; i += 2) if (buf[i] === 0) zeros++;
    if (zeros >= 0.8 * ((n - 2) / 2)) return 'a text file (UTF-16)';
  }
  let start = 0;
  if (bytes(buf, 0, [0xef, 0xbb, 0xbf])) start = 3;
  let printable = 0;
  for (let i = start; i < n; i++) {
    const c = buf[i]!;
    if (c === 0) return null;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) return null;
    if (c === 0x7f) return null;
    if (c < 0x80) printable++;
  }
  const body = buf.subarray(start, n);
  let utf8 = true;
  try {
    // The cut at 4096 bytes may split a character: ignore up to 3 trailing bytes.
    new TextDecoder('utf-8', { fatal: true }).decode(n === buf.length ? body : body.subarray(0, Math.max(0, body.length - 3)));
  } catch {
    utf8 = false;
  }
  if (!utf8 && printable < 0.95 * (n - start)) return null;
  const lower = buf.toString('latin1', start, n).trimStart().toLowerCase();
  if (lower.startsWith('<!doctype html') || lower.startsWith('<html') || /<(head|body|div|script|p)[\s>]/.test(lower.slice(0, 1024))) return 'an HTML page';
  if (lower.startsWith('<svg') || (lower.startsWith('<?xml') && lower.includes('<svg'))) return 'an SVG image';
  if (lower.startsWith('<?xml')) return 'an XML document';
  if (lower.startsWith('{\\rtf')) return 'an RTF document';
  if (lower.startsWith('#extm3u') || lower.startsWith('[playlist]')) return 'a playlist (a list of links, not audio)';
  if (lower.startsWith('{') || lower.startsWith('[')) return 'a text file (JSON)';
  return 'a text file';
}
