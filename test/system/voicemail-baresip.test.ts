/**
 * Issue 7, VOX-1 / NUM-7 with real softphones (baresip 1.0, Debian
 * baresip-core) over loopback. 602 forwards every call to its voicemail
 * (FWD-1). A (601) calls 602 playing a 700 Hz tone WAV as its microphone
 * (aufile): not 1 kHz, so it is told apart from the beep. A records what it
 * hears (sndfile, `dump-<time>-dec.wav`): the spoken greeting, then the
 * 1 kHz beep. pbxgate sends A nothing while it records (no player on the
 * leg), so A's recording stops after the beep: the test reads it while it
 * grows (the WAV header's sizes are written at close) to find the beep, and
 * hangs up MESSAGE_MS after its end. The stored message must last that long
 * (± 1 s) and be the 700 Hz tone. Then B (602, recording too) dials 888 and
 * listens without pressing a key: welcome, "vous avez un nouveau message",
 * "message de six cent un", the message: B's recording must hold speech,
 * then the 700 Hz tone for the message's length, then speech again (the
 * menu). Each recording is analysed with Goertzel over 100 ms blocks, with
 * thresholds relative to the recording's own quiet blocks.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones, logMatching, type PbxProcess } from '../support/pbx-process.ts';
import { isRegistered, startBaresip, type Baresip } from '../support/sip-client.ts';
import { goertzelPower, sineTone, toneRatio } from '../../firmware/media/goertzel.ts';
import { readWav, writeWav } from '../../firmware/media/wav.ts';

const phones = makePhones(2); // 601, 602
const [, p602] = phones as [(typeof phones)[0], (typeof phones)[0]];
const TONE = 700; // Hz, A's "voice"
const BEEP = 1000; // Hz, the voicemail's beep (docs/voicemail.md)
const RATE = 8000;
const BLOCK = RATE / 10; // 100 ms
/** aufile 1.0 closes the call at the end of its file: longer than each call. */
const SOURCE_MS = 40_000;
/** How long A speaks after the beep before hanging up. */
const MESSAGE_MS = 3000;
/** The greeting and the beep must be over within this long after the PBX answers (greeting ~4.1 s). */
const BEEP_WITHIN_MS = 12_000;
/** 888: welcome, count, "message de six cent un" take about 6.2 s; the message starts within this long. */
const INTRO_MAX_MS = 9000;
/** B keeps listening this long after the message should have ended (the menu starts). */
const AFTER_MESSAGE_MS = 1500;
/** Away from the tone, the beep and the hold-music notes: the recording's background. */
const NOISE_HZ = [1150, 1300, 1500, 1700, 1900];
/** Power of a sine at `dbfs` over one block (goertzelPower's scale). */
const sinePower = (dbfs: number): number => (32767 * 10 ** (dbfs / 20)) ** 2 * 0.5 * BLOCK;
const dbfs = (power: number): string => (power > 0 ? (10 * Math.log10(power / sinePower(0))).toFixed(1) : '-inf');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!done(v) && Date.now() < deadline) {
    await sleep(stepMs);
    v = await probe();
  }
  return v;
}

/**
 * The samples of the one `-dec.wav` sndfile is writing (or wrote) in dir,
 * read leniently: while the call lasts the header's sizes are not written
 * yet, so everything after the `data` chunk header is taken (16-bit mono
 * 8 kHz: what baresip decodes G.711 to). Undefined when there is none yet.
 */
function recordingSoFar(dir: string): Int16Array | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('-dec.wav'));
  if (files.length !== 1) return undefined;
  const buf = readFileSync(join(dir, files[0]!));
  const data = buf.indexOf('data', 12, 'latin1');
  if (data < 0 || data > 200) return undefined;
  const body = buf.subarray(data + 8);
  const n = Math.floor(body.length / 2);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = body.readInt16LE(i * 2);
  return out;
}

