import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { readWav } from '../../firmware/media/wav.ts';
import { PROMPTS, PROMPT_IDS, PromptStore, sayNumber, type PromptId } from '../../firmware/voice/index.ts';

// Runs scripts/build-prompts.mjs (espeak-ng, Debian package) as `make build` would,
// into temporary directories. The pinned Node running the tests loads the
// catalogue and the resampler (.ts) itself.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'build-prompts.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-prompts-build-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function build(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [SCRIPT, ...args], { cwd: ROOT, timeout: 90_000 });
}

function rms(s: Int16Array): number {
  let e = 0;
  for (const v of s) e += v * v;
  return Math.sqrt(e / Math.max(1, s.length));
}

interface Manifest {
  hash: string;
  rate: number;
  langs: string[];
  count: number;
  prompts: Record<string, Record<string, { file: string; samples: number; seconds: number }>>;
}

test.serial('the whole catalogue builds into 8 kHz mono speech; a second run does nothing', async (t) => {
  const out = path.join(tmp, 'all');
  const first = await build('--out-dir', out);
  t.regex(first.stdout, new RegExp(`${PROMPT_IDS.length * 2} prompts \\(fr, en\\)`));
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  t.is(manifest.rate, 8000);
  t.is(manifest.count, PROMPT_IDS.length);
  t.deepEqual(Object.keys(manifest.prompts).sort(), [...PROMPT_IDS].sort());

  for (const [id, lang, min, max] of [
    ['digit.0', 'fr', 0.2, 1.2],
    ['digit.7', 'en', 0.2, 1.2],
    ['num.34', 'fr', 0.3, 1.5],
    ['pres.caller-number', 'fr', 0.5, 2.5],
    ['vm.greeting.default', 'fr', 2.5, 7],
    ['vm.greeting.default', 'en', 2.5, 7],
    ['vm.menu', 'fr', 6, 16],
  ] as const) {
    const file = fs.readFileSync(path.join(out, lang, `${id}.wav`));
    t.is(file.readUInt16LE(20), 1, 'PCM');
    t.is(file.readUInt16LE(22), 1, 'mono');
    t.is(file.readUInt32LE(24), 8000, '8 kHz');
    t.is(file.readUInt16LE(34), 16, '16-bit');
    const { samples } = readWav(file);
    const seconds = samples.length / 8000;
    t.true(seconds >= min && seconds <= max, `${lang}/${id}: ${seconds} s`);
    t.true(rms(samples) > 1000, `${lang}/${id} is not silent (rms ${rms(samples)})`);
    t.is(manifest.prompts[id]![lang]!.samples, samples.length);
  }
  // Every prompt: a duration in line with its text (espeak-ng at 150 words per minute).
  for (const id of PROMPT_IDS) {
    for (const lang of ['fr', 'en'] as const) {
      const { seconds } = manifest.prompts[id]![lang]!;
      const chars = PROMPTS[id][lang].length;
      t.true(seconds > 0.1 && seconds < 0.5 + chars * 0.15, `${lang}/${id}: ${seconds} s for ${chars} characters`);
    }
  }

  const mtime = fs.statSync(path.join(out, 'fr', 'vm.menu.wav')).mtimeMs;
  const started = Date.now();
  const second = await build('--out-dir', out);
  t.regex(second.stdout, /up to date/);
  t.true(Date.now() - started < 5000);
  t.is(fs.statSync(path.join(out, 'fr', 'vm.menu.wav')).mtimeMs, mtime);

  // The runtime store reads what the build wrote.
  const store = new PromptStore(out);
  const said = sayNumber('0612345678', 'fr');
  const served = await Promise.all(said.map((id) => store.get(id, 'fr')));
  t.true(served.every((p) => p.served === 'asked'));
  const number = await store.sayNumber('0612345678', 'fr');
  t.true(number.length / 8000 > 2 && number.length / 8000 < 8, `${number.length / 8000} s`);
});

test.serial('a changed selection rebuilds; a deleted file rebuilds; an unknown id fails', async (t) => {
  const out = path.join(tmp, 'some');
  await build('--out-dir', out, '--ids', 'digit.1,num.34');
  t.true(fs.existsSync(path.join(out, 'fr', 'num.34.wav')));
  t.regex((await build('--out-dir', out, '--ids', 'digit.1,num.34')).stdout, /up to date/);
  const changed = await build('--out-dir', out, '--ids', 'digit.1,num.35', '--langs', 'fr');
  t.notRegex(changed.stdout, /up to date/);
  t.false(fs.existsSync(path.join(out, 'fr', 'num.34.wav')), 'the old directory was replaced');
  t.false(fs.existsSync(path.join(out, 'en')));
  t.true(fs.existsSync(path.join(out, 'fr', 'num.35.wav')));
  fs.rmSync(path.join(out, 'fr', 'digit.1.wav'));
  t.notRegex((await build('--out-dir', out, '--ids', 'digit.1,num.35', '--langs', 'fr')).stdout, /up to date/);
  t.true(fs.existsSync(path.join(out, 'fr', 'digit.1.wav')));
  const err = await t.throwsAsync(build('--out-dir', out, '--ids', 'no.such' as PromptId));
  t.regex(String((err as { stderr?: string }).stderr), /unknown prompt id no\.such/);
});
