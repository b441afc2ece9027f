// B2BUA decisions and timers (issue 4) with a fake clock, a recording SIP
// sender and a fake relay: no sockets. The real stack is covered by
// test/system/calls-*.test.ts.
import test from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { LogRegistry } from '../../../firmware/core/logger.ts';
import { CallJournal, factoryDefaults, type Config } from '../../../firmware/config/index.ts';
import { CallManager, REFUSAL_TONE_SECONDS, type CallManagerDeps, type SipSender } from '../../../firmware/pbx/calls/call-manager.ts';
import { sdpAdapter } from '../../../firmware/pbx/calls/sdp-adapter.ts';
import type { Binding } from '../../../firmware/pbx/registrar/bindings.ts';
import type { LegId, LegRemote, LegStats, MediaEngine, RelayCall } from '../../../firmware/media/types.ts';
import type { AudioSink, AudioSource } from '../../../firmware/media/leg.ts';
import { createResponse, getCSeq, parseMessage, type SipRequest, type SipResponse } from '../../../firmware/sip/message/index.ts';
import type { ClientTransactionUser, Destination, ServerTransactionHandle } from '../../../firmware/sip/transaction/index.ts';
import { makePhones } from '../../support/pbx-process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoicemailService } from '../../../firmware/pbx/voicemail/index.ts';

