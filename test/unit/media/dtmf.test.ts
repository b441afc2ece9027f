import test from 'ava';
import {
  DtmfReceiver,
  DTMF_HISTORY_MAX,
  decodeTelephoneEvent,
  dtmfDigit,
  dtmfEventCode,
  encodeTelephoneEvent,
} from '../../../firmware/media/dtmf.ts';

test('RFC 4733 §2.3: payload encode/decode round trip and known bytes', (t) => {
  const b = Buffer.alloc(4);
  encodeTelephoneEvent(b, 0, { event: 11, end: true, volume: 10, duration: 400 });
  t.deepEqual([...b], [11, 0x8a, 0x01, 0x90]);
  t.deepEqual(decodeTelephoneEvent(b), { event: 11, end: true, volume: 10, duration: 400 });
  t.is(decodeTelephoneEvent(Buffer.alloc(3)), null);
  t.deepEqual(
    [...'0123456789*#ABCD'].map(dtmfEventCode),
    Array.from({ length: 16 }, (_, i) => i),
  );
  t.is(dtmfEventCode('x'), -1);
  t.is(dtmfEventCode('a'), 12);
  t.is(dtmfDigit(16), '', 'flash is not a digit');
});

function ev(event: number, end: boolean): Buffer {
  const b = Buffer.alloc(4);
  encodeTelephoneEvent(b, 0, { event, end, volume: 10, duration: 160 });
  return b;
}

test('receiver: one digit per event, the three end packets deduplicated', (t) => {
  const r = new DtmfReceiver();
  const out: string[] = [];
  for (const [ts, event, end] of [
    [100, 1, false],
    [100, 1, false],
    [100, 1, true],
    [100, 1, true],
    [100, 1, true],
    [900, 1, false],
    [900, 1, true],
    [900, 1, true],
  ] as const) {
    out.push(r.push(ts, ev(event, end), 0, 4));
  }
  t.is(out.join(''), '11');
  t.is(r.received, '11');
});

test('receiver: an event whose end packets were all lost is recorded when the next starts', (t) => {
  const r = new DtmfReceiver();
  r.push(100, ev(4, false), 0, 4);
  r.push(100, ev(4, false), 0, 4);
  t.is(r.received, '');
  r.push(500, ev(2, false), 0, 4);
  t.is(r.received, '4');
  r.push(500, ev(2, true), 0, 4);
  t.is(r.received, '42');
});

test('receiver history is bounded', (t) => {
  const r = new DtmfReceiver();
  for (let i = 0; i < DTMF_HISTORY_MAX + 10; i++) r.push(i * 1000, ev(i % 10, true), 0, 4);
  t.is(r.received.length, DTMF_HISTORY_MAX);
  t.true(r.received.endsWith('3'));
});
