/**
 * RFC 5118 "SIP Torture Test Messages for IPv6" against the parser. The 12
 * messages are stored byte-exact (CRLF) in test/fixtures/sip/rfc5118/; see
 * its README.md for sources, sections and the RFC's Content-Length errors.
 *
 * Valid messages: the IPv6 references come out right (Request-URI, Via
 * sent-by and port, received=, Contact, To), then
 * parse(serialize(parse(x))) ~ parse(x). Invalid ones: the code the parser
 * returns, whether it offers a `partial` request to answer with 400, and
 * which function decides.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import {
  formatUri,
  getCSeq,
  getCallId,
  getContacts,
  getContentLength,
  getFrom,
  getMaxForwards,
  getTag,
  getTo,
  getVia,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serialize,
  topVia,
} from '../../../firmware/sip/message/index.ts';
import type {
  NameAddr,
  ParseError,
  ParseErrorCode,
  SipMessage,
  SipRequest,
  SipUri,
} from '../../../firmware/sip/message/index.ts';
import { RFC5118, RFC5118_DIR, rfc5118Message, withTrueContentLength } from '../../fixtures/sip/rfc5118/index.ts';

function parseOk(t: ExecutionContext, name: string, buf: Buffer): SipRequest {
  const r = parseMessage(buf);
  if (!r.ok) t.fail(`${name}: ${r.error.code} ${r.error.reason}`);
  const m = (r as { ok: true; message: SipMessage }).message;
  t.is(m.kind, 'request');
  return m as SipRequest;
}
function req(t: ExecutionContext, name: string): SipRequest {
  return parseOk(t, name, rfc5118Message(name));
}
function bad(t: ExecutionContext, name: string, buf: Buffer, code: ParseErrorCode, partial: boolean): ParseError {
  const r = parseMessage(buf);
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
function contacts(m: SipMessage): NameAddr[] {
  const c = getContacts(m.headers);
  if (c === '*') throw new Error('unexpected Contact: *');
  return c;
}
/** "[2001:db8::1]" -> "2001:db8::1" (the address a socket needs). */
function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
/** An IPv6 reference: brackets around a real IPv6 address. */
function isV6Ref(host: string): boolean {
  return host.startsWith('[') && host.endsWith(']') && isIPv6(unbracket(host));
}
/** c= and o= addresses of an SDP body (enough for §4.6, §4.8, §4.9). */
function sdpAddresses(body: Buffer): string[] {
  const out: string[] = [];
  for (const line of body.toString('utf8').split('\r\n')) {
    const m = /^(?:c=IN|o=.* IN) (IP[46]) (\S+)$/.exec(line);
    if (m) out.push(m[1] + ' ' + m[2]);
  }
  return out;
}

/** The fields that matter, in comparable form (as in torture.test.ts). */
function view(m: SipMessage): unknown {
  const h = m.headers;
  return {
    start: m.kind === 'request' ? [m.method, parseUri(m.uri), m.version] : [m.status, m.reason, m.version],
    via: getVia(h),
    from: getFrom(h),
    to: getTo(h),
    callId: getCallId(h),
    cseq: getCSeq(h),
    maxForwards: getMaxForwards(h),
    contacts: getContacts(h),
    fields: h
      .fields()
      .filter((f) => !/^(content-length|l)$/i.test(f.name))
      .map((f) => [f.name, f.value]),
    body: m.body.toString('hex'),
  };
}

function roundTrip(t: ExecutionContext, m: SipMessage): Buffer {
  const wire = serialize(m);
  const again = parseMessage(wire);
  if (!again.ok) {
    t.fail(`re-parse failed: ${again.error.reason}`);
    return wire;
  }
  t.deepEqual(view(again.message), view(m));
  t.true(serialize(again.message).equals(wire));
  return wire;
}

// ---------------------------------------------------------------- the set