const SDP = [
  'v=0',
  'o=alice 1 1 IN IP4 192.0.2.1',
  's=-',
  'c=IN IP4 192.0.2.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join('\r\n');

const ANSWER_SDP = SDP.replace('o=alice 1 1 IN IP4 192.0.2.1', 'o=bob 7 7 IN IP4 192.0.2.2').replace(/192\.0\.2\.1/g, '192.0.2.2').replace('RTP/AVP 8 0 101', 'RTP/AVP 8 101').replace('a=rtpmap:0 PCMU/8000\r\n', '');

function invite(from: string, to: string, callId = 'call-a@test'): SipRequest {
  const text = [
    `INVITE sip:${to}@10.0.0.1 SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa1;rport',
    'Max-Forwards: 70',
    `From: <sip:${from}@10.0.0.1>;tag=atag`,
    `To: <sip:${to}@10.0.0.1>`,
    `Call-ID: ${callId}`,
    'CSeq: 2 INVITE',
    `Contact: <sip:${from}@192.0.2.1:5062>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

class FakeRelay implements RelayCall {
  readonly id: string;
  remotes: Partial<Record<LegId, LegRemote>> = {};
  closed = false;
  /** The n-th relay (0-based) has ports 20000+4n (leg a) and 20002+4n (leg b). */
  constructor(private readonly n = 0) {
    this.id = `r${n + 1}`;
  }
  local(leg: LegId) {
    return { host: '10.0.0.1', port: 20000 + 4 * this.n + (leg === 'a' ? 0 : 2) };
  }
  setRemote(leg: LegId, remote: LegRemote): void {
    this.remotes[leg] = remote;
  }
  sendDtmf(): void {}
  players: Partial<Record<LegId, { source: AudioSource; onEnd?: (() => void) | undefined }>> = {};
  attachPlayer(leg: LegId, source: AudioSource, onEnd?: () => void): void {
    this.players[leg] = { source, onEnd };
  }
  detachPlayer(leg: LegId): void {
    delete this.players[leg];
  }
  recorders: Partial<Record<LegId, AudioSink>> = {};
  attachRecorder(leg: LegId, sink: AudioSink): void {
    this.recorders[leg] = sink;
  }
  detachRecorder(leg: LegId): void {
    delete this.recorders[leg];
  }
  dtmfListeners: Array<(leg: LegId, digit: string) => void> = [];
  onDtmfReceived(listener: (leg: LegId, digit: string) => void): () => void {
    this.dtmfListeners.push(listener);
    return () => {
      this.dtmfListeners = this.dtmfListeners.filter((l) => l !== listener);
    };
  }
  /** The peer of `leg` sends an RFC 4733 digit. */
  dtmf(leg: LegId, digit: string): void {
    for (const l of [...this.dtmfListeners]) l(leg, digit);
  }
  stats(): LegStats {
    return { packetsReceived: 0, packetsSent: 0, bytesReceived: 0, packetsLost: 0, jitterMs: 0, latchedFrom: null, lastPayloadType: null, dtmfReceived: '' };
  }
  close(): void {
    this.closed = true;
  }
}

function setup(contactsPerCallee = 1, extra: (config: Config) => Partial<CallManagerDeps> = () => ({})) {
  const clock = new FakeClock();
  const config: Config = structuredClone(factoryDefaults('x'.repeat(12))) as Config;
  config.phones = makePhones(3, 0);
  const relays: FakeRelay[] = [];
  const media: MediaEngine = {
    createRelayCall: async () => {
      const r = new FakeRelay(relays.length);
      relays.push(r);
      return r;
    },
    openCalls: () => relays.filter((r) => !r.closed).length,
    portsInUse: () => relays.filter((r) => !r.closed).length * 4,
    close: async () => {},
  };
  const sent: Array<{ req: SipRequest; dest: Destination; user: ClientTransactionUser }> = [];
  const stateless: Array<SipRequest | SipResponse> = [];
  const sip: SipSender = {
    sendRequest: (req, dest, user) => {
      sent.push({ req, dest, user });
      return true;
    },
    sendStateless: (m) => void stateless.push(m),
    findInviteForCancel: () => undefined,
    advertise: { host: '10.0.0.1', port: 5060 },
    t1: 500,
    t2: 4000,
  };
  const journal = new CallJournal();
  const bindings = (mac: string): Binding[] =>
    Array.from({ length: contactsPerCallee }, (_, i) => ({
      contact: `sip:${mac === config.phones[1]!.mac ? '602' : '603'}@192.0.2.${10 + i}:5070`,
      expiresAt: 1e12,
      callId: `reg${i}`,
      cseq: 1,
      source: { transport: 'UDP', host: `192.0.2.${10 + i}`, port: 5070 },
      registeredAt: 0,
    }));
  const registered = new Set<string>([config.phones[1]!.mac]);
  const manager = new CallManager({
    clock,
    log: new LogRegistry({ level: (process.env.DBG as 'debug') ?? 'silent' }).get('calls'),
    sip,
    media,
    sdp: sdpAdapter,
    journal,
    config: () => config,
    contactsOf: (mac) => (registered.has(mac) ? bindings(mac) : []),
    ...extra(config),
  });
  const serverTx = (req: SipRequest) => {
    const responses: SipResponse[] = [];
    const tx: ServerTransactionHandle = {
      kind: 'ist',
      key: 'k',
      state: 'proceeding',
      request: req,
      destination: { transport: 'UDP', host: '192.0.2.1', port: 5062 },
      respond: (res) => {
        responses.push(res);
        return true;
      },
      finalResponse: undefined,
    };
    return { tx, responses };
  };
  /** Flushes the relay allocation (an awaited promise) so the B legs go out. */
  const settle = () => new Promise((r) => setImmediate(r));
  const answerB = (i: number, status: number, body?: string, toTag = `btag${i}`): SipResponse => {
    const leg = sent.filter((s) => s.req.method === 'INVITE')[i]!;
    const res = createResponse(leg.req, status, undefined, [['Contact', `<sip:602@192.0.2.${10 + i}:5070>`], ...(body ? [['Content-Type', 'application/sdp'] as [string, string]] : [])], body ? Buffer.from(body) : undefined, { toTag });
    leg.user.onResponse(res, { kind: 'ict', key: 'x', state: 'proceeding', request: leg.req });
    return res;
  };
  return { clock, config, manager, sent, stateless, journal, relays, serverTx, settle, answerB, registered };
}

test('issue 5 §3: a call to an unknown internal number hears the special information tone (183), then gets 404 with a Warning; the relay is released and the call journaled as failed', async (t) => {
  const s = setup();
  const req = invite('601', '699');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  t.is(responses[0]?.status, 183);
  t.regex(responses[0]?.body.toString() ?? '', /m=audio 20000 RTP\/AVP [08]/);
  t.truthy(s.relays[0]?.players.a, 'a tone plays on the caller leg');
  t.false(s.relays[0]?.closed);
  s.clock.advance(REFUSAL_TONE_SECONDS * 1000);
  t.is(responses[1]?.status, 404);
  t.regex(responses[1]?.headers.get('warning') ?? '', /^399 pbxgate "no such number 699"$/);
  t.true(s.relays[0]?.closed);
  t.is(s.manager.count(), 0);
  const j = s.journal.query();
  t.is(j.length, 1);
  t.like(j[0], { from: '601', to: '699', outcome: 'failed', direction: 'internal' });
});

test('issue 4: a callee that is not registered gets 480, and the journal counts it as missed (LOG-1)', async (t) => {
  const s = setup();
  s.registered.clear();
  const req = invite('601', '602');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  t.is(responses.at(-1)?.status, 480);
  t.is(s.manager.count(), 0);
  t.like(s.journal.query()[0], { from: '601', to: '602', outcome: 'missed' });
});

test('issue 4: forking: every contact gets an INVITE, the first 200 wins and the other fork is CANCELed', async (t) => {
  const s = setup(2);
  const req = invite('601', '602');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  const invites = s.sent.filter((x) => x.req.method === 'INVITE');
  t.is(invites.length, 2);
  t.deepEqual(invites.map((i) => i.dest.host), ['192.0.2.10', '192.0.2.11']);
  t.regex(invites[0]!.req.body.toString(), /m=audio 20002 RTP\/AVP 8 0 101/, 'the B leg offer carries the relay port of leg b');
  s.answerB(0, 180);
  t.is(responses.at(-1)?.status, 180);
  s.answerB(1, 200, ANSWER_SDP);
  const ok = responses.at(-1)!;
  t.is(ok.status, 200);
  t.regex(ok.body.toString(), /m=audio 20000 RTP\/AVP 8 101/, 'our answer to A: relay port of leg a, the codec B chose');
  t.is(s.stateless.filter((m) => m.kind === 'request' && m.method === 'ACK').length, 1, 'the 200 from B is ACKed');
  const cancels = s.sent.filter((x) => x.req.method === 'CANCEL');
  t.is(cancels.length, 1);
  t.is(cancels[0]!.dest.host, '192.0.2.10', 'the fork that only rang is cancelled');
  t.deepEqual(s.relays[0]!.remotes.b?.rtp, { host: '192.0.2.2', port: 40000 });
  t.deepEqual(s.relays[0]!.remotes.a?.rtp, { host: '192.0.2.1', port: 40000 });
  t.is(s.manager.activeCalls()[0]?.state, 'answered');
  t.is(s.manager.activeCalls()[0]?.codec, 'PCMA');
});

test('RFC 3261 §13.3.1.4: our 2xx is retransmitted at T1, 2T1, 4T1... until the ACK', async (t) => {
  const s = setup();
  const req = invite('601', '602');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const count200 = () => responses.filter((r) => r.status === 200).length;
  t.is(count200(), 1);
  s.clock.advance(500);
  t.is(count200(), 2);
  s.clock.advance(1000);
  t.is(count200(), 3);
  s.clock.advance(2000);
  t.is(count200(), 4);
  // The ACK from A (same CSeq number as the INVITE) stops the retransmissions.
  const ok = responses.at(-1)!;
  const toTag = /tag=([^;>\s]+)/.exec(ok.headers.get('to') ?? '')?.[1];
  const ackText = ['ACK sip:pbx@10.0.0.1:5060 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKack', 'Max-Forwards: 70', 'From: <sip:601@10.0.0.1>;tag=atag', `To: <sip:602@10.0.0.1>;tag=${toTag}`, 'Call-ID: call-a@test', 'CSeq: 2 ACK', 'Content-Length: 0', '', ''].join('\r\n');
  const ack = parseMessage(Buffer.from(ackText));
  t.true(ack.ok);
  if (ack.ok && ack.message.kind === 'request') s.manager.ack(ack.message);
  s.clock.advance(60_000);
  t.is(count200(), 4);
  t.is(s.manager.count(), 1, 'the call goes on');
});

test('RFC 3261 §13.3.1.4: no ACK within 64*T1 ends the call with a BYE on both legs', async (t) => {
  const s = setup();
  const req = invite('601', '602');
  const { tx } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  s.clock.advance(64 * 500 + 1);
  const byes = s.sent.filter((x) => x.req.method === 'BYE');
  t.is(byes.length, 2);
  t.deepEqual(byes.map((b) => b.dest.host).sort(), ['192.0.2.1', '192.0.2.10']);
  t.is(s.manager.count(), 0);
  t.true(s.relays[0]!.closed, 'media ports released');
  t.is(s.clock.pending(), 0, 'no timer left behind');
});

test('issue 4: no answer within the ring timeout: the forks are CANCELed and the caller gets 480 (missed in the journal)', async (t) => {
  const s = setup(2);
  s.config.sip.ringTimeoutSeconds = 20;
  const req = invite('601', '602');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  s.answerB(0, 180);
  s.clock.advance(19_999);
  t.is(responses.at(-1)?.status, 180);
  s.clock.advance(1);
  t.is(responses.at(-1)?.status, 480);
  // RFC 3261 §9.1: only the fork that sent a provisional response is CANCELed now...
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 1);
  // ...the silent one when its first provisional response arrives.
  s.answerB(1, 100);
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 2);
  t.like(s.journal.query()[0], { outcome: 'missed', from: '601', to: '602' });
  t.true(s.relays[0]!.closed);
  t.is(s.clock.pending(), 0);
});

test('issue 4: when every fork refuses, the caller gets 486 if one was busy', async (t) => {
  const s = setup(2);
  const req = invite('601', '602');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  s.answerB(0, 603);
  t.is(responses.filter((r) => r.status >= 300).length, 0, 'one fork left: nothing final yet');
  s.answerB(1, 486);
  t.is(responses.at(-1)?.status, 486);
  t.is(s.manager.count(), 0);
  t.true(s.relays[0]!.closed);
});

test('issue 4: 486 Busy Here when the callee is in a call and call waiting is off; the missed call is journaled', async (t) => {
  const s = setup();
  s.config.phones[1]!.callWaiting = false;
  const first = invite('601', '602');
  const a = s.serverTx(first);
  s.manager.newInvite(first, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const second = invite('603', '602', 'call-c@test');
  const c = s.serverTx(second);
  s.manager.newInvite(second, c.tx, c.tx.destination, '603');
  await s.settle();
  t.is(c.responses.at(-1)?.status, 486);
  t.like(s.journal.query()[0], { from: '603', to: '602', outcome: 'missed' });
  t.is(s.manager.count(), 1);
});

test('issue 4: a B leg that answers 2xx after another fork won gets ACK then BYE (RFC 3261 §13.2.2.4)', async (t) => {
  const s = setup(2);
  const req = invite('601', '602');
  const { tx } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  s.answerB(1, 200, ANSWER_SDP);
  const acks = s.stateless.filter((m) => m.kind === 'request' && m.method === 'ACK') as SipRequest[];
  t.is(acks.length, 2);
  const byes = s.sent.filter((x) => x.req.method === 'BYE');
  t.is(byes.length, 1);
  t.is(byes[0]!.dest.host, '192.0.2.11');
  t.is(getCSeq(acks[1]!.headers)?.seq, 1);
});

/** A request the callee sends in its dialog with the PBX (B leg), built from our INVITE and its 2xx. */
function inDialogFromB(bInvite: SipRequest, bTag: string, method: string, extra: string[], opts: { cseq?: number; body?: string } = {}): SipRequest {
  const from = bInvite.headers.get('from')!;
  const to = bInvite.headers.get('to')!;
  const text = [
    `${method} sip:pbx@10.0.0.1:5060 SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKrefer1',
    'Max-Forwards: 70',
    `From: ${to};tag=${bTag}`,
    `To: ${from}`,
    `Call-ID: ${bInvite.headers.get('call-id')}`,
    `CSeq: ${opts.cseq ?? 5} ${method}`,
    'Contact: <sip:602@192.0.2.10:5070>',
    ...extra,
    ...(opts.body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(opts.body ?? '')}`,
    '',
    opts.body ?? '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error(`fixture does not parse: ${r.ok ? '' : r.error.reason}`);
  return r.message;
}

test('RFC 3515 blind transfer: the callee REFERs the caller to 603; 202, NOTIFY 100 then 200, 603 takes the B leg of the relay, the transferor gets BYE', async (t) => {
  const s = setup();
  s.registered.add(s.config.phones[2]!.mac);
  const req = invite('601', '602');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const bInvite = s.sent.filter((x) => x.req.method === 'INVITE')[0]!.req;
  const refer = inDialogFromB(bInvite, 'btag0', 'REFER', ['Refer-To: <sip:603@10.0.0.1>', 'Referred-By: <sip:602@10.0.0.1>']);
  const r = s.serverTx(refer);
  t.true(s.manager.inDialog(refer, r.tx));
  t.is(r.responses[0]?.status, 202);
  const notifies = () => s.sent.filter((x) => x.req.method === 'NOTIFY');
  t.is(notifies().length, 1);
  t.is(notifies()[0]!.req.body.toString(), 'SIP/2.0 100 Trying\r\n');
  t.is(notifies()[0]!.req.headers.get('event'), 'refer');
  const toTarget = s.sent.filter((x) => x.req.method === 'INVITE')[1]!;
  t.regex(toTarget.req.uri, /^sip:603@/);
  t.regex(toTarget.req.headers.get('from')!, /sip:601@/, 'the target sees who stays on the call (the transferee)');
  t.regex(toTarget.req.body.toString(), /m=audio 20002 RTP\/AVP 8 101/, 'same relay leg, same codec: the caller renegotiates nothing');
  // 603 answers from another address.
  const target200 = createResponse(toTarget.req, 200, undefined, [['Contact', '<sip:603@192.0.2.30:5070>'], ['Content-Type', 'application/sdp']], Buffer.from(ANSWER_SDP.replace(/192\.0\.2\.2/g, '192.0.2.30').replace('o=bob 7 7', 'o=carol 9 9')), { toTag: 'ctag' });
  toTarget.user.onResponse(target200, { kind: 'ict', key: 'y', state: 'proceeding', request: toTarget.req });
  t.deepEqual(s.relays[0]!.remotes.b?.rtp, { host: '192.0.2.30', port: 40000 }, 'the relay now sends leg b to 603');
  t.is(notifies().length, 2);
  t.is(notifies()[1]!.req.body.toString(), 'SIP/2.0 200 OK\r\n');
  t.regex(notifies()[1]!.req.headers.get('subscription-state')!, /^terminated/);
  const byes = s.sent.filter((x) => x.req.method === 'BYE');
  t.is(byes.length, 1);
  t.is(byes[0]!.dest.host, '192.0.2.10', 'the transferor (602) is released');
  t.is(s.manager.count(), 1, 'the call goes on between 601 and 603');
  // A BYE from the caller now ends the call towards 603.
  const ok = a.responses.find((x) => x.status === 200)!;
  const aTag = /tag=([^;>\s]+)/.exec(ok.headers.get('to') ?? '')?.[1];
  const byeText = ['BYE sip:pbx@10.0.0.1:5060 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKbye', 'Max-Forwards: 70', 'From: <sip:601@10.0.0.1>;tag=atag', `To: <sip:602@10.0.0.1>;tag=${aTag}`, 'Call-ID: call-a@test', 'CSeq: 3 BYE', 'Content-Length: 0', '', ''].join('\r\n');
  const bye = parseMessage(Buffer.from(byeText));
  if (!bye.ok || bye.message.kind !== 'request') throw new Error('bye fixture');
  const b = s.serverTx(bye.message);
  t.true(s.manager.inDialog(bye.message, b.tx));
  t.is(b.responses[0]?.status, 200);
  const lastBye = s.sent.filter((x) => x.req.method === 'BYE').at(-1)!;
  // Request-URI: 603's remote target (its Contact, §12.2.1.1); sent on its flow, where it registered from (NAT, RFC 5626 §5.3).
  t.regex(lastBye.req.uri, /603@192\.0\.2\.30/);
  t.is(lastBye.dest.host, '192.0.2.10', "sent where 603's registration came from, not to its Contact's host");
  t.is(s.manager.count(), 0);
  t.true(s.relays[0]!.closed);
});


const C_SDP = ANSWER_SDP.replace(/192\.0\.2\.2/g, '192.0.2.30').replace('o=bob 7 7', 'o=carol 9 9');

/** A request the caller (A leg) sends in its dialog with the PBX, given the PBX's To tag. */
function inDialogFromA(callId: string, from: string, to: string, pbxTag: string, method: string, cseq: number, extra: string[] = []): SipRequest {
  const text = [`${method} sip:pbx@10.0.0.1:5060 SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK' + method + cseq, 'Max-Forwards: 70', `From: <sip:${from}@10.0.0.1>;tag=atag`, `To: <sip:${to}@10.0.0.1>;tag=${pbxTag}`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, ...extra, 'Content-Length: 0', '', ''].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

const toTagOf = (res: SipResponse): string => /tag=([^;>\s]+)/.exec(res.headers.get('to') ?? '')?.[1] ?? '';

/**
 * Call 1: 601 -> 602 (answered); call 2: 602 -> 603 (answered by 603 from
 * 192.0.2.30). 602's dialog with the PBX in call 2 is call 2's A leg.
 */
async function twoCalls() {
  const s = setup();
  s.registered.add(s.config.phones[2]!.mac);
  const req1 = invite('601', '602');
  const a1 = s.serverTx(req1);
  s.manager.newInvite(req1, a1.tx, a1.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const bInvite = s.sent.filter((x) => x.req.method === 'INVITE')[0]!.req;
  const req2 = invite('602', '603', 'call-b@test');
  const a2 = s.serverTx(req2);
  s.manager.newInvite(req2, a2.tx, a2.tx.destination, '602');
  await s.settle();
  const toC = s.sent.filter((x) => x.req.method === 'INVITE')[1]!;
  t0(toC.req.uri.startsWith('sip:603@'));
  const c200 = createResponse(toC.req, 200, undefined, [['Contact', '<sip:603@192.0.2.30:5070>'], ['Content-Type', 'application/sdp']], Buffer.from(C_SDP), { toTag: 'ctag' });
  toC.user.onResponse(c200, { kind: 'ict', key: 'c', state: 'proceeding', request: toC.req });
  const ok1 = a1.responses.find((r) => r.status === 200)!;
  const ok2 = a2.responses.find((r) => r.status === 200)!;
  return { s, a1, a2, bInvite, toC, pbxTag1: toTagOf(ok1), pbxTag2: toTagOf(ok2), cCallId: toC.req.headers.get('call-id')! };
}

function t0(ok: boolean): void {
  if (!ok) throw new Error('fixture: unexpected set-up');
}

test('RFC 5589 §7 / RFC 3891 attended transfer: 602 (A on hold) REFERs 601 with Replaces of its call to 603; 603 is re-INVITEd onto call 1\'s relay, 601 is resumed, 602 gets NOTIFY 200 and BYE on both calls, call 2 ends without BYE to 603', async (t) => {
  const { s, bInvite, toC, pbxTag1, pbxTag2, cCallId } = await twoCalls();
  t.is(s.manager.count(), 2);
  const method = (m: string) => s.sent.filter((x) => x.req.method === m);
  const onCallId = (m: string, id: string) => method(m).filter((x) => x.req.headers.get('call-id') === id);
  // 602 holds 601 on call 1 (sendonly), relayed to 601 who answers recvonly.
  const hold = inDialogFromB(bInvite, 'btag0', 'INVITE', [], { cseq: 5, body: ANSWER_SDP.replace('o=bob 7 7', 'o=bob 7 8').replace('a=sendrecv', 'a=sendonly') });
  const h = s.serverTx(hold);
  t.true(s.manager.inDialog(hold, h.tx));
  const toA = onCallId('INVITE', 'call-a@test')[0]!;
  t.regex(toA.req.body.toString(), /a=sendonly/);
  const aHeld = createResponse(toA.req, 200, undefined, [['Contact', '<sip:601@192.0.2.1:5062>'], ['Content-Type', 'application/sdp']], Buffer.from(SDP.replace('o=alice 1 1', 'o=alice 1 2').replace('a=sendrecv', 'a=recvonly')), {});
  toA.user.onResponse(aHeld, { kind: 'ict', key: 'h', state: 'proceeding', request: toA.req });
  t.is(h.responses.at(-1)?.status, 200);

  const cOffer = toC.req.body.toString();
  const cSession = /o=\S+ (\d+) (\d+)/.exec(cOffer)!;
  const refer = inDialogFromB(bInvite, 'btag0', 'REFER', [`Refer-To: <sip:603@10.0.0.1?Replaces=call-b%40test%3Bto-tag%3D${pbxTag2}%3Bfrom-tag%3Datag>`, 'Referred-By: <sip:602@10.0.0.1>'], { cseq: 6 });
  const r = s.serverTx(refer);
  t.true(s.manager.inDialog(refer, r.tx));
  t.is(r.responses[0]?.status, 202);
  const call1Id = bInvite.headers.get('call-id')!;
  t.is(onCallId('NOTIFY', call1Id)[0]?.req.body.toString(), 'SIP/2.0 100 Trying\r\n');
  // Nothing rings: 603 gets a re-INVITE on its existing dialog, on call 1's relay leg b, call 1's codec.
  const reinvites = onCallId('INVITE', cCallId);
  t.is(reinvites.length, 2, 'the initial INVITE and the re-INVITE');
  const reinvite = reinvites[1]!;
  t.regex(reinvite.req.uri, /^sip:603@192\.0\.2\.30:5070/);
  t.regex(reinvite.req.headers.get('to')!, /tag=ctag/);
  const body = reinvite.req.body.toString();
  t.regex(body, /m=audio 20002 RTP\/AVP 8 101/, "relay 1's leg b, not relay 2's (20006)");
  t.regex(body, /a=sendrecv/);
  t.regex(body, new RegExp(`o=\\S+ ${cSession[1]} ${Number(cSession[2]) + 1} `), 'same o= session towards 603, version + 1 (RFC 3264 §8)');
  t.is(s.manager.count(), 2, 'nothing changes until 603 accepts');
  t.false(s.relays[1]!.closed);
  const cOk = createResponse(reinvite.req, 200, undefined, [['Contact', '<sip:603@192.0.2.30:5070>'], ['Content-Type', 'application/sdp']], Buffer.from(C_SDP.replace('o=carol 9 9', 'o=carol 9 10').replace('m=audio 40000', 'm=audio 40010')), {});
  reinvite.user.onResponse(cOk, { kind: 'ict', key: 'ri', state: 'proceeding', request: reinvite.req });
  const acks = s.stateless.filter((m): m is SipRequest => m.kind === 'request' && m.method === 'ACK' && m.headers.get('call-id') === cCallId);
  t.is(acks.length, 2);
  t.is(getCSeq(acks[1]!.headers)?.seq, getCSeq(reinvite.req.headers)?.seq, "the re-INVITE's 2xx is ACKed");
  t.deepEqual(s.relays[0]!.remotes.b?.rtp, { host: '192.0.2.30', port: 40010 }, "relay 1's leg b now talks to 603");
  // The transferor: NOTIFY 200 (terminated), BYE on its call-1 and call-2 dialogs; no BYE to 603.
  const n = onCallId('NOTIFY', call1Id);
  t.is(n.length, 2);
  t.is(n[1]!.req.body.toString(), 'SIP/2.0 200 OK\r\n');
  t.regex(n[1]!.req.headers.get('subscription-state')!, /^terminated/);
  t.is(onCallId('BYE', call1Id).length, 1);
  t.is(onCallId('BYE', call1Id)[0]!.dest.host, '192.0.2.10');
  t.is(onCallId('BYE', 'call-b@test').length, 1);
  t.regex(onCallId('BYE', 'call-b@test')[0]!.req.uri, /^sip:602@/);
  t.is(onCallId('BYE', cCallId).length, 0, '603 keeps its dialog');
  t.is(s.manager.count(), 1, 'call 2 is over');
  t.true(s.relays[1]!.closed, "call 2's relay is released");
  t.false(s.relays[0]!.closed);
  t.like(s.journal.query().find((e) => e.from === '602'), { to: '603', outcome: 'answered' });
  // 601 was held by 602: it is offered sendrecv again.
  const resume = onCallId('INVITE', 'call-a@test')[1]!;
  t.truthy(resume);
  t.regex(resume.req.body.toString(), /m=audio 20000 RTP\/AVP 8 101/);
  t.regex(resume.req.body.toString(), /a=sendrecv/);
  resume.user.onResponse(createResponse(resume.req, 200, undefined, [['Contact', '<sip:601@192.0.2.1:5062>'], ['Content-Type', 'application/sdp']], Buffer.from(SDP.replace('o=alice 1 1', 'o=alice 1 3')), {}), { kind: 'ict', key: 'rs', state: 'proceeding', request: resume.req });
  t.is(s.relays[0]!.remotes.a?.direction, 'sendrecv');
  // 601 hangs up: the BYE reaches 603 on its (former call 2) dialog.
  const bye = inDialogFromA('call-a@test', '601', '602', pbxTag1, 'BYE', 3);
  const b = s.serverTx(bye);
  t.true(s.manager.inDialog(bye, b.tx));
  t.is(b.responses[0]?.status, 200);
  const byeToC = onCallId('BYE', cCallId);
  t.is(byeToC.length, 1);
  t.is(byeToC[0]!.dest.host, '192.0.2.10', "603's flow (where it registered from), whatever its Contact says");
  t.regex(byeToC[0]!.req.headers.get('to')!, /tag=ctag/);
  t.is(s.manager.count(), 0);
  t.true(s.relays[0]!.closed);
  t.is(s.manager.dialogs.size, 0, 'no dialog left behind');
  t.is(s.manager.owner.size, 0);
  t.is(s.clock.pending(), 0, 'no timer left behind');
});

test('RFC 3891 §3: a Replaces that matches no dialog: 202, then NOTIFY 481 (terminated); both calls go on untouched', async (t) => {
  const { s, bInvite, cCallId } = await twoCalls();
  const refer = inDialogFromB(bInvite, 'btag0', 'REFER', ['Refer-To: <sip:603@10.0.0.1?Replaces=nope%40test%3Bto-tag%3D1%3Bfrom-tag%3D2>']);
  const r = s.serverTx(refer);
  t.true(s.manager.inDialog(refer, r.tx));
  t.is(r.responses[0]?.status, 202);
  const notifies = s.sent.filter((x) => x.req.method === 'NOTIFY');
  t.deepEqual(notifies.map((x) => x.req.body.toString()), ['SIP/2.0 100 Trying\r\n', 'SIP/2.0 481 Call/Transaction Does Not Exist\r\n']);
  t.regex(notifies[1]!.req.headers.get('subscription-state')!, /^terminated/);
  t.is(s.sent.filter((x) => x.req.method === 'INVITE' && x.req.headers.get('call-id') === cCallId).length, 1, 'no re-INVITE to 603');
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 0);
  t.is(s.manager.count(), 2);
  t.false(s.relays[0]!.closed);
  t.false(s.relays[1]!.closed);
});

test('RFC 3891: a malformed Replaces (no tags) in Refer-To is answered 400', async (t) => {
  const { s, bInvite } = await twoCalls();
  const refer = inDialogFromB(bInvite, 'btag0', 'REFER', ['Refer-To: <sip:603@10.0.0.1?Replaces=call-b%40test>']);
  const r = s.serverTx(refer);
  t.true(s.manager.inDialog(refer, r.tx));
  t.is(r.responses[0]?.status, 400);
  t.is(s.manager.count(), 2);
});

test('RFC 5589 §7: the target refuses the re-INVITE (488): NOTIFY 488 to the transferor, both calls as they were (a BYE from 601 still goes to 602)', async (t) => {
  const { s, bInvite, pbxTag1, pbxTag2, cCallId } = await twoCalls();
  const refer = inDialogFromB(bInvite, 'btag0', 'REFER', [`Refer-To: <sip:603@10.0.0.1?Replaces=call-b%40test%3Bto-tag%3D${pbxTag2}%3Bfrom-tag%3Datag>`]);
  const r = s.serverTx(refer);
  t.true(s.manager.inDialog(refer, r.tx));
  t.is(r.responses[0]?.status, 202);
  const reinvite = s.sent.filter((x) => x.req.method === 'INVITE' && x.req.headers.get('call-id') === cCallId)[1]!;
  // While it is pending, another REFER gets 491.
  const again = inDialogFromB(bInvite, 'btag0', 'REFER', ['Refer-To: <sip:603@10.0.0.1>'], { cseq: 6 });
  const g = s.serverTx(again);
  t.true(s.manager.inDialog(again, g.tx));
  t.is(g.responses[0]?.status, 491);
  reinvite.user.onResponse(createResponse(reinvite.req, 488, 'Not Acceptable Here'), { kind: 'ict', key: 'ri', state: 'completed', request: reinvite.req });
  const notifies = s.sent.filter((x) => x.req.method === 'NOTIFY');
  t.is(notifies.at(-1)?.req.body.toString(), 'SIP/2.0 488 Failed\r\n');
  t.regex(notifies.at(-1)!.req.headers.get('subscription-state')!, /^terminated/);
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 0);
  t.is(s.manager.count(), 2);
  t.deepEqual(s.relays[0]!.remotes.b?.rtp, { host: '192.0.2.2', port: 40000 }, 'relay 1 still talks to 602');
  t.false(s.relays[1]!.closed);
  const bye = inDialogFromA('call-a@test', '601', '602', pbxTag1, 'BYE', 3);
  const b = s.serverTx(bye);
  t.true(s.manager.inDialog(bye, b.tx));
  const byes = s.sent.filter((x) => x.req.method === 'BYE');
  t.is(byes.length, 1);
  t.is(byes[0]!.req.headers.get('call-id'), bInvite.headers.get('call-id'));
  t.is(s.manager.count(), 1, 'call 2 goes on');
});

// --- issue 6: running a routing plan ---

test('GRP-1: a sequential group rings one member after the other: at the end of a step the ringing member gets CANCEL and the next one an INVITE; the winner is journaled, every phone that rang keeps the call (LOG-3)', async (t) => {
  const s = setup();
  const [p601, p602, p603] = s.config.phones as [Config['phones'][0], Config['phones'][0], Config['phones'][0]];
  s.registered.add(p603.mac);
  s.config.groups.push({ internalNumber: '621', name: 'SAV', ringMode: 'sequential', members: [p602.mac, p603.mac], enabled: true, ringSecondsPerMember: 5 });
  const req = invite('601', '621');
  const { tx, responses } = s.serverTx(req);
  s.manager.newInvite(req, tx, tx.destination, '601');
  await s.settle();
  const invites = () => s.sent.filter((x) => x.req.method === 'INVITE');
  t.deepEqual(invites().map((i) => i.req.uri), ['sip:602@192.0.2.10:5070']);
  s.answerB(0, 180);
  t.deepEqual(s.manager.activeCalls()[0]?.ringing, ['602']);
  s.clock.advance(4_999);
  t.is(invites().length, 1);
  s.clock.advance(1);
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 1, '602 is CANCELed');
  t.deepEqual(invites().map((i) => i.req.uri), ['sip:602@192.0.2.10:5070', 'sip:603@192.0.2.10:5070']);
  t.deepEqual(s.manager.activeCalls()[0]?.ringing, ['603']);
  s.answerB(1, 200, ANSWER_SDP);
  t.is(responses.at(-1)?.status, 200);
  t.is(s.manager.activeCalls()[0]?.state, 'answered');
  // The call ends: the journal says 603 answered, and the call is in 602's journal too.
  s.manager.shutdown();
  t.like(s.journal.query()[0], { from: '601', to: '621', answeredBy: '603', outcome: 'answered' });
  t.is(s.journal.query({ phone: p602.mac }).length, 1);
  t.is(s.journal.query({ phone: p601.mac }).length, 1);
});

test('INB-1: a call from the trunk to the main number: the reception rings, then keeps ringing while the Standard group joins (no CANCEL, no second INVITE to it); nobody answers: 480 with the voicemail stand-in Warning', async (t) => {
  const s = setup();
  const [, p602, p603] = s.config.phones as [Config['phones'][0], Config['phones'][0], Config['phones'][0]];
  s.registered.add(p603.mac);
  s.config.company.mainNumber = '0577110000';
  s.config.company.dids = ['0577110000'];
  s.config.reception.phone = p602.mac;
  s.config.reception.ringsBeforeOverflow = 2;
  s.config.sip.ringCycleSeconds = 1;
  s.config.groups[0]!.ringSecondsPerMember = 10;
  const text = [
    'INVITE sip:+33577110000@10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKop1',
    'Max-Forwards: 70',
    'From: <sip:0612345678@operator.test>;tag=op',
    'To: <sip:+33577110000@operator.test>',
    'Call-ID: op-call@test',
    'CSeq: 1 INVITE',
    'P-Asserted-Identity: <sip:+33612345678@operator.test>',
    'Contact: <sip:op@192.0.2.99:5060>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok || parsed.message.kind !== 'request') return t.fail('fixture');
  const { tx, responses } = s.serverTx(parsed.message);
  s.manager.newTrunkInvite(parsed.message, tx, tx.destination);
  await s.settle();
  const invites = () => s.sent.filter((x) => x.req.method === 'INVITE');
  t.deepEqual(invites().map((i) => i.req.uri), ['sip:602@192.0.2.10:5070']);
  t.regex(invites()[0]!.req.headers.get('from') ?? '', /<sip:0612345678@10\.0\.0\.1>/, 'the phone sees the caller in national format');
  s.answerB(0, 180);
  s.clock.advance(2_000);
  t.deepEqual(invites().map((i) => i.req.uri), ['sip:602@192.0.2.10:5070', 'sip:603@192.0.2.10:5070']);
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 0, 'the reception rings on');
  t.deepEqual(s.manager.activeCalls()[0]?.ringing, ['602', '603']);
  s.answerB(1, 180);
  s.clock.advance(10_000);
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 2);
  t.is(responses.at(-1)?.status, 480);
  t.regex(responses.at(-1)?.headers.get('warning') ?? '', /voicemail is not available yet \(voicemail of 602\)/);
  t.like(s.journal.query()[0], { from: '0612345678', to: '0577110000', direction: 'inbound', outcome: 'missed' });
  t.is(s.journal.query({ phone: p603.mac }).length, 1, 'in the journal of every phone that rang');
  t.is(s.clock.pending(), 0);
});

test('FWD-6 automatic callback: 601 finds 602 busy and asks for a callback; when 602 hangs up (and the settle delay passed) the PBX rings 601 showing 602, then rings 602 showing 601 with ringback to 601, and joins them', async (t) => {
  const s = setup();
  const [p601, p602, p603] = s.config.phones as [Config['phones'][0], Config['phones'][0], Config['phones'][0]];
  s.registered.add(p601.mac);
  s.registered.add(p603.mac);
  p601.automaticCallback = true;
  p602.callWaiting = false;
  const invites = () => s.sent.filter((x) => x.req.method === 'INVITE');
  // 603 talks to 602.
  const first = invite('603', '602', 'call-c@test');
  const c = s.serverTx(first);
  s.manager.newInvite(first, c.tx, c.tx.destination, '603');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  // 601 calls 602: busy.
  const second = invite('601', '602', 'call-a@test');
  const a = s.serverTx(second);
  s.manager.newInvite(second, a.tx, a.tx.destination, '601');
  await s.settle();
  t.is(a.responses.at(-1)?.status, 486);
  t.deepEqual(s.manager.callbackContext(p601.mac), { lastBusy: p602.mac });
  s.manager.applyCallback({ kind: 'request', requester: p601.mac, target: p602.mac });
  t.deepEqual(s.manager.callbackContext(p601.mac), { pending: p602.mac });
  s.clock.advance(20_000);
  await s.settle();
  t.is(invites().length, 1, 'nothing while 602 is busy');
  // 602 hangs up.
  const bye = inDialogFromB(invites()[0]!.req, 'btag0', 'BYE', []);
  s.manager.inDialog(bye, s.serverTx(bye).tx);
  s.clock.advance(1_000);
  await s.settle();
  t.is(invites().length, 1, 'not while 602 puts the handset down');
  s.clock.advance(2_000);
  await s.settle();
  t.is(invites().length, 2);
  const toRequester = invites()[1]!.req;
  t.regex(toRequester.headers.get('from') ?? '', /<sip:602@10\.0\.0\.1>/, "the requester's screen shows who calls back");
  t.regex(toRequester.headers.get('to') ?? '', /<sip:601@/);
  t.regex(toRequester.body.toString(), /m=audio 20004 RTP\/AVP 8 0 18 101/, 'our offer, on the callback relay');
  t.deepEqual(s.manager.pendingCallbacks().map((r) => r.ringing), [true]);
  s.answerB(1, 200, ANSWER_SDP);
  await s.settle();
  t.is(invites().length, 3);
  const toTarget = invites()[2]!.req;
  t.regex(toTarget.headers.get('from') ?? '', /<sip:601@10\.0\.0\.1>/);
  t.regex(toTarget.body.toString(), /RTP\/AVP 8 101/, 'offered only what the requester accepted');
  s.answerB(2, 180);
  t.truthy(s.relays[1]!.players.a, 'the requester hears ringback');
  s.answerB(2, 200, ANSWER_SDP);
  t.is(s.relays[1]!.players.a, undefined);
  t.like(s.manager.activeCalls()[0], { state: 'answered', caller: { number: '601' }, callee: { number: '602' } });
  t.deepEqual(s.manager.pendingCallbacks(), []);
  // 601 hangs up: BYE to 602, the call is journaled, everything released.
  const hangup = inDialogFromB(toRequester, 'btag1', 'BYE', []);
  s.manager.inDialog(hangup, s.serverTx(hangup).tx);
  t.is(s.sent.filter((x) => x.req.method === 'BYE').at(-1)?.req.uri, 'sip:602@192.0.2.12:5070', "to 602's contact of its answer");
  t.like(s.journal.query()[0], { from: '601', to: '602', answeredBy: '602', direction: 'internal', outcome: 'answered' });
  t.is(s.manager.count(), 0);
  t.true(s.relays.every((r) => r.closed));
  t.is(s.clock.pending(), 0);
});

test('FWD-6 automatic callback: the requester does not answer within the ring timeout: its forks are CANCELed, the request is dropped and the relay released', async (t) => {
  const s = setup();
  const [p601, p602] = s.config.phones as [Config['phones'][0], Config['phones'][0]];
  s.registered.add(p601.mac);
  s.manager.applyCallback({ kind: 'request', requester: p601.mac, target: p602.mac });
  s.clock.advance(0);
  await s.settle();
  const invites = s.sent.filter((x) => x.req.method === 'INVITE');
  t.is(invites.length, 1);
  s.answerB(0, 180);
  s.clock.advance(s.config.sip.ringTimeoutSeconds * 1000);
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 1);
  t.deepEqual(s.manager.pendingCallbacks(), []);
  t.true(s.relays[0]!.closed);
  t.is(s.manager.count(), 0);
});

test('VOX-1: 601 calls 603, not registered: voicemail answers (200, G.711 + telephone-event), greeting, beep, records; 601 hangs up after 2 s: the message is stored, the journal says missed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-vmcall-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const counts: Array<[string, number]> = [];
  let voicemail: VoicemailService | undefined;
  const s = setup(1, (config) => {
    voicemail = new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config, onCountsChanged: (mac, c) => counts.push([mac, c.fresh]) });
    return { voicemail };
  });
  const p603 = s.config.phones[2]!;
  const req = invite('601', '603');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  const ok = a.responses.at(-1)!;
  t.is(ok.status, 200);
  t.regex(ok.body.toString(), /m=audio 20000 RTP\/AVP 8 101/);
  const relay = s.relays[0]!;
  t.truthy(relay.players.a, 'the greeting plays');
  relay.players.a!.onEnd!();
  t.truthy(relay.players.a, 'then the beep');
  relay.players.a!.onEnd!();
  const rec = relay.recorders.a;
  if (!rec) return t.fail('recording');
  for (let i = 0; i < 100; i++) rec.write(new Int16Array(160).fill(1000));
  const bye = inDialogFromA('call-a@test', '601', '603', toTagOf(ok), 'BYE', 3);
  s.manager.inDialog(bye, s.serverTx(bye).tx);
  const stored = voicemail!.messages(p603.mac);
  t.is(stored.length, 1);
  t.like(stored[0], { caller: '601', durationMs: 2000, state: 'new' });
  t.deepEqual(counts, [[p603.mac, 1]], 'message waiting for 603');
  t.like(s.journal.query()[0], { from: '601', to: '603', outcome: 'missed' });
  t.true(relay.closed);
  t.is(s.clock.pending(), 0);
});

test('NUM-7: 888 from 602 with one message: welcome, counts, the message; 3 deletes it; end of messages, goodbye and BYE from the PBX', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-vmcall-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  let voicemail: VoicemailService | undefined;
  const s = setup(1, (config) => {
    voicemail = new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config });
    return { voicemail, route: (caller, dialled) => (dialled === '888' ? { kind: 'call', target: { kind: 'voicemail', phone: caller } } : { kind: 'refuse', status: 404, reason: 'Not Found', warning: 'x', tone: 'special-information', number: dialled, external: false }) };
  });
  const p602 = s.config.phones[1]!;
  voicemail!.store(p602.mac, new Int16Array(8000), '0612345678');
  const req = invite('602', '888');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '602');
  await s.settle();
  t.is(a.responses.at(-1)?.status, 200);
  const relay = s.relays[0]!;
  for (let i = 0; i < 3; i++) relay.players.a!.onEnd!(); // welcome, counts, message
  relay.dtmf('a', '3');
  t.deepEqual(voicemail!.messages(p602.mac), [], 'deleted');
  relay.players.a!.onEnd!(); // "deleted, end of messages, goodbye"
  const bye = s.sent.filter((x) => x.req.method === 'BYE');
  t.is(bye.length, 1);
  t.is(bye[0]!.dest.host, '192.0.2.1', 'to the caller');
  t.is(s.manager.count(), 0);
  t.true(relay.closed);
});

test('VOX-2 music on hold: 602 holds 601 (sendonly): once 601 accepted, 601 hears the music (looping player on its leg); 602 resumes (sendrecv): the music stops', async (t) => {
  const music = new Int16Array(1600).fill(500);
  const s = setup(1, () => ({ holdMusic: () => music }));
  const req = invite('601', '602');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  const bInvite = s.sent.filter((x) => x.req.method === 'INVITE')[0]!.req;
  s.answerB(0, 200, ANSWER_SDP);
  const relay = s.relays[0]!;
  const reinviteFromB = (version: number, direction: string, cseq: number) => {
    const req = inDialogFromB(bInvite, 'btag0', 'INVITE', [], { cseq, body: ANSWER_SDP.replace('o=bob 7 7', `o=bob 7 ${version}`).replace('a=sendrecv', `a=${direction}`) });
    const h = s.serverTx(req);
    t.true(s.manager.inDialog(req, h.tx));
    const toA = s.sent.filter((x) => x.req.method === 'INVITE' && x.req.headers.get('call-id') === 'call-a@test').at(-1)!;
    const answer = direction === 'sendonly' ? 'recvonly' : 'sendrecv';
    const ok = createResponse(toA.req, 200, undefined, [['Contact', '<sip:601@192.0.2.1:5062>'], ['Content-Type', 'application/sdp']], Buffer.from(SDP.replace('o=alice 1 1', `o=alice 1 ${version}`).replace('a=sendrecv', `a=${answer}`)), {});
    toA.user.onResponse(ok, { kind: 'ict', key: `h${cseq}`, state: 'proceeding', request: toA.req });
    t.is(h.responses.at(-1)?.status, 200);
  };
  t.is(relay.players.a, undefined);
  reinviteFromB(8, 'sendonly', 5);
  t.truthy(relay.players.a, '601 hears the music');
  const frame = new Int16Array(160);
  for (let i = 0; i < 11; i++) t.true(relay.players.a!.source.read(frame), 'it loops past its end');
  t.is(frame[0], 500);
  reinviteFromB(9, 'sendrecv', 6);
  t.is(relay.players.a, undefined, 'off hold: 602 again');
});

test('VOX-7: 602 has voice presentation level 1: when it picks up it first hears the caller\'s number, and only then is 601 put through (200)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-pres-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const s = setup(1, (config) => ({ voicemail: new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config }) }));
  s.config.phones[1]!.voicePresentation = 1;
  const req = invite('601', '602');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 180);
  s.answerB(0, 200, ANSWER_SDP);
  const relay = s.relays[0]!;
  t.truthy(relay.players.b, '602 hears the presentation');
  t.not(a.responses.at(-1)?.status, 200, '601 is not yet put through');
  relay.players.b!.onEnd!();
  t.is(a.responses.at(-1)?.status, 200);
  t.like(s.manager.activeCalls()[0], { state: 'answered' });
});

test('VOX-7: the caller hangs up (CANCEL) during the presentation: 487 to it, BYE to the phone that picked up', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-pres-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const s = setup(1, (config) => ({ voicemail: new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config }) }));
  s.config.phones[1]!.voicePresentation = 1;
  const req = invite('601', '602');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const call = s.manager.activeCalls()[0]!;
  t.is(call.state, 'routing');
  // The CANCEL path of the manager needs the INVITE server transaction: call it on the call directly through cancel().
  const cancel = parseMessage(Buffer.from(['CANCEL sip:602@10.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa1;rport', 'Max-Forwards: 70', 'From: <sip:601@10.0.0.1>;tag=atag', 'To: <sip:602@10.0.0.1>', 'Call-ID: call-a@test', 'CSeq: 2 CANCEL', 'Content-Length: 0', '', ''].join('\r\n')));
  if (!cancel.ok || cancel.message.kind !== 'request') return t.fail('fixture');
  (s.manager.deps.sip as { findInviteForCancel: (c: SipRequest) => ServerTransactionHandle | undefined }).findInviteForCancel = () => a.tx;
  s.manager.cancel(cancel.message, s.serverTx(cancel.message).tx);
  t.is(a.responses.at(-1)?.status, 487);
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 1);
  t.is(s.manager.count(), 0);
});

function trunkInvite(called: string): SipRequest {
  const text = [
    `INVITE sip:${called}@10.0.0.1 SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKop9',
    'Max-Forwards: 70',
    'From: <sip:0612345678@operator.test>;tag=op',
    `To: <sip:${called}@operator.test>`,
    'Call-ID: op-ivr@test',
    'CSeq: 1 INVITE',
    'Contact: <sip:op@192.0.2.99:5060>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('fixture');
  return parsed.message;
}

function attendantSetup(t: import('ava').ExecutionContext) {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-ivr-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const s = setup(1, (config) => ({ voicemail: new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config }) }));
  s.config.company.mainNumber = '0577110000';
  s.config.company.dids = ['0577110000'];
  s.config.phones[2]!.voicemail.enabled = false; // 603: not registered, no voicemail
  s.config.autoAttendant = {
    enabled: true,
    name: 'Standard automatique',
    restrictionProfile: 1,
    keys: [
      { digit: '1', action: { kind: 'call', number: '602' } },
      { digit: '3', action: { kind: 'call', number: '603' } },
    ],
  };
  const req = trunkInvite('0577110000');
  const a = s.serverTx(req);
  s.manager.newTrunkInvite(req, a.tx, a.tx.destination);
  return { s, a };
}

const microtasks = () => new Promise((r) => setImmediate(r));

test('VOX-6: the auto attendant answers the main number (200), plays its welcome; key 1 puts the caller through to 602 with ringback meanwhile; the caller is never sent a second final response', async (t) => {
  const { s, a } = attendantSetup(t);
  await s.settle();
  t.deepEqual(a.responses.map((r) => r.status), [200]);
  const relay = s.relays[0]!;
  t.truthy(relay.players.a, 'the welcome plays');
  relay.players.a!.onEnd!();
  relay.dtmf('a', '1');
  relay.players.a!.onEnd!(); // "veuillez patienter"
  await microtasks();
  const invites = s.sent.filter((x) => x.req.method === 'INVITE');
  t.is(invites.length, 1);
  t.regex(invites[0]!.req.uri, /^sip:602@/);
  t.regex(invites[0]!.req.body.toString(), /RTP\/AVP 8 101/, 'offered what the caller has');
  s.answerB(0, 180);
  t.truthy(relay.players.a, 'ringback');
  s.answerB(0, 200, ANSWER_SDP);
  t.is(relay.players.a, undefined);
  t.like(s.manager.activeCalls()[0], { state: 'answered' });
  t.deepEqual(a.responses.map((r) => r.status), [200], 'no 180 nor second 200 to the operator');
});

test('VOX-6: key 3 leads to 603, unreachable: the caller hears "not reachable" and the menu again, the call goes on', async (t) => {
  const { s, a } = attendantSetup(t);
  await s.settle();
  const relay = s.relays[0]!;
  relay.players.a!.onEnd!();
  relay.dtmf('a', '3');
  relay.players.a!.onEnd!();
  await microtasks();
  t.is(s.sent.filter((x) => x.req.method === 'INVITE').length, 0, 'nothing rang');
  t.truthy(relay.players.a, '"votre correspondant n\'est pas joignable"');
  t.is(s.manager.count(), 1);
  t.deepEqual(a.responses.map((r) => r.status), [200]);
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 0);
});

function preAnswerSetup(t: import('ava').ExecutionContext, mode: 'while-ringing' | 'before-ringing') {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-pre-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const s = setup(1, (config) => ({ voicemail: new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config }) }));
  s.config.company.mainNumber = '0577110000';
  s.config.company.dids = ['0577110000'];
  s.config.reception.phone = s.config.phones[1]!.mac;
  s.config.announcements.preAnswer = { enabled: true, mode };
  const req = trunkInvite('0577110000');
  const a = s.serverTx(req);
  s.manager.newTrunkInvite(req, a.tx, a.tx.destination);
  return { s, a };
}

