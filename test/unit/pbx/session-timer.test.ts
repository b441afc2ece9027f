// RFC 4028 session timers on the caller's leg: what the INVITE asks, what we answer (pbx/calls/session-timer.ts).
import test from 'ava';
import { parseMessage, type SipRequest } from '../../../firmware/sip/message/index.ts';
import { decideSessionTimer, expiryMs, readSessionTimer, refreshMs } from '../../../firmware/pbx/calls/session-timer.ts';

function req(extra: string[]): SipRequest {
  const r = parseMessage(
    Buffer.from(['INVITE sip:602@10.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKst', 'Max-Forwards: 70', 'From: <sip:601@x>;tag=a', 'To: <sip:602@x>', 'Call-ID: st', 'CSeq: 1 INVITE', ...extra, 'Content-Length: 0', '', ''].join('\r\n')),
  );
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

test('RFC 4028 §9: no Session-Expires, no timer', (t) => {
  t.deepEqual(decideSessionTimer(readSessionTimer(req([]))), { kind: 'none' });
});

test('RFC 4028 §9: the caller supports timers and names no refresher: it refreshes (uac), and Require: timer', (t) => {
  t.deepEqual(decideSessionTimer(readSessionTimer(req(['Supported: replaces, timer', 'Session-Expires: 1800']))), { kind: 'use', interval: 1800, refresher: 'uac', require: true });
});

test('RFC 4028 §9: Session-Expires without Supported: timer (a proxy asked): we refresh (uas), no Require', (t) => {
  t.deepEqual(decideSessionTimer(readSessionTimer(req(['Session-Expires: 600']))), { kind: 'use', interval: 600, refresher: 'uas', require: false });
});

test('RFC 4028: the refresher the caller asked for is kept; the compact form x is read', (t) => {
  t.deepEqual(decideSessionTimer(readSessionTimer(req(['k: timer', 'x: 900;refresher=uas']))), { kind: 'use', interval: 900, refresher: 'uas', require: true });
});

test('RFC 4028 §8.1: below our Min-SE of 90 s: 422 with Min-SE (the larger of ours and the request\'s)', (t) => {
  t.deepEqual(decideSessionTimer(readSessionTimer(req(['Supported: timer', 'Session-Expires: 60']))), { kind: 'too-small', minSe: 90 });
  t.deepEqual(decideSessionTimer(readSessionTimer(req(['Session-Expires: 60', 'Min-SE: 120']))), { kind: 'too-small', minSe: 120 });
});

test('RFC 4028 §10: the non-refresher gives up min(32 s, a third) before expiry; the refresher refreshes at half', (t) => {
  t.is(expiryMs(1800), 1768_000);
  t.is(expiryMs(90), 60_000);
  t.is(refreshMs(1800), 900_000);
});
