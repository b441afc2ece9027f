import test from 'ava';
import {
  isRtcp,
  parseRtcp,
  parseRtp,
  rtpPayloadOffset,
  rtpSequence,
  serializeRtcpReport,
  serializeRtp,
  setRtpSequence,
  setRtpSsrc,
} from '../../../firmware/media/rtp.ts';

test('RFC 3550 §5.1: serialize → parse round trip with CSRC, extension, padding, marker', (t) => {
  const init = {
    marker: true,
    payloadType: 8,
    sequenceNumber: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrc: [1, 0xffffffff],
    extension: { profile: 0xbede, data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
    payload: Buffer.from('hello payload'),
    paddingLength: 3,
  };
  const wire = serializeRtp(init);
  t.is(wire.length, 12 + 8 + 4 + 8 + 13 + 3);
  t.is(wire[0]! >> 6, 2);
  const p = parseRtp(wire);
  t.truthy(p);
  t.is(p!.marker, true);
  t.is(p!.payloadType, 8);
  t.is(p!.sequenceNumber, 65535);
  t.is(p!.timestamp, 0xfffffff0);
  t.is(p!.ssrc, 0xdeadbeef);
  t.deepEqual(p!.csrc, [1, 0xffffffff]);
  t.is(p!.extension!.profile, 0xbede);
  t.deepEqual(p!.extension!.data, init.extension.data);
  t.deepEqual(p!.payload, init.payload);
  t.is(p!.paddingLength, 3);
  t.deepEqual(serializeRtp({ ...p!, extension: p!.extension }), wire);
});

test('minimal packet: 12-byte header, empty payload is valid', (t) => {
  const wire = serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Buffer.alloc(0) });
  t.is(wire.length, 12);
  t.is(rtpPayloadOffset(wire), 12);
  t.deepEqual(parseRtp(wire)!.payload, Buffer.alloc(0));
});

test('malformed packets are rejected without throwing', (t) => {
  const good = serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Buffer.alloc(20), csrc: [9] });
  const cases: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['short', good.subarray(0, 11)],
    ['version 1', Buffer.from([0x40, ...good.subarray(1)])],
    ['version 0 (STUN-like)', Buffer.from([0x00, ...good.subarray(1)])],
    ['CSRC count past end', Buffer.from([0x8f, ...good.subarray(1, 20)])],
    ['extension past end', Buffer.concat([Buffer.from([0x90]), good.subarray(1, 12), Buffer.from([0xbe, 0xde, 0x00, 0x09])])],
    ['padding count 0', Buffer.concat([Buffer.from([0xa0]), good.subarray(1, 12), Buffer.from([1, 2, 0])])],
    ['padding larger than packet', Buffer.concat([Buffer.from([0xa0]), good.subarray(1, 12), Buffer.from([1, 2, 200])])],
  ];
  for (const [name, buf] of cases) {
    t.notThrows(() => parseRtp(buf), name);
    t.is(parseRtp(buf), null, name);
    t.is(rtpPayloadOffset(buf), -1, name);
  }
  // Random bytes never throw.
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(Array.from({ length: Math.floor(Math.random() * 40) }, () => Math.floor(Math.random() * 256)));
    t.notThrows(() => {
      parseRtp(b);
      parseRtcp(b);
    });
  }
});

test('in-place writers patch only their field', (t) => {
  const wire = serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Buffer.from([7]) });
  setRtpSequence(wire, 70000);
  setRtpSsrc(wire, 0xffffffff);
  t.is(rtpSequence(wire), 70000 & 0xffff);
  const p = parseRtp(wire)!;
  t.is(p.ssrc, 0xffffffff);
  t.is(p.timestamp, 2);
  t.deepEqual(p.payload, Buffer.from([7]));
});

test('RTCP: SR and RR decoded, compound split, RFC 5761 demultiplexing', (t) => {
  const block = { ssrc: 42, fractionLost: 25, cumulativeLost: -2, highestSequence: 70000, jitter: 80, lastSr: 5, delaySinceLastSr: 6 };
  const sr = serializeRtcpReport(7, [block], { ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 });
  const rr = serializeRtcpReport(8, []);
  const bye = Buffer.from([0x81, 203, 0, 1, 0, 0, 0, 7]);
  const compound = Buffer.concat([sr, rr, bye]);
  const parsed = parseRtcp(compound)!;
  t.deepEqual(
    parsed.map((p) => [p.type, p.ssrc, p.length]),
    [
      [200, 7, 52],
      [201, 8, 8],
      [203, 7, 8],
    ],
  );
  t.deepEqual(parsed[0]!.reports[0], block);
  t.is(parsed[0]!.sender!.octetCount, 5);
  t.true(isRtcp(sr));
  t.false(isRtcp(serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Buffer.alloc(0) })));
  // Length fields that do not add up are refused.
  t.is(parseRtcp(compound.subarray(0, compound.length - 2)), null);
  const lying = Buffer.from(rr);
  lying.writeUInt16BE(5, 2);
  t.is(parseRtcp(lying), null);
});