test('VOX-4 while ringing: a call from outside gets 183 with the PBX\'s SDP and the announcement, the reception rings at once; it answers: 200 with the same SDP, the announcement stops', async (t) => {
  const { s, a } = preAnswerSetup(t, 'while-ringing');
  await s.settle();
  t.deepEqual(a.responses.map((r) => r.status), [183]);
  const early = a.responses[0]!.body.toString();
  t.regex(early, /m=audio 20000 RTP\/AVP 8 101/);
  const relay = s.relays[0]!;
  t.truthy(relay.players.a, 'the announcement plays');
  const invites = s.sent.filter((x) => x.req.method === 'INVITE');
  t.is(invites.length, 1, 'the reception rings meanwhile');
  t.regex(invites[0]!.req.body.toString(), /RTP\/AVP 8 101/, 'offered the codec the caller got');
  relay.players.a!.onEnd!();
  t.truthy(relay.players.a, 'then ringback');
  s.answerB(0, 200, ANSWER_SDP);
  t.deepEqual(a.responses.map((r) => r.status), [183, 200]);
  t.is(a.responses[1]!.body.toString(), early);
  t.is(relay.players.a, undefined);
});

test('VOX-4 before ringing: nothing rings until the announcement has played in full', async (t) => {
  const { s } = preAnswerSetup(t, 'before-ringing');
  await s.settle();
  t.is(s.sent.filter((x) => x.req.method === 'INVITE').length, 0);
  s.relays[0]!.players.a!.onEnd!();
  t.is(s.sent.filter((x) => x.req.method === 'INVITE').length, 1);
});

