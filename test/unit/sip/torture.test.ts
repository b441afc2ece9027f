/**
 * RFC 4475 torture messages against the parser. Messages come bit-exact
 * from the npm package sip@0.0.6 (sip.js by Kirill Mikhailov, MIT); see
 * test/fixtures/sip/rfc4475.ts for the file <-> section mapping.
 *
 * Valid messages: concrete values from the RFC text, then
 * parse(serialize(parse(x))) ~ parse(x). Invalid ones: the code the parser
 * returns, whether it offers a `partial` request to answer, and (in the
 * title) which layer sends what.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readdirSync } from 'node:fs';
import {
  formatUri,
  getCSeq,
  getCallId,
  getContacts,
  getExpires,
  getFrom,
  getMaxForwards,
  getTag,
  getTo,
  getVia,
  parseMessage,
  parseUri,
  serialize,
  topVia,
} from '../../../firmware/sip/message/index.ts';
import type {
  NameAddr,
  ParseError,
  ParseErrorCode,
  SipMessage,
  SipRequest,
  SipResponse,
  SipUri,
} from '../../../firmware/sip/message/index.ts';
import { NOT_RFC4475, RFC4475, TORTURE_DIR, datFile, rfc4475Message } from '../../fixtures/sip/rfc4475.ts';

function ok(t: ExecutionContext, name: string): SipMessage {
  const r = parseMessage(rfc4475Message(name));
  if (!r.ok) t.fail(`${name}: ${r.error.code} ${r.error.reason}`);
  return (r as { ok: true; message: SipMessage }).message;
}
function req(t: ExecutionContext, name: string): SipRequest {
  const m = ok(t, name);
  t.is(m.kind, 'request');
  return m as SipRequest;
}
function res(t: ExecutionContext, name: string): SipResponse {
  const m = ok(t, name);
  t.is(m.kind, 'response');
  return m as SipResponse;
}
function bad(t: ExecutionContext, name: string, code: ParseErrorCode, partial: boolean): ParseError {
  const r = parseMessage(rfc4475Message(name));
  t.false(r.ok, `${name} must be rejected`);
  const e = (r as { ok: false; error: ParseError }).error;
  t.is(e.code, code, `${name}: ${e.reason}`);
  t.is(e.partial !== undefined, partial, `${name}: partial`);
  t.false(/[\r\n]/.test(e.reason), 'reason fits in a status line');
  return e;
}
function sip(u: string | undefined): SipUri {
  const p = u === undefined ? undefined : parseUri(u);
  if (!p || (p.scheme !== 'sip' && p.scheme !== 'sips')) throw new Error('not a SIP URI: ' + u);
  return p as SipUri;
}
function nameAddr(n: NameAddr | undefined): NameAddr {
  if (!n) throw new Error('no name-addr');
  return n;
}

/** The fields that matter, in comparable form. */
function view(m: SipMessage): unknown {
  const h = m.headers;
  const contacts = getContacts(h);
  return {
    start: m.kind === 'request' ? [m.method, parseUri(m.uri), m.version] : [m.status, m.reason, m.version],
    via: getVia(h),
    from: getFrom(h),
    to: getTo(h),
    callId: getCallId(h),
    cseq: getCSeq(h),
    maxForwards: getMaxForwards(h),
    contacts,
    fields: h
      .fields()
      .filter((f) => !/^(content-length|l)$/i.test(f.name))
      .map((f) => [f.name, f.value]),
    body: m.body.toString('hex'),
  };
}

function roundTrip(t: ExecutionContext, m: SipMessage): void {
  const wire = serialize(m);
  const again = parseMessage(wire);
  if (!again.ok) return t.fail(`re-parse failed: ${again.error.reason}`);
  t.deepEqual(view(again.message), view(m));
  // A second serialization is byte-identical to the first.
  t.true(serialize(again.message).equals(wire));
}

test('RFC 4475 fixture set: 49 messages, 3 extra package files, none missing', (t) => {
  t.is(RFC4475.length, 49);
  const files = readdirSync(TORTURE_DIR)
    .filter((f) => f.endsWith('.dat'))
    .map((f) => f.slice(0, -4))
    .sort();
  t.deepEqual(files, [...RFC4475.map((c) => c.file), ...NOT_RFC4475].sort());
  t.is(new Set(RFC4475.map((c) => c.section)).size, 49);
});

