// Builds the system prompts (docs/voice-prompts.md): every text of the catalogue
// firmware/voice/prompts.ts, spoken by espeak-ng (Debian package espeak-ng), as
// 8 kHz mono 16-bit WAV files:
//
//   out/prompts/<lang>/<id>.wav     one per prompt and language
//   out/prompts/manifest.json       hash, espeak-ng version, and per file its length
//
//   node scripts/build-prompts.mjs [--out-dir out/prompts] [--langs fr,en]
//                                  [--ids id1,id2] [--jobs 2] [--force]
//
// Cached: the manifest holds a hash of everything that shapes the output (the
// selected catalogue texts, the voices and settings, the espeak-ng version, this
// script and the resampler); a run whose hash matches the manifest, with every
// file present, does nothing ("up to date"). Otherwise all prompts are made again
// into <out-dir>.partial, which then replaces <out-dir> (no half-built directory).
//
// Deterministic: espeak-ng gives the same samples for the same text and version;
// the rest (trim, level, resampling with firmware/media/resample.ts) is plain
// arithmetic. Runs on the pinned Node 24, which loads the two .ts files itself
// (type stripping: they use erasable syntax only).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { resample } from '../firmware/media/resample.ts';
import { PROMPT_LANGS, PROMPTS } from '../firmware/voice/prompts.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const RESAMPLER = path.join(ROOT, 'firmware', 'media', 'resample.ts');

/** espeak-ng settings per language: voice, words per minute, pitch (0-99). */
const VOICES = {
  fr: { voice: 'fr-fr', speed: 150, pitch: 50 },
  en: { voice: 'en-gb', speed: 150, pitch: 50 },
};
const RATE = 8000;
/** Peak level after normalisation: -3 dBFS (speech then sits around -18 dBFS RMS). */
const PEAK = Math.round(0.708 * 32767);
/** Silence kept before and after the speech once trimmed (ms), and the fades (ms). */
const MARGIN_MS = 40;
const FADE_MS = 5;

const { values: opts } = parseArgs({
  options: {
    'out-dir': { type: 'string', default: path.join(ROOT, 'out', 'prompts') },
    langs: { type: 'string', default: PROMPT_LANGS.join(',') },
    ids: { type: 'string' },
    jobs: { type: 'string', default: String(Math.max(1, Math.min(2, os.availableParallelism()))) },
    force: { type: 'boolean', default: false },
  },
});

function fail(message) {
  console.error(`build-prompts: ${message}`);
  process.exit(1);
}

const outDir = path.resolve(opts['out-dir']);
const langs = opts.langs.split(',').filter(Boolean);
for (const l of langs) if (!(l in VOICES)) fail(`unknown language ${l} (known: ${Object.keys(VOICES).join(', ')})`);
const ids = opts.ids ? opts.ids.split(',').filter(Boolean) : Object.keys(PROMPTS);
for (const id of ids) if (!Object.hasOwn(PROMPTS, id)) fail(`unknown prompt id ${id}`);
const jobs = Math.max(1, Number.parseInt(opts.jobs, 10) || 1);

const started = performance.now();
let espeakVersion;
try {
  espeakVersion = (await run('espeak-ng', ['--version'])).stdout.replace(/\s*Data at:.*/s, '').trim();
} catch {
  fail('espeak-ng is not installed: run `bash scripts/install-debian-deps.sh` (Debian package espeak-ng)');
}

const selected = Object.fromEntries(ids.map((id) => [id, Object.fromEntries(langs.map((l) => [l, PROMPTS[id][l]]))]));
const hash = createHash('sha256')
  .update(
    JSON.stringify({
      format: 1,
      espeakVersion,
      voices: Object.fromEntries(langs.map((l) => [l, VOICES[l]])),
      rate: RATE,
      peak: PEAK,
      margin: MARGIN_MS,
      fade: FADE_MS,
      selected,
    }),
  )
  .update(fs.readFileSync(SELF))
  .update(fs.readFileSync(RESAMPLER))
  .digest('hex');

const manifestPath = path.join(outDir, 'manifest.json');
if (!opts.force && upToDate()) {
  console.log(`build-prompts: up to date (${ids.length * langs.length} prompts in ${path.relative(process.cwd(), outDir) || '.'})`);
  process.exit(0);
}