test('VOX-5: *35*2 from 602: the PBX answers, asks for the announcement, beeps, records until #, says it is saved and hangs up; the recording goes to onAnnouncementRecorded', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-rec-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const recorded: Array<[string, number]> = [];
  const s = setup(1, (config) => ({
    voicemail: new VoicemailService({ dataDir: root, log: new LogRegistry({ level: 'silent' }).get('vm'), config: () => config }),
    onAnnouncementRecorded: (mac, _what, samples) => void recorded.push([mac, samples.length]),
    route: (caller) => ({ kind: 'call', target: { kind: 'record', phone: caller, what: 'pre-answer' } }),
  }));
  const req = invite('602', '*35*2');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '602');
  await s.settle();
  t.is(a.responses.at(-1)?.status, 200);
  const relay = s.relays[0]!;
  relay.players.a!.onEnd!(); // "enregistrez votre annonce après le bip"
  relay.players.a!.onEnd!(); // beep
  for (let i = 0; i < 150; i++) relay.recorders.a!.write(new Int16Array(160).fill(300));
  relay.dtmf('a', '#');
  t.deepEqual(recorded, [[s.config.phones[1]!.mac, 24000]]);
  relay.players.a!.onEnd!(); // "annonce enregistrée"
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 1);
  t.is(s.manager.count(), 0);
  t.is(s.journal.query().length, 0, 'a feature code is not a call');
});

