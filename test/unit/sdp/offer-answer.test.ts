/**
 * Offer/answer (RFC 3264) for the media-anchoring B2BUA: LegRemote from a
 * peer's SDP, our offers and answers, direction and hold, o= versions.
 */
import test from 'ava';
import type { PayloadFormat } from '../../../firmware/media/types.ts';
import {
  answerDirection,
  buildAnswer,
  buildOffer,
  directionOf,
  fmtpOf,
  holdDirection,
  intersectFormats,
  isHolding,
  isUnchanged,
  nextVersion,
  parseSdp,
  payloadFormats,
  ptimeOf,
  remoteFromSdp,
  resumeDirection,
  serializeSdp,
  type AnswerResult,
  type SessionDescription,
} from '../../../firmware/sdp/index.ts';
import { sdpFixture, sippUacSdp } from '../../fixtures/sdp/index.ts';

function parsed(text: string): SessionDescription {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`expected SDP to parse: ${r.reason}`);
  return r.sdp;
}

const fixture = (name: string): SessionDescription => parsed(sdpFixture(name));

const PCMU: PayloadFormat = { payloadType: 0, encoding: 'PCMU', clockRate: 8000 };
const PCMA: PayloadFormat = { payloadType: 8, encoding: 'PCMA', clockRate: 8000 };
const G729: PayloadFormat = { payloadType: 18, encoding: 'G729', clockRate: 8000 };
const TE: PayloadFormat = { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 };

/** What the PBX supports, in its preference order. */
const OURS = [PCMA, PCMU, TE];
const ORIGIN = { username: 'pbxgate', sessionId: '4711', version: 1, address: '192.0.2.1' };
const LOCAL = { host: '192.0.2.1', port: 20000 };