/** The closed recording (header complete), or undefined. */
function finishedRecording(dir: string): Int16Array | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('-dec.wav'));
  if (files.length !== 1) return undefined;
  try {
    const s = readWav(readFileSync(join(dir, files[0]!))).samples;
    return s.length > 0 ? s : undefined;
  } catch {
    return undefined;
  }
}

interface Block {
  /** Start, in seconds from the start of the recording. */
  s: number;
  energy: number;
  tone: number;
  beep: number;
  noise: number;
}

function blocks(samples: Int16Array): Block[] {
  const out: Block[] = [];
  for (let at = 0; at + BLOCK <= samples.length; at += BLOCK) {
    let energy = 0;
    for (let i = at; i < at + BLOCK; i++) energy += samples[i]! * samples[i]!;
    const noise = NOISE_HZ.reduce((sum, f) => sum + goertzelPower(samples, at, BLOCK, f), 0) / NOISE_HZ.length;
    out.push({ s: at / RATE, energy, tone: goertzelPower(samples, at, BLOCK, TONE), beep: goertzelPower(samples, at, BLOCK, BEEP), noise });
  }
  return out;
}

/** A pure tone at `power`: > 90 % of the block's energy, above -30 dBFS. */
const pure = (power: number, b: Block): boolean => power >= sinePower(-30) && power > 0.9 * b.energy;
const isTone = (b: Block): boolean => pure(b.tone, b);
/**
 * The tone with a flaw: more than half the block's energy. Under load a late
 * packet is recorded as 20 ms of silence (the relay's recorder runs on the
 * PBX's media clock), which leaves 60-80 % of the block at the tone.
 */
const hasTone = (b: Block): boolean => b.tone >= sinePower(-30) && b.tone > 0.5 * b.energy;
const isBeep = (b: Block): boolean => pure(b.beep, b);

/**
 * The recording's noise floor: its quietest block (the gaps between phrases,
 * G.711 idle), at least -70 dBFS.
 */
function quietLevel(bs: Block[]): number {
  return Math.max(Math.min(...bs.map((b) => b.energy)), sinePower(-70));
}

/** Speech: a block 30 dB above the noise floor and above -45 dBFS, carried by neither the tone nor the beep. */
const isSpeech = (b: Block, quiet: number): boolean => b.energy > 1000 * quiet && b.energy > sinePower(-45) && !hasTone(b) && !isBeep(b);

/** The first run of at least `min` consecutive blocks passing `pred`: [first, last] indices. */
function firstRun(bs: Block[], pred: (b: Block) => boolean, min: number, from = 0): [number, number] | undefined {
  for (let i = from; i < bs.length; i++) {
    if (!pred(bs[i]!)) continue;
    let j = i;
    while (j + 1 < bs.length && pred(bs[j + 1]!)) j++;
    if (j - i + 1 >= min) return [i, j];
    i = j;
  }
  return undefined;
}

const timeline = (bs: Block[], quiet: number): string =>
  bs.map((b) => (isTone(b) ? 'T' : hasTone(b) ? 't' : isBeep(b) ? 'B' : isSpeech(b, quiet) ? 's' : b.energy > 10 * quiet ? ',' : '.')).join('');

/** The time of a pino log line (`"time":"<ISO>"`) whose msg is `msg` and that matches `also`. */
function logTime(log: string, msg: string, also: RegExp = /./): number | undefined {
  const line = log.split('\n').find((l) => l.includes(`"msg":"${msg}"`) && also.test(l));
  const time = line ? /"time":"([^"]+)"/.exec(line)?.[1] : undefined;
  return time ? Date.parse(time) : undefined;
}

const describe = (bs: Baresip): string => `events: ${bs.events.map((e) => `${e.type} ${e.param ?? ''}`).join(', ')}\noutput:\n${bs.output().slice(-3000)}`;