test('RFC 5118 fixture set: 12 messages in §4.1-§4.10, CRLF only, README names each', (t) => {
  t.is(RFC5118.length, 12);
  const files = readdirSync(RFC5118_DIR)
    .filter((f) => f.endsWith('.sip'))
    .map((f) => f.slice(0, -4))
    .sort();
  t.deepEqual(files, RFC5118.map((c) => c.file).sort());
  t.deepEqual(
    [...new Set(RFC5118.map((c) => c.section))],
    ['4.1', '4.2', '4.3', '4.4', '4.5', '4.6', '4.7', '4.8', '4.9', '4.10'],
  );
  const readme = readFileSync(join(RFC5118_DIR, 'README.md'), 'utf8');
  for (const c of RFC5118) {
    t.true(readme.includes('`' + c.file + '.sip` | §' + c.section), `README row for ${c.file}`);
    const buf = rfc5118Message(c.file);
    // Every LF is preceded by CR; the header section ends with CRLF CRLF.
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
      if (buf[i - 1] !== 0x0d) return t.fail(`${c.file}: bare LF at ${i}`);
    }
    t.true(buf.indexOf('\r\n\r\n') > 0, `${c.file}: header section terminated`);
    t.is(buf.subarray(buf.length - 2).toString(), '\r\n', `${c.file}: ends with CRLF`);
    t.true(buf.subarray(0, buf.indexOf('\r\n\r\n') + 2).includes('\r\nContent-Length: ' + c.contentLength + '\r\n'));
  }
});

test('RFC 5118 §4.6, §4.8, §4.9: the Content-Length values printed in the RFC do not match their bodies (erratum)', (t) => {
  const measured = RFC5118.map((c) => {
    const buf = rfc5118Message(c.file);
    const body = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
    const lf = body.toString('latin1').replace(/\r\n/g, '\n').length;
    return [c.section, c.file, c.contentLength, body.length, lf];
  });
  t.deepEqual(
    measured.filter(([, , cl, crlf]) => cl !== crlf),
    [
      ['4.6', 'ipv6-in-sdp', 268, 251, 242], // matches neither: 17 octets too many for the CRLF body
      ['4.8', 'mult-ip-in-sdp', 181, 189, 180], // one more than the LF body
      ['4.9', 'ipv4-mapped-ipv6', 236, 245, 236], // the LF body length
    ],
  );
  // Every other message has Content-Length: 0 and no body.
  t.true(measured.filter(([, , cl]) => cl === 0).every(([, , , crlf]) => crlf === 0));
});

for (const c of RFC5118) {
  test(`RFC 5118 §${c.section} ${c.file}: parsing never throws and answers quickly`, (t) => {
    const buf = rfc5118Message(c.file);
    const t0 = performance.now();
    const r = parseMessage(buf);
    t.true(performance.now() - t0 < 50);
    t.is(typeof r.ok, 'boolean');
  });
}

// ---------------------------------------------------------------- §4.1-§4.4

test('RFC 5118 §4.1 ipv6-good: IPv6 reference in Request-URI, Via and Contact', (t) => {
  const m = req(t, 'ipv6-good');
  t.is(m.method, 'REGISTER');
  t.is(m.uri, 'sip:[2001:db8::10]');
  const ruri = sip(m.uri);
  t.is(ruri.host, '[2001:db8::10]');
  t.true(isV6Ref(ruri.host));
  t.is(ruri.port, undefined);
  t.is(ruri.user, undefined);
  const via = topVia(m.headers)!;
  t.deepEqual([via.protocol, via.transport, via.host, via.port], ['SIP/2.0', 'UDP', '[2001:db8::9:1]', undefined]);
  t.is(via.params.get('branch'), 'z9hG4bKas3-111');
  const [contact, ...more] = contacts(m);
  t.is(more.length, 0);
  t.is(contact!.displayName, 'Caller');
  t.is(formatUri(contact!.uri), 'sip:caller@[2001:db8::1]');
  t.is((contact!.uri as SipUri).host, '[2001:db8::1]');
  t.is(getTag(nameAddr(getFrom(m.headers))), '81x2');
  t.deepEqual(getCSeq(m.headers), { seq: 98176, method: 'REGISTER' });
  t.is(getCallId(m.headers), 'SSG9559905523997077@hlau_4100');
  t.is(getMaxForwards(m.headers), 70);
  t.is(getContentLength(m.headers), 0);
  const wire = roundTrip(t, m);
  t.true(wire.toString().startsWith('REGISTER sip:[2001:db8::10] SIP/2.0\r\n'));
});

