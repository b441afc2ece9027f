import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { sineTone } from '../../../firmware/media/goertzel.ts';
import { writeWav } from '../../../firmware/media/wav.ts';
import {
  MISSING_PROMPT_BEEP,
  PROMPTS,
  PROMPT_IDS,
  PromptStore,
  findPromptDir,
  isPromptId,
  sayCount,
  sayMessageSummary,
  sayNumber,
  type PromptLang,
} from '../../../firmware/voice/index.ts';

// --- the catalogue ---

test('every prompt has a French and an English text, trimmed, non-empty, without digits', (t) => {
  t.true(PROMPT_IDS.length > 150);
  for (const id of PROMPT_IDS) {
    t.regex(id, /^[a-z0-9][a-z0-9.-]*$/, id);
    for (const lang of ['fr', 'en'] as const) {
      const text = PROMPTS[id][lang];
      t.true(text.length > 0 && text === text.trim(), `${lang}/${id}`);
      // Digits would be read as espeak-ng pleases ("34" vs "3 4"): texts spell numbers out.
      t.notRegex(text, /[0-9]/, `${lang}/${id}: ${text}`);
    }
  }
});

test('the digits 0-9 and the numbers 10-99 (French pairs) are all there, spelt the French way', (t) => {
  for (let n = 0; n < 10; n++) t.true(isPromptId(`digit.${n}`));
  for (let n = 10; n < 100; n++) t.true(isPromptId(`num.${n}`), `num.${n}`);
  t.is(PROMPTS['num.71'].fr, 'soixante et onze');
  t.is(PROMPTS['num.80'].fr, 'quatre-vingts');
  t.is(PROMPTS['num.81'].fr, 'quatre-vingt-un');
  t.is(PROMPTS['num.99'].fr, 'quatre-vingt-dix-neuf');
  t.is(PROMPTS['num.21'].fr, 'vingt et un');
  t.is(PROMPTS['num.21'].en, 'twenty-one');
  t.is(PROMPTS['vm.greeting.default'].fr, "Votre correspondant n'est pas disponible. Laissez un message après le bip.");
});

test('every prompt id the voicemail menus play is in the catalogue', (t) => {
  const menus = path.join(import.meta.dirname, '../../../firmware/pbx/voicemail/menus.ts');
  if (!fs.existsSync(menus)) {
    t.pass('no voicemail menus yet');
    return;
  }
  const used = [...fs.readFileSync(menus, 'utf8').matchAll(/id: '((?:vm|feature|pres|ivr|call)\.[a-z0-9.-]+)'/g)].map((m) => m[1]!);
  t.true(used.length > 5);
  for (const id of used) t.true(isPromptId(id), id);
});

// --- numbers ---

const fr = (n: string) => sayNumber(n, 'fr');

test('French phone numbers are said by pairs: 06 12 34 56 78', (t) => {
  const expected = ['digit.0', 'digit.6', 'num.12', 'num.34', 'num.56', 'num.78'];
  t.deepEqual(fr('0612345678'), expected);
  t.deepEqual(fr('06 12 34 56 78'), expected);
  t.deepEqual(fr('06.12.34.56.78'), expected);
  t.deepEqual(fr('06-12-34-56-78'), expected);
  t.deepEqual(fr('0102030405'), ['digit.0', 'digit.1', 'digit.0', 'digit.2', 'digit.0', 'digit.3', 'digit.0', 'digit.4', 'digit.0', 'digit.5']);
  // 08 00 10 02 00: zéro huit, zéro zéro, dix, zéro deux, zéro zéro.
  t.deepEqual(fr('0800100200'), ['digit.0', 'digit.8', 'digit.0', 'digit.0', 'num.10', 'digit.0', 'digit.2', 'digit.0', 'digit.0']);
});

test('French international numbers: plus trente-trois, six, douze...', (t) => {
  t.deepEqual(fr('+33612345678'), ['word.plus', 'num.33', 'digit.6', 'num.12', 'num.34', 'num.56', 'num.78']);
  t.deepEqual(fr('+33 1 45 67 89 10'), ['word.plus', 'num.33', 'digit.1', 'num.45', 'num.67', 'num.89', 'num.10']);
  t.deepEqual(fr('0033612345678'), ['digit.0', 'digit.0', 'num.33', 'digit.6', 'num.12', 'num.34', 'num.56', 'num.78']);
  // Another country: its number plan is not known here, so digit by digit.
  t.deepEqual(fr('+442079'), ['word.plus', 'digit.4', 'digit.4', 'digit.2', 'digit.0', 'digit.7', 'digit.9']);
});

