/**
 * Issue 4's main verification with real softphones: two baresip 1.0
 * (Debian baresip-core) register to pbxgate over UDP on loopback; A calls
 * B's internal number through the B2BUA and its RTP relay; B answers on its
 * own (account parameter answermode=auto). Each plays a tone WAV as its microphone (aufile):
 * 1000 Hz from A, 440 Hz from B, so each direction is told apart. The
 * sndfile module records, on each side, the audio decoded from what arrived
 * (`dump-<time>-dec.wav`): B's must hold A's 1 kHz tone and A's B's 440 Hz
 * tone. DTMF keys pressed on A (cons module) go out as RFC 4733
 * telephone-events: pbxgate sees them on leg A and B receives them.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { isRegistered, pressKey, startBaresip, type Baresip } from '../support/sip-client.ts';
import { goertzelPower, sineTone, toneRatio } from '../../firmware/media/goertzel.ts';
import { readWav, writeWav } from '../../firmware/media/wav.ts';

const phones = makePhones(2); // 601, 602
const TONE_A = 1000; // Hz, A -> B
const TONE_B = 440; // Hz, B -> A
/** aufile 1.0 closes the call at the end of its file: longer than the whole call. */
const TONE_MS = 20_000;
const AUDIO_MS = 3000;
const DIGITS = '123#';
/** baresip's key release code (KEYCODE_REL): ends the DTMF event of the last key. */
const KEY_RELEASE = '\x04';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until `done` holds on its value, bounded; returns the last value. */
async function until<T>(probe: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!done(v) && Date.now() < deadline) {
    await sleep(stepMs);
    v = await probe();
  }
  return v;
}

/** The one recording of decoded received audio that sndfile wrote in dir, or undefined. */
function receivedRecording(dir: string): Int16Array | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('-dec.wav'));
  if (files.length !== 1) return undefined;
  try {
    return readWav(readFileSync(join(dir, files[0]!))).samples;
  } catch {
    return undefined; // not closed yet (header being written)
  }
}

/** How many 50 ms blocks carry `freq` as > 90 % of their energy, above -30 dBFS. */
function toneBlocks(samples: Int16Array, freq: number): number {
  const n = 400;
  const minPower = (32767 * 10 ** (-30 / 20)) ** 2 * 0.5 * n; // a sine at -30 dBFS over n samples
  let count = 0;
  for (let at = 0; at + n <= samples.length; at += n) {
    const p = goertzelPower(samples, at, n, freq);
    let e = 0;
    for (let i = at; i < at + n; i++) e += samples[i]! * samples[i]!;
    if (p >= minPower && p > 0.9 * e) count++;
  }
  return count;
}

const describe = (bs: Baresip): string => `events: ${bs.events.map((e) => `${e.type} ${e.param ?? ''}`).join(', ')}\noutput:\n${bs.output().slice(-3000)}`;

