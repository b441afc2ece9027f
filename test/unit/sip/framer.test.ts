import test from 'ava';
import { StreamFramer, getCallId, serialize } from '../../../firmware/sip/message/index.ts';
import type { ParseResult } from '../../../firmware/sip/message/index.ts';
import { INVITE_SDP, REGISTER_AUTH } from '../../fixtures/sip/messages.ts';
import { rfc4475Message } from '../../fixtures/sip/rfc4475.ts';

function callIds(results: ParseResult[]): string[] {
  return results.map((r) => (r.ok ? (getCallId(r.message.headers) ?? '?') : 'error:' + r.error.code));
}

test('RFC 3261 §18.3 framing by Content-Length: split at every byte boundary', (t) => {
  const stream = Buffer.concat([INVITE_SDP, REGISTER_AUTH]);
  for (let cut = 1; cut < stream.length; cut++) {
    const f = new StreamFramer();
    const out = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    t.deepEqual(callIds(out), ['9bX2kQw7pLmN4rTz1vYc0A..', '7761923401@192.168.1.21'], `cut at ${cut}`);
    t.is(f.pending, 0);
  }
});

test('RFC 3261 §18.3 framing: one byte at a time, and two messages in one chunk', (t) => {
  const f = new StreamFramer();
  const out: ParseResult[] = [];
  for (const byte of INVITE_SDP) out.push(...f.push(Buffer.from([byte])));
  t.deepEqual(callIds(out), ['9bX2kQw7pLmN4rTz1vYc0A..']);
  const both = f.push(Buffer.concat([REGISTER_AUTH, INVITE_SDP]));
  t.deepEqual(callIds(both), ['7761923401@192.168.1.21', '9bX2kQw7pLmN4rTz1vYc0A..']);
  const first = both[1];
  t.true(first?.ok === true && first.message.body.length > 100);
});

test('RFC 4475 §3.1.1.8 dblreq on a stream: both requests are framed, the stray CRLF skipped', (t) => {
  const f = new StreamFramer();
  const out = f.push(rfc4475Message('dblreq'));
  t.deepEqual(
    out.slice(0, 2).map((r) => r.ok && r.message.kind === 'request' && r.message.method),
    ['REGISTER', 'INVITE'],
  );
  // The INVITE's SDP is longer than its Content-Length (150): on a stream the
  // excess reads as the start of a third message, which is not SIP.
  t.is(out.length, 3);
  t.is(!out[2]!.ok && out[2]!.error.code, 'bad-start-line');
});

test('RFC 5626 §4.4.1 keep-alives: CRLFCRLF ping calls onPing, CRLF pong calls onPong', (t) => {
  let pings = 0;
  let pongs = 0;
  const f = new StreamFramer({ onPing: () => pings++, onPong: () => pongs++ });
  t.deepEqual(f.push(Buffer.from('\r\n\r\n')), []);
  t.is(pings, 1);
  t.deepEqual(f.push(Buffer.from('\r\n')), []);
  t.is(pongs, 1);
  // A ping split in two halves, then a message right after a ping.
  t.deepEqual(f.push(Buffer.from('\r\n\r')), []);
  const out = f.push(Buffer.concat([Buffer.from('\n\r\n\r\n'), REGISTER_AUTH]));
  t.is(pings, 3);
  t.is(out.length, 1);
  t.true(out[0]!.ok);
  t.false(f.failed);
});

test('RFC 3261 §18.3 missing Content-Length on a stream: error (with partial for a 400), then failed', (t) => {
  const text = REGISTER_AUTH.toString().replace('Content-Length: 0\r\n', '');
  const f = new StreamFramer();
  const out = f.push(Buffer.from(text));
  t.is(out.length, 1);
  t.false(out[0]!.ok);
  t.is(!out[0]!.ok && out[0]!.error.code, 'missing-header');
  t.truthy(!out[0]!.ok && out[0]!.error.partial);
  t.true(f.failed);
  t.deepEqual(f.push(REGISTER_AUTH), []);
});

test('RFC 4475 §3.1.2.3 ncl on a stream: negative Content-Length cannot be framed', (t) => {
  const f = new StreamFramer();
  const out = f.push(rfc4475Message('ncl'));
  t.is(!out[0]!.ok && out[0]!.error.code, 'bad-content-length');
  t.true(f.failed);
});

test('Oversize header section without end -> too-large once maxSize is exceeded', (t) => {
  const f = new StreamFramer({ maxSize: 1000 });
  t.deepEqual(f.push(Buffer.from('INVITE sip:a@b SIP/2.0\r\nX-Pad: ' + 'a'.repeat(900))), []);
  const out = f.push(Buffer.from('a'.repeat(200)));
  t.is(out.length, 1);
  t.is(!out[0]!.ok && out[0]!.error.code, 'too-large');
  t.true(f.failed);
});

test('Content-Length announcing more than maxSize -> too-large without waiting for the body', (t) => {
  const f = new StreamFramer({ maxSize: 2000 });
  const text = REGISTER_AUTH.toString().replace('Content-Length: 0', 'Content-Length: 5000');
  const out = f.push(Buffer.from(text));
  t.is(!out[0]!.ok && out[0]!.error.code, 'too-large');
});

test('maxBuffer bounds the bytes kept between pushes', (t) => {
  const f = new StreamFramer({ maxSize: 4000, maxBuffer: 100 });
  const out = f.push(INVITE_SDP.subarray(0, 300));
  t.is(!out[0]!.ok && out[0]!.error.code, 'too-large');
  t.true(f.failed);
});

test('A malformed but framable message is reported and framing continues', (t) => {
  const f = new StreamFramer();
  const broken = Buffer.from(REGISTER_AUTH.toString().replace('CSeq: 3 REGISTER', 'CSeq: 3 INVITE'));
  const out = f.push(Buffer.concat([broken, INVITE_SDP]));
  t.deepEqual(callIds(out), ['error:cseq-method-mismatch', '9bX2kQw7pLmN4rTz1vYc0A..']);
  t.false(f.failed);
});

test('serialize output frames back identically', (t) => {
  const f = new StreamFramer();
  const [r] = f.push(INVITE_SDP);
  if (!r?.ok) return t.fail();
  const again = f.push(serialize(r.message));
  t.true(again[0]?.ok === true && serialize(again[0].message).equals(INVITE_SDP));
});