test('RFC 5118 §4.2 ipv6-bad: IPv6 Request-URI without brackets -> parseMessage/parseUri: bad-uri, 400', (t) => {
  const e = bad(t, 'ipv6-bad', rfc5118Message('ipv6-bad'), 'bad-uri', true);
  t.is(e.reason, 'Bad Request-URI');
  // parseMessage hands the Request-URI to parseUri, which reads host "2001"
  // and then a port that is not 1*DIGIT ("db8"): not a URI.
  t.is(parseUri('sip:2001:db8::10'), undefined);
  // Everything a 400 needs is in the partial request (RFC 3261 §8.2.6).
  const p = e.partial!;
  t.is(p.method, 'REGISTER');
  t.is(p.uri, 'sip:2001:db8::10');
  t.is(topVia(p.headers)?.host, '[2001:db8::9:1]');
  t.deepEqual(getCSeq(p.headers), { seq: 98176, method: 'REGISTER' });
  t.is(getCallId(p.headers), 'SSG9559905523997077@hlau_4100');
  // The same bytes with the brackets restored are the §4.1 message.
  const fixed = Buffer.from(rfc5118Message('ipv6-bad').toString().replace('sip:2001:db8::10 ', 'sip:[2001:db8::10] '));
  t.true(fixed.equals(rfc5118Message('ipv6-good')));
});

test('RFC 5118 §4.3 port-ambiguous: well-formed; ":5070" inside "]" is part of the address, not a port', (t) => {
  const m = req(t, 'port-ambiguous');
  const ruri = sip(m.uri);
  // "2001:db8::10:5070" is a syntactically valid IPv6 address, so the RFC
  // calls the request well-formed; the port the sender meant is lost.
  t.is(ruri.host, '[2001:db8::10:5070]');
  t.true(isV6Ref(ruri.host));
  t.is(ruri.port, undefined, 'no port: the default (5060) applies, not 5070');
  t.is(topVia(m.headers)?.host, '[2001:db8::9:1]');
  t.is((contacts(m)[0]!.uri as SipUri).host, '[2001:db8::1]');
  roundTrip(t, m);
});

test('RFC 5118 §4.4 port-unambiguous: port 5070 after "]" is parsed as the port', (t) => {
  const m = req(t, 'port-unambiguous');
  t.is(m.uri, 'sip:[2001:db8::10]:5070');
  const ruri = sip(m.uri);
  t.is(ruri.host, '[2001:db8::10]');
  t.is(ruri.port, 5070);
  t.is(formatUri(ruri), 'sip:[2001:db8::10]:5070');
  t.is(topVia(m.headers)?.host, '[2001:db8::9:1]');
  t.is((contacts(m)[0]!.uri as SipUri).host, '[2001:db8::1]');
  roundTrip(t, m);
});

// ---------------------------------------------------------------- §4.5

test('RFC 5118 §4.5 via-received-param-with-delim: received=[IPv6] is accepted (robustness), kept as written', (t) => {
  const m = req(t, 'via-received-param-with-delim');
  t.is(m.method, 'BYE');
  t.is(sip(m.uri).host, '[2001:db8::10]');
  const via = topVia(m.headers)!;
  t.is(via.host, '[2001:db8::9:1]');
  t.is(via.port, undefined);
  // RFC 3261 grammar: received = IPv4address / IPv6address (no brackets);
  // the RFC asks receivers to parse the top Via anyway. The value is kept
  // as received; without its brackets it is the IPv6 address.
  const received = via.params.get('received')!;
  t.is(received, '[2001:db8::9:255]');
  t.true(isIPv6(unbracket(received)));
  t.is(via.params.get('branch'), 'z9hG4bKas3-111');
  t.deepEqual([...via.params.keys()], ['received', 'branch']);
  t.is(getTag(nameAddr(getTo(m.headers))), 'bd76ya');
  t.deepEqual(getCSeq(m.headers), { seq: 321, method: 'BYE' });
  const wire = roundTrip(t, m);
  t.true(wire.includes('Via: SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111\r\n'));
});

test('RFC 5118 §4.5 via-received-param-no-delim: received=<bare IPv6> is valid and parsed whole', (t) => {
  const m = req(t, 'via-received-param-no-delim');
  t.is(m.method, 'OPTIONS');
  const via = topVia(m.headers)!;
  t.is(via.host, '[2001:db8::9:1]');
  // The colons of a bare IPv6 address do not end the parameter value.
  t.is(via.params.get('received'), '2001:db8::9:255');
  t.true(isIPv6(via.params.get('received')!));
  t.is(via.params.get('branch'), 'z9hG4bKas3');
  t.is((contacts(m)[0]!.uri as SipUri).host, '[2001:db8::9:1]');
  t.is(getCallId(m.headers), 'SSG95523997077@hlau_4100');
  t.deepEqual(getCSeq(m.headers), { seq: 921, method: 'OPTIONS' });
  roundTrip(t, m);
});