test('issue 4: baresip A calls baresip B by internal number; tones pass both ways through the relay, RFC 4733 DTMF reaches B (NUM-3, LOG-1)', async (t) => {
  const started = Date.now();
  const pbx: PbxProcess = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const dir = mkdtempSync(join(tmpdir(), 'calls-baresip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const toneA = join(dir, 'tone-a.wav');
  const toneB = join(dir, 'tone-b.wav');
  writeFileSync(toneA, writeWav(sineTone(TONE_A, TONE_MS, 8000)));
  writeFileSync(toneB, writeWav(sineTone(TONE_B, TONE_MS, 8000)));
  const recA = join(dir, 'rec-a');
  const recB = join(dir, 'rec-b');
  mkdirSync(recA);
  mkdirSync(recB);

  const consA = await freePort();
  const account = (i: number): string => `<sip:${phones[i]!.internalNumber}@127.0.0.1:${pbx.sipPort}>;auth_pass=${phones[i]!.sip.password};regint=60`;
  const a = await startBaresip({ account: account(0), audioSource: toneA, recordDir: recA, consPort: consA });
  t.teardown(() => a.stop());
  // Auto answer is an account parameter in baresip 1.0 (the global `answermode` line is ignored).
  const b = await startBaresip({ account: `${account(1)};answermode=auto`, audioSource: toneB, recordDir: recB });
  t.teardown(() => b.stop());

  const list = await until(
    () => pbx.command('phones'),
    (l) => isRegistered(l, '601') && isRegistered(l, '602'),
    10_000,
  );
  t.true(isRegistered(list, '601') && isRegistered(list, '602'), `${list}\nA ${describe(a)}\nB ${describe(b)}`);

  // A dials B's internal number; B answers by itself.
  const fromA = a.events.length;
  const fromB = b.events.length;
  await a.command('dial', `sip:602@127.0.0.1:${pbx.sipPort}`);
  try {
    await Promise.all([
      a.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, fromA),
      b.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000, fromB),
      a.waitEvent((e) => e.type === 'CALL_RTPESTAB', 10_000, fromA),
      b.waitEvent((e) => e.type === 'CALL_RTPESTAB', 10_000, fromB),
    ]);
  } catch (err) {
    t.fail(`${String(err)}\nA ${describe(a)}\nB ${describe(b)}\npbxgate:\n${pbx.stderr().slice(-3000)}`);
    return;
  }
  t.regex(await a.command('listcalls'), /602@127\.0\.0\.1/);
  t.regex(await b.command('listcalls'), /601@127\.0\.0\.1/);

  // Audio flows both ways for a while.
  await sleep(AUDIO_MS);
  const during = await pbx.command('calls');
  t.regex(during, /^c\d+ {2}601 -> 602 {2}answered {2}PCM[AU]$/m, during);
  const legs = [...during.matchAll(/leg ([ab]): rx (\d+) tx (\d+) lost (\d+)/g)].map((m) => ({ leg: m[1], rx: Number(m[2]), tx: Number(m[3]), lost: Number(m[4]) }));
  t.is(legs.length, 2, during);
  // 50 packets a second each way (20 ms ptime): at least 2 s worth relayed in each direction, none lost on loopback.
  for (const l of legs) {
    t.true(l.rx >= 100 && l.tx >= 100, during);
    t.is(l.lost, 0, during);
  }

  // DTMF: key presses on A's console, one per datagram; each key ends the previous digit's event, the release ends the last.
  for (const key of DIGITS) {
    await pressKey(consA, key);
    await sleep(250);
  }
  await pressKey(consA, KEY_RELEASE);
  const withDtmf = await until(
    () => pbx.command('calls'),
    (c) => /leg a: .* dtmf 123#$/m.test(c),
    3000,
  );
  // pbxgate decoded the RFC 4733 events of leg A (what A sends), none on leg B.
  t.regex(withDtmf, /^ {5}leg a: .* dtmf 123#$/m, `${withDtmf}\nA ${describe(a)}`);
  t.notRegex(withDtmf, /leg b: .* dtmf/);
  // ... and relayed them: B got each digit as a telephone-event, start and end.
  await until(
    () => b.events.slice(fromB).filter((e) => e.type === 'CALL_DTMF_END').length,
    (n) => n >= DIGITS.length,
    3000,
  );
  const bDtmf = b.events.slice(fromB).filter((e) => e.type.startsWith('CALL_DTMF_'));
  t.deepEqual(
    bDtmf.filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param),
    [...DIGITS],
    describe(b),
  );
  t.is(bDtmf.filter((e) => e.type === 'CALL_DTMF_END').length, DIGITS.length, describe(b));
  for (const d of DIGITS) t.true(b.output().includes(`received event: '${d}' (end=1)`), `digit ${d}\n${b.output().slice(-3000)}`);
  // A sent them as RFC 4733 (not SIP INFO): its audio stream says so.
  for (const d of DIGITS) t.true(a.output().includes(`audio: send DTMF digit: '${d}'`), a.output().slice(-3000));

  // A hangs up; both sides see the call end.
  await a.command('hangup');
  await Promise.all([
    a.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, fromA),
    b.waitEvent((e) => e.type === 'CALL_CLOSED', 5000, fromB),
  ]);

  // What each side received and decoded: B has A's 1 kHz tone, A has B's 440 Hz.
  const atB = await until(() => receivedRecording(recB), (s) => s !== undefined && s.length > 0, 3000);
  const atA = await until(() => receivedRecording(recA), (s) => s !== undefined && s.length > 0, 3000);
  if (!atB || !atA) {
    t.fail(`recordings: A ${readdirSync(recA).join(' ')}, B ${readdirSync(recB).join(' ')}`);
    return;
  }
  const report = (s: Int16Array): string =>
    `${(s.length / 8000).toFixed(2)} s, ratio ${TONE_A} Hz ${toneRatio(s, TONE_A).toFixed(4)}, ${TONE_B} Hz ${toneRatio(s, TONE_B).toFixed(4)}, blocks ${toneBlocks(s, TONE_A)}/${toneBlocks(s, TONE_B)}`;
  t.log(`B received: ${report(atB)}`);
  t.log(`A received: ${report(atA)}`);
  t.true(toneRatio(atB, TONE_A) > 0.9, report(atB));
  t.true(toneRatio(atB, TONE_B) < 0.01, report(atB)); // not B's own tone looped back
  t.true(toneRatio(atA, TONE_B) > 0.9, report(atA));
  t.true(toneRatio(atA, TONE_A) < 0.01, report(atA));
  // The tone lasts (not a few stray frames): at least 2.5 s of clean 50 ms blocks in each direction.
  t.true(toneBlocks(atB, TONE_A) >= 50, report(atB));
  t.true(toneBlocks(atA, TONE_B) >= 50, report(atA));

  // pbxgate: no call left, every RTP port back (after the port quarantine), the call journaled.
  t.is(await until(() => pbx.command('calls'), (c) => c === 'no calls in progress', 3000), 'no calls in progress');
  const sip = await until(
    async () => JSON.parse(await pbx.command('sip')) as { rtpPortsInUse: number; calls: number },
    (s) => s.rtpPortsInUse === 0,
    6000,
    250,
  );
  t.is(sip.rtpPortsInUse, 0);
  t.is(sip.calls, 0);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602 {2}\d+s/);
  t.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
