/**
 * VOX-2 (issue 7, "Hold"): music on hold with real softphones. Two baresip
 * 1.0 register to pbxgate; A (601) calls B (602, auto answer, recording what
 * it receives with sndfile). A plays a 1 kHz tone WAV as its microphone, so
 * B first records A's tone. A then puts the call on hold (baresip's `hold`
 * command over ctrl_tcp: a re-INVITE with a=sendonly, relayed to B, who
 * answers recvonly): B must hear pbxgate's built-in hold music instead
 * (defaultHoldMusic: 500 ms notes of C, Am, F and G chords). A resumes
 * (`resume`: re-INVITE a=sendrecv): the music stops, B hears the 1 kHz tone
 * again. B's recordings are placed on the wall clock and cut in windows with
 * margins around each switch; each window is analysed with Goertzel over
 * 100 ms blocks.
 *
 * baresip 1.0 quirk (audio_decoder_set): an SDP answer that is not sendrecv
 * flushes the receive filter chain, and aufilt_setup rebuilds it only when the
 * transmit chain is empty too, so sndfile's decode recording of B would stop
 * for good at the hold. Here the encode dump cannot be opened (a directory
 * already has its name, `dump-<local time>-enc.wav`, for every second of the
 * test), so B has no transmit filter and the chain is rebuilt: B writes one
 * `-dec.wav` up to the hold and a second one from the hold to the end.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones, logMatching, type PbxProcess } from '../support/pbx-process.ts';
import { isRegistered, startBaresip, type Baresip, type BaresipEvent } from '../support/sip-client.ts';
import { goertzelPower, sineTone } from '../../firmware/media/goertzel.ts';
import { readWav, writeWav } from '../../firmware/media/wav.ts';

const phones = makePhones(2); // 601, 602
const TONE_A = 1000; // Hz, A -> B
/** aufile 1.0 closes the call at the end of its file: longer than the whole call. */
const TONE_MS = 30_000;
const BEFORE_MS = 3000; // the tone flows before the hold
const HOLD_MS = 4500; // on hold
const AFTER_MS = 2500; // resumed, before hanging up
/** Not analysed around each switch (re-INVITE round trip, start of a recording, packets in flight). */
const MARGIN_MS = 800;
const RATE = 8000;
const BLOCK = RATE / 10; // 100 ms
/** The fundamentals of defaultHoldMusic() (firmware/media/tones.ts): C, Am, F, G chords. */
const NOTES = [174.61, 196, 220, 246.94, 261.63, 293.66, 329.63, 349.23, 392, 440, 523.25];
/** defaultHoldMusic()'s notes in playing order (one bar per chord, four notes of 500 ms each), looping. */
const MELODY = [261.63, 329.63, 392, 523.25, 220, 261.63, 329.63, 440, 174.61, 220, 261.63, 349.23, 196, 246.94, 293.66, 392];
/** Away from every note, its octave (the music's second harmonic, up to 1046.5 Hz) and the tone: the noise of a block. */
const NOISE_HZ = [1150, 1300, 1500, 1700, 1900];
/** Power of a sine at `dbfs` over one block (goertzelPower's scale). */
const sinePower = (dbfs: number): number => (32767 * 10 ** (dbfs / 20)) ** 2 * 0.5 * BLOCK;

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

/** sndfile's file name stamp for this instant (its `dump-%H`: local time to the second). */
function dumpStamp(at: number): string {
  const d = new Date(at);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/** The decoded received audio sndfile wrote in dir (`*-dec.wav`), in name (= time) order. */
function receivedRecordings(dir: string): Int16Array[] | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('-dec.wav'))
    .sort();
  try {
    return files.map((f) => readWav(readFileSync(join(dir, f))).samples);
  } catch {
    return undefined; // not closed yet (header being written)
  }
}

interface Block {
  /** Wall-clock time (ms) the block was received. */
  at: number;
  energy: number;
  /** Goertzel power at the tone. */
  tone: number;
  /** The strongest hold-music note and its power. */
  note: number;
  notePower: number;
  /** Mean Goertzel power at the NOISE_HZ frequencies. */
  noise: number;
}

function blocks(samples: Int16Array, startAt: number): Block[] {
  const out: Block[] = [];
  for (let at = 0; at + BLOCK <= samples.length; at += BLOCK) {
    let energy = 0;
    for (let i = at; i < at + BLOCK; i++) energy += samples[i]! * samples[i]!;
    let note = 0;
    let notePower = -1;
    for (const f of NOTES) {
      const p = goertzelPower(samples, at, BLOCK, f);
      if (p > notePower) {
        notePower = p;
        note = f;
      }
    }
    const noise = NOISE_HZ.reduce((s, f) => s + goertzelPower(samples, at, BLOCK, f), 0) / NOISE_HZ.length;
    out.push({ at: startAt + (at / RATE) * 1000, energy, tone: goertzelPower(samples, at, BLOCK, TONE_A), note, notePower, noise });
  }
  return out;
}