const partial = `${outDir}.partial`;
fs.rmSync(partial, { recursive: true, force: true });
for (const l of langs) fs.mkdirSync(path.join(partial, l), { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-prompts-'));

const work = [];
for (const id of ids) for (const lang of langs) work.push({ id, lang });
const entries = {};
let next = 0;
async function worker() {
  while (next < work.length) {
    const { id, lang } = work[next++];
    const text = PROMPTS[id][lang];
    const samples = await speak(text, lang, path.join(scratch, `${lang}-${id}.wav`));
    if (samples.length === 0) throw new Error(`espeak-ng produced no sound for ${lang}/${id}: ${JSON.stringify(text)}`);
    fs.writeFileSync(path.join(partial, lang, `${id}.wav`), wav(samples));
    (entries[id] ??= {})[lang] = { file: `${lang}/${id}.wav`, samples: samples.length, seconds: Number((samples.length / RATE).toFixed(3)) };
  }
}
try {
  await Promise.all(Array.from({ length: jobs }, worker));
} catch (err) {
  fs.rmSync(partial, { recursive: true, force: true });
  fail(err instanceof Error ? err.message : String(err));
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

const prompts = Object.fromEntries(ids.map((id) => [id, Object.fromEntries(langs.map((l) => [l, entries[id][l]]))]));
const manifest = { hash, espeakVersion, rate: RATE, langs, count: ids.length, prompts };
fs.writeFileSync(path.join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
fs.rmSync(outDir, { recursive: true, force: true });
fs.renameSync(partial, outDir);
console.log(`build-prompts: ${work.length} prompts (${langs.join(', ')}) in ${path.relative(process.cwd(), outDir) || '.'}, ${((performance.now() - started) / 1000).toFixed(1)} s`);

function upToDate() {
  let old;
  try {
    old = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  } catch {
    return false;
  }
  if (old.hash !== hash) return false;
  for (const id of ids) for (const l of langs) if (!fs.existsSync(path.join(outDir, l, `${id}.wav`))) return false;
  return true;
}

/** Speaks `text` with espeak-ng into `file` and returns it as 8 kHz samples, trimmed and levelled. */
async function speak(text, lang, file) {
  const v = VOICES[lang];
  // -b 1: the text is UTF-8; -z: no final sentence pause (trimmed anyway).
  await run('espeak-ng', ['-v', v.voice, '-s', String(v.speed), '-p', String(v.pitch), '-b', '1', '-z', '-w', file, text]);
  const { rate, samples } = readPcm16(fs.readFileSync(file));
  return resample(level(trim(samples, rate), rate), rate, RATE);
}

/** Mono 16-bit PCM from espeak-ng's WAV (chunk walk; the data runs to the end when its size is bogus). */
function readPcm16(buf) {
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') throw new Error('espeak-ng did not write a WAV file');
  let at = 12;
  let rate = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      const tag = buf.readUInt16LE(at + 8);
      const channels = buf.readUInt16LE(at + 10);
      const bits = buf.readUInt16LE(at + 22);
      if (tag !== 1 || channels !== 1 || bits !== 16) throw new Error(`unexpected espeak-ng output: tag ${tag}, ${channels} channels, ${bits} bits`);
      rate = buf.readUInt32LE(at + 12);
    } else if (id === 'data') {
      const end = Math.min(buf.length, at + 8 + size);
      const n = Math.floor((end - at - 8) / 2);
      const samples = new Float64Array(n);
      for (let i = 0; i < n; i++) samples[i] = buf.readInt16LE(at + 8 + 2 * i);
      if (!rate) throw new Error('espeak-ng WAV without fmt chunk');
      return { rate, samples };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error('espeak-ng WAV without data');
}

/** Cuts the silence before and after the speech, keeping MARGIN_MS, with short fades. */
function trim(samples, rate) {
  let peak = 0;
  for (const v of samples) peak = Math.max(peak, Math.abs(v));
  const threshold = Math.max(64, peak * 0.02);
  let first = 0;
  while (first < samples.length && Math.abs(samples[first]) < threshold) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]) < threshold) last--;
  if (first >= samples.length) return new Float64Array(0);
  const margin = Math.round((MARGIN_MS * rate) / 1000);
  const out = samples.slice(Math.max(0, first - margin), Math.min(samples.length, last + 1 + margin));
  const fade = Math.min(Math.round((FADE_MS * rate) / 1000), Math.floor(out.length / 2));
  for (let i = 0; i < fade; i++) {
    const g = i / fade;
    out[i] *= g;
    out[out.length - 1 - i] *= g;
  }
  return out;
}

/** Scales to PEAK. */
function level(samples) {
  let peak = 0;
  for (const v of samples) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) return samples;
  const g = PEAK / peak;
  return samples.map((v) => v * g);
}

/** 8 kHz mono 16-bit PCM WAV. */
function wav(samples) {
  const out = Buffer.alloc(44 + samples.length * 2);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + samples.length * 2, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(RATE, 24);
  out.writeUInt32LE(RATE * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], 44 + 2 * i);
  return out;
}
