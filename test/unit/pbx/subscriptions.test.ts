// Issue 9 §3-§4: SUBSCRIBE/NOTIFY (RFC 6665) with a fake clock and a recording sender (pbx/presence/subscriptions.ts).
import test from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { LogRegistry } from '../../../firmware/core/logger.ts';
import { factoryDefaults, type Config } from '../../../firmware/config/index.ts';
import { Subscriptions, MIN_SUBSCRIBE_SECONDS } from '../../../firmware/pbx/presence/subscriptions.ts';
import type { WatchedState } from '../../../firmware/pbx/presence/dialog-info.ts';
import { createResponse, type SipRequest, type SipResponse } from '../../../firmware/sip/message/index.ts';
import type { ClientTransactionUser, Destination, ServerTransactionHandle } from '../../../firmware/sip/transaction/index.ts';
import { makePhones } from '../../support/pbx-process.ts';
import { parseRequest } from '../../fixtures/sip/dialog-messages.ts';

function setup() {
  const clock = new FakeClock();
  const config = structuredClone(factoryDefaults('x'.repeat(12))) as Config;
  config.phones = makePhones(3, 0); // 601, 602, 603
  const sent: Array<{ req: SipRequest; dest: Destination; user: ClientTransactionUser }> = [];
  let state: WatchedState = { state: 'idle' };
  const subs = new Subscriptions({
    clock,
    log: new LogRegistry({ level: 'silent' }).get('subs'),
    config: () => config,
    sip: { sendRequest: (req, dest, user) => (sent.push({ req, dest, user }), true), advertise: { host: '10.0.0.1', port: 5060 } },
    viaFor: (d) => ({ transport: d.transport, host: '10.0.0.1', port: 5060 }),
    contact: () => '<sip:pbx@10.0.0.1>',
    watchedState: () => state,
    mwiCounts: () => ({ fresh: 2, saved: 1 }),
  });
  const serverTx = (req: SipRequest) => {
    const responses: SipResponse[] = [];
    const tx: ServerTransactionHandle = { kind: 'nist', key: 'k', state: 'trying', request: req, destination: SOURCE, respond: (res) => (responses.push(res), true), finalResponse: undefined };
    return { tx, responses };
  };
  return { clock, subs, sent, serverTx, set: (s: WatchedState) => (state = s) };
}

const SOURCE: Destination = { transport: 'UDP', host: '192.0.2.3', port: 5062 };

