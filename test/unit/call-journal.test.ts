import test from 'ava';
import { CallJournal, JOURNAL_PER_PHONE, type JournalEntry } from '../../firmware/config/index.ts';

const A = '00:08:5d:00:00:01';
const B = '00:08:5d:00:00:02';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const MIN = 60_000;

function call(at: number, extra: Partial<Omit<JournalEntry, 'id'>> = {}): Omit<JournalEntry, 'id'> {
  return {
    startedAt: T0 + at * MIN,
    durationSeconds: 30,
    from: '601',
    to: '0612345678',
    direction: 'outbound',
    outcome: 'answered',
    phones: [A],
    callerPhone: A,
    ...extra,
  };
}

test('LOG-2: each phone keeps its 20 most recent calls, the oldest are dropped', (t) => {
  t.is(JOURNAL_PER_PHONE, 20);
  const j = new CallJournal();
  for (let i = 0; i < 25; i++) j.add(call(i, { to: `06000000${String(i).padStart(2, '0')}` }));
  const mine = j.query({ phone: A });
  t.is(mine.length, 20);
  t.is(mine[0]?.to, '0600000024', 'newest first');
  t.is(mine[19]?.to, '0600000005', 'calls 0-4 dropped');
  t.is(j.size(), 20);
});

test('LOG-2: the limit is per phone: a busy phone does not push out the calls of another', (t) => {
  const j = new CallJournal();
  j.add(call(0, { phones: [B], callerPhone: B, from: '602' }));
  for (let i = 1; i <= 30; i++) j.add(call(i));
  t.is(j.query({ phone: B }).length, 1);
  t.is(j.query({ phone: A }).length, 20);
  t.is(j.size(), 21);
});

test('LOG-1: a call between two of our phones is listed once in the whole journal and in each phone\'s view', (t) => {
  const j = new CallJournal();
  const e = j.add(call(0, { direction: 'internal', to: '602', phones: [A, B, A], answeredBy: '602' }));
  t.deepEqual(j.query().map((x) => x.id), [e.id]);
  t.deepEqual(j.query({ phone: A }).map((x) => x.id), [e.id]);
  t.deepEqual(j.query({ phone: B }).map((x) => x.id), [e.id]);
  t.is(j.size(), 1);
});

test('LOG-1: filters missed / answered / emitted', (t) => {
  const j = new CallJournal();
  const out = j.add(call(1)); // A calls out, answered
  const missedIn = j.add(call(2, { direction: 'inbound', from: '0611111111', to: '601', outcome: 'missed', durationSeconds: 0, callerPhone: undefined }));
  const answeredIn = j.add(call(3, { direction: 'inbound', from: '0622222222', to: '601', outcome: 'answered', callerPhone: undefined }));
  const bToA = j.add(call(4, { direction: 'internal', from: '602', to: '601', outcome: 'missed', phones: [A, B], callerPhone: B }));
  const ids = (xs: JournalEntry[]) => xs.map((x) => x.id);
  t.deepEqual(ids(j.query({ kind: 'missed' })), [bToA.id, missedIn.id]);
  t.deepEqual(ids(j.query({ kind: 'answered' })), [answeredIn.id, out.id]);
  t.deepEqual(ids(j.query({ kind: 'emitted' })), [bToA.id, out.id]);
  t.deepEqual(ids(j.query({ phone: A, kind: 'emitted' })), [out.id], 'A did not place the call from B');
  t.deepEqual(ids(j.query({ phone: B, kind: 'emitted' })), [bToA.id]);
  t.deepEqual(ids(j.query({ phone: A })), [bToA.id, answeredIn.id, missedIn.id, out.id]);
});

test('LOG-1: date range filter, bounds included', (t) => {
  const j = new CallJournal();
  for (let i = 0; i < 10; i++) j.add(call(i * 10)); // every 10 minutes
  const r = j.query({ from: T0 + 20 * MIN, to: T0 + 50 * MIN });
  t.deepEqual(
    r.map((x) => (x.startedAt - T0) / MIN),
    [50, 40, 30, 20],
  );
  t.deepEqual(j.query({ from: T0 + 85 * MIN }).map((x) => (x.startedAt - T0) / MIN), [90]);
  t.deepEqual(j.query({ to: T0 + 5 * MIN }).map((x) => (x.startedAt - T0) / MIN), [0]);
});

test('LOG-1: newest first by start time, even when added out of order; ids break ties', (t) => {
  const j = new CallJournal();
  const late = j.add(call(10));
  const early = j.add(call(5));
  const sameA = j.add(call(7));
  const sameB = j.add(call(7));
  t.deepEqual(j.query().map((x) => x.id), [late.id, sameB.id, sameA.id, early.id]);
});

test('LOG-2: clear() empties the journal (a reboot), and an unknown phone has no calls', (t) => {
  const j = new CallJournal();
  j.add(call(0));
  j.add(call(1, { phones: [B] }));
  t.is(j.size(), 2);
  j.clear();
  t.is(j.size(), 0);
  t.deepEqual(j.query(), []);
  t.deepEqual(j.query({ phone: A }), []);
  t.deepEqual(j.query({ phone: 'aa:bb:cc:dd:ee:ff' }), []);
  const next = j.add(call(2));
  t.deepEqual(j.query().map((x) => x.id), [next.id]);
});
