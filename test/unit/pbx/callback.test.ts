// FWD-6 automatic callback: the request queue and which callbacks are due, as pure functions.
import test from 'ava';
import { applyCallbackChange, CALLBACK_LIFETIME_MS, CALLBACK_SETTLE_MS, dueCallbacks, type CallbackLive, type CallbackRequest } from '../../../firmware/pbx/callback.ts';

const PHONES = new Set(['a', 'b', 'c', 'd']);
const live = (over: Partial<CallbackLive> = {}): CallbackLive => ({
  registered: new Set(PHONES),
  busy: new Set(),
  engaged: new Set(),
  freedAt: new Map(),
  ...over,
});
const req = (requester: string, target: string, requestedAt = 0): CallbackRequest => ({ requester, target, requestedAt });

test('FWD-6: one request per caller: a new *37 replaces the previous one, #37 removes it', (t) => {
  let q = applyCallbackChange([], { kind: 'request', requester: 'a', target: 'b' }, 10);
  q = applyCallbackChange(q, { kind: 'request', requester: 'c', target: 'b' }, 20);
  q = applyCallbackChange(q, { kind: 'request', requester: 'a', target: 'd' }, 30);
  t.deepEqual(q, [req('c', 'b', 20), req('a', 'd', 30)]);
  t.deepEqual(applyCallbackChange(q, { kind: 'cancel', requester: 'c' }, 40), [req('a', 'd', 30)]);
});

test('FWD-6: a request waits while either phone is busy, unregistered or in another callback', (t) => {
  const q = [req('a', 'b')];
  const now = 60_000;
  for (const l of [live({ busy: new Set(['b']) }), live({ busy: new Set(['a']) }), live({ registered: new Set(['a']) }), live({ engaged: new Set(['b']) })]) {
    const r = dueCallbacks(q, PHONES, l, now);
    t.deepEqual(r.start, []);
    t.deepEqual(r.queue, q);
  }
  const r = dueCallbacks(q, PHONES, live(), now);
  t.deepEqual(r.start, q);
  t.deepEqual(r.queue, []);
});

test('FWD-6: a phone that has just hung up is left alone for the settle delay, and the round says when to look again', (t) => {
  const q = [req('a', 'b')];
  const r = dueCallbacks(q, PHONES, live({ freedAt: new Map([['b', 100_000]]) }), 101_000);
  t.deepEqual(r.start, []);
  t.is(r.wakeAt, 100_000 + CALLBACK_SETTLE_MS);
  t.deepEqual(dueCallbacks(q, PHONES, live({ freedAt: new Map([['b', 100_000]]) }), 100_000 + CALLBACK_SETTLE_MS).start, q);
});

test('FWD-6: requests for one phone are served in order; a phone takes part in one callback per round', (t) => {
  const q = [req('c', 'b', 20), req('a', 'b', 10), req('d', 'a', 30)];
  const r = dueCallbacks(q, PHONES, live(), 1000);
  t.deepEqual(r.start, [req('a', 'b', 10)]);
  t.deepEqual(r.queue, [req('c', 'b', 20), req('d', 'a', 30)]);
  // The oldest request for b waits (its requester is busy): the next one for b does not overtake it.
  const waiting = dueCallbacks(q, PHONES, live({ busy: new Set(['a']) }), 1000);
  t.deepEqual(waiting.start, []);
});

test('FWD-6: a request expires after 30 minutes, and so does one whose phone was removed', (t) => {
  const q = [req('a', 'b', 0), req('c', 'x', 5)];
  const r = dueCallbacks(q, PHONES, live({ busy: new Set(['b']) }), CALLBACK_LIFETIME_MS);
  t.deepEqual(r.expired, [req('a', 'b', 0), req('c', 'x', 5)]);
  t.deepEqual(r.queue, []);
});
