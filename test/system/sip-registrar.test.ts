/**
 * Issue 3: the registrar (RFC 3261 §10.3) and digest authentication
 * (RFC 7616) of the real runtime, driven by a raw SIP client over loopback
 * (test/support/sip-client.ts) and by SIPp over TCP.
 */
import anyTest, { type TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones, sippUsersCsv, freePort, REPO, type PbxProcess } from '../support/pbx-process.ts';
import {
  UdpSipClient,
  SipPhone,
  buildRequest,
  cseqOf,
  digestAuthorization,
  header,
  headers,
  isRegistered,
  md5Challenge,
  parseChallenge,
  phoneContacts,
  rand,
  type SipClient,
} from '../support/sip-client.ts';

const test = anyTest as TestFn<{ pbx: PbxProcess }>;
const phones = makePhones(12);
const passwordOf = (n: string): string => phones.find((p) => p.internalNumber === n)!.sip.password;
const NONCE_LIFETIME_S = 10;

test.before(async (t) => {
  t.context.pbx = await startPbx({
    phones,
    patch: (c) => {
      c.sip.registrar.minExpires = 60;
      c.sip.registrar.maxExpires = 3600;
      c.sip.registrar.maxContactsPerPhone = 3;
      c.sip.nonceLifetimeSeconds = NONCE_LIFETIME_S;
      // The replay test fails an authentication on purpose; loopback must not be banned meanwhile.
      c.sip.ban.maxFailures = 1000;
    },
  });
});
test.after.always(async (t) => {
  await t.context.pbx?.stop();
});

async function phoneOn(t: { context: { pbx: PbxProcess }; teardown(fn: () => unknown): void }, n: string): Promise<SipPhone> {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  return new SipPhone(client, n, passwordOf(n));
}

/** Contact URIs and expires values of a 200 to REGISTER. */
function contactsOf(res: { headers: Array<[string, string]> }): Array<{ uri: string; expires: number }> {
  return res.headers
    .filter(([k]) => k.toLowerCase() === 'contact' || k === 'm')
    .map(([, v]) => ({ uri: /<([^>]+)>/.exec(v)?.[1] ?? v, expires: Number(/;expires=(\d+)/.exec(v)?.[1] ?? -1) }));
}

test('REGISTER with Expires below minExpires gets 423 Interval Too Brief with Min-Expires (issue 3, RFC 3261 §10.3 step 7)', async (t) => {
  const phone = await phoneOn(t, '601');
  const res = await phone.register([phone.contact()], 30);
  t.is(res.status, 423, res.raw);
  t.is(res.reason, 'Interval Too Brief');
  t.is(header(res, 'Min-Expires'), '60');
  t.false(isRegistered(await t.context.pbx.command('phones'), '601'));
  // The same REGISTER at Min-Expires is accepted (what a phone does after a 423, §10.2.8).
  const retry = await phone.register([phone.contact()], 60);
  t.is(retry.status, 200, retry.raw);
  t.deepEqual(contactsOf(retry), [{ uri: `sip:601-a@127.0.0.1:${phone.client.localPort};transport=udp`, expires: 60 }]);
});

test('an Expires above maxExpires is shortened to maxExpires in the 200 (issue 3, RFC 3261 §10.3 step 7)', async (t) => {
  const phone = await phoneOn(t, '602');
  const res = await phone.register([phone.contact()], 86_400);
  t.is(res.status, 200, res.raw);
  t.deepEqual(contactsOf(res).map((c) => c.expires), [3600]);
  const listed = phoneContacts(await t.context.pbx.command('phones'), '602');
  t.is(listed.length, 1);
  t.true(listed[0]!.expiresIn > 3590 && listed[0]!.expiresIn <= 3600, String(listed[0]!.expiresIn));
});