test('French short numbers: extensions in words (quatre cent un), one or two digits as one word', (t) => {
  t.deepEqual(fr('401'), ['digit.4', 'word.hundred', 'digit.1']);
  t.deepEqual(fr('112'), ['word.hundred', 'num.12']);
  t.deepEqual(fr('100'), ['word.hundred']);
  t.deepEqual(fr('200'), ['digit.2', 'word.hundred']);
  t.deepEqual(fr('999'), ['digit.9', 'word.hundred', 'num.99']);
  t.deepEqual(fr('015'), ['digit.0', 'num.15']);
  t.deepEqual(fr('15'), ['num.15']);
  t.deepEqual(fr('3'), ['digit.3']);
  t.deepEqual(fr('3615'), ['num.36', 'num.15']);
  t.deepEqual(fr('12345'), ['digit.1', 'num.23', 'num.45']);
  t.deepEqual(fr('*33*1'), ['word.star', 'num.33', 'word.star', 'digit.1']);
  t.deepEqual(fr('#65'), ['word.hash', 'num.65']);
});

test('withheld and unusable numbers', (t) => {
  t.deepEqual(fr(''), ['pres.withheld']);
  t.deepEqual(fr('anonymous'), ['pres.withheld']);
  t.deepEqual(sayNumber('Anonymous', 'en'), ['pres.withheld']);
  t.deepEqual(fr('alice'), ['pres.unknown']);
  t.deepEqual(fr('06+12'), ['pres.unknown']);
});

test('English numbers are said digit by digit', (t) => {
  t.deepEqual(sayNumber('0612', 'en'), ['digit.0', 'digit.6', 'digit.1', 'digit.2']);
  t.deepEqual(sayNumber('+33 1', 'en'), ['word.plus', 'digit.3', 'digit.3', 'digit.1']);
  t.deepEqual(sayNumber('*35#', 'en'), ['word.star', 'digit.3', 'digit.5', 'word.hash']);
});

test('property: any dialable string gives ids that are all in the catalogue', (t) => {
  fc.assert(
    fc.property(fc.stringMatching(/^\+?[0-9*# .-]{0,20}$/), fc.constantFrom<PromptLang>('fr', 'en'), (s, lang) => {
      const ids = sayNumber(s, lang);
      return ids.length > 0 && ids.every(isPromptId);
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.nat(100000), fc.constantFrom<PromptLang>('fr', 'en'), (n, lang) => sayCount(n, lang).every(isPromptId)));
  t.pass();
});

test('counts and the message summary (singular for one)', (t) => {
  t.deepEqual(sayCount(0, 'fr'), ['digit.0']);
  t.deepEqual(sayCount(21, 'fr'), ['num.21']);
  t.deepEqual(sayCount(101, 'fr'), ['word.hundred', 'digit.1']);
  t.deepEqual(sayCount(345, 'en'), ['digit.3', 'word.hundred', 'num.45']);
  t.deepEqual(sayCount(1234, 'fr'), ['digit.1', 'digit.2', 'digit.3', 'digit.4']);
  t.deepEqual(sayCount(-1, 'fr'), ['pres.unknown']);
  t.deepEqual(sayMessageSummary(0, 0, 'fr'), ['vm.no-messages']);
  t.deepEqual(sayMessageSummary(1, 0, 'fr'), ['vm.you-have', 'digit.1', 'vm.new-message']);
  t.deepEqual(sayMessageSummary(2, 3, 'fr'), ['vm.you-have', 'digit.2', 'vm.new-messages', 'vm.and', 'digit.3', 'vm.saved-messages']);
  t.deepEqual(sayMessageSummary(0, 1, 'en'), ['vm.you-have', 'digit.1', 'vm.saved-message']);
});

// --- the store ---

function promptDir(files: Record<string, Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbx-prompts-'));
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), body);
  }
  return dir;
}

const toneFr = sineTone(500, 300);
const toneEn = sineTone(700, 300);