test('VOX-1, NUM-7: baresip 601 calls 602 (forwarded to voicemail): greeting, beep, a 700 Hz message of the right length is stored; 602 dials 888 and hears it after the spoken intro', async (t) => {
  const started = Date.now();
  const pbx: PbxProcess = await startPbx({
    phones,
    patch: (c) => {
      c.phones = structuredClone(c.phones);
      c.phones[1]!.forwards.unconditional = { enabled: true, destination: 'voicemail' };
    },
  });
  t.teardown(() => pbx.stop());
  const dir = mkdtempSync(join(tmpdir(), 'voicemail-baresip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tone = join(dir, 'tone-700.wav');
  writeFileSync(tone, writeWav(sineTone(TONE, SOURCE_MS, 8000)));
  const silence = join(dir, 'silence.wav'); // B's microphone
  writeFileSync(silence, writeWav(new Int16Array((SOURCE_MS / 1000) * RATE)));
  const recA = join(dir, 'rec-a');
  const recB = join(dir, 'rec-b');
  mkdirSync(recA);
  mkdirSync(recB);

  const account = (i: number): string => `<sip:${phones[i]!.internalNumber}@127.0.0.1:${pbx.sipPort}>;auth_pass=${phones[i]!.sip.password};regint=60`;
  const a = await startBaresip({ account: account(0), audioSource: tone, recordDir: recA });
  t.teardown(() => a.stop());
  const b = await startBaresip({ account: account(1), audioSource: silence, recordDir: recB });
  t.teardown(() => b.stop());
  const list = await until(
    () => pbx.command('phones'),
    (l) => isRegistered(l, '601') && isRegistered(l, '602'),
    10_000,
  );
  t.true(isRegistered(list, '601') && isRegistered(list, '602'), `${list}\nA ${describe(a)}\nB ${describe(b)}`);
  const failed = (err: unknown): void => {
    t.fail(`${String(err)}\nA ${describe(a)}\nB ${describe(b)}\npbxgate:\n${pbx.stderr().slice(-4000)}`);
  };

  // --- 601 leaves a message: 602 does not ring, its voicemail answers.
  const fromA = a.events.length;
  await a.command('dial', `sip:602@127.0.0.1:${pbx.sipPort}`);
  try {
    await Promise.all([a.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, fromA), a.waitEvent((e) => e.type === 'CALL_RTPESTAB', 10_000, fromA)]);
  } catch (err) {
    return failed(err);
  }
  const depositLog = await logMatching(pbx, /"msg":"voicemail answers".*"mode":"deposit"/, 3000);
  const answeredAt = logTime(depositLog, 'voicemail answers', /"mode":"deposit"/);
  if (answeredAt === undefined) return failed('no "voicemail answers" (deposit) in the log');
  t.false(b.events.some((e) => e.type === 'CALL_INCOMING'), '602 must not ring: it forwards every call to its voicemail');

  // A hears the greeting, then the beep: watch A's recording grow until it holds 300 ms of the beep. (It ends at
  // the beep's end: once the PBX stops sending, the last ~100 ms stay in baresip's jitter buffer, never decoded.)
  const beepEnded = (s: Int16Array | undefined): boolean => s !== undefined && firstRun(blocks(s), isBeep, 3) !== undefined;
  const heard = await until(() => recordingSoFar(recA), beepEnded, BEEP_WITHIN_MS - (Date.now() - answeredAt), 50);
  const seenAt = Date.now();
  if (!heard || !beepEnded(heard)) return failed(`no beep in A's recording within ${BEEP_WITHIN_MS} ms of the answer (${heard ? (heard.length / RATE).toFixed(2) : 'no'} s recorded)`);
  await sleep(MESSAGE_MS);
  const hangupAt = Date.now();
  await a.command('hangup');
  try {
    await a.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, fromA);
  } catch (err) {
    return failed(err);
  }
  await logMatching(pbx, /voicemail: message stored/, 5000);

  // A's recording: the spoken greeting from the start, then the 1 kHz beep (400 ms).
  const atA = await until(() => finishedRecording(recA), (s) => s !== undefined, 3000);
  if (!atA) return failed(`A's recording: ${readdirSync(recA).join(' ')}`);
  const bsA = blocks(atA);
  const quietA = quietLevel(bsA);
  const lineA = timeline(bsA, quietA);
  t.log(`A heard ${(atA.length / RATE).toFixed(2)} s (T ${TONE} Hz, B beep, s speech, , sound, . quiet): ${lineA}`);
  const beepRun = firstRun(bsA, isBeep, 3)!;
  const beepStart = bsA[beepRun[0]]!.s;
  const beepBlocks = beepRun[1] - beepRun[0] + 1;
  // 400 ms: 3 to 5 blocks of 100 ms (edges fall anywhere), 1 kHz only once.
  t.true(beepBlocks >= 3 && beepBlocks <= 5, `beep ${beepBlocks} blocks\n${lineA}`);
  t.is(bsA.filter(isBeep).length, beepBlocks, lineA);
  const greeting = bsA.filter((bl) => bl.s >= 0.2 && bl.s + 0.1 <= beepStart - 0.2);
  const speechA = greeting.filter((bl) => isSpeech(bl, quietA)).length;
  t.true(beepStart >= 2 && beepStart <= 8, `the beep starts ${beepStart.toFixed(1)} s into the call (greeting ~4 s)\n${lineA}`);
  t.true(speechA >= 0.5 * greeting.length, `greeting: ${speechA}/${greeting.length} blocks of speech, quiet ${dbfs(quietA)} dBFS\n${lineA}`);
  t.is(bsA.filter(hasTone).length, 0, `A never hears its own tone\n${lineA}`);

  // The message: A's recording started with the greeting (the PBX plays it as soon as it answers),
  // so the recording started about beepStart + 0.5 s (beep and its 100 ms of silence) after the answer.
  const recordStartAt = answeredAt + (beepStart + 0.5) * 1000;
  const expectedS = (hangupAt - recordStartAt) / 1000;
  t.log(`beep seen ${((seenAt - answeredAt) / 1000).toFixed(2)} s after the answer; message expected ${expectedS.toFixed(2)} s`);
  const listing = await pbx.command('voicemail 602');
  const m = /^602 {2}1 new, 0 saved\n {2}\S+ \S+ {2}from 601 {2}(\d+):(\d\d) {2}new$/.exec(listing);
  t.truthy(m, listing);
  if (m) t.true(Math.abs(Number(m[1]) * 60 + Number(m[2]) - expectedS) <= 1.5, `console ${m[1]}:${m[2]} vs ${expectedS.toFixed(2)} s (whole seconds)`);
  const box = join(pbx.dataDir, 'voicemail', p602.mac.replace(/:/g, ''));
  const files = readdirSync(box).filter((f) => f.endsWith('.wav'));
  t.is(files.length, 1, files.join(' '));
  if (files.length !== 1) return;
  t.regex(files[0]!, /^msg-\d+-601-\w+\.wav$/);
  const wav = readWav(readFileSync(join(box, files[0]!)));
  t.is(wav.sampleRate, 8000);
  const messageS = wav.samples.length / RATE;
  t.true(Math.abs(messageS - expectedS) <= 1, `message ${messageS.toFixed(2)} s, expected ${expectedS.toFixed(2)} s`);
  const bsM = blocks(wav.samples);
  const lineM = timeline(bsM, sinePower(-70));
  t.log(`message ${messageS.toFixed(2)} s: ${lineM}`);
  t.true(toneRatio(wav.samples, TONE) > 0.8, `${TONE} Hz ratio ${toneRatio(wav.samples, TONE).toFixed(3)}\n${lineM}`);
  t.true(bsM.filter(hasTone).length >= 0.9 * bsM.length, lineM);
  t.is(bsM.filter(isBeep).length, 0, `no beep in the message\n${lineM}`);

  // --- 602 dials 888 and listens, pressing nothing.
  const fromB = b.events.length;
  await b.command('dial', `sip:888@127.0.0.1:${pbx.sipPort}`);
  try {
    await Promise.all([b.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, fromB), b.waitEvent((e) => e.type === 'CALL_RTPESTAB', 10_000, fromB)]);
  } catch (err) {
    return failed(err);
  }
  const listenLog = await logMatching(pbx, /"msg":"voicemail answers".*"mode":"listen"/, 3000);
  const listenAt = logTime(listenLog, 'voicemail answers', /"mode":"listen"/);
  if (listenAt === undefined) return failed('no "voicemail answers" (listen) in the log');
  await sleep(INTRO_MAX_MS + messageS * 1000 + AFTER_MESSAGE_MS - (Date.now() - listenAt));
  await b.command('hangup');
  try {
    await b.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, fromB);
  } catch (err) {
    return failed(err);
  }
  const atB = await until(() => finishedRecording(recB), (s) => s !== undefined, 3000);
  if (!atB) return failed(`B's recording: ${readdirSync(recB).join(' ')}`);
  const bsB = blocks(atB);
  const quietB = quietLevel(bsB);
  const lineB = timeline(bsB, quietB);
  t.log(`B heard ${(atB.length / RATE).toFixed(2)} s: ${lineB}`);
  // The message: the 700 Hz tone, as long as the message, after the spoken intro.
  const first = bsB.findIndex(hasTone);
  const last = bsB.findLastIndex(hasTone);
  if (first < 0) return failed(`no ${TONE} Hz in B's recording\n${lineB}`);
  const toneStart = bsB[first]!.s;
  const toneS = (last - first + 1) / 10;
  const toneBlocks = bsB.slice(first, last + 1).filter(hasTone).length;
  t.log(`message heard from ${toneStart.toFixed(1)} s for ${toneS.toFixed(1)} s (${toneBlocks} tone blocks)`);
  t.true(toneStart >= 4 && toneStart <= INTRO_MAX_MS / 1000, `the message starts ${toneStart.toFixed(1)} s into 888 (intro ~6.2 s)\n${lineB}`);
  t.true(Math.abs(toneS - messageS) <= 0.5, `tone ${toneS.toFixed(1)} s, message ${messageS.toFixed(2)} s\n${lineB}`);
  t.true(toneBlocks >= 0.9 * (last - first + 1), `the tone throughout the message, once\n${lineB}`);
  // Before it, speech (welcome, "vous avez un nouveau message", "message de six cent un"), no beep.
  const intro = bsB.filter((bl) => bl.s >= 0.2 && bl.s + 0.1 <= toneStart - 0.2);
  const speechB = intro.filter((bl) => isSpeech(bl, quietB)).length;
  t.true(speechB >= 0.5 * intro.length, `intro: ${speechB}/${intro.length} blocks of speech, quiet ${dbfs(quietB)} dBFS\n${lineB}`);
  t.is(bsB.filter(isBeep).length, 0, lineB);
  // After it, the menu ("pour réécouter ce message tapez un...") until B hung up.
  const menu = bsB.filter((bl) => bl.s >= toneStart + toneS + 0.3);
  t.true(menu.length >= 5 && menu.filter((bl) => isSpeech(bl, quietB)).length >= 0.4 * menu.length, `menu\n${lineB}`);

  // --- Nothing left; the deposit journaled as missed; the message is still new.
  t.is(await until(() => pbx.command('calls'), (c) => c === 'no calls in progress', 3000), 'no calls in progress');
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed/);
  t.regex(await pbx.command('voicemail 602'), /^602 {2}1 new, 0 saved/);
  const log = pbx.stderr().split('\n');
  t.deepEqual(log.filter((l) => /"level":[56]0/.test(l)), [], 'no error in the PBX log');
  const warnings = log.filter((l) => /"level":40/.test(l));
  if (warnings.length > 0) t.log(`PBX warnings:\n${warnings.join('\n').slice(0, 2000)}`);
  t.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
