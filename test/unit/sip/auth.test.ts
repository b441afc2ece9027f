import { createHash } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { FakeClock } from '../../../firmware/core/clock.ts';
import {
  DigestAuthenticator,
  buildAuthorization,
  computeDigestResponse,
  computeHA1,
  parseAuthParams,
  parseDigestChallenge,
  selectChallenge,
} from '../../../firmware/sip/auth/index.ts';
import type { DigestAuthenticatorOptions, StoredCredential } from '../../../firmware/sip/auth/index.ts';

// ---------------------------------------------------------------- known answers

test('RFC 2617 §3.5: MD5 qop=auth known answer (Mufasa / Circle Of Life)', (t) => {
  const response = computeDigestResponse({
    algorithm: 'MD5',
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    password: 'Circle Of Life',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
  });
  t.is(response, '6629fae49393a05397450978507c4ef1');
});

test('RFC 2617 §3.5: buildAuthorization reproduces the example header response', (t) => {
  const challenge =
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const value = buildAuthorization(challenge, { username: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html', {
    nc: 1,
    cnonce: '0a4f113b',
  });
  t.truthy(value);
  const parsed = parseAuthParams(value ?? '');
  t.is(parsed?.params.get('response'), '6629fae49393a05397450978507c4ef1');
  t.is(parsed?.params.get('opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
  t.is(parsed?.params.get('qop'), 'auth');
  t.is(parsed?.params.get('nc'), '00000001');
});

const rfc7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  method: 'GET',
  uri: '/dir/index.html',
  qop: 'auth' as const,
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

test('RFC 7616 §3.9.1: SHA-256 known answer', (t) => {
  t.is(
    computeDigestResponse({ ...rfc7616, algorithm: 'SHA-256' }),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
});

test('RFC 7616 §3.9.1: MD5 known answer', (t) => {
  t.is(computeDigestResponse({ ...rfc7616, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
});

test('RFC 7616 §3.9.1: precomputed HA1 gives the same response as the password', (t) => {
  const ha1 = computeHA1('SHA-256', rfc7616.username, rfc7616.realm, rfc7616.password);
  const { password: _unused, ...rest } = rfc7616;
  t.is(
    computeDigestResponse({ ...rest, algorithm: 'SHA-256', ha1 }),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
});

test('RFC 2617 §3.2.2.1: without qop the response is KD(HA1, nonce:HA2)', (t) => {
  const md5 = (x: string) => createHash('md5').update(x).digest('hex');
  const expected = md5(`${md5('alice:r:pw')}:n:${md5('REGISTER:sip:r')}`);
  const r = computeDigestResponse({ algorithm: 'MD5', username: 'alice', realm: 'r', password: 'pw', nonce: 'n', method: 'REGISTER', uri: 'sip:r' });
  t.is(r, expected);
});

test('RFC 8760 §2.4: selectChallenge prefers SHA-256 over MD5 whatever the order', (t) => {
  const md5 = 'Digest realm="a", nonce="n1", algorithm=MD5, qop="auth"';
  const sha = 'Digest realm="a", nonce="n1", algorithm=SHA-256, qop="auth"';
  t.is(selectChallenge([md5, sha])?.algorithm, 'SHA-256');
  t.is(selectChallenge([sha, md5])?.algorithm, 'SHA-256');
  t.is(selectChallenge([md5])?.algorithm, 'MD5');
  t.is(selectChallenge(['Basic realm="x"']), undefined);
});

// ---------------------------------------------------------------- server

const users: Record<string, string> = { '201': 'secret201', '202': 'secret202' };
function lookup(username: string): StoredCredential | undefined {
  const pw = users[username];
  return pw === undefined ? undefined : { password: pw };
}

function makeAuth(extra: Partial<DigestAuthenticatorOptions> = {}) {
  const clock = new FakeClock();
  const auth = new DigestAuthenticator({
    clock,
    secret: Buffer.alloc(32, 7),
    realm: 'pbx.local',
    credentials: lookup,
    ...extra,
  });
  return { clock, auth };
}

function answer(auth: DigestAuthenticator, opts: { user?: string; password?: string; nc?: number; alg?: 'MD5' | 'SHA-256'; challenge?: string; method?: string } = {}) {
  const challenges = auth.challenge();
  const challenge =
    opts.challenge ?? challenges.find((c) => c.includes(`algorithm=${opts.alg ?? 'SHA-256'}`)) ?? '';
  const user = opts.user ?? '201';
  return buildAuthorization(
    challenge,
    { username: user, password: opts.password ?? users[user] ?? 'x' },
    opts.method ?? 'REGISTER',
    'sip:pbx.local',
    { nc: opts.nc ?? 1, cnonce: 'abcdef' },
  ) as string;
}

test('RFC 8760 §2.4: challenge offers SHA-256 first then MD5, qop=auth and opaque', (t) => {
  const { auth } = makeAuth();
  const ch = auth.challenge();
  t.is(ch.length, 2);
  t.regex(ch[0] ?? '', /algorithm=SHA-256/);
  t.regex(ch[1] ?? '', /algorithm=MD5/);
  const parsed = parseDigestChallenge(ch[0] ?? '');
  t.deepEqual(parsed?.qop, ['auth']);
  t.is(parsed?.realm, 'pbx.local');
  t.truthy(parsed?.opaque);
  t.false(parsed?.stale);
  t.true(parseDigestChallenge(auth.challenge({ stale: true })[0] ?? '')?.stale);
});

test('challenge algorithms are configurable', (t) => {
  const { auth } = makeAuth({ algorithms: ['MD5'] });
  const ch = auth.challenge();
  t.is(ch.length, 1);
  t.regex(ch[0] ?? '', /algorithm=MD5/);
  // SHA-256 was not offered: an answer with it is refused.
  const other = makeAuth().auth;
  const sha = buildAuthorization(other.challenge()[0] ?? '', { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local');
  t.is(auth.verify('REGISTER', sha).result, 'malformed');
});

test('RFC 7616 §3.4: SHA-256 and MD5 answers to our challenge are ok', (t) => {
  const { auth } = makeAuth();
  t.is(auth.verify('REGISTER', answer(auth, { alg: 'SHA-256' })).result, 'ok');
  const md5 = auth.verify('REGISTER', answer(auth, { alg: 'MD5' }));
  t.is(md5.result, 'ok');
  t.is(md5.username, '201');
  t.is(md5.algorithm, 'MD5');
});

test('precomputed HA1 in the store verifies', (t) => {
  const { auth } = makeAuth({
    credentials: (u, r) => (u === '201' ? { ha1: { 'SHA-256': computeHA1('SHA-256', u, r, 'secret201') } } : undefined),
  });
  t.is(auth.verify('REGISTER', answer(auth)).result, 'ok');
  // No MD5 HA1 stored: an MD5 answer cannot be checked and fails like a wrong password.
  t.is(auth.verify('REGISTER', answer(auth, { alg: 'MD5' })).result, 'bad-credentials');
});

test('wrong password -> bad-credentials', (t) => {
  const { auth } = makeAuth();
  t.is(auth.verify('REGISTER', answer(auth, { password: 'guess' })).result, 'bad-credentials');
});

test('unknown user -> unknown-user', (t) => {
  const { auth } = makeAuth();
  const r = auth.verify('REGISTER', answer(auth, { user: '999', password: 'x' }));
  t.is(r.result, 'unknown-user');
  t.is(r.username, '999');
});

test('method is part of HA2: a REGISTER answer does not authorize an INVITE', (t) => {
  const { auth } = makeAuth();
  t.is(auth.verify('INVITE', answer(auth, { method: 'REGISTER' })).result, 'bad-credentials');
});

test('RFC 7616 §3.3: expired nonce -> stale after the configured lifetime', (t) => {
  const { auth, clock } = makeAuth({ nonceLifetimeMs: 30_000 });
  const value = answer(auth);
  clock.advance(29_999);
  t.is(auth.verify('REGISTER', value).result, 'ok');
  const later = answer(auth, { nc: 1 });
  clock.advance(30_000);
  t.is(auth.verify('REGISTER', later).result, 'stale');
});

test('RFC 7616 §3.4: the same nc twice on one nonce is a replay', (t) => {
  const { auth } = makeAuth();
  const value = answer(auth);
  t.is(auth.verify('REGISTER', value).result, 'ok');
  t.is(auth.verify('REGISTER', value).result, 'replay');
});

test('RFC 7616 §3.4: increasing nc on one nonce is accepted, going back is a replay', (t) => {
  const { auth } = makeAuth();
  const challenge = auth.challenge()[0] ?? '';
  const creds = { username: '201', password: 'secret201' };
  const mk = (nc: number) => buildAuthorization(challenge, creds, 'REGISTER', 'sip:pbx.local', { nc, cnonce: 'c' });
  t.is(auth.verify('REGISTER', mk(1)).result, 'ok');
  t.is(auth.verify('REGISTER', mk(2)).result, 'ok');
  t.is(auth.verify('REGISTER', mk(5)).result, 'ok');
  t.is(auth.verify('REGISTER', mk(4)).result, 'replay');
  t.is(auth.verify('REGISTER', mk(5)).result, 'replay');
  t.is(auth.verify('REGISTER', mk(6)).result, 'ok');
});

test('RFC 3261 §8.2.7: the same request again (same transaction key, same nc) is a retransmission, accepted; another request with that nc is a replay', (t) => {
  const { auth } = makeAuth();
  const value = answer(auth);
  t.is(auth.verify('REGISTER', value, undefined, 'z9hG4bKa\0host:5060').result, 'ok');
  t.is(auth.verify('REGISTER', value, undefined, 'z9hG4bKa\0host:5060').result, 'ok', 'retransmission');
  t.is(auth.verify('REGISTER', value, undefined, 'z9hG4bKb\0host:5060').result, 'replay', 'new branch, same nc');
  t.is(auth.verify('REGISTER', value).result, 'replay', 'no key: every repeat is a replay');
});

test('RFC 3261 §8.2.7: a retransmission of an older nonce-count is a replay once a later one was accepted', (t) => {
  const { auth } = makeAuth();
  const challenge = auth.challenge()[0] ?? '';
  const mk = (nc: number) => buildAuthorization(challenge, { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local', { nc, cnonce: 'c' });
  t.is(auth.verify('REGISTER', mk(1), undefined, 'k1').result, 'ok');
  t.is(auth.verify('REGISTER', mk(2), undefined, 'k2').result, 'ok');
  t.is(auth.verify('REGISTER', mk(1), undefined, 'k1').result, 'replay');
  t.is(auth.verify('REGISTER', mk(2), undefined, 'k2').result, 'ok');
});

test('checkCredentials on one authenticator, acceptUse on another with the same secret: what the registrar threads do', (t) => {
  const clock = new FakeClock();
  const opts = { clock, secret: Buffer.alloc(32, 9), realm: 'pbx.local', credentials: lookup };
  const main = new DigestAuthenticator(opts);
  const thread = new DigestAuthenticator(opts);
  // A nonce issued by the main thread checks on the thread, and the other way round.
  for (const [issuer, checker] of [
    [main, thread],
    [thread, main],
  ] as const) {
    const value = answer(issuer);
    const checked = checker.checkCredentials('REGISTER', value);
    t.is(checked.result, 'ok');
    t.is(checked.username, '201');
    if (!checked.use) return t.fail('no nonce use');
    t.is(checked.use.nc, 1);
    t.true(checked.use.qop);
    // Stateless: the same credentials check again; only acceptUse keeps the nonce-count.
    t.is(checker.checkCredentials('REGISTER', value).result, 'ok');
    t.is(main.acceptUse({ ...checked.use, key: 'k' }), 'ok');
    t.is(main.acceptUse({ ...checked.use, key: 'k' }), 'ok', 'retransmission');
    t.is(main.acceptUse({ ...checked.use, key: 'other' }), 'replay');
  }
  t.is(thread.checkCredentials('REGISTER', answer(main, { password: 'nope' })).result, 'bad-credentials');
  t.is(thread.checkCredentials('REGISTER', answer(main, { user: 'ghost' })).result, 'unknown-user');
  const other = new DigestAuthenticator({ ...opts, secret: Buffer.alloc(32, 1) });
  t.is(other.checkCredentials('REGISTER', answer(main)).result, 'stale', 'a nonce under another key is not ours');
});

test('tampered nonce is rejected (stale: not one of ours)', (t) => {
  const { auth } = makeAuth();
  const challenge = parseDigestChallenge(auth.challenge()[0] ?? '');
  if (!challenge) return t.fail('no challenge');
  const n = challenge.nonce;
  // Flip one character of the timestamp part, keeping the base64url alphabet.
  const tampered = (n[3] === 'A' ? 'B' : 'A') + '';
  const nonce = n.slice(0, 3) + tampered + n.slice(4);
  const value = buildAuthorization({ ...challenge, nonce }, { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local');
  t.is(auth.verify('REGISTER', value).result, 'stale');
  // A nonce from another key (e.g. before a restart with a new secret) likewise.
  const other = new DigestAuthenticator({ clock: new FakeClock(), realm: 'pbx.local', credentials: lookup });
  const foreign = buildAuthorization(other.challenge()[0] ?? '', { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local');
  t.not(auth.verify('REGISTER', foreign).result, 'ok');
});

test('realm that is not ours -> bad-credentials', (t) => {
  const { auth } = makeAuth();
  const challenge = parseDigestChallenge(auth.challenge()[0] ?? '');
  if (!challenge) return t.fail('no challenge');
  const value = buildAuthorization({ ...challenge, realm: 'evil' }, { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local');
  t.is(auth.verify('REGISTER', value).result, 'bad-credentials');
});

test('RFC 2069 compatibility: no qop accepted once per nonce when allowed, refused when not', (t) => {
  const { auth } = makeAuth();
  const challenge = parseDigestChallenge(auth.challenge()[0] ?? '');
  if (!challenge) return t.fail('no challenge');
  const noQop = buildAuthorization({ ...challenge, qop: [] }, { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local');
  t.false((noQop ?? '').includes('qop='));
  t.is(auth.verify('REGISTER', noQop).result, 'ok');
  // Without nc there is no replay counter: the nonce is spent, the client is re-challenged with stale=true.
  t.is(auth.verify('REGISTER', noQop).result, 'stale');

  const strict = makeAuth({ allowNoQop: false }).auth;
  const c2 = parseDigestChallenge(strict.challenge()[0] ?? '');
  if (!c2) return t.fail('no challenge');
  const v2 = buildAuthorization({ ...c2, qop: [] }, { username: '201', password: 'secret201' }, 'REGISTER', 'sip:pbx.local');
  t.is(strict.verify('REGISTER', v2).result, 'malformed');
});

test('nonce table is bounded and eviction never lets a replay through', (t) => {
  const { auth, clock } = makeAuth({ maxTrackedNonces: 3 });
  const first = answer(auth);
  t.is(auth.verify('REGISTER', first).result, 'ok');
  for (let k = 0; k < 5; k++) {
    clock.advance(1); // nonces issued in the same millisecond as an evicted one are (harmlessly) stale
    t.is(auth.verify('REGISTER', answer(auth)).result, 'ok');
  }
  t.true(auth.trackedNonces() <= 3);
  // `first`'s nonce was evicted: replaying it must not be ok.
  t.not(auth.verify('REGISTER', first).result, 'ok');
});

test('malformed credentials', (t) => {
  const { auth } = makeAuth();
  const good = answer(auth);
  const cases: Array<string | undefined> = [
    undefined,
    '',
    'Digest',
    'Basic dXNlcjpwYXNz',
    'Digest username="201"',
    good.replace(/nc=00000001/, 'nc=1'),
    good.replace(/nc=00000001/, 'nc=00000000'),
    good.replace(/qop=auth/, 'qop=bogus'),
    good.replace(/, cnonce="abcdef"/, ''),
    good.replace(/algorithm=SHA-256/, 'algorithm=SHA-512'),
    good.replace(/response="([0-9a-f]+)"/, 'response="$1ab"'),
    good + ', username="dup"',
    good.replace('username="201"', 'username="201'),
    'Digest ' + 'a=b, '.repeat(2000),
  ];
  for (const c of cases) t.is(auth.verify('REGISTER', c).result, 'malformed', String(c).slice(0, 80));
});

test('parseAuthParams: quoted strings, escapes, commas inside quotes, lenient quoting', (t) => {
  const p = parseAuthParams('Digest username="a\\"b", realm="x, y", nc=00000001, qop="auth" ,uri=sip:x@y');
  t.is(p?.scheme, 'Digest');
  t.is(p?.params.get('username'), 'a"b');
  t.is(p?.params.get('realm'), 'x, y');
  t.is(p?.params.get('nc'), '00000001');
  t.is(p?.params.get('qop'), 'auth');
  t.is(p?.params.get('uri'), 'sip:x@y');
  t.is(parseAuthParams('Digest a="unterminated'), undefined);
  t.is(parseAuthParams('Digest a=b c=d'), undefined);
  t.is(parseAuthParams('Digest a="\u0000"'), undefined);
});

test('fuzz: parser and verify never throw on hostile input', (t) => {
  const { auth } = makeAuth();
  const good = answer(auth);
  const alphabet = fc.constantFrom(...'Digest =,"\\\t abc0123:/@\u0000\r\n\u00e9'.split(''));
  const hostile = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: alphabet, maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    // mutations of a valid header: cut, insert, duplicate
    fc.tuple(fc.nat(good.length), fc.nat(good.length), fc.string({ maxLength: 20 })).map(
      ([a, b, ins]) => good.slice(0, Math.min(a, b)) + ins + good.slice(Math.max(a, b)),
    ),
    fc.nat(20_000).map((k) => 'Digest x="' + 'a'.repeat(k)),
  );
  fc.assert(
    fc.property(hostile, (input) => {
      parseAuthParams(input);
      parseDigestChallenge(input);
      const r = auth.verify('REGISTER', input).result;
      return ['ok', 'stale', 'bad-credentials', 'unknown-user', 'malformed', 'replay'].includes(r) && (r !== 'ok' || input.length > 0);
    }),
    { numRuns: 600 },
  );
  t.pass('600 hostile inputs without a throw');
});