function inviteWith(extra: string[]): SipRequest {
  const base = invite('601', '602');
  const text = [
    'INVITE sip:602@10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa1;rport',
    'Max-Forwards: 70',
    'From: <sip:601@10.0.0.1>;tag=atag',
    'To: <sip:602@10.0.0.1>',
    'Call-ID: call-a@test',
    'CSeq: 2 INVITE',
    'Contact: <sip:601@192.0.2.1:5062>',
    ...extra,
    'Content-Type: application/sdp',
    `Content-Length: ${base.body.length}`,
    '',
    base.body.toString(),
  ].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

test('RFC 4028: the caller asks Session-Expires 120 with timer support: our 200 says 120;refresher=uac with Require: timer; an UPDATE refreshes; without refresh the call ends 88 s later with BYE on both legs', async (t) => {
  const s = setup();
  const req = inviteWith(['Supported: timer', 'Session-Expires: 120']);
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const ok = a.responses.at(-1)!;
  t.is(ok.status, 200);
  t.is(ok.headers.get('session-expires'), '120;refresher=uac');
  t.is(ok.headers.get('require'), 'timer');
  s.manager.ack(inDialogFromA('call-a@test', '601', '602', toTagOf(ok), 'ACK', 2));
  s.clock.advance(80_000);
  const update = inDialogFromA('call-a@test', '601', '602', toTagOf(ok), 'UPDATE', 3);
  const u = s.serverTx(update);
  t.true(s.manager.inDialog(update, u.tx));
  t.is(u.responses[0]?.headers.get('session-expires'), '120;refresher=uac');
  s.clock.advance(80_000);
  t.is(s.manager.count(), 1, 'refreshed: still up 160 s after the answer');
  s.clock.advance(8_000);
  t.is(s.manager.count(), 0, 'no refresh for 88 s: over');
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 2);
});

