/**
 * SDP parser and serializer (RFC 4566) on real-world and RFC 4317 fixtures
 * (test/fixtures/sdp/), malformed inputs, and random mutations.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  attributeValues,
  directionOf,
  fmtpOf,
  maxptimeOf,
  parseRtpmap,
  parseSdp,
  payloadFormats,
  ptimeOf,
  rtcpOf,
  rtpmapOf,
  serializeSdp,
  type SessionDescription,
} from '../../../firmware/sdp/index.ts';
import { sdpFixture, sdpFixtureNames, sippUacSdp } from '../../fixtures/sdp/index.ts';

function parsed(text: string | Buffer): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`expected SDP to parse: ${r.reason}`);
  return r.sdp;
}

function rejects(text: string): string {
  const r = parseSdp(text);
  if (r.ok) throw new Error(`expected a rejection of ${JSON.stringify(text)}`);
  return r.reason;
}

const MINIMAL = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n';

test('RFC 4566 §5: every fixture parses with LF and with CRLF line ends, to the same description', (t) => {
  const names = sdpFixtureNames().filter((n) => n !== 'sipp-uac.sdp');
  t.true(names.length >= 12);
  for (const name of names) {
    const lf = parseSdp(sdpFixture(name));
    const crlf = parseSdp(sdpFixture(name, '\r\n'));
    t.true(lf.ok, `${name}: ${lf.ok ? '' : lf.reason}`);
    t.deepEqual(lf, crlf, name);
  }
});

test('RFC 4566 §5: a Buffer is read as UTF-8 like the equivalent string', (t) => {
  const text = sdpFixture('linphone-offer.sdp', '\r\n').replace('s=Talk', 's=Café');
  t.deepEqual(parsed(Buffer.from(text, 'utf8')), parsed(text));
  t.is(parsed(Buffer.from(text, 'utf8')).sessionName, 'Café');
});

test('RFC 4566 §5.2 §5.7 §5.14: the baresip offer, typed views and unknown attributes in order', (t) => {
  const sdp = parsed(sdpFixture('baresip-offer.sdp', '\r\n'));
  t.deepEqual(sdp.origin, {
    username: '-',
    sessionId: '1855587937',
    version: 2012233380n,
    netType: 'IN',
    addrType: 'IP4',
    address: '192.168.1.23',
  });
  t.deepEqual(sdp.connection, { netType: 'IN', addrType: 'IP4', address: '192.168.1.23' });
  t.deepEqual(sdp.attributes, [{ name: 'tool', value: 'baresip 3.10.1' }]);
  t.is(sdp.media.length, 1);
  const m = sdp.media[0]!;
  t.is(m.media, 'audio');
  t.is(m.port, 10734);
  t.is(m.proto, 'RTP/AVP');
  t.deepEqual(m.formats, ['111', '9', '0', '8', '101']);
  t.deepEqual(m.bandwidths, ['AS:96']);
  t.deepEqual(
    m.attributes.map((a) => a.name),
    ['rtpmap', 'fmtp', 'rtpmap', 'rtpmap', 'rtpmap', 'rtpmap', 'fmtp', 'rtcp-rsize', 'sendrecv', 'label', 'ssrc', 'ptime'],
  );
  t.deepEqual(rtpmapOf(m, 111), { payloadType: 111, encoding: 'opus', clockRate: 48000, channels: 2 });
  t.is(fmtpOf(m, 111), 'stereo=1;sprop-stereo=1');
  t.is(fmtpOf(m, 101), '0-15');
  t.is(ptimeOf(m), 20);
  t.is(directionOf(sdp, m), 'sendrecv');
  // Only PCMU/PCMA/G729/telephone-event are recognised: opus and G722 are skipped.
  t.deepEqual(payloadFormats(m), [
    { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
    { payloadType: 8, encoding: 'PCMA', clockRate: 8000 },
    { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 },
  ]);
});

test('RFC 4566 §6: the Linphone/Aastra-like offer: G.729 annexb=no, ptime 30, maxptime, a=rtcp (RFC 3605), a video stream', (t) => {
  const sdp = parsed(sdpFixture('linphone-offer.sdp'));
  t.is(sdp.sessionName, 'Talk');
  t.is(sdp.attributes[0]!.name, 'rtcp-xr');
  const [audio, video] = sdp.media;
  t.deepEqual(payloadFormats(audio!).map((f) => `${f.payloadType}:${f.encoding}`), ['8:PCMA', '0:PCMU', '18:G729', '101:telephone-event']);
  t.is(fmtpOf(audio!, 18), 'annexb=no');
  t.is(ptimeOf(audio!), 30);
  t.is(maxptimeOf(audio!), 60);
  t.deepEqual(rtcpOf(audio!), { port: 7079 });
  t.deepEqual(attributeValues(audio!.attributes, 'silenceSupp'), ['off - - - -']);
  t.deepEqual(attributeValues(audio!.attributes, 'rtcp-fb'), ['* trr-int 5000']);
  t.is(video!.media, 'video');
  t.is(video!.port, 9078);
  t.deepEqual(payloadFormats(video!), []);
});

test('RFC 4566 §5.14: SIPp uac SDP after keyword substitution (m=audio [media_port] RTP/AVP 0)', (t) => {
  const sdp = parsed(sippUacSdp('127.0.0.1', 6000));
  t.is(sdp.origin.username, 'user1');
  t.is(sdp.origin.version, 2353687637n);
  t.is(sdp.connection?.address, '127.0.0.1');
  t.is(sdp.media[0]!.port, 6000);
  t.deepEqual(payloadFormats(sdp.media[0]!), [{ payloadType: 0, encoding: 'PCMU', clockRate: 8000 }]);
  const v6 = parsed(sippUacSdp('::1', 6000));
  t.is(v6.connection?.addrType, 'IP6');
  t.is(v6.connection?.address, '::1');
  // Before substitution, the placeholders are not addresses or ports.
  t.false(parseSdp(sdpFixture('sipp-uac.sdp')).ok);
});

test('RFC 4566 §5.7 and RFC 3605 §2.1: IPv6 connection and a=rtcp with an explicit IP6 address', (t) => {
  const sdp = parsed(sdpFixture('ipv6-offer.sdp'));
  t.deepEqual(sdp.connection, { netType: 'IN', addrType: 'IP6', address: '2001:db8::10' });
  t.is(sdp.origin.addrType, 'IP6');
  const m = sdp.media[0]!;
  t.deepEqual(rtcpOf(m), { port: 4001, connection: { netType: 'IN', addrType: 'IP6', address: '2001:db8::11' } });
  t.deepEqual(payloadFormats(m)[0], { payloadType: 96, encoding: 'PCMA', clockRate: 8000 });
});

test('RFC 4566 §5.3: RFC 4317 examples parse with their single-space s= and FQDN connection addresses', (t) => {
  const sdp = parsed(sdpFixture('rfc4317-2.1-offer.sdp'));
  t.is(sdp.sessionName, '');
  t.is(sdp.connection?.address, 'host.atlanta.example.com');
  t.deepEqual(
    sdp.media.map((m) => `${m.media} ${m.port} ${m.formats.join(',')}`),
    ['audio 49170 0,8,97', 'video 51372 31,32'],
  );
  t.deepEqual(rtpmapOf(sdp.media[0]!, 97), { payloadType: 97, encoding: 'iLBC', clockRate: 8000 });
  const answer = parsed(sdpFixture('rfc4317-2.2-answer.sdp'));
  t.is(answer.media[1]!.port, 0);
});

test('RFC 4566 §6 / RFC 3264 §5.1: direction at session or media level, media level wins, default sendrecv', (t) => {
  const base = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n';
  const sessionLevel = parsed(`${base}a=sendonly\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 0\r\na=inactive\r\n`);
  t.is(directionOf(sessionLevel, sessionLevel.media[0]), 'sendonly');
  t.is(directionOf(sessionLevel, sessionLevel.media[1]), 'inactive');
  const none = parsed(`${base}m=audio 4000 RTP/AVP 0\r\n`);
  t.is(directionOf(none, none.media[0]), 'sendrecv');
  const hold = parsed(sdpFixture('hold-sendonly.sdp'));
  t.is(directionOf(hold, hold.media[0]), 'sendonly');
  t.is(parsed(sdpFixture('rfc4317-3.2-second-offer.sdp')).media.map((m) => directionOf(hold, m)).join(), 'sendonly,recvonly');
});

test('RFC 4566 §6: rtpmap grammar', (t) => {
  t.deepEqual(parseRtpmap('101 telephone-event/8000'), { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 });
  t.deepEqual(parseRtpmap('111 opus/48000/2'), { payloadType: 111, encoding: 'opus', clockRate: 48000, channels: 2 });
  t.is(parseRtpmap('128 PCMU/8000'), undefined);
  t.is(parseRtpmap('0 PCMU'), undefined);
  t.is(parseRtpmap('x PCMU/8000'), undefined);
});

test('RFC 4566 §5: serializeSdp writes CRLF in RFC order; canonical fixtures round-trip byte for byte', (t) => {
  for (const name of sdpFixtureNames().filter((n) => n !== 'sipp-uac.sdp')) {
    const text = sdpFixture(name, '\r\n');
    t.is(serializeSdp(parsed(text)), text, name);
  }
});

test('RFC 4566 §5: parse(serialize(parse(x))) equals parse(x), unknown lines and attributes kept', (t) => {
  const text =
    'v=0\no=- 7 7 IN IP4 192.0.2.1   \ns=x\ni=info\nu=http://example.com/\ne=a@example.com\np=+1 555\nc=IN IP4 224.2.1.1/127/3\n' +
    'b=CT:1000\nt=3034423619 3042462419\nr=7d 1h 0 25h\nt=0 0\nz=2882844526 -1h\nk=prompt\na=recvonly\ny=unknown session line\n' +
    'm=audio 49170/2 RTP/AVP 0\ni=audio\nc=IN IP6 ff15::101/3\nb=AS:64\nk=prompt\na=x-custom\na=fmtp:0 \nx=unknown media line\n' +
    'm=application 9 UDP/BFCP *\n';
  const once = parsed(text);
  t.is(once.timings.length, 2);
  t.deepEqual(once.timings[0]!.repeats, ['7d 1h 0 25h']);
  t.deepEqual(once.connection, { netType: 'IN', addrType: 'IP4', address: '224.2.1.1', ttl: 127, count: 3 });
  t.deepEqual(once.media[0]!.connection, { netType: 'IN', addrType: 'IP6', address: 'ff15::101', count: 3 });
  t.is(once.media[0]!.portCount, 2);
  t.deepEqual(once.unknown, [{ type: 'y', value: 'unknown session line' }]);
  t.deepEqual(once.media[0]!.unknown, [{ type: 'x', value: 'unknown media line' }]);
  t.deepEqual(once.media[0]!.attributes, [{ name: 'x-custom', value: null }, { name: 'fmtp', value: '0' }]);
  t.deepEqual(once.media[1]!.formats, ['*']);
  t.deepEqual(parsed(serializeSdp(once)), once);
});

test('RFC 4566 §5: tolerated: blank lines, trailing whitespace, session lines after t=', (t) => {
  const sdp = parsed('\r\nv=0 \r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 \t\r\n\r\n\r\n');
  t.is(sdp.connection?.address, '192.0.2.1');
  t.deepEqual(sdp.media[0]!.formats, ['0']);
});

const MALFORMED: [what: string, text: string, reason: string][] = [
  ['empty input', '', 'first line must be v='],
  ['garbage', 'hello world', 'not a type=value line'],
  ['HTML', '<html><body>v=0</body></html>', 'not a type=value line'],
  ['missing v=', 'o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n', 'first line must be v='],
  ['v=1', MINIMAL.replace('v=0', 'v=1'), 'unsupported SDP version'],
  ['o= before v=', 'o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\ns=-\r\nt=0 0\r\n', 'first line must be v='],
  ['s= before o=', 'v=0\r\ns=-\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n', 'second line must be o='],
  ['missing s=', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n', 'third line must be s='],
  ['missing t=', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n', 't= missing before the first m='],
  ['missing t= entirely', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n', 't= missing'],
  ['o= with 5 fields', MINIMAL.replace('o=- 1 1 IN IP4 192.0.2.1', 'o=- 1 IN IP4 192.0.2.1'), 'o= needs 6 fields'],
  ['o= version not a number', MINIMAL.replace('o=- 1 1 ', 'o=- 1 x '), 'bad o= session version'],
  ['o= bad IPv4', MINIMAL.replace('192.0.2.1', '192.0.2.300'), 'bad IP4 address in o='],
  ['second v=', `${MINIMAL}v=0\r\n`, 'v= out of place'],
  ['r= before t=', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nr=7d 1h 0\r\nt=0 0\r\n', 'r= before any t='],
  ['t= with letters', MINIMAL.replace('t=0 0', 't=now later'), 'bad t= line'],
  ['c= with 2 fields', `${MINIMAL}c=IN 192.0.2.1\r\n`, 'c= needs 3 fields'],
  ['c= bad IP6', `${MINIMAL}c=IN IP6 2001:db8:::1:2:3\r\n`, 'bad IP6 address in c='],
  ['c= IP4 with spaces in the host', `${MINIMAL}c=IN IP4 a b\r\n`, 'c= needs 3 fields'],
  ['two session c=', `${MINIMAL}c=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\n`, 'duplicate c='],
  ['m= without formats', `${MINIMAL}m=audio 4000 RTP/AVP\r\n`, 'm= needs media, port, proto and at least one format'],
  ['m= port not a number', `${MINIMAL}m=audio port RTP/AVP 0\r\n`, 'bad m= port'],
  ['m= port above 65535', `${MINIMAL}m=audio 65536 RTP/AVP 0\r\n`, 'm= port out of range'],
  ['m= payload type above 127', `${MINIMAL}m=audio 4000 RTP/AVP 0 128\r\n`, 'm= payload type out of range'],
  ['m= payload type not a number', `${MINIMAL}m=audio 4000 RTP/AVP PCMU\r\n`, 'bad m= payload type'],
  ['t= in a media section', `${MINIMAL}m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n`, 't= not allowed in a media section'],
  ['line without =', `${MINIMAL}m=audio 4000 RTP/AVP 0\r\nfoo\r\n`, 'not a type=value line'],
  ['upper-case type letter', `${MINIMAL}A=sendrecv\r\n`, 'not a type=value line'],
  ['space before =', `${MINIMAL}a =sendrecv\r\n`, 'not a type=value line'],
  ['empty attribute name', `${MINIMAL}a=:x\r\n`, 'bad attribute name'],
  ['bare CR inside a line', `${MINIMAL}a=x\ry\r\n`, 'control character'],
  ['NUL in a value', `${MINIMAL}a=x\u0000\r\n`, 'control character'],
  ['bad b=', `${MINIMAL}b=AS\r\n`, 'bad b= line'],
];

for (const [what, text, reason] of MALFORMED) {
  test(`RFC 4566 §5: rejected: ${what} (${reason})`, (t) => {
    t.true(rejects(text).startsWith(reason), rejects(text));
  });
}

/** Mutations of a fixture: delete, duplicate or swap lines, replace characters, truncate. */
const mutation = (base: string) =>
  fc
    .record({
      op: fc.constantFrom('delete-line', 'dup-line', 'swap-lines', 'replace-char', 'insert', 'truncate'),
      i: fc.nat(),
      j: fc.nat(),
      s: fc.string({ unit: fc.constantFrom('=', ' ', '/', ':', '\r', '\n', '\0', '0', '9', 'a', 'm', 'v', 'é', '\t', '-') }),
    })
    .map(({ op, i, j, s }) => {
      const lines = base.split('\r\n');
      const a = i % lines.length;
      const b = j % lines.length;
      switch (op) {
        case 'delete-line':
          lines.splice(a, 1);
          return lines.join('\r\n');
        case 'dup-line':
          lines.splice(a, 0, lines[a] ?? '');
          return lines.join('\r\n');
        case 'swap-lines': {
          const x = lines[a] ?? '';
          lines[a] = lines[b] ?? '';
          lines[b] = x;
          return lines.join('\r\n');
        }
        case 'replace-char': {
          const k = i % Math.max(base.length, 1);
          return base.slice(0, k) + s + base.slice(k + 1 + (j % 4));
        }
        case 'insert': {
          const k = i % Math.max(base.length, 1);
          return base.slice(0, k) + s + base.slice(k);
        }
        default:
          return base.slice(0, i % Math.max(base.length, 1));
      }
    });

test('RFC 4566 §5: random mutations of every fixture never throw, and what parses re-serializes to an equal description', (t) => {
  const fixtures = sdpFixtureNames().map((n) => sdpFixture(n, '\r\n'));
  fc.assert(
    fc.property(fc.constantFrom(...fixtures).chain(mutation), (text) => {
      const r = parseSdp(text);
      if (!r.ok) return typeof r.reason === 'string' && r.reason.length > 0;
      const again = parseSdp(serializeSdp(r.sdp));
      return again.ok && JSON.stringify(again.sdp, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ===
        JSON.stringify(r.sdp, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('RFC 4566 §5: random strings and bytes never throw', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 })), (input) => {
      const r = parseSdp(typeof input === 'string' ? input : Buffer.from(input));
      return r.ok || r.reason.length > 0;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
