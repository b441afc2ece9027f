/**
 * Property tests: generated messages survive serialize -> parse; mutated
 * RFC 4475 messages never make the parser fail internally (its catch-all
 * reason "Unparseable Message" would reveal a bug) nor run slowly.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  createRequest,
  formatNameAddr,
  getCSeq,
  getCallId,
  getContacts,
  getFrom,
  getMaxForwards,
  getTo,
  getVia,
  parseMessage,
  parseNameAddr,
  parseUri,
  serialize,
} from '../../../firmware/sip/message/index.ts';
import type { NameAddr, SipUri } from '../../../firmware/sip/message/index.ts';
import { RFC4475, rfc4475Message } from '../../fixtures/sip/rfc4475.ts';

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~".split('');
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
const label = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), minLength: 1, maxLength: 10 });
const host = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')),
  fc.ipV4(),
  fc.ipV6().map((a) => '[' + a + ']'),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
// Any text, including quotes, backslashes, controls and non-ASCII; CR/LF excluded (they cannot be quoted).
const displayName = fc.option(
  fc.string({ maxLength: 20, unit: 'grapheme' }).map((s) => s.replace(/[\r\n]/g, '').replace(/[\uFFFD\uD800-\uDFFF]/g, '')),
  { nil: undefined },
);
const userPart = fc.option(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !/[\uD800-\uDFFF\uFFFD]/.test(s)), {
  nil: undefined,
});
const params = fc.uniqueArray(fc.tuple(token.map((s) => s.toLowerCase()), fc.option(token, { nil: null })), {
  maxLength: 3,
  selector: (p) => p[0],
});

const sipUri = fc.record({ user: userPart, host, port, params }).map(({ user, host, port, params }): SipUri => {
  const u: SipUri = { scheme: 'sip', host, params: new Map(params), headers: new Map() };
  if (user !== undefined) u.user = user;
  if (port !== undefined) u.port = port;
  return u;
});

const nameAddr = fc.record({ displayName, uri: sipUri, params }).map(({ displayName, uri, params }): NameAddr => {
  const n: NameAddr = { uri, params: new Map(params.filter(([k]) => k !== 'tag')) };
  if (displayName !== undefined && displayName !== '') n.displayName = displayName;
  return n;
});

const extraHeader = fc.tuple(
  token.filter((n) => n.length > 1), // single letters are compact forms of mandatory headers
  fc.string({ maxLength: 40, unit: 'grapheme' }).map((s) => s.replace(/[\r\n\u0000-\u001f\u007f]/g, ' ').trim()),
);

test('property: serialize then parse gives the same message (generated requests)', (t) => {
  fc.assert(
    fc.property(
      token,
      sipUri,
      nameAddr,
      nameAddr,
      token,
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 255 }),
      fc.array(extraHeader, { maxLength: 5 }),
      fc.uint8Array({ maxLength: 300 }),
      (method, ruri, from, to, callId, seq, mf, extra, body) => {
        const forbidden = /^(via|from|to|call-id|cseq|max-forwards|content-length|contact)$/i;
        const req = createRequest({
          method,
          uri: 'sip:' + (ruri.user ? 'u@' : '') + ruri.host,
          headers: [
            ['Via', 'SIP/2.0/UDP ' + ruri.host + ';branch=z9hG4bK' + callId],
            ['From', formatNameAddr({ ...from, params: new Map([...from.params, ['tag', callId]]) })],
            ['To', formatNameAddr(to)],
            ['Call-ID', callId],
            ['CSeq', seq + ' ' + method],
            ['Max-Forwards', String(mf)],
            ...extra.filter(([n]) => !forbidden.test(n)),
          ],
          body: Buffer.from(body),
        });
        const wire = serialize(req);
        const r = parseMessage(wire);
        if (!r.ok) throw new Error(r.error.reason + '\n' + wire.toString());
        const m = r.message;
        if (m.kind !== 'request') return false;
        t.deepEqual(getFrom(m.headers)!.displayName, from.displayName);
        t.deepEqual(getTo(m.headers), to);
        t.deepEqual(getCSeq(m.headers), { seq, method });
        t.is(getMaxForwards(m.headers), mf);
        t.is(getCallId(m.headers), callId);
        t.true(m.body.equals(Buffer.from(body)));
        t.deepEqual(
          m.headers.fields().filter((f) => f.name !== 'Content-Length'),
          req.headers.fields().map((f) => ({ name: f.name, value: f.value })),
        );
        return serialize(m).equals(wire);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: parseNameAddr(formatNameAddr(n)) deep-equals n', (t) => {
  fc.assert(
    fc.property(nameAddr, (n) => {
      t.deepEqual(parseNameAddr(formatNameAddr(n)), n);
    }),
    { numRuns: 500 },
  );
});

test('property: URIs survive formatUri/parseUri with escaping (RFC 3261 §19.1.2)', (t) => {
  fc.assert(
    fc.property(sipUri, (u) => {
      const n = parseNameAddr('<' + formatNameAddr({ uri: u, params: new Map() }).slice(1));
      t.deepEqual(n?.uri ?? parseUri(''), u);
    }),
    { numRuns: 500 },
  );
});

const SPECIAL = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x5c, 0x3c, 0x3e, 0x00, 0x25, 0x40, 0x3d, 0xff, 0xc3];
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.constantFrom(...SPECIAL) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
);

test('property: mutated RFC 4475 messages never break the parser and parse in < 50 ms', (t) => {
  const fixtures = RFC4475.map((c) => rfc4475Message(c.file));
  let slowest = 0;
  fc.assert(
    fc.property(fc.nat({ max: fixtures.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), (which, muts) => {
      let buf = Buffer.from(fixtures[which]!);
      for (const m of muts) {
        const at = buf.length === 0 ? 0 : m.at % buf.length;
        if (m.kind === 'flip' && buf.length > 0) buf[at] = m.byte;
        else if (m.kind === 'insert') buf = Buffer.concat([buf.subarray(0, at), Buffer.from([m.byte]), buf.subarray(at)]);
        else if (m.kind === 'delete') buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
        else if (m.kind === 'truncate') buf = buf.subarray(0, at);
      }
      const t0 = performance.now();
      const r = parseMessage(buf);
      const dt = performance.now() - t0;
      slowest = Math.max(slowest, dt);
      if (dt >= 50) return false;
      if (!r.ok) return r.error.reason !== 'Unparseable Message' && !/[\r\n]/.test(r.error.reason);
      // Accessors and serialize on whatever was accepted must not throw either.
      const h = r.message.headers;
      getVia(h);
      getFrom(h);
      getTo(h);
      getContacts(h);
      getCSeq(h);
      return parseMessage(serialize(r.message)).ok;
    }),
    { numRuns: 2000 },
  );
  t.true(slowest < 50);
});

test('property: arbitrary bytes never break the parser', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = parseMessage(Buffer.concat([Buffer.from('INVITE sip:a@b SIP/2.0\r\n'), Buffer.from(bytes)]));
      return r.ok || r.error.reason !== 'Unparseable Message';
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
