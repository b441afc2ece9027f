/**
 * VOX-2 / VOX-3 through the real program: announcements replaced from the
 * console with files made by sox, checked from their content; a refused file
 * (wrong format, renamed, truncated) leaves the previous announcement in place.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones } from '../support/pbx-process.ts';
import { readWav } from '../../firmware/media/wav.ts';
import { encodeG729 } from '../../firmware/media/g729.ts';

const phones = makePhones(1, 1);

function sox(t: import('ava').ExecutionContext, dir: string, name: string, args: string[]): string {
  const out = join(dir, name);
  const r = spawnSync('sox', ['-n', ...args, out, 'synth', '2', 'sine', '440'], { encoding: 'utf8' });
  if (r.status !== 0) t.fail(`sox: ${r.stderr}`);
  return out;
}

test('VOX-3: a 16 kHz stereo WAV becomes the hold music (8 kHz on flash, referenced by the config); an MP3, a renamed PNG and a truncated WAV are refused with a clear message and change nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pbxgate-ann-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());

  const good = sox(t, dir, 'music.wav', ['-r', '16000', '-c', '2', '-b', '16']);
  const ok = await pbx.command(`announcement import hold-music ${good}`);
  t.regex(ok, /^hold-music replaced: WAV PCM 16-bit 16000 Hz stereo.*, 2 s, stored as hold-music\.wav$/, ok);
  t.regex(await pbx.command('config show announcements.holdMusic'), /hold-music\.wav/);
  const stored = readWav(readFileSync(join(pbx.dataDir, 'audio', 'hold-music.wav')));
  t.is(stored.sampleRate, 8000);
  t.is(stored.samples.length, 16000);

  // MPEG audio frame sync after an ID3 tag, named .wav: refused by content.
  const mp3 = join(dir, 'song.wav');
  writeFileSync(mp3, Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x10', 'latin1'), Buffer.alloc(16), Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(400)]));
  const png = join(dir, 'photo.wav');
  writeFileSync(png, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)]));
  const truncated = join(dir, 'cut.wav');
  writeFileSync(truncated, readFileSync(good).subarray(0, 30));
  for (const [file, re] of [
    [mp3, /MP3/i],
    [png, /PNG/i],
    [truncated, /truncat|too short|header/i],
  ] as const) {
    const refused = await pbx.command(`announcement import hold-music ${file}`);
    t.regex(refused, /^error E_MEDIA_FORMAT: /, refused);
    t.regex(refused, re, refused);
  }
  t.regex(await pbx.command('config show announcements.holdMusic'), /hold-music\.wav/, 'the previous music stays');
  t.is(readWav(readFileSync(join(pbx.dataDir, 'audio', 'hold-music.wav'))).samples.length, 16000);

  // VOX-3: a raw G.729 file (frames made by the bcg729 encoder) is decoded once, so G.711-only phones can hear it.
  const tone = Int16Array.from({ length: 8000 * 2 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const g729 = join(dir, 'music.g729');
  writeFileSync(g729, encodeG729(tone));
  t.regex(await pbx.command(`announcement import pre-answer ${g729}`), /^pre-answer replaced: .*G\.729.*, 2 s, stored as pre-answer\.wav$/i);
  t.is(readWav(readFileSync(join(pbx.dataDir, 'audio', 'pre-answer.wav'))).samples.length, 16000);

  // A voicemail greeting goes to its phone's record; an unknown phone is refused.
  const greet = sox(t, dir, 'greet.wav', ['-r', '8000', '-c', '1', '-e', 'a-law']);
  t.regex(await pbx.command(`announcement import greeting ${greet} ${phones[0]!.internalNumber}`), /^greeting replaced: .*stored as greeting-00085d000000\.wav$/);
  t.true(existsSync(join(pbx.dataDir, 'audio', 'greeting-00085d000000.wav')));
  t.regex(await pbx.command(`announcement import greeting ${greet} 699`), /^error E_BAD_ARGUMENTS: no phone 699/);
});