/** A's tone: 1 kHz carries > 90 % of the block, above -30 dBFS. */
const isTone = (b: Block): boolean => b.tone >= sinePower(-30) && b.tone > 0.9 * b.energy;
/** A hold-music note: one note carries most of the block, 30 dB above the block's own noise. */
const isNote = (b: Block): boolean => b.notePower > 0.5 * b.energy && b.notePower > 1000 * b.noise;

const dbfs = (power: number): string => (power > 0 ? (10 * Math.log10(power / sinePower(0))).toFixed(1) : '-inf');
const describe = (bs: Baresip): string => `events: ${bs.events.map((e) => `${e.type} ${e.param ?? ''}`).join(', ')}\noutput:\n${bs.output().slice(-3000)}`;

test('VOX-2: A puts B on hold (re-INVITE sendonly): B hears the hold music instead of A, and A again once resumed', async (t) => {
  const started = Date.now();
  const pbx: PbxProcess = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const dir = mkdtempSync(join(tmpdir(), 'hold-music-baresip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const toneA = join(dir, 'tone-a.wav');
  writeFileSync(toneA, writeWav(sineTone(TONE_A, TONE_MS, 8000)));
  const silence = join(dir, 'silence.wav'); // B's microphone (aufile ends the call at the end of its file)
  writeFileSync(silence, writeWav(new Int16Array((TONE_MS / 1000) * RATE)));
  const recB = join(dir, 'rec-b');
  mkdirSync(recB);
  // No encode dump at B (see the header): its names are taken, for the next 2 minutes (the test lasts < 40 s).
  for (let s = 0; s < 120; s++) mkdirSync(join(recB, `dump-${dumpStamp(started + s * 1000)}-enc.wav`), { recursive: true });

  const account = (i: number): string => `<sip:${phones[i]!.internalNumber}@127.0.0.1:${pbx.sipPort}>;auth_pass=${phones[i]!.sip.password};regint=60`;
  const a = await startBaresip({ account: account(0), audioSource: toneA });
  t.teardown(() => a.stop());
  const b = await startBaresip({ account: `${account(1)};answermode=auto`, audioSource: silence, recordDir: recB });
  t.teardown(() => b.stop());

  const list = await until(
    () => pbx.command('phones'),
    (l) => isRegistered(l, '601') && isRegistered(l, '602'),
    10_000,
  );
  t.true(isRegistered(list, '601') && isRegistered(list, '602'), `${list}\nA ${describe(a)}\nB ${describe(b)}`);

  const fromA = a.events.length;
  const fromB = b.events.length;
  await a.command('dial', `sip:602@127.0.0.1:${pbx.sipPort}`);
  let rtpAtB: BaresipEvent;
  try {
    [, , rtpAtB] = await Promise.all([
      a.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, fromA),
      b.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, fromB),
      b.waitEvent((e) => e.type === 'CALL_RTPESTAB', 10_000, fromB),
    ]);
  } catch (err) {
    t.fail(`${String(err)}\nA ${describe(a)}\nB ${describe(b)}\npbxgate:\n${pbx.stderr().slice(-3000)}`);
    return;
  }

  // A's tone reaches B for a while; then A holds: the re-INVITE reaches B (its second recording starts there).
  await sleep(BEFORE_MS);
  const holdAt = Date.now();
  const beforeHold = b.events.length;
  await a.command('hold');
  let holdAtB: BaresipEvent;
  try {
    holdAtB = await b.waitEvent((e) => e.type === 'CALL_REMOTE_SDP', 3000, beforeHold);
  } catch (err) {
    t.fail(`${String(err)}\nA ${describe(a)}\nB ${describe(b)}\npbxgate:\n${pbx.stderr().slice(-3000)}`);
    return;
  }
  const log = await logMatching(pbx, /"msg":"music on hold"/, 3000);
  const moh = log
    .split('\n')
    .filter((l) => l.includes('"msg":"music on hold"'))
    .map((l) => /"leg":"(\w+)"/.exec(l)?.[1]);
  // Once, for the held party: leg b (the callee) of the call.
  t.deepEqual(
    moh,
    ['b'],
    `A ${describe(a)}\nB ${describe(b)}\npbxgate:\n${log.slice(-3000)}`,
  );
  await sleep(HOLD_MS - (Date.now() - holdAt));
  const resumeAt = Date.now();
  await a.command('resume');
  await sleep(AFTER_MS);
  const hangupAt = Date.now();
  await a.command('hangup');
  try {
    await Promise.all([a.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, fromA), b.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, fromB)]);
  } catch (err) {
    t.fail(`${String(err)}\nA ${describe(a)}\nB ${describe(b)}\npbxgate:\n${pbx.stderr().slice(-3000)}`);
  }
  t.is(await until(() => pbx.command('calls'), (c) => c === 'no calls in progress', 3000), 'no calls in progress');

  // B's two recordings: up to the hold, then from the hold to the end.
  const recs = await until(() => receivedRecordings(recB), (s) => s !== undefined && s.length === 2 && s.every((r) => r.length > 0), 3000);
  if (!recs || recs.length !== 2) {
    t.fail(`recordings at B: ${readdirSync(recB).filter((f) => f.endsWith('-dec.wav')).join(' ')} (want 2 -dec.wav)\nB ${describe(b)}`);
    return;
  }
  const [first, second] = recs as [Int16Array, Int16Array];
  t.log(
    `B recorded ${(first.length / RATE).toFixed(2)} s + ${(second.length / RATE).toFixed(2)} s; ` +
      `wall clock ${((holdAtB.at - rtpAtB.at) / 1000).toFixed(2)} s + ${((hangupAt - holdAtB.at) / 1000).toFixed(2)} s`,
  );
  const all = [...blocks(first, rtpAtB.at), ...blocks(second, holdAtB.at)];
  const window = (from: number, to: number): Block[] => all.filter((bl) => bl.at >= from && bl.at + 100 <= to);
  const before = window(rtpAtB.at + MARGIN_MS, holdAt - MARGIN_MS / 2);
  const hold = window(holdAt + MARGIN_MS, resumeAt - MARGIN_MS / 2);
  const after = window(resumeAt + MARGIN_MS, hangupAt - MARGIN_MS / 2);
  const timeline = (bs: Block[]): string => bs.map((bl) => (isTone(bl) ? 'T' : isNote(bl) ? 'm' : '.')).join('');
  const context =
    `100 ms blocks (T tone, m music note, . other): ${timeline(blocks(first, 0))} | ${timeline(blocks(second, 0))}\n` +
    `windows: before ${before.length}, hold ${hold.length}, after ${after.length} blocks`;
  t.log(context);
  t.true(before.length >= 15 && hold.length >= 25 && after.length >= 10, context);

  // Before and after: A's 1 kHz tone, in (almost) every block.
  t.true(before.filter(isTone).length >= before.length - 1, `before the hold\n${context}`);
  t.true(after.filter(isTone).length >= after.length - 1, `after the resume\n${context}`);

  // During the hold: no trace of A's tone...
  t.is(hold.filter(isTone).length, 0, `hold\n${context}`);
  t.true(
    hold.every((bl) => bl.tone <= 0.01 * bl.energy + sinePower(-70)),
    `1 kHz during the hold: ${hold.map((bl) => `${dbfs(bl.tone)}/${dbfs(bl.energy)}`).join(' ')}`,
  );
  // ... but the music: each 500 ms note dominates its blocks (it decays as exp(-3t/500 ms), still far above the noise).
  const notes = hold.filter(isNote);
  const heard = [...new Set(notes.map((bl) => bl.note))].sort((x, y) => x - y);
  const detail = `notes heard ${heard.join(', ')} Hz; blocks (note@power/energy/noise dBFS): ${hold.map((bl) => `${bl.note}@${dbfs(bl.notePower)}/${dbfs(bl.energy)}/${dbfs(bl.noise)}`).join(' ')}`;
  t.log(`hold: ${notes.length}/${hold.length} blocks carry a note; ${detail.slice(0, 200)}`);
  t.true(notes.length >= 0.8 * hold.length, detail);
  // A melody, not one tone: the window spans 6 or 7 notes, at least 4 different ones.
  t.true(heard.length >= 4, detail);
  // The PBX's melody, in order: successive notes heard follow each other in defaultHoldMusic() (looping).
  const runs = notes.map((bl) => bl.note).filter((n, i, all) => i === 0 || n !== all[i - 1]);
  const inMelody = MELODY.some((_, start) => runs.every((n, i) => MELODY[(start + i) % MELODY.length] === n));
  t.log(`notes in order: ${runs.join(' ')}`);
  t.true(inMelody, `notes in order: ${runs.join(' ')}\n${detail}`);
  // Heard at a normal level: the music's notes start near -19 dBFS.
  const loudest = Math.max(...hold.map((bl) => bl.notePower));
  t.true(loudest > sinePower(-30), `loudest note ${dbfs(loudest)} dBFS\n${detail}`);

  // Nothing left behind.
  const sip = await until(
    async () => JSON.parse(await pbx.command('sip')) as { rtpPortsInUse: number; calls: number },
    (s) => s.rtpPortsInUse === 0,
    6000,
    250,
  );
  t.is(sip.calls, 0);
  t.is(sip.rtpPortsInUse, 0);
  t.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