// ---------------------------------------------------------------- §4.6-§4.9

test('RFC 5118 §4.6 ipv6-in-sdp as printed: Content-Length 268 > 251-octet body -> parseMessage: body-truncated, 400', (t) => {
  // The RFC's own Content-Length is wrong (see README); over UDP a
  // Content-Length larger than the datagram gets a 400 (RFC 3261 §18.3,
  // RFC 4475 §3.1.2.2), so the message as printed cannot be accepted.
  const e = bad(t, 'ipv6-in-sdp', rfc5118Message('ipv6-in-sdp'), 'body-truncated', true);
  t.is(e.reason, 'Content-Length Larger Than Body');
  t.is(e.partial!.method, 'INVITE');
  t.is(topVia(e.partial!.headers)?.host, '[2001:db8::20]');
});

test('RFC 5118 §4.6 ipv6-in-sdp with its true Content-Length: IPv6 in R-URI, To, Via, Contact and SDP', (t) => {
  const m = parseOk(t, 'ipv6-in-sdp', withTrueContentLength(rfc5118Message('ipv6-in-sdp')));
  t.is(m.method, 'INVITE');
  const ruri = sip(m.uri);
  t.deepEqual([ruri.user, ruri.host, ruri.port], ['user', '[2001:db8::10]', undefined]);
  t.is((nameAddr(getTo(m.headers)).uri as SipUri).host, '[2001:db8::10]');
  t.is(topVia(m.headers)?.host, '[2001:db8::20]');
  t.is((contacts(m)[0]!.uri as SipUri).host, '[2001:db8::20]');
  t.is(m.headers.get('Content-Type'), 'application/sdp');
  t.is(m.body.length, 251);
  // SDP addresses carry no brackets (RFC 4566 connection-address).
  t.deepEqual(sdpAddresses(m.body), ['IP6 2001:db8::20', 'IP6 2001:db8::20']);
  t.true(m.body.toString().endsWith('a=rtpmap:107 H263-1998/90000\r\n'));
  const wire = roundTrip(t, m);
  t.true(wire.includes('Content-Length: 251\r\n'));
});

test('RFC 5118 §4.7 mult-ip-in-header: Via list mixing IPv6 references (with port) and IPv4', (t) => {
  const m = req(t, 'mult-ip-in-header');
  t.is(m.method, 'BYE');
  t.is(sip(m.uri).host, 'host.example.net');
  const vias = getVia(m.headers);
  t.deepEqual(
    vias.map((v) => [v.transport, v.host, v.port ?? null, v.params.get('branch'), v.params.get('received') ?? null]),
    [
      ['UDP', '[2001:db8::9:1]', 6050, 'z9hG4bKas3-111', null],
      ['UDP', '192.0.2.1', null, 'z9hG4bKjhja8781hjuaij65144', null],
      ['TCP', '[2001:db8::9:255]', null, 'z9hG4bK451jj', '192.0.2.200'],
    ],
  );
  t.true(isV6Ref(vias[0]!.host));
  t.true(isIPv4(vias[1]!.host));
  t.true(isIPv4(vias[2]!.params.get('received')!));
  t.is(getTag(nameAddr(getTo(m.headers))), '9817--94');
  t.deepEqual(getCSeq(m.headers), { seq: 89187, method: 'BYE' });
  const wire = roundTrip(t, m);
  t.true(wire.includes('Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111\r\n'));
});

test('RFC 5118 §4.8 mult-ip-in-sdp as printed: accepted, body cut at the RFC Content-Length (181 of 189 octets)', (t) => {
  // Content-Length smaller than the datagram: "octets beyond are discarded"
  // (RFC 3261 §18.3); the last a= line loses "/90000\r\n".
  const m = req(t, 'mult-ip-in-sdp');
  t.is(m.body.length, 181);
  t.true(m.body.toString().endsWith('a=rtpmap:107 H263-1998'));
  t.deepEqual(sdpAddresses(m.body), ['IP4 host.example.com', 'IP4 192.0.2.1', 'IP6 2001:db8::1']);
  roundTrip(t, m);
});

