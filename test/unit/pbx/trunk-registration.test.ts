/**
 * The operator trunk's outbound registration (RFC 3261 §10.2) with a fake
 * clock, a SIP sender that records the REGISTERs and lets the test answer
 * them through their ClientTransactionUser, and a resolver that returns a
 * literal: no sockets, no DNS.
 */
import test from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { EventBus } from '../../../firmware/core/events.ts';
import { factoryDefaults } from '../../../firmware/config/index.ts';
import type { PbxEvents } from '../../../firmware/pbx/events.ts';
import { TrunkRegistration, type TrunkConfig, type TrunkState } from '../../../firmware/pbx/trunk/registration.ts';
import { computeDigestResponse, parseAuthParams } from '../../../firmware/sip/auth/index.ts';
import { createResponse, getCSeq, getContacts, getFrom, getTo, isSipUri, topVia, type SipRequest } from '../../../firmware/sip/message/index.ts';
import type { ClientTransactionUser, Destination } from '../../../firmware/sip/transaction/index.ts';
import { silentLogs } from '../../helpers/logs.ts';

const ADDRESS = '203.0.113.5';
const ADVERTISE = { host: '192.0.2.10', port: 5060 };
const PASSWORD = 'trunk-secret-1';

function trunkConfig(extra: Partial<TrunkConfig> = {}): TrunkConfig {
  return {
    ...factoryDefaults('device-pass-1').trunk,
    enabled: true,
    registrar: 'sip.operator.example',
    domain: 'operator.example',
    username: '0577110000',
    password: PASSWORD,
    registerExpires: 600,
    retryMinSeconds: 15,
    retryMaxSeconds: 100,
    ...extra,
  };
}

interface Sent {
  req: SipRequest;
  dest: Destination;
  user: ClientTransactionUser;
}

function setup(cfg: TrunkConfig = trunkConfig(), opts: { resolve?: (host: string) => Promise<string>; accept?: () => boolean } = {}) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  const resolved: string[] = [];
  const events = new EventBus<PbxEvents>();
  const states: Array<{ state: TrunkState; detail: string }> = [];
  events.on('trunk.state', (p) => void states.push(p));
  const trunk = new TrunkRegistration(
    {
      clock,
      log: silentLogs().get('trunk'),
      events,
      sip: {
        sendRequest: (req, dest, user) => {
          sent.push({ req, dest, user });
          return opts.accept ? opts.accept() : true;
        },
        advertise: ADVERTISE,
      },
      resolve:
        opts.resolve ??
        (async (host) => {
          resolved.push(host);
          return ADDRESS;
        }),
    },
    cfg,
  );
  const last = (): Sent => {
    const s = sent.at(-1);
    if (!s) throw new Error('nothing sent');
    return s;
  };
  /** Answers the n-th REGISTER (default: the last one). */
  const answer = (status: number, headers: Array<[string, string]> = [], which: Sent = last()): void => {
    const res = createResponse(which.req, status, undefined, headers, undefined, { toTag: 'optag' });
    which.user.onResponse(res, { kind: 'nict', key: 'k', state: 'completed', request: which.req });
  };
  const view = (s: Sent) => ({ kind: 'nict' as const, key: 'k', state: 'terminated' as const, request: s.req });
  return { clock, sent, resolved, states, trunk, last, answer, view };
}