function answered(r: AnswerResult): Extract<AnswerResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected an answer, got ${r.reason}`);
  return r;
}

/** The answer must itself be valid SDP: serialize and parse it back. */
function wire(sdp: SessionDescription): SessionDescription {
  return parsed(serializeSdp(sdp));
}

// ---------------------------------------------------------------- remoteFromSdp

test('RFC 3264 §5, RFC 3550 §11: baresip offer -> RTP at c=/m=, RTCP at port + 1, recognised formats, ptime', (t) => {
  t.deepEqual(remoteFromSdp(fixture('baresip-offer.sdp')), {
    rtp: { host: '192.168.1.23', port: 10734 },
    rtcp: { host: '192.168.1.23', port: 10735 },
    direction: 'sendrecv',
    formats: [PCMU, PCMA, TE],
    ptimeMs: 20,
  });
});

test('RFC 3605 §2.1: a=rtcp gives the RTCP port (Linphone-like offer), ptime 30, G.729 recognised', (t) => {
  const r = remoteFromSdp(fixture('linphone-offer.sdp'));
  t.deepEqual(r.rtp, { host: '192.168.1.42', port: 7078 });
  t.deepEqual(r.rtcp, { host: '192.168.1.42', port: 7079 });
  t.deepEqual(r.formats, [PCMA, PCMU, G729, TE]);
  t.is(r.ptimeMs, 30);
});

test('RFC 3605 §2.1: a=rtcp with its own IPv6 address; dynamic PT for PCMA via rtpmap', (t) => {
  const r = remoteFromSdp(fixture('ipv6-offer.sdp'));
  t.deepEqual(r.rtp, { host: '2001:db8::10', port: 4000 });
  t.deepEqual(r.rtcp, { host: '2001:db8::11', port: 4001 });
  t.deepEqual(r.formats, [{ payloadType: 96, encoding: 'PCMA', clockRate: 8000 }, PCMU, { ...TE, payloadType: 101 }]);
});

test('RFC 3551 §6: static payload types 0/8/18 are recognised without rtpmap; ptime defaults to 20', (t) => {
  const sdp = parsed('v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 8 0 3\r\n');
  const r = remoteFromSdp(sdp);
  t.deepEqual(r.formats, [G729, PCMA, PCMU]);
  t.is(r.ptimeMs, 20);
});

test('RFC 4566 §5.14: SIPp uac SDP -> PCMU at the substituted address', (t) => {
  const r = remoteFromSdp(parsed(sippUacSdp('10.0.0.5', 6000)));
  t.deepEqual(r.rtp, { host: '10.0.0.5', port: 6000 });
  t.deepEqual(r.formats, [PCMU]);
});

test('RFC 3264 §8.4: hold with a=sendonly -> the peer sends only; RTP address still known', (t) => {
  const r = remoteFromSdp(fixture('hold-sendonly.sdp'));
  t.is(r.direction, 'sendonly');
  t.deepEqual(r.rtp, { host: '192.168.1.42', port: 7078 });
  t.true(isHolding(r.direction));
});

test('RFC 3264 §8.4: c=0.0.0.0 -> rtp and rtcp null, sendrecv read as sendonly (hold, RFC 2543 style)', (t) => {
  const r = remoteFromSdp(fixture('hold-c0.sdp'));
  t.is(r.rtp, null);
  t.is(r.rtcp, null);
  t.is(r.direction, 'sendonly');
  t.deepEqual(r.formats, [G729, PCMU, TE]);
  t.true(isHolding(r.direction));
  const recvonly = parsed(sdpFixture('hold-c0.sdp').replace('a=ptime:20', 'a=recvonly'));
  t.is(remoteFromSdp(recvonly).direction, 'inactive');
});

test('RFC 3264 §8.2: port 0 = rejected stream -> rtp null, inactive, no formats', (t) => {
  const answer = fixture('rfc4317-2.2-answer.sdp');
  t.deepEqual(remoteFromSdp(answer, 1), { rtp: null, rtcp: null, direction: 'inactive', formats: [], ptimeMs: 20 });
  // Not audio, out of range: the same.
  t.is(remoteFromSdp(fixture('linphone-offer.sdp'), 1).rtp, null);
  t.is(remoteFromSdp(fixture('linphone-offer.sdp'), 7).direction, 'inactive');
});

test('RFC 3264 §5: the default stream is the first live audio one (RFC 4317 §2.6: first audio rejected)', (t) => {
  const answer = parsed(
    'v=0\r\no=bob 2808844564 2808844564 IN IP4 192.0.2.2\r\ns= \r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n' +
      'm=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=audio 49170 RTP/AVP 97 101\r\na=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\n',
  );
  const r = remoteFromSdp(answer);
  t.deepEqual(r.rtp, { host: '192.0.2.2', port: 49170 });
  t.deepEqual(r.formats, [TE]);
});

test('RFC 4566 §5.7: a media-level c= wins over the session one (RFC 4317 §2.8)', (t) => {
  const sdp = parsed(sdpFixture('rfc4317-2.1-answer.sdp').replace('m=video 49170 RTP/AVP 32\n', 'm=video 49170 RTP/AVP 32\nc=IN IP4 198.51.100.7\n'));
  t.is(remoteFromSdp(sdp, 1).rtp, null); // video: not ours
  const audio = parsed(sdpFixture('baresip-offer.sdp').replace('b=AS:96\n', 'c=IN IP4 198.51.100.7\nb=AS:96\n'));
  t.deepEqual(remoteFromSdp(audio).rtp, { host: '198.51.100.7', port: 10734 });
});

// ---------------------------------------------------------------- intersectFormats

test('RFC 3264 §6.1: intersection keeps the offerer PT numbers; offerer order by default, ours on request; telephone-event last', (t) => {
  const offered = [
    { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
    { payloadType: 100, encoding: 'telephone-event', clockRate: 8000 },
    { payloadType: 96, encoding: 'PCMA', clockRate: 8000 },
    { payloadType: 18, encoding: 'G729', clockRate: 8000 },
  ] as const satisfies readonly PayloadFormat[];
  t.deepEqual(intersectFormats(offered, OURS), [PCMU, { ...PCMA, payloadType: 96 }, { ...TE, payloadType: 100 }]);
  t.deepEqual(intersectFormats(offered, OURS, 'ours'), [{ ...PCMA, payloadType: 96 }, PCMU, { ...TE, payloadType: 100 }]);
  // G.729 only when both sides have it.
  t.deepEqual(intersectFormats(offered, [G729]), [G729]);
  t.deepEqual(intersectFormats([PCMU, TE], [G729, TE]), [TE]);
  t.deepEqual(intersectFormats([PCMU, PCMU], [PCMU]), [PCMU]);
});

// ---------------------------------------------------------------- buildAnswer

test('RFC 3264 §6: baresip offer -> PCMU (offerer order) + telephone-event 0-16 at its PTs, ptime echoed, sendrecv', (t) => {
  const offer = fixture('baresip-offer.sdp');
  const a = answered(buildAnswer(offer, { origin: ORIGIN, local: LOCAL, supported: OURS }));
  t.deepEqual(a.formats, [PCMU, TE]);
  t.is(a.mediaIndex, 0);
  t.is(
    serializeSdp(a.sdp),
    'v=0\r\no=pbxgate 4711 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n' +
      'm=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n' +
      'a=ptime:20\r\na=sendrecv\r\n',
  );
  t.deepEqual(a.remote, {
    rtp: { host: '192.168.1.23', port: 10734 },
    rtcp: { host: '192.168.1.23', port: 10735 },
    direction: 'sendrecv',
    formats: [PCMU, TE],
    ptimeMs: 20,
  });
});

test('RFC 3264 §6: Linphone offer -> PCMA, video rejected with port 0, same m= count and order, ptime 30 echoed', (t) => {
  const a = answered(buildAnswer(fixture('linphone-offer.sdp'), { origin: ORIGIN, local: LOCAL, supported: OURS }));
  const sdp = wire(a.sdp);
  t.is(sdp.media.length, 2);
  t.deepEqual(sdp.media.map((m) => `${m.media} ${m.port} ${m.proto} ${m.formats.join(' ')}`), [
    'audio 20000 RTP/AVP 8 101',
    'video 0 RTP/AVP 96',
  ]);
  t.is(ptimeOf(sdp.media[0]!), 30);
  t.is(fmtpOf(sdp.media[0]!, 101), '0-16');
  t.deepEqual(payloadFormats(sdp.media[0]!), [PCMA, TE]);
  t.is(a.remote.ptimeMs, 30);
  t.deepEqual(a.remote.rtcp, { host: '192.168.1.42', port: 7079 });
});

test('RFC 3264 §6.1: G.729 chosen when both sides have it, annexb=no fmtp preserved; all codecs with singleCodec false', (t) => {
  const offer = fixture('linphone-offer.sdp');
  const onlyG729 = answered(buildAnswer(offer, { origin: ORIGIN, local: LOCAL, supported: [G729, TE] }));
  t.deepEqual(onlyG729.formats, [G729, TE]);
  t.is(fmtpOf(onlyG729.sdp.media[0]!, 18), 'annexb=no');
  const all = answered(buildAnswer(offer, { origin: ORIGIN, local: LOCAL, supported: [G729, PCMU, PCMA, TE], singleCodec: false }));
  t.deepEqual(all.formats, [PCMA, PCMU, G729, TE]);
  t.deepEqual(wire(all.sdp).media[0]!.formats, ['8', '0', '18', '101']);
});

test('RFC 3264 §6.1: the answer uses the offerer payload type numbers for dynamic types (IPv6 offer, PCMA at 96)', (t) => {
  const a = answered(buildAnswer(fixture('ipv6-offer.sdp'), { origin: { ...ORIGIN, address: '2001:db8::1' }, local: { host: '2001:db8::1', port: 30000 }, supported: OURS }));
  t.deepEqual(a.formats, [{ ...PCMA, payloadType: 96 }, TE]);
  const text = serializeSdp(a.sdp);
  t.true(text.includes('o=pbxgate 4711 1 IN IP6 2001:db8::1\r\n'));
  t.true(text.includes('c=IN IP6 2001:db8::1\r\n'));
  t.true(text.includes('m=audio 30000 RTP/AVP 96 101\r\na=rtpmap:96 PCMA/8000\r\n'));
});

test('RFC 3264 §6 / RFC 4317 §2.1: audio PCMU accepted, video rejected with port 0', (t) => {
  const a = answered(buildAnswer(fixture('rfc4317-2.1-offer.sdp'), { origin: ORIGIN, local: LOCAL, supported: [PCMU] }));
  t.deepEqual(a.formats, [PCMU]);
  t.deepEqual(wire(a.sdp).media.map((m) => `${m.media} ${m.port} ${m.formats.join(' ')}`), ['audio 20000 0', 'video 0 31 32']);
  t.is(a.remote.rtp?.host, 'host.atlanta.example.com');
  t.is(ptimeOf(a.sdp.media[0]!), undefined); // no ptime offered, none answered
});

test('RFC 3264 §6 / RFC 4317 §2.4: a separate telephone-event stream is rejected (one audio stream per call)', (t) => {
  const a = answered(buildAnswer(fixture('rfc4317-2.4-offer.sdp'), { origin: ORIGIN, local: LOCAL, supported: OURS }));
  t.deepEqual(a.formats, [PCMU]);
  t.deepEqual(a.sdp.media.map((m) => m.port), [20000, 0]);
});

test('RFC 3264 §6 / RFC 4317 §2.6: the first audio stream without a common codec is rejected, the second accepted', (t) => {
  const offer = parsed(sdpFixture('rfc4317-2.6-offer.sdp').replace('m=audio 49170 RTP/AVP 0\na=rtpmap:0 PCMU/8000', 'm=audio 49170 RTP/AVP 97\na=rtpmap:97 iLBC/8000').replace('m=audio 51372 RTP/AVP 97 101\na=rtpmap:97 iLBC/8000', 'm=audio 51372 RTP/AVP 8 101\na=rtpmap:8 PCMA/8000'));
  const a = answered(buildAnswer(offer, { origin: ORIGIN, local: LOCAL, supported: OURS }));
  t.is(a.mediaIndex, 1);
  t.deepEqual(a.sdp.media.map((m) => m.port), [0, 20000]);
  t.deepEqual(a.formats, [PCMA, TE]);
  t.deepEqual(a.remote.rtp, { host: 'host.atlanta.example.com', port: 51372 });
});

test('RFC 3264 §6: no common codec -> {ok: false, reason: "no common codec"} (the caller answers 488)', (t) => {
  t.deepEqual(buildAnswer(fixture('baresip-offer.sdp'), { origin: ORIGIN, local: LOCAL, supported: [G729, TE] }), {
    ok: false,
    reason: 'no common codec',
  });
  // iLBC only (RFC 4317 §3.1's offer shape), telephone-event alone, SRTP, no m= lines at all.
  const ilbc = parsed('v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 97 101\r\na=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\n');
  t.false(buildAnswer(ilbc, { origin: ORIGIN, local: LOCAL, supported: OURS }).ok);
  const srtp = parsed(sdpFixture('baresip-offer.sdp').replace('RTP/AVP', 'RTP/SAVP'));
  t.false(buildAnswer(srtp, { origin: ORIGIN, local: LOCAL, supported: OURS }).ok);
  const none = parsed('v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nt=0 0\r\n');
  t.false(buildAnswer(none, { origin: ORIGIN, local: LOCAL, supported: OURS }).ok);
});

test('RFC 3264 §6.1: direction answered: sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive', (t) => {
  const offerWith = (dir: string): SessionDescription =>
    parsed(sdpFixture('baresip-offer.sdp').replace('a=sendrecv', `a=${dir}`));
  const dirOf = (dir: string): string => {
    const a = answered(buildAnswer(offerWith(dir), { origin: ORIGIN, local: LOCAL, supported: OURS }));
    return directionOf(a.sdp, a.sdp.media[0]);
  };
  t.is(dirOf('sendrecv'), 'sendrecv');
  t.is(dirOf('sendonly'), 'recvonly');
  t.is(dirOf('recvonly'), 'sendonly');
  t.is(dirOf('inactive'), 'inactive');
  // What we want narrows it further.
  const a = answered(buildAnswer(offerWith('sendrecv'), { origin: ORIGIN, local: LOCAL, supported: OURS, direction: 'sendonly' }));
  t.is(directionOf(a.sdp, a.sdp.media[0]), 'sendonly');
  t.is(answerDirection('sendonly', 'sendonly'), 'inactive');
  t.is(answerDirection('recvonly', 'recvonly'), 'inactive');
  t.is(answerDirection('sendrecv', 'inactive'), 'inactive');
});

test('RFC 3264 §8.4: a hold re-INVITE (sendonly) is answered recvonly; c=0.0.0.0 hold is answered recvonly too', (t) => {
  const held = answered(buildAnswer(fixture('hold-sendonly.sdp'), { origin: ORIGIN, local: LOCAL, supported: OURS }));
  t.is(directionOf(held.sdp, held.sdp.media[0]), 'recvonly');
  t.is(held.remote.direction, 'sendonly');
  t.is(ptimeOf(held.sdp.media[0]!), 30);
  const c0 = answered(buildAnswer(fixture('hold-c0.sdp'), { origin: ORIGIN, local: LOCAL, supported: OURS }));
  t.is(directionOf(c0.sdp, c0.sdp.media[0]), 'recvonly');
  t.is(c0.remote.rtp, null);
  t.deepEqual(c0.formats, [PCMU, TE]);
  // RFC 4317 §5.2: 0.0.0.0 in an initial offer reads as a black-holed (sendonly) stream.
  const bh = remoteFromSdp(fixture('rfc4317-5.2-offer.sdp'));
  t.is(bh.rtp, null);
  t.is(bh.direction, 'sendonly');
  // RFC 4317 §3.2 second offer: the audio stream held (sendonly), the tone stream recvonly.
  const two = fixture('rfc4317-3.2-second-offer.sdp');
  t.is(remoteFromSdp(two).direction, 'sendonly');
  t.is(remoteFromSdp(two, 1).direction, 'recvonly');
  t.deepEqual(remoteFromSdp(two, 1).formats, [{ ...TE, payloadType: 98 }]);
});

// ---------------------------------------------------------------- buildOffer, hold helpers

test('RFC 3264 §5: buildOffer writes one audio stream with rtpmaps, telephone-event 0-16, ptime and direction', (t) => {
  const offer = buildOffer({ origin: ORIGIN, local: LOCAL, formats: [PCMA, PCMU, G729, TE], direction: 'sendrecv', ptimeMs: 20, fmtp: { 18: 'annexb=no' } });
  t.is(
    serializeSdp(offer),
    'v=0\r\no=pbxgate 4711 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n' +
      'm=audio 20000 RTP/AVP 8 0 18 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:18 G729/8000\r\n' +
      'a=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n',
  );
  // What we offer reads back as what we meant.
  t.deepEqual(remoteFromSdp(wire(offer)), {
    rtp: LOCAL,
    rtcp: { host: LOCAL.host, port: LOCAL.port + 1 },
    direction: 'sendrecv',
    formats: [PCMA, PCMU, G729, TE],
    ptimeMs: 20,
  });
  t.throws(() => buildOffer({ origin: ORIGIN, local: LOCAL, formats: [], direction: 'sendrecv', ptimeMs: 20 }), { instanceOf: TypeError });
});

test('RFC 3264 §6 then §8: an offer we build, answered by our own buildAnswer, negotiates both ways', (t) => {
  const offer = wire(buildOffer({ origin: ORIGIN, local: LOCAL, formats: [PCMA, PCMU, TE], direction: 'sendonly', ptimeMs: 20 }));
  const a = answered(buildAnswer(offer, { origin: { ...ORIGIN, username: 'b' }, local: { host: '192.0.2.2', port: 30000 }, supported: [PCMU, TE] }));
  t.deepEqual(a.formats, [PCMU, TE]);
  t.is(remoteFromSdp(wire(a.sdp)).direction, 'recvonly');
});

test('RFC 3264 §8.4: holdDirection / resumeDirection', (t) => {
  t.is(holdDirection('sendrecv'), 'sendonly');
  t.is(holdDirection('recvonly'), 'inactive');
  t.is(holdDirection('sendonly'), 'sendonly');
  t.is(holdDirection('inactive'), 'inactive');
  t.is(holdDirection('sendrecv', 'inactive'), 'inactive');
  t.is(resumeDirection('sendonly'), 'sendrecv');
  t.is(resumeDirection('inactive'), 'recvonly');
  t.is(resumeDirection(holdDirection('sendrecv')), 'sendrecv');
  t.true(isHolding('sendonly'));
  t.true(isHolding('inactive'));
  t.false(isHolding('sendrecv'));
  t.false(isHolding('recvonly'));
});

// ---------------------------------------------------------------- o= versions

test('RFC 3264 §8: o= version +1 when the description changes, unchanged for a re-INVITE with the same SDP', (t) => {
  const first = buildOffer({ origin: ORIGIN, local: LOCAL, formats: [PCMU, TE], direction: 'sendrecv', ptimeMs: 20 });
  // Same content, a caller that passed another version: the previous o= is kept as is.
  const same = nextVersion(first, buildOffer({ origin: { ...ORIGIN, version: 99 }, local: LOCAL, formats: [PCMU, TE], direction: 'sendrecv', ptimeMs: 20 }));
  t.is(same.origin.version, 1n);
  t.is(serializeSdp(same), serializeSdp(first));
  const hold = nextVersion(same, buildOffer({ origin: ORIGIN, local: LOCAL, formats: [PCMU, TE], direction: holdDirection('sendrecv'), ptimeMs: 20 }));
  t.is(hold.origin.version, 2n);
  t.is(hold.origin.sessionId, '4711');
  const resume = nextVersion(hold, buildOffer({ origin: ORIGIN, local: LOCAL, formats: [PCMU, TE], direction: 'sendrecv', ptimeMs: 20 }));
  t.is(resume.origin.version, 3n);
  t.is(nextVersion(undefined, first), first);
});

test('RFC 3264 §8: versions beyond 2^53 are exact (bigint)', (t) => {
  const sdp = parsed('v=0\r\no=- 4611731400430051336 18446744073709551615 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n');
  t.is(sdp.origin.version, 18446744073709551615n);
  t.is(nextVersion(sdp, { ...sdp, sessionName: 'changed' }).origin.version, 18446744073709551616n);
});

test('RFC 3264 §8: isUnchanged tells a refresh (same o= version) from a change (RFC 4317 §2.2 second exchange)', (t) => {
  const first = fixture('rfc4317-2.2-answer.sdp');
  const refresh = fixture('rfc4317-2.2-answer.sdp');
  t.true(isUnchanged(first.origin, refresh.origin));
  const second = parsed(sdpFixture('rfc4317-2.2-answer.sdp').replace('2808844564 2808844564', '2808844564 2808844565'));
  t.false(isUnchanged(first.origin, second.origin));
  const otherSession = parsed(sdpFixture('rfc4317-2.2-answer.sdp').replace('o=bob 2808844564', 'o=bob 1'));
  t.false(isUnchanged(first.origin, otherSession.origin));
});