test('RFC 4028 §8.1: Session-Expires 60 is refused 422 with Min-SE: 90; nothing rings', async (t) => {
  const s = setup();
  const req = inviteWith(['Supported: timer', 'Session-Expires: 60']);
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  t.is(a.responses.at(-1)?.status, 422);
  t.is(a.responses.at(-1)?.headers.get('min-se'), '90');
  t.is(s.sent.length, 0);
});

test('RFC 4028 §10: a caller without timer support behind a proxy that asked 120 s: we refresh with UPDATE at 60 s', async (t) => {
  const s = setup();
  const req = inviteWith(['Session-Expires: 120']);
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  const ok = a.responses.at(-1)!;
  t.is(ok.headers.get('session-expires'), '120;refresher=uas');
  t.is(ok.headers.get('require'), undefined);
  s.manager.ack(inDialogFromA('call-a@test', '601', '602', toTagOf(ok), 'ACK', 2));
  s.clock.advance(60_000);
  const updates = s.sent.filter((x) => x.req.method === 'UPDATE');
  t.is(updates.length, 1);
  t.is(updates[0]!.dest.host, '192.0.2.1');
  t.is(updates[0]!.req.headers.get('session-expires'), '120;refresher=uas');
});

function lateInvite(): SipRequest {
  const text = ['INVITE sip:602@10.0.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKlate;rport', 'Max-Forwards: 70', 'From: <sip:601@10.0.0.1>;tag=atag', 'To: <sip:602@10.0.0.1>', 'Call-ID: call-a@test', 'CSeq: 2 INVITE', 'Contact: <sip:601@192.0.2.1:5062>', 'Content-Length: 0', '', ''].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

function ackWithBody(toTag: string, body: string): SipRequest {
  const text = ['ACK sip:pbx@10.0.0.1:5060 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKlateack', 'Max-Forwards: 70', 'From: <sip:601@10.0.0.1>;tag=atag', `To: <sip:602@10.0.0.1>;tag=${toTag}`, 'Call-ID: call-a@test', 'CSeq: 2 ACK', ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  const r = parseMessage(Buffer.from(text));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

test('RFC 3261 §13.2.1 late offer: an INVITE without SDP rings the callee with our full offer; its answer decides the codec of our offer in the 200; the caller\'s answer in the ACK points leg a of the relay at it', async (t) => {
  const s = setup();
  const req = lateInvite();
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  const toB = s.sent.filter((x) => x.req.method === 'INVITE')[0]!;
  t.regex(toB.req.body.toString(), /RTP\/AVP 8 0 18 101/, 'every codec we relay');
  s.answerB(0, 200, ANSWER_SDP);
  const ok = a.responses.at(-1)!;
  t.is(ok.status, 200);
  t.regex(ok.body.toString(), /m=audio 20000 RTP\/AVP 8 101/, 'our offer, with the codec the callee chose');
  t.is(s.relays[0]!.remotes.a?.rtp, null, 'nothing to send to the caller before its answer');
  s.manager.ack(ackWithBody(toTagOf(ok), SDP.replace('RTP/AVP 8 0 101', 'RTP/AVP 8 101')));
  t.deepEqual(s.relays[0]!.remotes.a?.rtp, { host: '192.0.2.1', port: 40000 });
  t.like(s.manager.activeCalls()[0], { state: 'answered', codec: 'PCMA' });
});

test('RFC 3261 §13.2.1 late offer: an ACK without the answer ends the call with BYE on both legs', async (t) => {
  const s = setup();
  const req = lateInvite();
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 200, ANSWER_SDP);
  s.manager.ack(ackWithBody(toTagOf(a.responses.at(-1)!), ''));
  t.is(s.manager.count(), 0);
  t.is(s.sent.filter((x) => x.req.method === 'BYE').length, 2);
});

test('issue 9 §3 directed pickup: 602 rings for 601; 603 sends an INVITE with Replaces naming the call (its busy lamp\'s call-id): 603 gets 200 with the PBX\'s SDP, 602 gets CANCEL, 601 is put through; the journal says answered by 603', async (t) => {
  const s = setup();
  s.registered.add(s.config.phones[2]!.mac);
  const req = invite('601', '602');
  const a = s.serverTx(req);
  s.manager.newInvite(req, a.tx, a.tx.destination, '601');
  await s.settle();
  s.answerB(0, 180);
  const callId = s.manager.activeCalls()[0]!.id;
  t.deepEqual(s.manager.watchedState(s.config.phones[1]!.mac), { state: 'ringing', caller: '601', callId });
  const text = [
    'INVITE sip:602@10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.30:5070;branch=z9hG4bKpick;rport',
    'Max-Forwards: 70',
    'From: <sip:603@10.0.0.1>;tag=ptag',
    'To: <sip:602@10.0.0.1>',
    'Call-ID: pickup@test',
    'CSeq: 1 INVITE',
    'Contact: <sip:603@192.0.2.30:5070>',
    `Replaces: ${callId};to-tag=${callId};from-tag=pbxgate`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(C_SDP)}`,
    '',
    C_SDP,
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok || parsed.message.kind !== 'request') return t.fail('fixture');
  const c = s.serverTx(parsed.message);
  s.manager.newInvite(parsed.message, c.tx, c.tx.destination, '603');
  await s.settle();
  t.is(c.responses.at(-1)?.status, 200);
  t.regex(c.responses.at(-1)!.body.toString(), /m=audio 20002 RTP\/AVP 8 101/, "the relay's leg b, the caller's codec");
  t.is(s.sent.filter((x) => x.req.method === 'CANCEL').length, 1, '602 stops ringing');
  t.is(a.responses.at(-1)?.status, 200, '601 is put through');
  t.deepEqual(s.relays[0]!.remotes.b?.rtp, { host: '192.0.2.30', port: 40000 });
  // A second pickup of the same call: 481.
  const again = s.serverTx(parsed.message);
  s.manager.newInvite(parsed.message, again.tx, again.tx.destination, '603');
  t.is(again.responses.at(-1)?.status, 481);
  const bye = inDialogFromA('call-a@test', '601', '602', toTagOf(a.responses.at(-1)!), 'BYE', 3);
  s.manager.inDialog(bye, s.serverTx(bye).tx);
  t.like(s.journal.query()[0], { from: '601', to: '602', answeredBy: '603', outcome: 'answered' });
  t.regex(s.sent.filter((x) => x.req.method === 'BYE').at(-1)?.req.uri ?? '', /^sip:603@192\.0\.2\.30:5070/, 'BYE to the phone that picked up');
});