function subscribe(opts: { to?: string; event?: string; expires?: number; toTag?: string; cseq?: number }): SipRequest {
  return parseRequest([
    `SUBSCRIBE sip:${opts.to ?? '602'}@10.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.3:5062;branch=z9hG4bKsub${opts.cseq ?? 1}`,
    'Max-Forwards: 70',
    'From: <sip:603@10.0.0.1>;tag=wtag',
    `To: <sip:${opts.to ?? '602'}@10.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    'Call-ID: sub@test',
    `CSeq: ${opts.cseq ?? 1} SUBSCRIBE`,
    'Contact: <sip:603@192.0.2.3:5062>',
    `Event: ${opts.event ?? 'dialog'}`,
    `Expires: ${opts.expires ?? 120}`,
  ]);
}

const toTagOf = (res: SipResponse): string => /tag=([^;>\s]+)/.exec(res.headers.get('to') ?? '')?.[1] ?? '';
const notifies = (sent: Array<{ req: SipRequest }>) => sent.filter((x) => x.req.method === 'NOTIFY').map((x) => x.req);

test('RFC 6665: a dialog subscription is accepted (200, Expires) and NOTIFYs the full state at once, on the subscriber\'s flow', (t) => {
  const s = setup();
  const { tx, responses } = s.serverTx(subscribe({}));
  s.subs.handle(subscribe({}), tx, SOURCE, '603');
  t.is(responses[0]?.status, 200);
  t.is(responses[0]?.headers.get('expires'), '120');
  const n = notifies(s.sent);
  t.is(n.length, 1);
  t.is(n[0]!.headers.get('event'), 'dialog');
  t.is(n[0]!.headers.get('subscription-state'), 'active;expires=120');
  t.is(n[0]!.headers.get('content-type'), 'application/dialog-info+xml');
  t.deepEqual(s.sent[0]!.dest, SOURCE);
});

test('RFC 4235: a NOTIFY only when what the lamp shows changes', (t) => {
  const s = setup();
  const req = subscribe({});
  s.subs.handle(req, s.serverTx(req).tx, SOURCE, '603');
  s.subs.phonesChanged();
  t.is(notifies(s.sent).length, 1, 'nothing changed');
  s.set({ state: 'ringing', caller: '601', callId: 'c1' });
  s.subs.phonesChanged();
  t.regex(notifies(s.sent)[1]!.body.toString(), /<state>early<\/state>/);
  s.subs.phonesChanged();
  t.is(notifies(s.sent).length, 2);
});

test('RFC 6665 §4.2.1: a refresh in the dialog restarts the clock; without one the subscription ends with terminated;reason=timeout', (t) => {
  const s = setup();
  const req = subscribe({});
  const first = s.serverTx(req);
  s.subs.handle(req, first.tx, SOURCE, '603');
  const tag = toTagOf(first.responses[0]!);
  s.clock.advance(100_000);
  const refresh = subscribe({ toTag: tag, cseq: 2 });
  const r = s.serverTx(refresh);
  s.subs.handle(refresh, r.tx, SOURCE, '603');
  t.is(r.responses[0]?.status, 200);
  s.clock.advance(100_000);
  t.is(s.subs.size, 1, 'refreshed: still there 200 s after the SUBSCRIBE');
  s.clock.advance(21_000);
  t.is(s.subs.size, 0);
  t.is(notifies(s.sent).at(-1)!.headers.get('subscription-state'), 'terminated;reason=timeout');
});

test('RFC 6665 §4.2.1.4: Expires: 0 in the dialog ends it with a final NOTIFY', (t) => {
  const s = setup();
  const req = subscribe({});
  const first = s.serverTx(req);
  s.subs.handle(req, first.tx, SOURCE, '603');
  const end = subscribe({ toTag: toTagOf(first.responses[0]!), cseq: 2, expires: 0 });
  const r = s.serverTx(end);
  s.subs.handle(end, r.tx, SOURCE, '603');
  t.is(r.responses[0]?.status, 200);
  t.is(s.subs.size, 0);
  t.regex(notifies(s.sent).at(-1)!.headers.get('subscription-state') ?? '', /^terminated/);
});

test('RFC 6665: too short an Expires gets 423 with Min-Expires; an unknown event 489 with Allow-Events; an unknown number 404; another phone\'s box 403', (t) => {
  const s = setup();
  const cases: Array<[SipRequest, number]> = [
    [subscribe({ expires: 30 }), 423],
    [subscribe({ event: 'presence' }), 489],
    [subscribe({ to: '699' }), 404],
    [subscribe({ event: 'message-summary', to: '602' }), 403],
  ];
  for (const [req, status] of cases) {
    const { tx, responses } = s.serverTx(req);
    s.subs.handle(req, tx, SOURCE, '603');
    t.is(responses[0]?.status, status, req.headers.get('event') ?? '');
    if (status === 423) t.is(responses[0]?.headers.get('min-expires'), String(MIN_SUBSCRIBE_SECONDS));
    if (status === 489) t.regex(responses[0]?.headers.get('allow-events') ?? '', /dialog, message-summary/);
  }
  t.is(s.subs.size, 0);
  t.is(notifies(s.sent).length, 0);
});

test('RFC 3842: a message-summary subscription to one\'s own box gets the counts; a NOTIFY answered 481 ends the subscription', (t) => {
  const s = setup();
  const req = subscribe({ event: 'message-summary', to: '603' });
  s.subs.handle(req, s.serverTx(req).tx, SOURCE, '603');
  const n = notifies(s.sent);
  t.regex(n[0]!.body.toString(), /Messages-Waiting: yes\r\nMessage-Account: sip:603@10\.0\.0\.1\r\nVoice-Message: 2\/1 \(0\/0\)/);
  // New counts go to the subscription (so no unsolicited NOTIFY is needed).
  t.true(s.subs.countsChanged(makePhones(3, 0)[2]!.mac));
  t.is(notifies(s.sent).length, 2);
  const last = s.sent.at(-1)!;
  last.user.onResponse(createResponse(last.req, 481, 'Call/Transaction Does Not Exist'), { kind: 'nict', key: 'n', state: 'completed', request: last.req });
  t.is(s.subs.size, 0);
});