test('loads a prompt by id and language, caches it', async (t) => {
  let reads = 0;
  const dir = promptDir({ 'fr/vm.goodbye.wav': writeWav(toneFr), 'en/vm.goodbye.wav': writeWav(toneEn) });
  const store = new PromptStore(dir, { readFile: async (f) => (reads++, fs.readFileSync(f)) });
  const a = await store.get('vm.goodbye', 'fr');
  t.is(a.served, 'asked');
  t.deepEqual(a.samples, toneFr);
  t.deepEqual((await store.get('vm.goodbye', 'en')).samples, toneEn);
  await store.get('vm.goodbye', 'fr');
  t.is(reads, 2);
  fs.rmSync(dir, { recursive: true });
});

test('a missing French prompt falls back to English, then to a beep; reported once, never thrown', async (t) => {
  const dir = promptDir({ 'en/vm.goodbye.wav': writeWav(toneEn), 'fr/vm.welcome.wav': Buffer.from('not a wav') });
  const problems: string[] = [];
  const store = new PromptStore(dir, { onProblem: (p) => problems.push(`${p.lang}/${p.id}->${p.served}: ${p.message}`) });
  const english = await store.get('vm.goodbye', 'fr');
  t.is(english.served, 'english');
  t.deepEqual(english.samples, toneEn);
  t.regex(english.problem!, /prompt fr\/vm\.goodbye missing/);
  await store.get('vm.goodbye', 'fr');
  t.is(problems.length, 1);
  const beep = await store.get('vm.welcome', 'fr');
  t.is(beep.served, 'beep');
  t.is(beep.samples, MISSING_PROMPT_BEEP);
  t.regex(beep.problem!, /fr\/vm\.welcome is not a playable WAV/);
  t.regex(beep.problem!, /en\/vm\.welcome missing/);
  t.is((await store.get('vm.welcome', 'en')).served, 'beep');
  t.is((await store.get('no.such-prompt', 'en')).problem, `prompt en/no.such-prompt (not in the catalogue) missing: ${path.join(dir, 'en', 'no.such-prompt.wav')}`);
  t.is(problems.length, 4); // fr/vm.goodbye, fr/vm.welcome, en/vm.welcome, en/no.such-prompt
  fs.rmSync(dir, { recursive: true });
});

test('ids that are not plain names are never turned into paths; read errors are reported', async (t) => {
  const tried: string[] = [];
  const store = new PromptStore('/nowhere', {
    readFile: async (f) => {
      tried.push(f);
      throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
    },
  });
  const evil = await store.get('../../etc/passwd', 'en');
  t.is(evil.served, 'beep');
  t.regex(evil.problem!, /invalid prompt id/);
  t.deepEqual(tried, []);
  const denied = await store.get('vm.goodbye', 'en');
  t.regex(denied.problem!, /unreadable: permission denied/);
});

test('say() joins prompts with a gap; sayNumber speaks a number', async (t) => {
  const one = sineTone(400, 100);
  const files: Record<string, Buffer> = {};
  for (const id of ['digit.0', 'digit.6', 'num.12', 'num.34', 'num.56', 'num.78']) files[`fr/${id}.wav`] = writeWav(one);
  const dir = promptDir(files);
  const store = new PromptStore(dir);
  const s = await store.say(['digit.0', 'digit.6'], 'fr', 50);
  t.is(s.length, 800 + 800 + 400);
  t.deepEqual(s.subarray(1200), one);
  const n = await store.sayNumber('06 12 34 56 78', 'fr');
  t.is(n.length, 6 * 800 + 5 * 960);
  fs.rmSync(dir, { recursive: true });
});

test('findPromptDir: env, then beside the executable, then out/prompts', (t) => {
  const have = new Set(['/opt/pbx/prompts/manifest.json', '/repo/out/prompts/manifest.json', '/custom/manifest.json']);
  const exists = (f: string) => have.has(f);
  t.is(findPromptDir('/opt/pbx/pbxgate', '/repo', {}, exists), '/opt/pbx/prompts');
  t.is(findPromptDir('/usr/bin/node', '/repo', {}, exists), '/repo/out/prompts');
  t.is(findPromptDir('/usr/bin/node', '/repo', { PBXGATE_PROMPTS: '/custom' }, exists), '/custom');
  t.is(findPromptDir('/usr/bin/node', '/elsewhere', {}, exists), null);
});
