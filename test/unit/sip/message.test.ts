import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  HeaderList,
  PARSE_ERROR_CODES,
  createRequest,
  createResponse,
  formatNameAddr,
  formatUri,
  formatVia,
  getCSeq,
  getContacts,
  getExpires,
  getFrom,
  getTag,
  getTo,
  getVia,
  newBranch,
  newCallId,
  newTag,
  parseMessage,
  parseNameAddr,
  parseParams,
  parseUri,
  parseVia,
  reasonPhrase,
  serialize,
  topVia,
} from '../../../firmware/sip/message/index.ts';
import type { SipRequest, SipUri, TelUri } from '../../../firmware/sip/message/index.ts';
import { INVITE_SDP, REGISTER_AUTH } from '../../fixtures/sip/messages.ts';

function parseReq(text: string | Buffer): SipRequest {
  const r = parseMessage(typeof text === 'string' ? Buffer.from(text) : text);
  if (!r.ok) throw new Error(r.error.code + ': ' + r.error.reason);
  if (r.message.kind !== 'request') throw new Error('not a request');
  return r.message;
}

const MINIMAL = [
  'OPTIONS sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKabc',
  'From: <sip:alice@example.com>;tag=1',
  'To: <sip:bob@example.com>',
  'Call-ID: c1',
  'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
];
const msg = (lines: string[], body = ''): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);

// ------------------------------------------------------------ headers

test('RFC 3261 §7.3.3 compact forms resolve to their long names', (t) => {
  const pairs: Array<[string, string]> = [
    ['i', 'Call-ID'], ['m', 'Contact'], ['e', 'Content-Encoding'], ['l', 'Content-Length'],
    ['c', 'Content-Type'], ['f', 'From'], ['s', 'Subject'], ['k', 'Supported'], ['t', 'To'],
    ['v', 'Via'], ['o', 'Event'], ['u', 'Allow-Events'], ['r', 'Refer-To'], ['b', 'Referred-By'],
    ['x', 'Session-Expires'], ['y', 'Identity'], ['a', 'Accept-Contact'], ['j', 'Reject-Contact'],
    ['d', 'Request-Disposition'],
  ];
  for (const [short, long] of pairs) {
    const h = new HeaderList([[short.toUpperCase(), 'x']]);
    t.is(h.get(long), 'x', short);
    t.is(h.get(long.toUpperCase()), 'x', long);
    t.true(h.has(short));
  }
});

test('RFC 3261 §7.3.1 comma splitting respects quoted strings, escapes and <...>', (t) => {
  const h = new HeaderList([
    ['Contact', '"Doe, \\"J\\"" <sip:a,b@c>;q=0.5, <sip:c@d>'],
    ['m', 'sip:e@f'],
  ]);
  t.deepEqual(h.getAll('contact'), ['"Doe, \\"J\\"" <sip:a,b@c>;q=0.5', '<sip:c@d>', 'sip:e@f']);
  t.deepEqual(h.getFields('Contact').length, 2);
  const c = getContacts(h);
  t.deepEqual(c === '*' ? c : c.map((n) => n.displayName), ['Doe, "J"', undefined, undefined]);
});

test('HeaderList set/append/prepend/remove/removeFirstValue/clone keep order and names', (t) => {
  const h = new HeaderList([
    ['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2'],
    ['To', '<sip:x@y>'],
    ['v', 'SIP/2.0/UDP c;branch=z9hG4bK3'],
  ]);
  h.prepend('Via', 'SIP/2.0/TCP top;branch=z9hG4bK0');
  t.deepEqual(getVia(h).map((v) => v.host), ['top', 'a', 'b', 'c']);
  h.removeFirstValue('via');
  h.removeFirstValue('via');
  t.deepEqual(getVia(h).map((v) => v.host), ['b', 'c']);
  t.is(h.fields()[0]!.value, 'SIP/2.0/UDP b;branch=z9hG4bK2');
  const copy = h.clone();
  h.set('VIA', 'SIP/2.0/UDP z;branch=z9hG4bK9');
  t.deepEqual(h.fields().map((f) => f.name), ['VIA', 'To']);
  t.deepEqual(getVia(copy).map((v) => v.host), ['b', 'c']);
  h.append('X-A', '1');
  h.remove('x-a');
  t.false(h.has('X-A'));
  h.prepend('Route', '<sip:p;lr>');
  t.is(h.fields()[0]!.name, 'Route');
  t.is(h.get('nothing'), undefined);
  t.deepEqual(h.getAll('nothing'), []);
});