for (const c of RFC4475) {
  test(`RFC 4475 §${c.section} ${c.file}: parsing never throws and answers quickly`, (t) => {
    const buf = rfc4475Message(c.file);
    const t0 = performance.now();
    const r = parseMessage(buf);
    t.true(performance.now() - t0 < 50);
    t.is(typeof r.ok, 'boolean');
  });
}

// ---------------------------------------------------------------- §3.1.1 valid

test('RFC 4475 §3.1.1.1 wsinv: a short tortuous INVITE parses to the right values', (t) => {
  const m = req(t, 'wsinv');
  t.is(m.method, 'INVITE');
  t.is(m.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  t.deepEqual([...sip(m.uri).params], [['unknownparam', null]]);
  const to = nameAddr(getTo(m.headers));
  t.is(to.displayName, undefined);
  t.is(formatUri(to.uri), 'sip:vivekg@chair-dnrc.example.com');
  t.is(getTag(to), '1918181833n');
  const from = nameAddr(getFrom(m.headers));
  t.is(from.displayName, 'J Rosenberg \\"');
  t.is(getTag(from), '98asjd8');
  t.is(getMaxForwards(m.headers), 68);
  t.is(getCallId(m.headers), 'wsinv.ndaksdj@192.0.2.1');
  t.deepEqual(getCSeq(m.headers), { seq: 9, method: 'INVITE' });
  const vias = getVia(m.headers);
  t.is(vias.length, 3);
  t.deepEqual(
    vias.map((v) => [v.protocol, v.transport, v.host, v.params.get('branch')]),
    [
      ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
      ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  t.is(m.headers.get('Subject'), '');
  t.is(m.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.is(m.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  const contacts = getContacts(m.headers);
  if (contacts === '*') return t.fail();
  t.is(contacts.length, 1);
  t.is(contacts[0]!.displayName, 'Quoted string ""');
  t.deepEqual([...contacts[0]!.params], [['newparam', 'newvalue'], ['secondparam', null], ['q', '0.33']]);
  t.is(m.body.length, 150);
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.2 intmeth: wide range of valid characters', (t) => {
  const m = req(t, 'intmeth');
  t.is(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  const u = sip(m.uri);
  t.is(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  t.is(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  t.is(u.host, 'example.com');
  t.is(topVia(m.headers)?.params.get('branch'), "z9hG4bK-.!%66*_+`'~");
  // Escaped BEL, NUL and DEL inside the quoted display name.
  t.is(getTo(m.headers)?.displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  t.is((getTo(m.headers)?.uri as SipUri).user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  const from = nameAddr(getFrom(m.headers));
  t.is(from.displayName, "token1~` token2'+_ token3*%!.-");
  t.is(from.params.get("fromparam''~+*_!.-%"), '"работающий"');
  t.is(getTag(from), "_token~1'+`*%!-.");
  t.is(getCallId(m.headers), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  t.deepEqual(getCSeq(m.headers), { seq: 139122385, method: m.method });
  t.is(getMaxForwards(m.headers), 255);
  t.is(m.headers.get("extensionHeader-!.%*+_`'~"), '\uFEFF大停電');
  t.is(m.body.length, 0);
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.3 esc01: valid use of the % escaping mechanism', (t) => {
  const m = req(t, 'esc01');
  const ruri = sip(m.uri);
  t.is(ruri.user, 'sips:user@example.com');
  t.is(ruri.host, 'example.net');
  t.is((getTo(m.headers)?.uri as SipUri).user, 'user');
  t.is((getFrom(m.headers)?.uri as SipUri).user, 'I have spaces');
  t.is(getCallId(m.headers), 'esc01.239409asdfakjkn23onasd0-3234');
  t.is(m.headers.get('Content-Type'), 'application/sdp');
  const contacts = getContacts(m.headers);
  if (contacts === '*') return t.fail();
  t.is(contacts.length, 1);
  const cu = contacts[0]!.uri as SipUri;
  t.is(cu.user, 'caller');
  t.deepEqual([...cu.params], [['lr', null], ['name', 'value%41']]);
  t.is(m.body.length, 150);
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.4 escnull: escaped nulls in URIs', (t) => {
  const m = req(t, 'escnull');
  t.is(m.method, 'REGISTER');
  t.is((getTo(m.headers)?.uri as SipUri).user, 'null-\0-null');
  t.is((getFrom(m.headers)?.uri as SipUri).user, 'null-\0-null');
  const contacts = getContacts(m.headers);
  if (contacts === '*') return t.fail();
  t.deepEqual(contacts.map((c) => (c.uri as SipUri).user), ['\0', '\0\0']);
  t.is(m.body.length, 0);
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.5 esc02: % that is not an escape; C%6Fntact is not Contact', (t) => {
  const m = req(t, 'esc02');
  t.is(m.method, 'RE%47IST%45R');
  t.deepEqual(getCSeq(m.headers), { seq: 29344, method: 'RE%47IST%45R' });
  t.is(getTo(m.headers)?.displayName, '%Z%45');
  t.is(getFrom(m.headers)?.displayName, '%Z%45');
  t.is(topVia(m.headers)?.params.get('branch'), 'z9hG4bK209%fzsnel234');
  const contacts = getContacts(m.headers);
  if (contacts === '*') return t.fail();
  t.deepEqual(contacts.map((c) => (c.uri as SipUri).host), ['host1.example.com', 'host3.example.com']);
  t.is(m.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.6 lwsdisp: no LWS between display name and <', (t) => {
  const m = req(t, 'lwsdisp');
  t.is(m.method, 'OPTIONS');
  const from = nameAddr(getFrom(m.headers));
  t.is(from.displayName, 'caller');
  t.is(formatUri(from.uri), 'sip:caller@example.com');
  t.is(getTag(from), '323');
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.7 longreq: long values in header fields', (t) => {
  const m = req(t, 'longreq');
  const to = nameAddr(getTo(m.headers));
  t.is(to.displayName, 'I have a user name of ' + 'extreme'.repeat(10) + ' proportion');
  const tu = to.uri as SipUri;
  t.is(tu.port, 6000);
  t.is(tu.params.get('unknownparam1'), 'very' + 'long'.repeat(20) + 'value');
  t.is(tu.params.get('longparam' + 'name'.repeat(25)), 'shortvalue');
  t.is(tu.params.get('very' + 'long'.repeat(25) + 'parameternamewithnovalue'), null);
  const from = nameAddr(getFrom(m.headers));
  t.is((from.uri as SipUri).user, 'amazinglylongcallername'.repeat(5));
  t.is(getTag(from), '12982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982982424');
  t.true(getCallId(m.headers)!.startsWith('longreq.one' + 'really'.repeat(20) + 'longcallid'));
  const vias = getVia(m.headers);
  t.is(vias.length, 34);
  t.is(vias[0]!.host, 'sip33.example.com');
  t.is(vias[33]!.params.get('received'), '192.0.2.5');
  t.is(vias[33]!.params.get('branch'), 'very' + 'long'.repeat(50) + 'branchvalue');
  const contacts = getContacts(m.headers);
  if (contacts === '*') return t.fail();
  t.is(contacts.length, 1);
  t.is(m.body.length, 150);
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.8 dblreq: UDP answers the REGISTER and ignores the trailing INVITE', (t) => {
  const m = req(t, 'dblreq');
  t.is(m.method, 'REGISTER');
  t.is(getCallId(m.headers), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
  t.is(m.body.length, 0);
  t.false(m.headers.has('Content-Type'));
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.9 semiuri: semicolons in the user part of the Request-URI', (t) => {
  const m = req(t, 'semiuri');
  const u = sip(m.uri);
  t.is(u.user, 'user;par=u@example.net');
  t.is(u.host, 'example.com');
  t.is(u.params.size, 0);
  t.deepEqual(m.headers.getAll('Accept'), [
    'application/sdp',
    'application/pkcs7-mime',
    'multipart/mixed',
    'multipart/signed',
    'message/sip',
    'message/sipfrag',
  ]);
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.10 transports: varied and unknown transport types', (t) => {
  const m = req(t, 'transports');
  t.deepEqual(
    getVia(m.headers).map((v) => v.transport),
    ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
  );
  t.is(getCallId(m.headers), 'transports.kijh4akdnaqjkwendsasfdj');
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.11 mpart01: multipart MIME body kept byte for byte', (t) => {
  const m = req(t, 'mpart01');
  t.is(m.method, 'MESSAGE');
  t.is(m.body.length, 553);
  const raw = rfc4475Message('mpart01');
  t.true(m.body.equals(raw.subarray(raw.length - 553)));
  t.is(m.headers.get('Content-Type'), 'multipart/mixed;boundary=7a9cbec02ceef655');
  t.is(topVia(m.headers)?.params.get('rport'), null);
  t.true(m.headers.get('Identity')!.startsWith('r5mwreLuyDRYBi/0TiPwEsY3rEVsk'));
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.12 unreason: UTF-8 reason phrase', (t) => {
  const m = res(t, 'unreason');
  t.is(m.status, 200);
  t.is(m.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
  t.is(m.body.length, 154);
  t.deepEqual(getCSeq(m.headers), { seq: 35, method: 'INVITE' });
  roundTrip(t, m);
});

test('RFC 4475 §3.1.1.13 noreason: empty reason phrase', (t) => {
  const m = res(t, 'noreason');
  t.is(m.status, 100);
  t.is(m.reason, '');
  t.is(getTag(getTo(m.headers)), '902jndnke3');
  roundTrip(t, m);
});

// ---------------------------------------------------------------- §3.1.2 invalid

test('RFC 4475 §3.1.2.1 badinv01: empty Via/Contact params -> bad-via, transport answers 400', (t) => {
  bad(t, 'badinv01', 'bad-via', true);
});

test('RFC 4475 §3.1.2.2 clerr: Content-Length larger than the datagram -> body-truncated, 400', (t) => {
  bad(t, 'clerr', 'body-truncated', true);
});

test('RFC 4475 §3.1.2.3 ncl: negative Content-Length -> bad-content-length, 400', (t) => {
  bad(t, 'ncl', 'bad-content-length', true);
});

test('RFC 4475 §3.1.2.4 scalar02: CSeq > 2**32-1 -> bad-cseq, 400; Max-Forwards and Expires read as absent', (t) => {
  const e = bad(t, 'scalar02', 'bad-cseq', true);
  const h = e.partial!.headers;
  t.is(getMaxForwards(h), undefined); // 300: "as if the field were absent"
  t.is(getExpires(h), undefined); // 10^100: registrar applies its default
  t.is(getCallId(h), 'scalar02.23o0pd9vanlq3wnrlnewofjas9ui32');
});

test('RFC 4475 §3.1.2.5 scalarlg: response with CSeq > 2**32-1 -> bad-cseq, dropped (no partial)', (t) => {
  bad(t, 'scalarlg', 'bad-cseq', false);
});

test('RFC 4475 §3.1.2.6 quotbal: unterminated quote in To -> bad-address, 400', (t) => {
  const e = bad(t, 'quotbal', 'bad-address', true);
  t.is(e.reason, 'Bad To');
});

test('RFC 4475 §3.1.2.7 ltgtruri: <> around the Request-URI -> bad-uri, 400', (t) => {
  const e = bad(t, 'ltgtruri', 'bad-uri', true);
  t.is(e.partial!.uri, '<sip:user@example.com>');
});

test('RFC 4475 §3.1.2.8 lwsruri: LWS inside the Request-URI -> bad-start-line, 400', (t) => {
  const e = bad(t, 'lwsruri', 'bad-start-line', true);
  t.is(e.partial!.method, 'INVITE');
});

test('RFC 4475 §3.1.2.9 lwsstart: several SP between Request-Line elements -> bad-start-line, 400', (t) => {
  bad(t, 'lwsstart', 'bad-start-line', true);
});

test('RFC 4475 §3.1.2.10 trws: SP after the SIP-Version -> bad-start-line, 400', (t) => {
  bad(t, 'trws', 'bad-start-line', true);
});

test('RFC 4475 §3.1.2.11 escruri: escaped headers in the Request-URI -> bad-uri, 400', (t) => {
  const e = bad(t, 'escruri', 'bad-uri', true);
  t.is(e.reason, 'Headers In Request-URI');
});

test('RFC 4475 §3.1.2.12 baddate: non-GMT Date is not interpreted by the parser -> accepted', (t) => {
  const m = req(t, 'baddate');
  t.is(m.headers.get('Date'), 'Fri, 01 Jan 2010 16:00:00 EST');
  t.is(m.body.length, 150);
});

test('RFC 4475 §3.1.2.13 regbadct: "?" in an addr-spec Contact -> bad-address, registrar never sees it, 400', (t) => {
  const e = bad(t, 'regbadct', 'bad-address', true);
  t.is(e.reason, 'Bad Contact');
});

test('RFC 4475 §3.1.2.14 badaspec: spaces inside <> -> bad-address, 400', (t) => {
  const e = bad(t, 'badaspec', 'bad-address', true);
  t.is(e.reason, 'Bad To');
});

test('RFC 4475 §3.1.2.15 baddn: unquoted non-token display name -> bad-address, 400', (t) => {
  const e = bad(t, 'baddn', 'bad-address', true);
  t.is(e.reason, 'Bad From');
  // The package's baddn.dat alone lacks the blank line: still rejected, still answerable.
  const r = parseMessage(datFile('baddn'));
  t.false(r.ok);
  t.truthy(!r.ok && r.error.partial);
});

test('RFC 4475 §3.1.2.16 badvers: SIP/7.0 -> bad-version, transport answers 505', (t) => {
  const e = bad(t, 'badvers', 'bad-version', true);
  t.is(e.partial!.version, 'SIP/7.0');
});

test('RFC 4475 §3.1.2.17 mismatch01: CSeq method differs from the Request-Line -> cseq-method-mismatch, 400', (t) => {
  bad(t, 'mismatch01', 'cseq-method-mismatch', true);
});

test('RFC 4475 §3.1.2.18 mismatch02: unknown method with CSeq mismatch -> cseq-method-mismatch, 400 (not 501)', (t) => {
  const e = bad(t, 'mismatch02', 'cseq-method-mismatch', true);
  t.is(e.partial!.method, 'NEWMETHOD');
});

test('RFC 4475 §3.1.2.19 bigcode: status code 4294967301 -> bad-start-line, dropped', (t) => {
  bad(t, 'bigcode', 'bad-start-line', false);
});

// ---------------------------------------------------------------- §3.2 transaction layer

test('RFC 4475 §3.2.1 badbranch: branch is only the magic cookie -> parsed; the transaction layer decides', (t) => {
  const m = req(t, 'badbranch');
  t.is(topVia(m.headers)?.params.get('branch'), 'z9hG4bK');
  roundTrip(t, m);
});

// ---------------------------------------------------------------- §3.3 application layer

test('RFC 4475 §3.3.1 insuf: no Call-ID, From, To -> missing-header, 400 from the top Via', (t) => {
  const e = bad(t, 'insuf', 'missing-header', true);
  t.regex(e.reason, /^Missing /);
  t.is(getCSeq(e.partial!.headers)?.seq, 193942);
});

test('RFC 4475 §3.3.2 unkscm: unknown Request-URI scheme -> parsed; UA core/proxy answers 416', (t) => {
  const m = req(t, 'unkscm');
  t.deepEqual(parseUri(m.uri), { scheme: 'nobodyknowsthisscheme', raw: 'nobodyKnowsThisScheme:totallyopaquecontent' });
  roundTrip(t, m);
});

test('RFC 4475 §3.3.3 novelsc: atypical Request-URI scheme -> parsed; UA core/proxy answers 416', (t) => {
  const m = req(t, 'novelsc');
  t.is(parseUri(m.uri)?.scheme, 'soap.beep');
  roundTrip(t, m);
});

test('RFC 4475 §3.3.4 unksm2: unknown schemes in To/From/Contact -> parsed; registrar answers 400/416', (t) => {
  const m = req(t, 'unksm2');
  t.is(getTo(m.headers)?.uri.scheme, 'isbn');
  t.is(getFrom(m.headers)?.uri.scheme, 'http');
  const c = getContacts(m.headers);
  t.deepEqual(c === '*' ? c : c.map((x) => formatUri(x.uri)), ['name:John_Smith']);
  roundTrip(t, m);
});

test('RFC 4475 §3.3.5 bext01: unknown Require/Proxy-Require -> parsed; UA/proxy answers 420', (t) => {
  const m = req(t, 'bext01');
  t.deepEqual(m.headers.getAll('Require'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
  t.deepEqual(m.headers.getAll('Proxy-Require'), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  t.is(topVia(m.headers)?.transport, 'TLS');
});

test('RFC 4475 §3.3.6 invut: unknown Content-Type -> parsed; UA answers 415', (t) => {
  const m = req(t, 'invut');
  t.is(m.headers.get('content-type'), 'application/unknownformat');
  t.is(m.body.toString('latin1'), '<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
});

test('RFC 4475 §3.3.7 regaut01: unknown Authorization scheme -> parsed; registrar answers 401', (t) => {
  const m = req(t, 'regaut01');
  t.is(m.headers.getFields('Authorization')[0], 'NoOneKnowsThisScheme opaque-data=here');
});

test('RFC 4475 §3.3.8 multi01: repeated scalar fields -> bad-header, 400', (t) => {
  const e = bad(t, 'multi01', 'bad-header', true);
  t.regex(e.reason, /^Multiple /);
});

test('RFC 4475 §3.3.9 mcl01: two Content-Length values -> bad-content-length, 400', (t) => {
  const e = bad(t, 'mcl01', 'bad-content-length', true);
  t.is(e.reason, 'Multiple Content-Length');
});

test('RFC 4475 §3.3.10 bcast: broadcast sent-by in the second Via -> parsed; transport must not send there', (t) => {
  const m = res(t, 'bcast');
  t.deepEqual(getVia(m.headers).map((v) => v.host), ['192.0.2.198', '255.255.255.255']);
  roundTrip(t, m);
});

test('RFC 4475 §3.3.11 zeromf: Max-Forwards 0 -> parsed; proxy answers 483, UAS may answer OPTIONS', (t) => {
  const m = req(t, 'zeromf');
  t.is(getMaxForwards(m.headers), 0);
});

test('RFC 4475 §3.3.12 cparam01: addr-spec Contact: ;unknownparam is a contact parameter', (t) => {
  const m = req(t, 'cparam01');
  const c = getContacts(m.headers);
  if (c === '*') return t.fail();
  t.is(c.length, 1);
  t.deepEqual([...c[0]!.params], [['unknownparam', null]]);
  t.is((c[0]!.uri as SipUri).params.size, 0);
  t.is((c[0]!.uri as SipUri).user, '+19725552222');
});

test('RFC 4475 §3.3.13 cparam02: name-addr Contact: ;unknownparam is a URI parameter', (t) => {
  const m = req(t, 'cparam02');
  const c = getContacts(m.headers);
  if (c === '*') return t.fail();
  t.deepEqual([...(c[0]!.uri as SipUri).params], [['unknownparam', null]]);
  t.is(c[0]!.params.size, 0);
});

test('RFC 4475 §3.3.14 regescrt: escaped Route header in a Contact URI -> parsed, unescaped', (t) => {
  const m = req(t, 'regescrt');
  const c = getContacts(m.headers);
  if (c === '*') return t.fail();
  t.deepEqual([...(c[0]!.uri as SipUri).headers], [['Route', '<sip:sip.example.com>']]);
  t.is(formatUri(c[0]!.uri), 'sip:user@example.com?Route=%3Csip:sip.example.com%3E');
  roundTrip(t, m);
});

test('RFC 4475 §3.3.15 sdp01: unacceptable Accept -> parsed; UA answers 406', (t) => {
  const m = req(t, 'sdp01');
  t.is(m.headers.get('Accept'), 'text/nobodyKnowsThis');
  t.is(m.body.length, 150);
});

// ---------------------------------------------------------------- §3.4 backward compatibility

test('RFC 4475 §3.4.1 inv2543: RFC 2543 INVITE accepted: no Max-Forwards, no branch, no tag, no Content-Length', (t) => {
  const m = req(t, 'inv2543');
  t.is(getMaxForwards(m.headers), undefined);
  t.is(topVia(m.headers)?.params.has('branch'), false);
  t.is(getTag(getFrom(m.headers)), undefined);
  const raw = rfc4475Message('inv2543');
  t.is(m.body.length, raw.length - (raw.indexOf('\r\n\r\n') + 4));
  t.true(m.body.toString('latin1').startsWith('v=0\r\n'));
  // The strict option refuses it, for deployments that want RFC 3261 §8.1.1 only.
  const strict = parseMessage(raw, { requireMaxForwards: true });
  t.false(strict.ok);
  t.is(!strict.ok && strict.error.code, 'missing-header');
  roundTrip(t, m);
});
