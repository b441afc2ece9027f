import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readWav, sineTone } from '../media/index.ts';
import { isPromptId, type PromptId, type PromptLang } from './prompts.ts';

/**
 * The system prompts at run time: WAV files built by scripts/build-prompts.mjs
 * (`<dir>/<lang>/<id>.wav`, 8 kHz mono 16-bit, `<dir>/manifest.json`) loaded
 * by id and language, plus the pure functions that turn a phone number or a
 * count into prompt ids (docs/voice-prompts.md).
 *
 * A prompt that cannot be played never throws: a missing or unreadable French
 * prompt falls back to the English one, then to a short beep, and the
 * problem is reported once through `onProblem` (the caller logs it).
 */

// --- numbers as prompt ids (pure) ---

const digit = (d: string): PromptId => `digit.${d}` as PromptId;

/** Two digits as French speakers say them in a phone number: "34" trente-quatre, "06" zéro six. */
function frPair(p: string): PromptId[] {
  return p[0] === '0' ? ['digit.0', digit(p[1]!)] : [`num.${p}` as PromptId];
}

/** A run of digits, French style (see sayNumber). */
function frDigits(d: string): PromptId[] {
  if (d.length === 1) return [digit(d)];
  if (d.length === 2) return frPair(d);
  if (d.length === 3) return d[0] === '0' ? ['digit.0', ...frPair(d.slice(1))] : frHundreds(Number(d));
  const out: PromptId[] = [];
  let rest = d;
  if (d.length % 2 === 1) {
    out.push(digit(d[0]!));
    rest = d.slice(1);
  }
  for (let i = 0; i < rest.length; i += 2) out.push(...frPair(rest.slice(i, i + 2)));
  return out;
}

/** 100..999 in French words: "quatre cent un", "cent douze", "deux cents". */
function frHundreds(n: number): PromptId[] {
  const h = Math.floor(n / 100);
  const r = n % 100;
  const out: PromptId[] = h === 1 ? [] : [digit(String(h))];
  out.push('word.hundred');
  if (r > 0) out.push(...(r < 10 ? [digit(String(r))] : [`num.${r}` as PromptId]));
  return out;
}

function enHundreds(n: number): PromptId[] {
  const r = n % 100;
  const out: PromptId[] = [digit(String(Math.floor(n / 100))), 'word.hundred'];
  if (r > 0) out.push(...(r < 10 ? [digit(String(r))] : [`num.${r}` as PromptId]));
  return out;
}

function symbol(c: string): PromptId {
  return c === '*' ? 'word.star' : c === '#' ? 'word.hash' : c === '+' ? 'word.plus' : digit(c);
}

/**
 * The prompt ids that say a phone number (voice presentation, "message de").
 *
 * French, the way French speakers read numbers (by pairs):
 * - 10 digits "0612345678": zéro six, douze, trente-quatre, cinquante-six,
 *   soixante-dix-huit (a pair starting with 0 is "zéro" + digit: "01" zéro un);
 * - "+33612345678": plus, trente-trois, six, douze, trente-quatre, ...
 *   (other country codes: plus, then digit by digit, as the split of a
 *   foreign number is not known); "0033..." : zéro, zéro, then as "+33...";
 * - 3 digits (extensions, short numbers) in words: "401" quatre cent un,
 *   "112" cent douze, "015" zéro quinze;
 * - 1-2 digits as one word, any other even length by pairs, odd lengths a
 *   first digit then pairs ("12345": un, vingt-trois, quarante-cinq);
 * - `*` étoile, `#` dièse, each splitting the number ("*33*1").
 * English: digit by digit, "plus", "star", "hash".
 * Spaces, dots, dashes and parentheses are ignored; an empty number or
 * "anonymous" gives "numéro masqué", anything else not dialable "numéro inconnu".
 */