// ------------------------------------------------------------ parse details

test('RFC 3261 §7.3.1 folding: CRLF + WSP collapses to one SP; names keep their case', (t) => {
  const m = parseReq(msg([...MINIMAL, 'Subject: first', '\t  second', 'X-Empty:', 'X-Fold:', '  late']));
  t.is(m.headers.get('subject'), 'first second');
  t.is(m.headers.get('x-empty'), '');
  t.is(m.headers.get('X-FOLD'), 'late');
});

test('RFC 3261 §7.5 leading CRLFs before the start line are ignored; bare LF line ends tolerated', (t) => {
  const m = parseReq(Buffer.from('\r\n\r\n' + [...MINIMAL, 'Content-Length: 2'].join('\n') + '\n\nhi'));
  t.is(m.method, 'OPTIONS');
  t.is(m.body.toString(), 'hi');
  const mixed = parseReq(Buffer.from([...MINIMAL, 'Content-Length: 4'].join('\r\n') + '\r\n\nab\r\n\r\n'));
  t.is(mixed.body.toString(), 'ab\r\n');
});

test('RFC 3261 §18.3 UDP: body trimmed to Content-Length; absent Content-Length takes the rest', (t) => {
  t.is(parseReq(msg([...MINIMAL, 'l: 3'], 'abcdef')).body.toString(), 'abc');
  t.is(parseReq(msg(MINIMAL, 'abcdef')).body.toString(), 'abcdef');
  const r = parseMessage(msg([...MINIMAL, 'Content-Length: 7'], 'abc'));
  t.is(!r.ok && r.error.code, 'body-truncated');
});

test('RFC 3261 §18.3 stream option: Content-Length is mandatory', (t) => {
  const r = parseMessage(msg(MINIMAL), { stream: true });
  t.false(r.ok);
  t.is(!r.ok && r.error.code, 'missing-header');
  t.truthy(!r.ok && r.error.partial);
  t.true(parseMessage(msg([...MINIMAL, 'Content-Length: 0']), { stream: true }).ok);
});

test('maxSize: larger messages are refused as too-large before any parsing', (t) => {
  const big = msg([...MINIMAL, 'X-Pad: ' + 'a'.repeat(70000)]);
  const r = parseMessage(big);
  t.is(!r.ok && r.error.code, 'too-large');
  t.true(parseMessage(big, { maxSize: 200000 }).ok);
});

test('RFC 3261 §8.1.1 mandatory headers: each missing one is named', (t) => {
  for (const name of ['From', 'To', 'Call-ID', 'CSeq', 'Via']) {
    const r = parseMessage(msg(MINIMAL.filter((l) => !l.startsWith(name + ':'))));
    t.false(r.ok);
    t.is(!r.ok && r.error.code, 'missing-header');
    t.is(!r.ok && r.error.reason, 'Missing ' + name);
    // Without a Via nobody can be answered.
    t.is(!r.ok && r.error.partial !== undefined, name !== 'Via');
  }
});

