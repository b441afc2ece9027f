/**
 * Parser throughput: node_modules/.bin/tsx bench/parser.ts
 * Each case runs a warm-up, then as many iterations as fit in ~1 s.
 */
import { getCSeq, getCallId, getFrom, getTo, parseMessage, serialize, topVia } from '../firmware/sip/message/index.ts';
import type { SipMessage } from '../firmware/sip/message/index.ts';
import { INVITE_SDP, REGISTER_AUTH } from '../test/fixtures/sip/messages.ts';

function bench(name: string, fn: () => unknown, ms = 1000): void {
  for (let i = 0; i < 20000; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    elapsed = performance.now() - t0;
  }
  const rate = (n / elapsed) * 1000;
  console.log(`${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} msg/s  ${((elapsed * 1000) / n).toFixed(2)} µs/msg`);
}

function must(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(r.error.reason);
  return r.message;
}

must(REGISTER_AUTH);
must(INVITE_SDP);
console.log(`node ${process.version}, REGISTER ${REGISTER_AUTH.length} B, INVITE ${INVITE_SDP.length} B`);
bench('parse REGISTER (Authorization)', () => parseMessage(REGISTER_AUTH));
bench('parse INVITE (SDP)', () => parseMessage(INVITE_SDP));
bench('parse + read 5 headers + serialize REGISTER', () => {
  const m = must(REGISTER_AUTH);
  topVia(m.headers);
  getFrom(m.headers);
  getTo(m.headers);
  getCallId(m.headers);
  getCSeq(m.headers);
  return serialize(m);
});
bench('parse + read 5 headers + serialize INVITE', () => {
  const m = must(INVITE_SDP);
  topVia(m.headers);
  getFrom(m.headers);
  getTo(m.headers);
  getCallId(m.headers);
  getCSeq(m.headers);
  return serialize(m);
});