test('several contacts per phone are all listed in the 200, and Expires: 0 removes one of them (issue 3, RFC 3261 §10.3 step 8, §10.2.2)', async (t) => {
  const phone = await phoneOn(t, '603');
  const a = phone.contact('a');
  const b = phone.contact('b');
  const first = await phone.register([a], 300);
  t.is(first.status, 200, first.raw);
  const second = await phone.register([b], 300);
  t.is(second.status, 200, second.raw);
  t.deepEqual(contactsOf(second).map((c) => c.uri).sort(), [a, b].map((c) => c.slice(1, -1)).sort());
  t.is(phoneContacts(await t.context.pbx.command('phones'), '603').length, 2);

  const removed = await phone.register([b], 0);
  t.is(removed.status, 200, removed.raw);
  t.deepEqual(contactsOf(removed).map((c) => c.uri), [a.slice(1, -1)]);
  const listed = phoneContacts(await t.context.pbx.command('phones'), '603');
  t.deepEqual(listed.map((c) => c.contact), [a.slice(1, -1)]);
  t.true(isRegistered(await t.context.pbx.command('phones'), '603'));
});

test('Contact: * with Expires: 0 removes every binding; phones shows the phone not registered (issue 3, RFC 3261 §10.2.2, §10.3 step 6)', async (t) => {
  const phone = await phoneOn(t, '604');
  t.is((await phone.register([phone.contact('a'), phone.contact('b')], 300)).status, 200);
  t.true(isRegistered(await t.context.pbx.command('phones'), '604'));
  const res = await phone.register(['*'], 0);
  t.is(res.status, 200, res.raw);
  t.deepEqual(contactsOf(res), []);
  const list = await t.context.pbx.command('phones');
  t.false(isRegistered(list, '604'), list);
  t.regex(list, /^604 .* not registered$/m);
});

test('Contact: * with a non-zero Expires is refused with 400 (issue 3, RFC 3261 §10.3 step 6)', async (t) => {
  const phone = await phoneOn(t, '605');
  t.is((await phone.register([phone.contact()], 300)).status, 200);
  const res = await phone.register(['*'], 300);
  t.is(res.status, 400, res.raw);
  t.regex(res.reason, /Wildcard|Expires/i);
  t.true(isRegistered(await t.context.pbx.command('phones'), '605'), 'the bindings are untouched');
});

test("registering another phone's AOR with my credentials gets 403 (issue 3, RFC 3261 §10.3 step 3)", async (t) => {
  const phone = await phoneOn(t, '606');
  const res = await phone.register([phone.contact()], 300, { toUser: '607' });
  t.is(res.status, 403, res.raw);
  const list = await t.context.pbx.command('phones');
  t.false(isRegistered(list, '607'), list);
  t.false(isRegistered(list, '606'), list);
});