/** Lets the resolver's promise settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const challenge = (nonce: string, extra = ''): string => `Digest realm="operator.example", nonce="${nonce}", qop="auth", algorithm=MD5${extra}`;

/** Checks a digest credential as the operator would: recomputes the response from the password. */
function verifyDigest(t: { is: (a: unknown, b: unknown, m?: string) => void; truthy: (a: unknown, m?: string) => void }, value: string | undefined, nonce: string, username = '0577110000'): void {
  t.truthy(value, 'credentials present');
  const parsed = parseAuthParams(value ?? '');
  t.truthy(parsed, 'credentials parse');
  if (!parsed) return;
  const p = parsed.params;
  t.is(parsed.scheme, 'Digest');
  t.is(p.get('username'), username);
  t.is(p.get('realm'), 'operator.example');
  t.is(p.get('nonce'), nonce);
  t.is(p.get('uri'), 'sip:operator.example');
  t.is(p.get('algorithm'), 'MD5');
  t.is(p.get('qop'), 'auth');
  const nc = p.get('nc');
  const cnonce = p.get('cnonce');
  t.truthy(nc);
  t.truthy(cnonce);
  const expected = computeDigestResponse({
    algorithm: 'MD5',
    username,
    realm: 'operator.example',
    password: PASSWORD,
    nonce,
    method: 'REGISTER',
    uri: 'sip:operator.example',
    qop: 'auth',
    nc: nc ?? '',
    cnonce: cnonce ?? '',
  });
  t.is(p.get('response'), expected, 'digest response is correct');
}

const cseq = (s: Sent): number => getCSeq(s.req.headers)?.seq ?? -1;
const expiresOf = (s: Sent): string | undefined => s.req.headers.get('expires');

// --- the REGISTER and its challenges --------------------------------------------

test('RFC 3261 §10.2: the first REGISTER: Request-URI the domain, From/To the AOR, our Contact, Expires from the config', async (t) => {
  const { sent, resolved, trunk, states } = setup();
  trunk.start();
  t.is(trunk.status().state, 'resolving');
  t.deepEqual(resolved, ['sip.operator.example']);
  await settle();
  t.is(sent.length, 1);
  const { req, dest } = sent[0]!;
  t.deepEqual(dest, { transport: 'UDP', host: ADDRESS, port: 5060 });
  t.deepEqual(trunk.target(), { transport: 'UDP', host: ADDRESS, port: 5060 });
  t.is(req.method, 'REGISTER');
  t.is(req.uri, 'sip:operator.example');
  t.regex(req.headers.get('from') ?? '', /^<sip:0577110000@operator\.example>;tag=.+/);
  t.is(req.headers.get('to'), '<sip:0577110000@operator.example>');
  t.truthy(getFrom(req.headers)?.params.get('tag'));
  t.is(getTo(req.headers)?.params.get('tag'), undefined);
  const contacts = getContacts(req.headers);
  t.not(contacts, '*');
  if (contacts !== '*') {
    t.is(contacts.length, 1);
    const uri = contacts[0]!.uri;
    t.true(isSipUri(uri));
    if (isSipUri(uri)) {
      t.is(uri.user, '0577110000');
      t.is(uri.host, ADVERTISE.host);
      t.is(uri.port, ADVERTISE.port);
    }
  }
  t.is(expiresOf(sent[0]!), '600');
  t.deepEqual(getCSeq(req.headers), { seq: 1, method: 'REGISTER' });
  t.regex(topVia(req.headers)?.params.get('branch') ?? '', /^z9hG4bK/);
  t.falsy(req.headers.get('authorization'));
  t.is(trunk.status().state, 'registering');
  t.deepEqual(
    states.map((s) => s.state),
    ['resolving', 'registering'],
  );
});