test('RFC 5118 §4.8 mult-ip-in-sdp with its true Content-Length: IPv4 and IPv6 media connections', (t) => {
  const m = parseOk(t, 'mult-ip-in-sdp', withTrueContentLength(rfc5118Message('mult-ip-in-sdp')));
  const ruri = sip(m.uri);
  t.deepEqual([ruri.user, ruri.host], ['user', '[2001:db8::10]']);
  t.is((nameAddr(getTo(m.headers)).uri as SipUri).host, '[2001:db8::10]');
  t.is(topVia(m.headers)?.host, '[2001:db8::9:1]');
  t.is((contacts(m)[0]!.uri as SipUri).host, '[2001:db8::9:1]');
  t.deepEqual(getCSeq(m.headers), { seq: 8912, method: 'INVITE' });
  t.is(m.body.length, 189);
  t.deepEqual(sdpAddresses(m.body), ['IP4 host.example.com', 'IP4 192.0.2.1', 'IP6 2001:db8::1']);
  t.true(m.body.toString().endsWith('a=rtpmap:107 H263-1998/90000\r\n'));
  roundTrip(t, m);
});

test('RFC 5118 §4.9 ipv4-mapped-ipv6 as printed: accepted, body cut at the RFC Content-Length (236 of 245 octets)', (t) => {
  const m = req(t, 'ipv4-mapped-ipv6');
  t.is(m.body.length, 236);
  t.true(m.body.toString().endsWith('a=rtpmap:107 H263-199'));
  roundTrip(t, m);
});

test('RFC 5118 §4.9 ipv4-mapped-ipv6 with its true Content-Length: ::ffff:a.b.c.d in Via (port after "]"), Contact, SDP', (t) => {
  const m = parseOk(t, 'ipv4-mapped-ipv6', withTrueContentLength(rfc5118Message('ipv4-mapped-ipv6')));
  t.is(sip(m.uri).host, 'example.com');
  const vias = getVia(m.headers);
  t.deepEqual(
    vias.map((v) => [v.host, v.port ?? null, v.params.get('branch')]),
    [
      ['[::ffff:192.0.2.10]', 19823, 'z9hG4bKbh19'],
      ['[::ffff:192.0.2.2]', null, 'z9hG4bKas3-111'],
    ],
  );
  t.true(vias.every((v) => isV6Ref(v.host)));
  const [c] = contacts(m);
  t.is(c!.displayName, 'T. desk phone');
  t.is(formatUri(c!.uri), 'sip:ted@[::ffff:192.0.2.2]');
  t.true(isV6Ref((c!.uri as SipUri).host));
  t.is(getTag(nameAddr(getFrom(m.headers))), '81x2');
  t.deepEqual(getCSeq(m.headers), { seq: 612, method: 'INVITE' });
  t.is(m.body.length, 245);
  t.deepEqual(sdpAddresses(m.body), ['IP6 ::ffff:192.0.2.2', 'IP6 ::ffff:192.0.2.2']);
  roundTrip(t, m);
});

// ---------------------------------------------------------------- §4.10

test('RFC 5118 §4.10 ipv6-bug-abnf-3-colons: "2001:db8:::192.0.2.1" tolerated (RFC: "may"), host kept verbatim', (t) => {
  // Not an IPv6 address (":::"), a product of RFC 3261's IPv6reference ABNF
  // bug (fixed by RFC 5954). RFC 5118 lets a receiver be robust and parse
  // it; this parser does (parseUri checks the characters and colon count
  // inside "[...]", not the full RFC 4291 grammar). It does not rewrite the
  // address: the optional proxy re-serialization with two colons is not done.
  const m = req(t, 'ipv6-bug-abnf-3-colons');
  t.is(m.method, 'OPTIONS');
  const ruri = sip(m.uri);
  t.deepEqual([ruri.user, ruri.host, ruri.port], ['user', '[2001:db8:::192.0.2.1]', undefined]);
  t.false(isIPv6(unbracket(ruri.host)), 'the address itself is not valid IPv6');
  t.is((nameAddr(getTo(m.headers)).uri as SipUri).host, '[2001:db8:::192.0.2.1]');
  t.is(topVia(m.headers)?.host, 'lab1.east.example.com');
  t.is(getTag(nameAddr(getFrom(m.headers))), '810x2');
  const wire = roundTrip(t, m);
  t.true(wire.toString().startsWith('OPTIONS sip:user@[2001:db8:::192.0.2.1] SIP/2.0\r\n'));
});