test('OPTIONS is answered 200 with Allow, without credentials (issue 3, RFC 3261 §11.2)', async (t) => {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  client.send(buildRequest({ method: 'OPTIONS', user: 'nobody', callId: rand(), cseq: 7 }, { transport: 'UDP', localPort: client.localPort, serverPort: client.serverPort }));
  const res = await client.response();
  t.is(res.status, 200, res.raw);
  t.is(header(res, 'CSeq'), '7 OPTIONS');
  const allow = (header(res, 'Allow') ?? '').split(/\s*,\s*/);
  for (const m of ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER']) t.true(allow.includes(m), `Allow lacks ${m}: ${allow.join(',')}`);
  t.is(headers(res, 'WWW-Authenticate').length, 0);
});

test('RFC 3261 §8.2.2.3: a request requiring an extension we lack gets 420 Bad Extension with Unsupported listing it', async (t) => {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  for (const method of ['OPTIONS', 'INVITE', 'REGISTER']) {
    client.send(
      buildRequest(
        { method, user: '601', callId: rand(), cseq: 9, extra: [['Require', 'timer, foo'], ['Contact', '<sip:601@127.0.0.1>']] },
        { transport: 'UDP', localPort: client.localPort, serverPort: client.serverPort },
      ),
    );
    const res = await client.response();
    t.is(res.status, 420, `${method}: ${res.raw}`);
    t.is(header(res, 'Unsupported'), 'timer, foo', method);
    t.is(header(res, 'CSeq'), `9 ${method}`);
  }
  t.is(header(await optionsAnswer(client), 'Supported'), undefined, 'no option tag is claimed that is not implemented');
});

async function optionsAnswer(client: UdpSipClient) {
  client.send(buildRequest({ method: 'OPTIONS', user: 'nobody', callId: rand(), cseq: 1 }, { transport: 'UDP', localPort: client.localPort, serverPort: client.serverPort }));
  return client.response();
}

test('REGISTER over TCP with SIPp (-t t1) registers the phone; the binding is via tcp (issue 3, RFC 3261 §18.3)', async (t) => {
  const pbx = t.context.pbx;
  const dir = mkdtempSync(join(tmpdir(), 'sipp-tcp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const csv = join(dir, 'users.csv');
  writeFileSync(csv, sippUsersCsv(phones.filter((p) => p.internalNumber === '608')));
  const errFile = join(dir, 'errors.log');
  const port = await freePort();
  const r = spawnSync(
    'sipp',
    [`127.0.0.1:${pbx.sipPort}`, '-sf', join(REPO, 'test/fixtures/sipp/register-digest.xml'), '-inf', csv, '-m', '1', '-t', 't1', '-i', '127.0.0.1', '-p', String(port), '-timeout', '10', '-timeout_error', '-trace_err', '-error_file', errFile, '-nostdin'],
    { cwd: dir, timeout: 20_000, encoding: 'utf8' },
  );
  t.is(r.status, 0, `SIPp failed:\n${existsSync(errFile) ? readFileSync(errFile, 'utf8') : r.stderr}`);
  const list = await pbx.command('phones');
  t.true(isRegistered(list, '608'), list);
  t.regex(list, /^608 [^\n]*\n\s+sip:608@127\.0\.0\.1:\d+;transport=tcp via tcp:127\.0\.0\.1:\d+/im);
});

/** Sends one REGISTER with the given Authorization and returns the response. */
async function registerWith(client: SipClient, phone: SipPhone, authorization: string): Promise<ReturnType<SipClient['response']>> {
  const cseq = ++phone.cseq;
  client.send(buildRequest({ method: 'REGISTER', user: phone.username, callId: phone.callId, cseq, contacts: [phone.contact()], expires: 300, authorization }, phone.peer));
  return client.response((r) => cseqOf(r) === cseq);
}

test('a nonce replayed with the same nonce-count is refused; the next nonce-count is accepted (issue 3, RFC 7616 §3.4, §5.12)', async (t) => {
  const phone = await phoneOn(t, '609');
  const first = await phone.register([phone.contact()], 300);
  t.is(first.status, 200, first.raw);
  const uri = `sip:127.0.0.1:${t.context.pbx.sipPort}`;
  const creds = { username: '609', password: passwordOf('609'), method: 'REGISTER', uri };
  // nc=1 was used by register(): the same nonce-count again is a replay.
  const replay = await registerWith(phone.client, phone, digestAuthorization(phone.lastChallenge!, { ...creds, nc: 1 }));
  t.is(replay.status, 401, replay.raw);
  t.notRegex(md5Challenge(replay), /stale=true/i, 'a replay is not a stale nonce');
  // A fresh nonce-count on the same nonce authenticates (so the refusal above was the replay, not the nonce).
  const next = await registerWith(phone.client, phone, digestAuthorization(phone.lastChallenge!, { ...creds, nc: 2 }));
  t.is(next.status, 200, next.raw);
});

test('a nonce older than sip.nonceLifetimeSeconds gets 401 with stale=true, and the new nonce works (issue 3, RFC 7616 §3.3 stale)', async (t) => {
  const phone = await phoneOn(t, '610');
  const first = await phone.register([phone.contact()], 300);
  t.is(first.status, 200, first.raw);
  const challenge = phone.lastChallenge!;
  const uri = `sip:127.0.0.1:${t.context.pbx.sipPort}`;
  const creds = { username: '610', password: passwordOf('610'), method: 'REGISTER', uri };
  await new Promise((r) => setTimeout(r, NONCE_LIFETIME_S * 1000 + 500));
  const res = await registerWith(phone.client, phone, digestAuthorization(challenge, { ...creds, nc: 2 }));
  t.is(res.status, 401, res.raw);
  const fresh = md5Challenge(res);
  t.is(parseChallenge(fresh).get('stale')?.toLowerCase(), 'true', fresh);
  t.not(parseChallenge(fresh).get('nonce'), parseChallenge(challenge).get('nonce'));
  const again = await registerWith(phone.client, phone, digestAuthorization(fresh, { ...creds, nc: 1 }));
  t.is(again.status, 200, again.raw);
});