test('RFC 3261 §10.2 / §22.2: a 401 (qop=auth, MD5) is answered once with a correct Authorization, same Call-ID, CSeq + 1', async (t) => {
  const { sent, trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(401, [['WWW-Authenticate', challenge('n0nce-1', ', opaque="op4que"')]]);
  t.is(sent.length, 2);
  const [first, second] = [sent[0]!, sent[1]!];
  t.is(second.req.headers.get('call-id'), first.req.headers.get('call-id'));
  t.is(cseq(second), cseq(first) + 1);
  t.is(second.req.headers.get('from'), first.req.headers.get('from'), 'same From tag');
  t.not(topVia(second.req.headers)?.params.get('branch'), topVia(first.req.headers)?.params.get('branch'), 'a new transaction');
  t.is(expiresOf(second), '600');
  t.falsy(second.req.headers.get('proxy-authorization'));
  verifyDigest(t, second.req.headers.get('authorization'), 'n0nce-1');
  t.is(parseAuthParams(second.req.headers.get('authorization') ?? '')?.params.get('opaque'), 'op4que');
  t.is(trunk.status().state, 'registering');
});

test('RFC 3261 §22.3: a 407 is answered with Proxy-Authorization', async (t) => {
  const { sent, trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(407, [['Proxy-Authenticate', challenge('proxy-nonce')]]);
  t.is(sent.length, 2);
  const second = sent[1]!;
  t.falsy(second.req.headers.get('authorization'));
  verifyDigest(t, second.req.headers.get('proxy-authorization'), 'proxy-nonce');
  t.is(cseq(second), 2);
});

test('RFC 3261 §22.2: authUsername, when set, is the digest user name; the AOR keeps the account number', async (t) => {
  const { sent, trunk, answer } = setup(trunkConfig({ authUsername: 'auth-0577' }));
  trunk.start();
  await settle();
  answer(401, [['WWW-Authenticate', challenge('n1')]]);
  verifyDigest(t, sent[1]!.req.headers.get('authorization'), 'n1', 'auth-0577');
  t.is(sent[1]!.req.headers.get('to'), '<sip:0577110000@operator.example>');
});

// RFC 3261 §22.3: the UAC answers each challenge, keeping the credentials of
// the other realms (a proxy's 407 then the registrar's 401).
test('RFC 3261 §22.3: a 401 of the registrar after an answered 407 of a proxy is answered with both credentials', async (t) => {
  const { sent, trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(407, [['Proxy-Authenticate', 'Digest realm="proxy.operator.example", nonce="pn", qop="auth", algorithm=MD5']]);
  t.is(sent.length, 2);
  answer(401, [['WWW-Authenticate', challenge('rn')]]);
  t.is(trunk.status().state, 'registering');
  t.is(sent.length, 3);
  verifyDigest(t, sent[2]?.req.headers.get('authorization'), 'rn');
  t.truthy(sent[2]?.req.headers.get('proxy-authorization'));
});

test('RFC 2617 §3.2.1: a second 401 after our credentials (not stale) fails: the operator refused the credentials', async (t) => {
  const { sent, trunk, answer, states } = setup();
  trunk.start();
  await settle();
  answer(401, [['WWW-Authenticate', challenge('n1')]]);
  answer(401, [['WWW-Authenticate', challenge('n2')]]);
  t.is(sent.length, 2, 'not answered a second time');
  const s = trunk.status();
  t.is(s.state, 'failed');
  t.regex(s.detail, /refused the credentials of 0577110000 \(401\)/);
  t.is(s.consecutiveFailures, 1);
  t.is(states.at(-1)?.state, 'failed');
  t.regex(states.at(-1)?.detail ?? '', /refused the credentials/);
});

test('RFC 2617 §3.2.1: a stale=true challenge after our credentials is answered again with the new nonce', async (t) => {
  const { sent, trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(401, [['WWW-Authenticate', challenge('n1')]]);
  answer(401, [['WWW-Authenticate', challenge('n2', ', stale=true')]]);
  t.is(sent.length, 3);
  verifyDigest(t, sent[2]!.req.headers.get('authorization'), 'n2');
  t.is(cseq(sent[2]!), 3);
  t.is(trunk.status().state, 'registering');
  answer(200, [['Expires', '600']]);
  t.is(trunk.status().state, 'registered');
});

test('RFC 3261 §10.2.8: a 423 with Min-Expires: the next REGISTER asks that Expires', async (t) => {
  const { sent, trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(423, [['Min-Expires', '1800']]);
  t.is(sent.length, 2);
  t.is(expiresOf(sent[1]!), '1800');
  t.is(cseq(sent[1]!), 2);
  // The challenge that follows is still answered, with that Expires.
  answer(401, [['WWW-Authenticate', challenge('n1')]]);
  t.is(expiresOf(sent[2]!), '1800');
  answer(200, []);
  t.is(trunk.status().state, 'registered');
  t.is(trunk.status().expiresInSeconds, 1800, 'no expiry in the 200: what we asked');
});

test('RFC 3261 §10.2.8: a 423 without a usable Min-Expires fails', async (t) => {
  const { sent, trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(423, []);
  t.is(sent.length, 1);
  t.is(trunk.status().state, 'failed');
  t.regex(trunk.status().detail, /423/);
});

// --- registered, refresh ---------------------------------------------------------

test('RFC 3261 §10.2.4: a 200 whose Contact has expires=N registers for N s and refreshes at N-30 s', async (t) => {
  const { sent, trunk, answer, clock, states } = setup();
  trunk.start();
  await settle();
  answer(200, [
    ['Contact', `<sip:someone-else@198.51.100.1:5060>;expires=50`],
    ['Contact', `<sip:0577110000@${ADVERTISE.host}:${ADVERTISE.port}>;expires=300`],
    ['Expires', '900'],
  ]);
  const s = trunk.status();
  t.is(s.state, 'registered');
  t.is(s.expiresInSeconds, 300);
  t.is(s.consecutiveFailures, 0);
  t.is(s.registeredSince, clock.now());
  t.true(trunk.isRegistered());
  t.is(states.at(-1)?.state, 'registered');
  t.is(states.at(-1)?.detail, 'registered for 300 s');
  clock.advance(269_999);
  t.is(sent.length, 1);
  clock.advance(1);
  t.is(sent.length, 2, 'refresh at 270 s');
  const refresh = sent[1]!;
  t.is(refresh.req.headers.get('call-id'), sent[0]!.req.headers.get('call-id'));
  t.is(cseq(refresh), 2);
  t.is(expiresOf(refresh), '600');
  t.is(trunk.status().state, 'registered', 'still registered while refreshing');
  t.is(states.filter((e) => e.state === 'registered').length, 1, 'no event for the refresh');
});

test('RFC 3261 §10.2.4: a 200 with only an Expires header registers for that long; a short N refreshes at N/2', async (t) => {
  const { sent, trunk, answer, clock } = setup();
  trunk.start();
  await settle();
  answer(200, [['Expires', '40']]);
  t.is(trunk.status().expiresInSeconds, 40);
  clock.advance(19_999);
  t.is(sent.length, 1);
  clock.advance(1);
  t.is(sent.length, 2, 'refresh at 20 s');
  // The refresh is challenged and answered like the first REGISTER; registeredSince is kept.
  const since = trunk.status().registeredSince;
  answer(401, [['WWW-Authenticate', challenge('n9')]]);
  t.is(sent.length, 3);
  verifyDigest(t, sent[2]!.req.headers.get('authorization'), 'n9');
  answer(200, [['Expires', '120']]);
  t.is(trunk.status().expiresInSeconds, 120);
  t.is(trunk.status().registeredSince, since);
  clock.advance(89_999);
  t.is(sent.length, 3);
  clock.advance(1);
  t.is(sent.length, 4, 'refresh at 120 - 30 = 90 s');
});

test('RFC 3261 §10.2.4: exactly 60 s refreshes at 30 s; 61 s at 31 s', async (t) => {
  for (const [n, at] of [
    [60, 30],
    [61, 31],
  ] as const) {
    const { sent, trunk, answer, clock } = setup();
    trunk.start();
    await settle();
    answer(200, [['Expires', String(n)]]);
    clock.advance(at * 1000 - 1);
    t.is(sent.length, 1, `N=${n}`);
    clock.advance(1);
    t.is(sent.length, 2, `N=${n}`);
  }
});

// --- failures and back-off ---------------------------------------------------------

test('RFC 3261 §8.1.3.1 back-off: 403, timeout and transport error fail, then retry after retryMinSeconds doubling, capped at retryMaxSeconds', async (t) => {
  const { sent, trunk, answer, clock, resolved, last, view } = setup(trunkConfig({ retryMinSeconds: 15, retryMaxSeconds: 100 }));
  trunk.start();
  await settle();
  const failWith: Array<(n: number) => void> = [
    () => answer(403),
    () => last().user.onTimeout(view(last())),
    () => last().user.onTransportError(view(last()), new Error('ECONNREFUSED')),
    () => answer(503),
    () => answer(403),
  ];
  const delays = [15, 30, 60, 100, 100];
  const details = [/403/, /timeout/, /cannot reach 203\.0\.113\.5:5060/, /503/, /403/];
  for (let i = 0; i < delays.length; i++) {
    const before = sent.length;
    failWith[i]!(i);
    const s = trunk.status();
    t.is(s.state, 'failed', `failure ${i + 1}`);
    t.is(s.consecutiveFailures, i + 1);
    t.is(s.retryInSeconds, delays[i]);
    t.regex(s.detail, details[i]!);
    t.is(s.expiresInSeconds, undefined);
    clock.advance(delays[i]! * 1000 - 1);
    await settle();
    t.is(sent.length, before, `no retry before ${delays[i]} s`);
    t.is(trunk.status().retryInSeconds, 0);
    clock.advance(1);
    await settle();
    t.is(sent.length, before + 1, `retry after ${delays[i]} s`);
  }
  t.is(resolved.length, 6, 'every retry resolves the registrar again');
  // A success resets the count.
  answer(200, [['Expires', '600']]);
  t.is(trunk.status().consecutiveFailures, 0);
  t.is(trunk.status().retryInSeconds, undefined);
});

test('RFC 3263 back-off: a registrar that cannot be resolved fails and is retried', async (t) => {
  let fail = true;
  const { sent, trunk, clock } = setup(trunkConfig(), {
    resolve: async () => {
      if (fail) throw new Error('ENOTFOUND');
      return ADDRESS;
    },
  });
  trunk.start();
  await settle();
  t.is(trunk.status().state, 'failed');
  t.regex(trunk.status().detail, /cannot resolve sip\.operator\.example: ENOTFOUND/);
  t.is(sent.length, 0);
  fail = false;
  clock.advance(15_000);
  await settle();
  t.is(sent.length, 1);
});

test('RFC 3261 §8.1.3.1 back-off: a REGISTER the transaction layer cannot take fails', async (t) => {
  const { sent, trunk } = setup(trunkConfig(), { accept: () => false });
  trunk.start();
  await settle();
  t.is(sent.length, 1);
  t.is(trunk.status().state, 'failed');
  t.is(trunk.status().retryInSeconds, 15);
});

test('RFC 3261 §10.2.4: a failed refresh: registered -> failed, then retried', async (t) => {
  const { sent, trunk, answer, clock, last, view } = setup();
  trunk.start();
  await settle();
  answer(200, [['Expires', '600']]);
  clock.advance(570_000);
  t.is(sent.length, 2);
  last().user.onTimeout(view(last()));
  t.is(trunk.status().state, 'failed');
  t.false(trunk.isRegistered());
  clock.advance(15_000);
  await settle();
  t.is(sent.length, 3);
});

// --- disabled, static ----------------------------------------------------------------

test('RFC 3261 §10.2 (trunk.enabled false): trunk disabled: state disabled, nothing resolved nor sent', async (t) => {
  const { sent, trunk, resolved, clock } = setup(trunkConfig({ enabled: false }));
  trunk.start();
  await settle();
  t.is(trunk.status().state, 'disabled');
  t.is(trunk.status().detail, 'trunk disabled in the configuration');
  t.is(trunk.status().registrar, 'udp:sip.operator.example:5060');
  t.is(trunk.target(), undefined);
  clock.advance(3_600_000);
  t.deepEqual(resolved, []);
  t.is(sent.length, 0);
  t.is(clock.pending(), 0);
});

test('RFC 3261 §10.2 (no registrar/AOR): trunk enabled without registrar or user name: disabled, nothing sent', async (t) => {
  for (const cfg of [trunkConfig({ registrar: '' }), trunkConfig({ username: '' })]) {
    const { sent, trunk, resolved } = setup(cfg);
    trunk.start();
    await settle();
    t.is(trunk.status().state, 'disabled');
    t.regex(trunk.status().detail, /registrar or user name is missing/);
    t.deepEqual(resolved, []);
    t.is(sent.length, 0);
  }
  t.is(setup(trunkConfig({ registrar: '' })).trunk.status().registrar, '');
});

test("RFC 3261 §10.2 (trunk.register false): register:false (IP-authenticated trunk): state 'static', target() set, nothing sent", async (t) => {
  const { sent, trunk, clock, states } = setup(trunkConfig({ register: false, transport: 'tcp', port: 5080 }));
  trunk.start();
  await settle();
  t.is(trunk.status().state, 'static');
  t.deepEqual(trunk.target(), { transport: 'TCP', host: ADDRESS, port: 5080 });
  t.is(trunk.status().detail, `no registration: calls go to ${ADDRESS}:5080`);
  t.deepEqual(
    states.map((s) => s.state),
    ['resolving', 'static'],
  );
  clock.advance(3_600_000);
  t.is(sent.length, 0);
});

test('RFC 3261 §18.1.1 / §20.42: TCP trunk: Via and Contact name the transport', async (t) => {
  const { sent, trunk } = setup(trunkConfig({ transport: 'tcp' }));
  trunk.start();
  await settle();
  const req = sent[0]!.req;
  t.is(sent[0]!.dest.transport, 'TCP');
  t.is(topVia(req.headers)?.transport, 'TCP');
  t.is(req.headers.get('contact'), `<sip:0577110000@${ADVERTISE.host}:${ADVERTISE.port};transport=tcp>`);
});

// --- stop, reconfigure -------------------------------------------------------------------

test('RFC 3261 §10.2.2: stop() when registered sends Expires: 0; answers after stop are ignored', async (t) => {
  const { sent, trunk, answer, clock, states } = setup();
  trunk.start();
  await settle();
  answer(200, [['Expires', '600']]);
  const registerTx = sent[0]!;
  trunk.stop();
  t.is(sent.length, 2);
  const unregister = sent[1]!;
  t.is(expiresOf(unregister), '0');
  t.is(unregister.req.uri, 'sip:operator.example');
  t.is(unregister.req.headers.get('call-id'), registerTx.req.headers.get('call-id'));
  t.is(cseq(unregister), 2);
  t.is(unregister.req.headers.get('contact'), registerTx.req.headers.get('contact'));
  t.is(trunk.status().state, 'disabled');
  t.is(trunk.status().detail, 'stopped');
  t.is(states.at(-1)?.state, 'disabled');
  // Late answers (a 401 to the unregister, a retransmitted 200/403 to the REGISTER, a timeout) change nothing.
  answer(401, [['WWW-Authenticate', challenge('late')]], unregister);
  answer(403, [], registerTx);
  answer(200, [['Expires', '600']], registerTx);
  unregister.user.onTimeout({ kind: 'nict', key: 'k', state: 'terminated', request: unregister.req });
  t.is(sent.length, 2);
  t.is(trunk.status().state, 'disabled');
  t.is(clock.pending(), 0, 'no timer left');
  clock.advance(3_600_000);
  t.is(sent.length, 2);
});

test('RFC 3261 §10.2.2: stop() while registering sends nothing more and ignores the pending answer', async (t) => {
  const { sent, trunk, answer, clock } = setup();
  trunk.start();
  await settle();
  trunk.stop();
  t.is(sent.length, 1, 'no unregister: nothing was registered');
  answer(200, [['Expires', '600']]);
  t.is(trunk.status().state, 'disabled');
  t.is(clock.pending(), 0);
});

test('RFC 3263: stop() while resolving: the late resolution is ignored', async (t) => {
  const { sent, trunk } = setup();
  trunk.start();
  trunk.stop();
  await settle();
  t.is(sent.length, 0);
  t.is(trunk.status().state, 'disabled');
});

test('RFC 3261 §10.2.2: reconfigure() with the same config does nothing; with a changed config it unregisters and starts over', async (t) => {
  const { sent, trunk, answer, resolved } = setup();
  trunk.start();
  await settle();
  answer(200, [['Expires', '600']]);
  trunk.reconfigure(trunkConfig());
  t.is(sent.length, 1);
  t.is(trunk.status().state, 'registered');
  trunk.reconfigure(trunkConfig({ username: '0577110001', registerExpires: 1200 }));
  t.is(sent.length, 2);
  t.is(expiresOf(sent[1]!), '0');
  t.is(sent[1]!.req.headers.get('to'), '<sip:0577110000@operator.example>', 'the old binding is removed');
  t.is(trunk.status().state, 'resolving');
  await settle();
  t.is(resolved.length, 2);
  t.is(sent.length, 3);
  t.is(sent[2]!.req.headers.get('to'), '<sip:0577110001@operator.example>');
  t.is(expiresOf(sent[2]!), '1200');
  t.is(trunk.status().state, 'registering');
  // The old cycle's answers no longer count.
  answer(403, [], sent[0]!);
  t.is(trunk.status().state, 'registering');
  answer(200, []);
  t.is(trunk.status().state, 'registered');
  t.is(trunk.status().expiresInSeconds, 1200);
});

test('RFC 3261 §8.1.3.1: reconfigure() resets the failure count and the back-off', async (t) => {
  const { sent, trunk, answer, clock } = setup();
  trunk.start();
  await settle();
  answer(403);
  clock.advance(15_000);
  await settle();
  answer(403);
  t.is(trunk.status().consecutiveFailures, 2);
  trunk.reconfigure(trunkConfig({ password: 'another-secret' }));
  await settle();
  t.is(trunk.status().consecutiveFailures, 0);
  t.is(trunk.status().state, 'registering');
  const before = sent.length;
  answer(403);
  t.is(trunk.status().retryInSeconds, 15);
  clock.advance(30_000); // the old cycle's 30 s timer must not fire a second retry
  await settle();
  t.is(sent.length, before + 1);
});

test('RFC 3261 §10.2: reconfigure() of a stopped trunk does not start it', async (t) => {
  const { sent, trunk } = setup(trunkConfig({ enabled: false }));
  trunk.reconfigure(trunkConfig());
  await settle();
  t.is(sent.length, 0);
  t.is(trunk.status().state, 'disabled');
});

// Once the trunk is disabled, target() must be empty: the call manager would
// otherwise keep sending INVITEs to an operator the admin turned off.
test('RFC 3261 §10.2.2: reconfigure() to a disabled trunk: target() no longer gives the old address', async (t) => {
  const { trunk, answer } = setup();
  trunk.start();
  await settle();
  answer(200, [['Expires', '600']]);
  t.deepEqual(trunk.target(), { transport: 'UDP', host: ADDRESS, port: 5060 });
  trunk.reconfigure(trunkConfig({ enabled: false }));
  t.is(trunk.status().state, 'disabled');
  t.is(trunk.target(), undefined);
});

// --- events -------------------------------------------------------------------------------

test("RFC 3261 §10.2 events: 'trunk.state' on each state change, with the detail", async (t) => {
  const { trunk, answer, clock, states } = setup();
  trunk.start();
  await settle();
  answer(401, [['WWW-Authenticate', challenge('n1')]]);
  answer(200, [['Expires', '600']]);
  clock.advance(570_000); // refresh: stays registered, no event
  answer(500);
  clock.advance(15_000);
  await settle();
  trunk.stop();
  t.deepEqual(
    states.map((s) => s.state),
    ['resolving', 'registering', 'registered', 'failed', 'resolving', 'registering', 'disabled'],
  );
  t.deepEqual(states[0], { state: 'resolving', detail: 'looking up sip.operator.example' });
  t.deepEqual(states[2], { state: 'registered', detail: 'registered for 600 s' });
  t.deepEqual(states[3], { state: 'failed', detail: 'the operator answered 500 Server Internal Error' });
  t.deepEqual(states[6], { state: 'disabled', detail: 'stopped' });
});
