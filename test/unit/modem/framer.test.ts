import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { LineFramer, MAX_LINE } from '../../../firmware/modem/index.ts';
import { ROOT } from '../../helpers/tmp.ts';

// Issue 8 §2a: the framer survives split, doubled and garbage chunks, overlong lines, NUL, bare CR or LF.

const feed = (f: LineFramer, ...chunks: Array<string | Buffer>): string[] => chunks.flatMap((c) => f.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c));

/** Decodes the fixture's chunk lines (\r, \n, \xHH escapes). */
function fixtureChunks(name: string): Buffer[] {
  const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/modem', name), 'utf8');
  const body = text.slice(text.indexOf('---\n') + 4);
  return body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Buffer.from(l.replace(/\\r/g, '\r').replace(/\\n/g, '\n').replace(/\\x([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1'));
}

test('issue 8 §2a: CR LF, bare CR, bare LF and LF CR all end a line; empty lines vanish', (t) => {
  const f = new LineFramer();
  t.deepEqual(feed(f, 'OK\r\nERROR\r+CRC: 1\n\n\r+READY\n\r'), ['OK', 'ERROR', '+CRC: 1', '+READY']);
  t.is(f.pending(), 0);
});

test('issue 8 §2a: a line split across chunks, byte by byte, comes out once', (t) => {
  const f = new LineFramer();
  const bytes = [...'+DSL: showtime,1,2,3,4,5\r\nOK\r\n'];
  const out = bytes.flatMap((b) => feed(f, b));
  t.deepEqual(out, ['+DSL: showtime,1,2,3,4,5', 'OK']);
});

test('issue 8 §2a: a doubled chunk gives the lines twice (the framer does not deduplicate) and stays in step', (t) => {
  const f = new LineFramer();
  const c = '+PLCJOIN: 00:0b:3b:11:22:33,200\r\n';
  t.deepEqual(feed(f, c, c, 'OK\r\n'), ['+PLCJOIN: 00:0b:3b:11:22:33,200', '+PLCJOIN: 00:0b:3b:11:22:33,200', 'OK']);
});

test('issue 8 §2a: NUL, 0xFF and control bytes are dropped and counted, the line around them survives', (t) => {
  const f = new LineFramer();
  t.deepEqual(feed(f, Buffer.from([0x00, 0x4f, 0x00, 0xff, 0x4b, 0x1b, 0x0d, 0x0a])), ['OK']);
  t.is(f.stats.garbageBytes, 4);
});

test('issue 8 §2a: an overlong line is discarded up to the next terminator, counted once, and the next line is intact', (t) => {
  const f = new LineFramer();
  const long = 'x'.repeat(MAX_LINE + 50);
  t.deepEqual(feed(f, long.slice(0, 100), long.slice(100), 'still the long line\r\nOK\r\n'), ['OK']);
  t.is(f.stats.overlong, 1);
  t.deepEqual(feed(f, `${'y'.repeat(MAX_LINE)}\r\n`), ['y'.repeat(MAX_LINE)], 'exactly MAX_LINE is allowed');
});

test('issue 8 §2a: reset() forgets a partial line (line reopened)', (t) => {
  const f = new LineFramer();
  t.deepEqual(feed(f, '+DSLST'), []);
  f.reset();
  t.deepEqual(feed(f, 'OK\r\n'), ['OK']);
});

test('issue 8 §2a: the noisy-session fixture frames into the expected lines', (t) => {
  const f = new LineFramer();
  const out = fixtureChunks('noisy-session.txt').flatMap((c) => f.push(c));
  t.deepEqual(out, [
    '+READY',
    '+DSLSTATE: handshake',
    '+DSLSTATE: training',
    '+DSL: training,0,0,0,215,0',
    '+DSLSTATE: showtime',
    'OK',
    '+BOGUS: 1',
    '+PLC: 00:0b:3b:11:22:33,200',
    '+PLCJOIN: 00:0B:3B:44:55:66,150',
    '+PLC: 00:0b:3b:44:55:66,150',
    'OK',
    '+CRC: 12',
    '+CME ERROR: 50',
  ]);
  t.is(f.stats.overlong, 1);
  t.is(f.stats.garbageBytes, 4);
});

test('issue 8 §2a property: any chunking of any byte stream gives the same lines as one chunk; lines are printable and bounded', (t) => {
  const lineArb = fc.oneof(
    fc.constantFrom('OK', 'ERROR', '+DSLSTATE: showtime', '+CRC: 7', '+PLC: 00:0b:3b:11:22:33,200'),
    fc.string({ maxLength: 300 }),
  );
  const streamArb = fc
    .tuple(fc.array(fc.tuple(lineArb, fc.constantFrom('\r\n', '\r', '\n', '\n\r')), { maxLength: 12 }), fc.uint8Array({ maxLength: 40 }))
    .map(([lines, noise]) => Buffer.concat([Buffer.from(noise), Buffer.from(lines.map(([l, e]) => l + e).join(''), 'latin1')]));
  fc.assert(
    fc.property(streamArb, fc.array(fc.nat({ max: 400 }), { maxLength: 10 }), (bytes, cuts) => {
      const whole = new LineFramer().push(bytes);
      const f = new LineFramer();
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces: string[] = [];
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        pieces.push(...f.push(bytes.subarray(prev, p)));
        prev = p;
      }
      t.deepEqual(pieces, whole);
      for (const l of whole) {
        t.true(l.length > 0 && l.length <= MAX_LINE);
        t.regex(l, /^[\x20-\x7e]+$/);
      }
    }),
    { numRuns: 300 },
  );
});