export function sayNumber(number: string, lang: PromptLang): PromptId[] {
  const s = number.replace(/[\s.\-()/]/g, '');
  if (s === '' || /^(anonymous|private|restricted|withheld|unavailable)$/i.test(s)) return ['pres.withheld'];
  if (!/^\+?[0-9*#]+$/.test(s)) return ['pres.unknown'];
  if (lang === 'en') return [...s].map(symbol);
  const out: PromptId[] = [];
  let rest = s;
  let international = false;
  if (rest.startsWith('+')) {
    out.push('word.plus');
    rest = rest.slice(1);
    international = true;
  } else if (/^00[1-9]\d{4,}$/.test(rest)) {
    out.push('digit.0', 'digit.0');
    rest = rest.slice(2);
    international = true;
  }
  if (international) {
    if (/^33\d+$/.test(rest)) {
      out.push('num.33', ...frDigits(rest.slice(2)));
      return out;
    }
    if (/^\d+$/.test(rest)) return [...out, ...[...rest].map(symbol)];
  }
  for (const token of rest.split(/([*#])/)) {
    if (token === '') continue;
    if (token === '*' || token === '#') out.push(symbol(token));
    else out.push(...frDigits(token));
  }
  return out;
}

/**
 * A count said as a number ("vous avez vingt et un nouveaux messages"):
 * 0..99 one prompt, 100..999 with "cent"/"hundred", larger digit by digit.
 */
export function sayCount(n: number, lang: PromptLang): PromptId[] {
  if (!Number.isInteger(n) || n < 0) return ['pres.unknown'];
  if (n < 10) return [digit(String(n))];
  if (n < 100) return [`num.${n}` as PromptId];
  if (n < 1000) return lang === 'fr' ? frHundreds(n) : enHundreds(n);
  return [...String(n)].map(digit);
}

/**
 * "Vous avez deux nouveaux messages et un message sauvegardé" with the
 * singular for one ("un nouveau message"); "Vous n'avez aucun message" for none.
 */
export function sayMessageSummary(fresh: number, saved: number, lang: PromptLang): PromptId[] {
  if (fresh <= 0 && saved <= 0) return ['vm.no-messages'];
  const out: PromptId[] = ['vm.you-have'];
  if (fresh > 0) out.push(...sayCount(fresh, lang), fresh === 1 ? 'vm.new-message' : 'vm.new-messages');
  if (fresh > 0 && saved > 0) out.push('vm.and');
  if (saved > 0) out.push(...sayCount(saved, lang), saved === 1 ? 'vm.saved-message' : 'vm.saved-messages');
  return out;
}

// --- the store ---

export interface PromptAudio {
  /** 8 kHz mono samples (the beep when nothing could be loaded). */
  samples: Int16Array;
  id: string;
  /** Language asked for. */
  lang: PromptLang;
  /** What is played: the prompt in the language asked, its English text, or a beep. */
  served: 'asked' | 'english' | 'beep';
  /** Why it is not the prompt asked for (absent when served is 'asked'). */
  problem?: string;
}

export interface PromptStoreOptions {
  /** Reads a file (default: fs/promises readFile); tests inject failures. */
  readFile?: (file: string) => Promise<Buffer>;
  /** Told once per id and language when a prompt falls back (the caller logs it). */
  onProblem?: (problem: { id: string; lang: PromptLang; served: 'english' | 'beep'; message: string }) => void;
  /** Keep loaded prompts in memory (default true: the whole catalogue is a few MB). */
  cache?: boolean;
}

/** 200 ms at 880 Hz, about -10 dBm0: what plays when a prompt is missing. */
export const MISSING_PROMPT_BEEP: Int16Array = sineTone(880, 200, Math.round(0.3 * 32767));

const SAFE_ID = /^[a-z0-9][a-z0-9.-]{0,63}$/;

export class PromptStore {
  private readonly read: (file: string) => Promise<Buffer>;
  private readonly cache = new Map<string, Promise<Int16Array | string>>();
  private readonly reported = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly options: PromptStoreOptions = {},
  ) {
    this.read = options.readFile ?? ((file) => readFile(file));
  }

  /** The prompt `id` in `lang`, with the fallbacks above. Never rejects. */
  async get(id: PromptId | string, lang: PromptLang): Promise<PromptAudio> {
    const asked = await this.load(id, lang);
    if (typeof asked !== 'string') return { samples: asked, id, lang, served: 'asked' };
    if (lang !== 'en') {
      const english = await this.load(id, 'en');
      if (typeof english !== 'string') return this.fallback(id, lang, 'english', english, asked);
      return this.fallback(id, lang, 'beep', MISSING_PROMPT_BEEP, `${asked}; ${english}`);
    }
    return this.fallback(id, lang, 'beep', MISSING_PROMPT_BEEP, asked);
  }

  /** Several prompts one after the other, with `gapMs` of silence between them (default 120 ms). */
  async say(ids: readonly (PromptId | string)[], lang: PromptLang, gapMs = 120): Promise<Int16Array> {
    const parts = await Promise.all(ids.map((id) => this.get(id, lang)));
    const gap = Math.round((gapMs * 8000) / 1000);
    const total = parts.reduce((n, p) => n + p.samples.length, 0) + gap * Math.max(0, parts.length - 1);
    const out = new Int16Array(total);
    let at = 0;
    for (const [i, p] of parts.entries()) {
      if (i > 0) at += gap;
      out.set(p.samples, at);
      at += p.samples.length;
    }
    return out;
  }

  /** A phone number, spoken (sayNumber). */
  sayNumber(number: string, lang: PromptLang): Promise<Int16Array> {
    return this.say(sayNumber(number, lang), lang);
  }

  /** Forgets loaded prompts (after a rebuild of the directory). */
  clear(): void {
    this.cache.clear();
    this.reported.clear();
  }

  private fallback(id: string, lang: PromptLang, served: 'english' | 'beep', samples: Int16Array, problem: string): PromptAudio {
    const key = `${lang}/${id}`;
    if (!this.reported.has(key)) {
      this.reported.add(key);
      this.options.onProblem?.({ id, lang, served, message: problem });
    }
    return { samples, id, lang, served, problem };
  }

  /** Samples, or why not (a message). */
  private load(id: string, lang: PromptLang): Promise<Int16Array | string> {
    const key = `${lang}/${id}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const p = this.loadUncached(id, lang);
    if (this.options.cache !== false) this.cache.set(key, p);
    return p;
  }

  private async loadUncached(id: string, lang: PromptLang): Promise<Int16Array | string> {
    if (!SAFE_ID.test(id)) return `invalid prompt id ${JSON.stringify(id)}`;
    const file = path.join(this.dir, lang, `${id}.wav`);
    let buf: Buffer;
    try {
      buf = await this.read(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const known = isPromptId(id) ? '' : ' (not in the catalogue)';
      return code === 'ENOENT' ? `prompt ${lang}/${id}${known} missing: ${file}` : `prompt ${lang}/${id} unreadable: ${(err as Error).message}`;
    }
    try {
      const { samples } = readWav(buf);
      if (samples.length === 0) return `prompt ${lang}/${id} is empty: ${file}`;
      return samples;
    } catch (err) {
      return `prompt ${lang}/${id} is not a playable WAV (${(err as Error).message}): ${file}`;
    }
  }
}

/**
 * Where the prompts are, first match wins: `PBXGATE_PROMPTS` (env), `prompts/`
 * beside the executable (the SEA and the board's rootfs), `out/prompts` under
 * the working directory (tsx runs from the repository). Null when none holds a
 * manifest.json.
 */
export function findPromptDir(
  execPath: string,
  cwd: string,
  env: Record<string, string | undefined> = {},
  exists: (file: string) => boolean = existsSync,
): string | null {
  const candidates = [env.PBXGATE_PROMPTS, path.join(path.dirname(execPath), 'prompts'), path.join(cwd, 'out', 'prompts')];
  for (const dir of candidates) if (dir && exists(path.join(dir, 'manifest.json'))) return dir;
  return null;
}
