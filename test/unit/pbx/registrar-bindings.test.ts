import test from 'ava';
import { applyRegister, remainingSeconds, type Binding, type RegisterFacts } from '../../../firmware/pbx/registrar/bindings.ts';
import { BanList } from '../../../firmware/pbx/registrar/ban-list.ts';
import { allocateInternalNumber } from '../../../firmware/pbx/numbering.ts';
import { factoryDefaults } from '../../../firmware/config/index.ts';
import { makePhones } from '../../support/pbx-process.ts';

const limits = { minExpires: 60, maxExpires: 3600, defaultExpires: 600, maxContacts: 3 };
const source = { transport: 'UDP', host: '192.0.2.10', port: 5062 };

function facts(over: Partial<RegisterFacts> = {}): RegisterFacts {
  return { callId: 'call-1', cseq: 1, contacts: [{ uri: 'sip:601@192.0.2.10:5062' }], source, ...over };
}

function ok(outcome: ReturnType<typeof applyRegister>): Binding[] {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${outcome.kind}`);
  return outcome.bindings;
}

test('RFC 3261 §10.3 step 7: a new contact is bound with the default expiry', (t) => {
  const b = ok(applyRegister([], facts(), 1000, limits));
  t.is(b.length, 1);
  t.is(b[0]!.contact, 'sip:601@192.0.2.10:5062');
  t.is(b[0]!.expiresAt, 1000 + 600_000);
  t.is(remainingSeconds(b[0]!, 1000), 600);
  t.deepEqual(b[0]!.source, source);
});

test('RFC 3261 §10.3 step 7: the contact expires param wins over the Expires header', (t) => {
  const b = ok(applyRegister([], facts({ expiresHeader: 120, contacts: [{ uri: 'sip:a@h', expires: 300 }] }), 0, limits));
  t.is(remainingSeconds(b[0]!, 0), 300);
  const c = ok(applyRegister([], facts({ expiresHeader: 120, contacts: [{ uri: 'sip:a@h' }] }), 0, limits));
  t.is(remainingSeconds(c[0]!, 0), 120);
});

test('RFC 3261 §10.3 step 7: an interval below the minimum is refused with 423 and Min-Expires', (t) => {
  t.deepEqual(applyRegister([], facts({ expiresHeader: 30 }), 0, limits), { kind: 'interval-too-brief', minExpires: 60 });
});

test('RFC 3261 §10.3 step 7: an interval above the maximum is shortened', (t) => {
  const b = ok(applyRegister([], facts({ expiresHeader: 999_999 }), 0, limits));
  t.is(remainingSeconds(b[0]!, 0), 3600);
});

test('RFC 3261 §10.3: a refresh with a higher CSeq updates the binding; a lower CSeq of the same Call-ID is refused', (t) => {
  const first = ok(applyRegister([], facts({ cseq: 5 }), 0, limits));
  const refreshed = ok(applyRegister(first, facts({ cseq: 6, expiresHeader: 300 }), 100_000, limits));
  t.is(refreshed.length, 1);
  t.is(refreshed[0]!.cseq, 6);
  t.is(refreshed[0]!.expiresAt, 100_000 + 300_000);
  t.is(refreshed[0]!.registeredAt, 0, 'a refresh keeps the original registration time');
  t.deepEqual(applyRegister(refreshed, facts({ cseq: 4 }), 100_000, limits), { kind: 'out-of-order' });
});

test('RFC 3261 §10.3: the same CSeq again (a retransmission) leaves the binding as it is', (t) => {
  const first = ok(applyRegister([], facts({ cseq: 5 }), 0, limits));
  const again = applyRegister(first, facts({ cseq: 5, expiresHeader: 0 }), 10, limits);
  t.deepEqual(ok(again), first);
});

test('RFC 3261 §10.3: another Call-ID may refresh a binding with any CSeq (phone rebooted)', (t) => {
  const first = ok(applyRegister([], facts({ cseq: 50 }), 0, limits));
  const next = ok(applyRegister(first, facts({ callId: 'call-2', cseq: 1 }), 10, limits));
  t.is(next.length, 1);
  t.is(next[0]!.callId, 'call-2');
});

test('RFC 3261 §10.2.2: Expires 0 removes one contact, the others stay', (t) => {
  const two = ok(applyRegister([], facts({ contacts: [{ uri: 'sip:a@h1' }, { uri: 'sip:b@h2' }] }), 0, limits));
  t.is(two.length, 2);
  const out = applyRegister(two, facts({ cseq: 2, contacts: [{ uri: 'sip:a@h1', expires: 0 }] }), 10, limits);
  const left = ok(out);
  t.deepEqual(left.map((b) => b.contact), ['sip:b@h2']);
  t.like(out, { removed: 1, added: 0 });
});

test('RFC 3261 §10.3 step 6: "*" with Expires 0 removes every binding; "*" otherwise is a bad request', (t) => {
  const two = ok(applyRegister([], facts({ contacts: [{ uri: 'sip:a@h1' }, { uri: 'sip:b@h2' }] }), 0, limits));
  t.deepEqual(ok(applyRegister(two, facts({ cseq: 2, contacts: '*', expiresHeader: 0 }), 10, limits)), []);
  t.like(applyRegister(two, facts({ cseq: 2, contacts: '*', expiresHeader: 60 }), 10, limits), { kind: 'bad-request' });
  t.like(applyRegister(two, facts({ cseq: 2, contacts: '*' }), 10, limits), { kind: 'bad-request' });
});

test('RFC 3261 §10.3 step 6: "*" with an older CSeq of the same Call-ID is refused', (t) => {
  const b = ok(applyRegister([], facts({ cseq: 9 }), 0, limits));
  t.deepEqual(applyRegister(b, facts({ cseq: 3, contacts: '*', expiresHeader: 0 }), 10, limits), { kind: 'out-of-order' });
});

test('registrar: beyond maxContacts the oldest bindings make room for the newest', (t) => {
  let b: Binding[] = [];
  for (let i = 0; i < 4; i++) b = ok(applyRegister(b, facts({ callId: `c${i}`, contacts: [{ uri: `sip:601@h${i}` }] }), i * 1000, limits));
  t.deepEqual(b.map((x) => x.contact), ['sip:601@h1', 'sip:601@h2', 'sip:601@h3']);
});

test('registrar: expired bindings are ignored (the phone counts as unregistered)', (t) => {
  const b = ok(applyRegister([], facts({ expiresHeader: 60 }), 0, limits));
  const later = ok(applyRegister(b, facts({ callId: 'x', contacts: [{ uri: 'sip:601@other' }] }), 61_000, limits));
  t.deepEqual(later.map((x) => x.contact), ['sip:601@other']);
});

test('ban list (issue 3): N failures within the window ban the source for the ban period', (t) => {
  const bans = new BanList({ maxFailures: 3, windowMs: 10_000, banMs: 60_000 });
  t.is(bans.recordFailure('198.51.100.7', 0), undefined);
  t.is(bans.recordFailure('198.51.100.7', 1000), undefined);
  t.false(bans.isBanned('198.51.100.7', 1500));
  const ban = bans.recordFailure('198.51.100.7', 2000);
  t.like(ban, { address: '198.51.100.7', until: 62_000, failures: 3 });
  t.true(bans.isBanned('198.51.100.7', 2001));
  t.false(bans.isBanned('198.51.100.8', 2001), 'other sources are not affected');
  t.deepEqual(bans.list(3000).map((b) => b.address), ['198.51.100.7']);
  t.false(bans.isBanned('198.51.100.7', 62_000), 'the ban ends after the ban period');
  t.deepEqual(bans.list(62_000), []);
});

test('ban list: failures older than the window do not count; a success resets the count', (t) => {
  const bans = new BanList({ maxFailures: 3, windowMs: 10_000, banMs: 60_000 });
  bans.recordFailure('a', 0);
  bans.recordFailure('a', 1000);
  t.is(bans.recordFailure('a', 20_000), undefined, 'the first two fell out of the window');
  bans.recordFailure('b', 0);
  bans.recordFailure('b', 1);
  bans.recordSuccess('b');
  t.is(bans.recordFailure('b', 2), undefined);
});

test('ban list: a ban can be lifted from the console', (t) => {
  const bans = new BanList({ maxFailures: 1, windowMs: 10_000, banMs: 60_000 });
  bans.recordFailure('a', 0);
  t.true(bans.isBanned('a', 1));
  t.true(bans.lift('a'));
  t.false(bans.isBanned('a', 2));
  t.false(bans.lift('a'), 'lifting twice reports nothing to lift');
});

test('NUM-2: a phone with a DID gets "4" + the last two digits', (t) => {
  t.deepEqual(allocateInternalNumber(factoryDefaults('x'.repeat(12)), '0577110078'), { ok: true, number: '478' });
});

test('NUM-3: phones without DID get 601..620 in installation order, and the 21st is refused', (t) => {
  const c = structuredClone(factoryDefaults('x'.repeat(12)));
  t.deepEqual(allocateInternalNumber(c, undefined), { ok: true, number: '601' });
  c.phones = makePhones(3, 0);
  t.deepEqual(allocateInternalNumber(c, undefined), { ok: true, number: '604' });
  c.phones = makePhones(20, 0);
  t.like(allocateInternalNumber(c, undefined), { ok: false });
});

test('NUM-2: two DIDs ending alike: the second phone gets the next free 4xx number, and the note says why', (t) => {
  const c = structuredClone(factoryDefaults('x'.repeat(12)));
  c.phones = makePhones(2, 2); // 410, 411
  const r = allocateInternalNumber(c, '0100000010');
  t.like(r, { ok: true, number: '412' });
  t.regex(r.ok ? (r.note ?? '') : '', /410 \(from the DID 0100000010\) is already used: 412/);
});

test('NUM-2: the search for a free 4xx number wraps round to 400, and a full 4xx block is refused', (t) => {
  const c = structuredClone(factoryDefaults('x'.repeat(12)));
  // Only the internal numbers matter to the allocator.
  const template = makePhones(1, 1)[0]!;
  const full = Array.from({ length: 100 }, (_, i) => ({ ...template, internalNumber: String(400 + i) }));
  c.phones = full.filter((p) => p.internalNumber !== '400'); // 401..499 taken
  t.like(allocateInternalNumber(c, '0100000099'), { ok: true, number: '400' });
  c.phones = full;
  t.like(allocateInternalNumber(c, '0100000099'), { ok: false });
});