test('RFC 5118 §4.10 ipv6-correct-abnf-2-colons: "2001:db8::192.0.2.1" (embedded IPv4) is valid', (t) => {
  const m = req(t, 'ipv6-correct-abnf-2-colons');
  const ruri = sip(m.uri);
  t.deepEqual([ruri.user, ruri.host, ruri.port], ['user', '[2001:db8::192.0.2.1]', undefined]);
  t.true(isV6Ref(ruri.host));
  t.is((nameAddr(getTo(m.headers)).uri as SipUri).host, '[2001:db8::192.0.2.1]');
  t.deepEqual(getCSeq(m.headers), { seq: 689, method: 'OPTIONS' });
  t.is(getCallId(m.headers), 'G9559905523997077@hlau_4100');
  roundTrip(t, m);
});

test('RFC 5118 §4.10 archive form (no empty line after the headers) -> parseMessage: bad-header, 400', (t) => {
  // The RFC's Appendix A copies of both §4.10 messages end after
  // "Content-Length: 0" with no empty line; SIP needs one (RFC 3261 §7).
  for (const name of ['ipv6-bug-abnf-3-colons', 'ipv6-correct-abnf-2-colons']) {
    const full = rfc5118Message(name);
    const e = bad(t, name, full.subarray(0, full.length - 2), 'bad-header', true);
    t.is(e.reason, 'Header Section Not Terminated');
  }
});

// ---------------------------------------------------------------- §4.3 text

test('RFC 5118 §4.3 text: IPv6 in Contact, Route, Record-Route and Via sent-by; port only after "]"', (t) => {
  // §4.3: raw IPv6 addresses also appear in Contact, Route, Record-Route and
  // Via sent-by. No RFC 5118 message has a Route; these are derived from §4.1.
  const route = nameAddr(parseNameAddr('<sip:[2001:db8::9:1]:5070;lr>'));
  const ru = route.uri as SipUri;
  t.deepEqual([ru.host, ru.port, [...ru.params]], ['[2001:db8::9:1]', 5070, [['lr', null]]]);
  const rr = nameAddr(parseNameAddr('<sip:[2001:db8::10];lr;transport=tcp>;x=1'));
  t.deepEqual([(rr.uri as SipUri).host, (rr.uri as SipUri).port, [...rr.params]], ['[2001:db8::10]', undefined, [['x', '1']]]);
  const m = parseOk(
    t,
    'ipv6-good+route',
    Buffer.from(
      rfc5118Message('ipv6-good')
        .toString()
        .replace('CSeq:', 'Route: <sip:[2001:db8::9:1]:5070;lr>\r\nRecord-Route: <sip:[2001:db8::10];lr>\r\nCSeq:'),
    ),
  );
  t.is(m.headers.get('Route'), '<sip:[2001:db8::9:1]:5070;lr>');
  roundTrip(t, m);

  // Port after "]" (URI and Via sent-by), and the forms that are not ports.
  t.is(sip('sip:[2001:db8::10]:5070').port, 5070);
  t.is(sip('sip:user@[::ffff:192.0.2.10]:19823;transport=udp').port, 19823);
  t.is(parseUri('sip:[2001:db8::10]5070'), undefined, 'digits glued to "]"');
  t.is(parseUri('sip:[2001:db8::10]:'), undefined, 'empty port');
  t.is(parseUri('sip:[2001:db8::10]:65536'), undefined, 'port out of range');
  t.is(parseUri('sip:[2001:db8::10'), undefined, 'unterminated reference');
  t.is(parseUri('sip:user@2001:db8::10'), undefined, 'bare IPv6 host');
  const v = parseVia('SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111')!;
  t.deepEqual([v.host, v.port], ['[2001:db8::9:1]', 6050]);
  t.is(parseVia('SIP/2.0/UDP [2001:db8::9:1]6050;branch=z9hG4bK1'), undefined, 'digits glued to "]"');
  t.is(parseVia('SIP/2.0/UDP [2001:db8::9:1;branch=z9hG4bK1'), undefined, 'unterminated reference');
});
