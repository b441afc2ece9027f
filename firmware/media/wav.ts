import { MediaError } from './errors.ts';
import { decodeG711, encodeG711 } from './g711.ts';

/**
 * WAV (RIFF/WAVE) for telephony audio: 8 kHz mono, 16-bit PCM (format 1),
 * A-law (6) or µ-law (7) 8-bit. Anything else is refused with E_MEDIA_FORMAT
 * and a message saying what the file is. WAVE_FORMAT_EXTENSIBLE (0xFFFE) is
 * accepted when its sub-format is one of these three.
 */
export type WavFormat = 'pcm16' | 'alaw' | 'ulaw';

export interface WavAudio {
  format: WavFormat;
  sampleRate: number;
  /** Decoded samples, 16-bit linear. */
  samples: Int16Array;
}

const FORMAT_TAG: Record<WavFormat, number> = { pcm16: 1, alaw: 6, ulaw: 7 };

function bad(message: string): MediaError {
  return new MediaError('E_MEDIA_FORMAT', message);
}

export function readWav(buf: Buffer): WavAudio {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw bad('not a WAV file (no RIFF/WAVE header)');
  }
  let at = 12;
  let fmt: { tag: number; channels: number; rate: number; bits: number } | null = null;
  let data: Buffer | null = null;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    const end = Math.min(buf.length, body + size); // tolerate a truncated last chunk (a recording cut short)
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw bad('WAV fmt chunk too short');
      let tag = buf.readUInt16LE(body);
      if (tag === 0xfffe && size >= 40 && body + 26 <= buf.length) tag = buf.readUInt16LE(body + 24);
      fmt = { tag, channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      data = buf.subarray(body, end);
    }
    at = body + size + (size & 1);
  }
  if (!fmt) throw bad('WAV without fmt chunk');
  if (!data) throw bad('WAV without data chunk');
  const format = fmt.tag === 1 ? 'pcm16' : fmt.tag === 6 ? 'alaw' : fmt.tag === 7 ? 'ulaw' : null;
  if (format === null) throw bad(`unsupported WAV encoding (format tag ${fmt.tag}); use PCM 16-bit, A-law or µ-law`);
  if (fmt.channels !== 1) throw bad(`unsupported WAV: ${fmt.channels} channels, mono only`);
  if (fmt.rate !== 8000) throw bad(`unsupported WAV: ${fmt.rate} Hz, 8000 Hz only`);
  const wantBits = format === 'pcm16' ? 16 : 8;
  if (fmt.bits !== wantBits) throw bad(`unsupported WAV: ${format} with ${fmt.bits} bits per sample`);
  let samples: Int16Array;
  if (format === 'pcm16') {
    const n = Math.floor(data.length / 2);
    samples = new Int16Array(n);
    for (let i = 0; i < n; i++) samples[i] = data.readInt16LE(i * 2);
  } else {
    samples = new Int16Array(data.length);
    decodeG711(format, data, samples);
  }
  return { format, sampleRate: fmt.rate, samples };
}

/** Serializes 8 kHz mono samples as a WAV file in the given encoding. */
export function writeWav(samples: Int16Array, format: WavFormat = 'pcm16', sampleRate = 8000): Buffer {
  const bytesPerSample = format === 'pcm16' ? 2 : 1;
  const dataLen = samples.length * bytesPerSample;
  const fmtLen = format === 'pcm16' ? 16 : 18; // non-PCM formats carry cbSize
  const factLen = format === 'pcm16' ? 0 : 12; // and a fact chunk (sample count)
  const total = 12 + 8 + fmtLen + factLen + 8 + dataLen + (dataLen & 1);
  const out = Buffer.alloc(total);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(total - 8, 4);
  out.write('WAVE', 8, 'latin1');
  let at = 12;
  out.write('fmt ', at, 'latin1');
  out.writeUInt32LE(fmtLen, at + 4);
  out.writeUInt16LE(FORMAT_TAG[format], at + 8);
  out.writeUInt16LE(1, at + 10);
  out.writeUInt32LE(sampleRate, at + 12);
  out.writeUInt32LE(sampleRate * bytesPerSample, at + 16);
  out.writeUInt16LE(bytesPerSample, at + 20);
  out.writeUInt16LE(bytesPerSample * 8, at + 22);
  at += 8 + fmtLen;
  if (factLen > 0) {
    out.write('fact', at, 'latin1');
    out.writeUInt32LE(4, at + 4);
    out.writeUInt32LE(samples.length, at + 8);
    at += factLen;
  }
  out.write('data', at, 'latin1');
  out.writeUInt32LE(dataLen, at + 4);
  at += 8;
  if (format === 'pcm16') {
    for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, at + i * 2);
  } else {
    encodeG711(format, samples, out, at);
  }
  return out;
}