test('Response status line: 3-digit code in 100..699, version, reason', (t) => {
  const base = ['Via: SIP/2.0/UDP h;branch=z9hG4bKx', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>', 'Call-ID: x', 'CSeq: 1 INVITE'];
  const r = parseMessage(msg(['SIP/2.0 180 Ringing', ...base]));
  t.true(r.ok && r.message.kind === 'response' && r.message.reason === 'Ringing');
  for (const line of ['SIP/2.0 099 Low', 'SIP/2.0 700 High', 'SIP/2.0 20 Short', 'SIP/2.0 2000 Long', 'SIP/2.0x 200 OK']) {
    const e = parseMessage(msg([line, ...base]));
    t.is(!e.ok && e.error.code, 'bad-start-line', line);
    t.is(!e.ok && e.error.partial, undefined);
  }
  const v = parseMessage(msg(['SIP/3.0 200 OK', ...base]));
  t.is(!v.ok && v.error.code, 'bad-version');
});

test('Header lines without colon or with a non-token name are bad-header', (t) => {
  for (const line of ['NoColonHere', 'Bad Name: x', '{x}: y']) {
    const r = parseMessage(msg([...MINIMAL, line]));
    t.is(!r.ok && r.error.code, 'bad-header', line);
    t.truthy(!r.ok && r.error.partial);
  }
  const fold = parseMessage(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n folded\r\n' + MINIMAL.slice(1).join('\r\n') + '\r\n\r\n'));
  t.is(!fold.ok && fold.error.code, 'bad-header');
});

test('Max-Forwards must be digits (bad-max-forwards); Call-ID must not hold spaces', (t) => {
  const r = parseMessage(msg([...MINIMAL.filter((l) => !l.startsWith('Max-')), 'Max-Forwards: -1']));
  t.is(!r.ok && r.error.code, 'bad-max-forwards');
  const c = parseMessage(msg([...MINIMAL.filter((l) => !l.startsWith('Call-ID')), 'Call-ID: a b']));
  t.is(!c.ok && c.error.code, 'bad-header');
});

test('Contact "*" only alone (RFC 3261 §10.2.2)', (t) => {
  const star = parseReq(msg([...MINIMAL, 'Contact: *', 'Expires: 0']));
  t.is(getContacts(star.headers), '*');
  t.is(getExpires(star.headers), 0);
  const r = parseMessage(msg([...MINIMAL, 'Contact: *, <sip:a@b>']));
  t.is(!r.ok && r.error.code, 'bad-address');
});

test('parseMessage never throws on non-buffers and empty input', (t) => {
  t.false(parseMessage(Buffer.alloc(0)).ok);
  t.false(parseMessage(Buffer.from('\r\n\r\n')).ok);
  // @ts-expect-error: hostile callers
  t.false(parseMessage('INVITE').ok);
});

// ------------------------------------------------------------ URIs

test('RFC 3261 §19.1.1 SIP URI: user, password, IPv6 reference with port, params, headers', (t) => {
  const u = parseUri('sips:al%69ce:se%63ret@[2001:db8::10]:5061;transport=TCP;LR;maddr=239.255.255.1?Subject=hi%20there&Priority=urgent') as SipUri;
  t.is(u.scheme, 'sips');
  t.is(u.user, 'alice');
  t.is(u.password, 'secret');
  t.is(u.host, '[2001:db8::10]');
  t.is(u.port, 5061);
  t.deepEqual([...u.params], [['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
  t.deepEqual([...u.headers], [['Subject', 'hi there'], ['Priority', 'urgent']]);
  t.is(formatUri(u), 'sips:alice:secret@[2001:db8::10]:5061;transport=TCP;lr;maddr=239.255.255.1?Subject=hi%20there&Priority=urgent');
  t.deepEqual(parseUri(formatUri(u)), u);
});

test('RFC 3261 §19.1.2 escaping: formatUri escapes what each part requires, UTF-8 round trips', (t) => {
  const u: SipUri = { scheme: 'sip', user: 'é @x', host: 'example.com', params: new Map([['n', 'a b']]), headers: new Map() };
  const s = formatUri(u);
  t.is(s, 'sip:%C3%A9%20%40x@example.com;n=a%20b');
  t.deepEqual(parseUri(s), u);
});

test('RFC 3966 tel URI and other schemes', (t) => {
  const tel = parseUri('tel:+33-1-42-68-53-00;phone-context=+33;ext=12') as TelUri;
  t.is(tel.number, '+33-1-42-68-53-00');
  t.deepEqual([...tel.params], [['phone-context', '+33'], ['ext', '12']]);
  t.is(formatUri(tel), 'tel:+33-1-42-68-53-00;phone-context=+33;ext=12');
  t.deepEqual(parseUri('mailto:a@b.c'), { scheme: 'mailto', raw: 'mailto:a@b.c' });
});

test('Malformed URIs are undefined', (t) => {
  for (const s of ['', 'sip:', 'sip:a@', 'sip:a b@c', '<sip:a@b>', 'sip:a@b:99999', 'sip:a@[::1', 'sip:%zz@b', 'sip:a@b;=x',
    'sip:a@b?x', '1sip:a', 'sip:a@b_c', 'tel:', 'tel:12x']) {
    t.is(parseUri(s), undefined, s);
  }
});

// ------------------------------------------------------------ name-addr, Via, params

test('RFC 3261 §20.10 name-addr: quoted display name with escapes, token display name, addr-spec params', (t) => {
  const a = parseNameAddr('"A \\"B\\" \\\\ C" <sip:x@y>;tag=abc;Expires=60');
  t.is(a?.displayName, 'A "B" \\ C');
  t.deepEqual([...a!.params], [['tag', 'abc'], ['expires', '60']]);
  t.is(getTag(a), 'abc');
  const b = parseNameAddr('Alice  Smith <sip:alice@example.com;transport=tcp>');
  t.is(b?.displayName, 'Alice  Smith');
  t.is((b!.uri as SipUri).params.get('transport'), 'tcp');
  const c = parseNameAddr('sip:bob@example.com;tag=9');
  t.is(c?.displayName, undefined);
  t.is(getTag(c), '9');
  t.is(formatNameAddr(a!), '"A \\"B\\" \\\\ C" <sip:x@y>;tag=abc;expires=60');
  t.deepEqual(parseNameAddr(formatNameAddr(a!)), a);
  for (const bad of ['', '"open <sip:a@b>', '< sip:a@b>', 'a,b <sip:x@y>', 'sip:a@b?x=y', '<sip:a@b>;', '<sip:a@b> junk']) {
    t.is(parseNameAddr(bad), undefined, bad);
  }
});

test('RFC 3261 §20.42 Via: IPv6 sent-by with port, received/rport, formatVia', (t) => {
  const v = parseVia('SIP/2.0/tcp [2001:db8::9]:5070;branch=z9hG4bKx;rport;received=2001:db8::1');
  t.deepEqual(v, {
    protocol: 'SIP/2.0',
    transport: 'TCP',
    host: '[2001:db8::9]',
    port: 5070,
    params: new Map<string, string | null>([['branch', 'z9hG4bKx'], ['rport', null], ['received', '2001:db8::1']]),
  });
  t.is(formatVia(v!), 'SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKx;rport;received=2001:db8::1');
  t.deepEqual(parseVia(formatVia(v!)), v);
  for (const bad of ['SIP/2.0/UDP', 'SIP/2.0 UDP h', 'SIP/2.0/UDPh', 'SIP/2.0/UDP h:70000', 'SIP/2.0/UDP h;;', 'SIP/2.0/UDP h;a=']) {
    t.is(parseVia(bad), undefined, bad);
  }
});

test('parseParams: names lower-cased, values kept, quoted values keep their quotes', (t) => {
  t.deepEqual([...parseParams(';A=1; b ;C="x;y"')!], [['a', '1'], ['b', null], ['c', '"x;y"']]);
  t.deepEqual([...parseParams('q=0.5')!], [['q', '0.5']]);
  t.is(parseParams(';a="unterminated'), undefined);
});

test('RFC 3261 §20.16 CSeq: 32-bit unsigned sequence, token method', (t) => {
  const h = new HeaderList([['CSeq', '4294967295 INVITE']]);
  t.deepEqual(getCSeq(h), { seq: 4294967295, method: 'INVITE' });
  for (const v of ['4294967296 INVITE', 'INVITE', '1', '1 IN VITE', '-1 INVITE', '1 INV,ITE']) {
    t.is(getCSeq(new HeaderList([['CSeq', v]])), undefined, v);
  }
});

// ------------------------------------------------------------ serialize

test('RFC 3261 §20.14 serialize fixes Content-Length to the real body length, keeps names and order', (t) => {
  const m = parseReq(msg([...MINIMAL, 'l: 5', 'X-Last: z'], 'hello'));
  m.body = Buffer.from('hi');
  const out = serialize(m).toString();
  t.true(out.includes('\r\nl: 2\r\nX-Last: z\r\n\r\nhi'));
  t.true(out.startsWith('OPTIONS sip:bob@example.com SIP/2.0\r\nVia: '));
  const r = createRequest({ method: 'MESSAGE', uri: 'sip:b@c', headers: [['X-A', '1']], body: Buffer.from('abc') });
  t.true(serialize(r).toString().endsWith('X-A: 1\r\nContent-Length: 3\r\n\r\nabc'));
});

test('serialize neutralises CR/LF injected in header values', (t) => {
  const r = createRequest({ method: 'OPTIONS', uri: 'sip:b@c', headers: [['Subject', 'a\r\nVia: evil']] });
  const s = serialize(r).toString();
  t.true(s.includes('Subject: a Via: evil\r\n'));
});

test('Typical REGISTER and INVITE round trip through serialize byte for byte', (t) => {
  for (const buf of [REGISTER_AUTH, INVITE_SDP]) {
    const m = parseReq(buf);
    t.true(serialize(m).equals(buf));
  }
});

// ------------------------------------------------------------ factories

test('RFC 3261 §8.2.6.2 createResponse copies Via(s), From, To, Call-ID, CSeq and adds the To tag', (t) => {
  const req = parseReq(INVITE_SDP);
  req.headers.append('Via', 'SIP/2.0/UDP second.example;branch=z9hG4bK2');
  req.headers.append('Record-Route', '<sip:p.example;lr>');
  const r = createResponse(req, 180, undefined, [['Contact', '<sip:pbx@192.0.2.1>']], undefined, { toTag: 'abc' });
  t.is(r.reason, 'Ringing');
  t.deepEqual(r.headers.getFields('via'), req.headers.getFields('via'));
  t.is(r.headers.get('from'), req.headers.get('from'));
  t.is(r.headers.get('call-id'), req.headers.get('call-id'));
  t.is(r.headers.get('cseq'), req.headers.get('cseq'));
  t.is(getTag(getTo(r.headers)), 'abc');
  t.false(r.headers.has('record-route'));
  t.is(r.headers.get('contact'), '<sip:pbx@192.0.2.1>');
  // 100 Trying: no tag added; a tag already present is kept.
  t.is(getTag(getTo(createResponse(req, 100, undefined, undefined, undefined, { toTag: 'abc' }).headers)), undefined);
  req.headers.set('To', '<sip:x@y>;tag=orig');
  t.is(getTag(getTo(createResponse(req, 200, 'OK', [], undefined, { toTag: 'new' }).headers)), 'orig');
  const wire = parseMessage(serialize(r));
  t.true(wire.ok);
});

test('RFC 3261 §8.2.6.1 a 100 Trying copies Timestamp', (t) => {
  const req = parseReq(msg([...MINIMAL, 'Timestamp: 54.2']));
  t.is(createResponse(req, 100).headers.get('timestamp'), '54.2');
  t.false(createResponse(req, 200).headers.has('timestamp'));
});

test('RFC 3261 §8.1.1.7 newBranch starts with the magic cookie; ids are unique tokens', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const b = newBranch();
    t.true(b.startsWith('z9hG4bK'));
    seen.add(b);
    seen.add(newTag());
    seen.add(newCallId());
  }
  t.is(seen.size, 6000);
  t.regex(newTag(), /^[A-Za-z0-9_-]{11}$/);
  t.true(newCallId('pbx.local').endsWith('@pbx.local'));
  const m = createRequest({
    method: 'OPTIONS',
    uri: 'sip:a@b',
    headers: [['Via', 'SIP/2.0/UDP h;branch=' + newBranch()], ['From', '<sip:x@y>;tag=' + newTag()], ['To', '<sip:a@b>'], ['Call-ID', newCallId()], ['CSeq', '1 OPTIONS']],
  });
  t.true(parseMessage(serialize(m)).ok);
  t.true(topVia(m.headers)!.params.get('branch')!.length > 16);
});

test('RFC 3261 §21 reasonPhrase: table and class fallback', (t) => {
  t.is(reasonPhrase(200), 'OK');
  t.is(reasonPhrase(481), 'Call/Transaction Does Not Exist');
  t.is(reasonPhrase(505), 'Version Not Supported');
  t.is(reasonPhrase(499), 'Client Error');
});

test('Error catalogue: every ParseErrorCode is documented in docs/sip-parser.md', (t) => {
  const doc = readFileSync(new URL('../../../docs/sip-parser.md', import.meta.url), 'utf8');
  for (const code of PARSE_ERROR_CODES) t.true(doc.includes('`' + code + '`'), code);
});

test('Accessors on parsed typical messages (lazy views)', (t) => {
  const reg = parseReq(REGISTER_AUTH);
  t.is(getFrom(reg.headers)?.displayName, 'Poste 202');
  const c = getContacts(reg.headers);
  t.is(c !== '*' && c[0]!.params.get('+sip.instance'), '"<urn:uuid:00000000-0000-1000-8000-0015651a2b3c>"');
  t.is(getExpires(reg.headers), 3600);
  t.true(reg.headers.getFields('Authorization')[0]!.startsWith('Digest username="202"'));
});
