import test from 'ava';
import type { ExecutionContext } from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { createResponse, getCSeq, getTag, getTo, parseMessage, topVia } from '../../../firmware/sip/message/index.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../../firmware/sip/message/types.ts';
import { TransactionLayer } from '../../../firmware/sip/transaction/index.ts';
import type {
  ClientTransactionUser,
  Destination,
  ServerTransactionHandle,
  TerminationReason,
  TransactionTransport,
  TransactionUser,
  TransactionView,
} from '../../../firmware/sip/transaction/index.ts';

// ------------------------------------------------------------------ fakes

interface Sent {
  msg: SipMessage;
  dest: Destination;
  at: number;
}

class FakeTransport implements TransactionTransport {
  sent: Sent[] = [];
  fail = false;
  constructor(private readonly clock: FakeClock) {}
  send(msg: SipMessage, dest: Destination): boolean {
    if (this.fail) return false;
    this.sent.push({ msg, dest, at: this.clock.monotonic() });
    return true;
  }
  isReliable(transport: string): boolean {
    return transport !== 'UDP';
  }
  requests(method?: string): Sent[] {
    return this.sent.filter((s) => s.msg.kind === 'request' && (method === undefined || s.msg.method === method));
  }
  responses(status?: number): Sent[] {
    return this.sent.filter((s) => s.msg.kind === 'response' && (status === undefined || s.msg.status === status));
  }
}

type Event = { type: string; tx?: TransactionView; msg?: SipMessage; reason?: TerminationReason };

class RecordingTU implements TransactionUser, ClientTransactionUser {
  events: Event[] = [];
  /** What to do with a new request (default: nothing, the test answers). */
  onNew: ((req: SipRequest, tx: ServerTransactionHandle) => void) | undefined;
  onRequest(request: SipRequest, tx: ServerTransactionHandle): void {
    this.events.push({ type: 'request', tx, msg: request });
    this.onNew?.(request, tx);
  }
  onAck(ack: SipRequest, _source: Destination, tx?: ServerTransactionHandle): void {
    this.events.push(tx ? { type: 'ack', msg: ack, tx } : { type: 'ack', msg: ack });
  }
  onStrayResponse(response: SipResponse): void {
    this.events.push({ type: 'stray-response', msg: response });
  }
  onServerTimeout(tx: ServerTransactionHandle): void {
    this.events.push({ type: 'server-timeout', tx });
  }
  onServerTransportError(tx: ServerTransactionHandle): void {
    this.events.push({ type: 'server-transport-error', tx });
  }
  onServerTerminated(tx: ServerTransactionHandle, reason: TerminationReason): void {
    this.events.push({ type: 'server-terminated', tx, reason });
  }
  onResponse(response: SipResponse, tx: TransactionView): void {
    this.events.push({ type: 'response', msg: response, tx });
  }
  onTimeout(tx: TransactionView): void {
    this.events.push({ type: 'timeout', tx });
  }
  onTransportError(tx: TransactionView): void {
    this.events.push({ type: 'transport-error', tx });
  }
  onTerminated(tx: TransactionView, reason: TerminationReason): void {
    this.events.push({ type: 'terminated', tx, reason });
  }
  count(type: string): number {
    return this.events.filter((e) => e.type === type).length;
  }
  last(type: string): Event | undefined {
    return this.events.filter((e) => e.type === type).at(-1);
  }
}

function setup(options: { maxTransactions?: number } = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const tu = new RecordingTU();
  const layer = new TransactionLayer({ clock, transport, tu, ...options });
  return { clock, transport, tu, layer };
}

// ------------------------------------------------------------------ messages

interface ReqOpts {
  branch?: string | null;
  transport?: 'UDP' | 'TCP';
  sentBy?: string;
  rport?: boolean;
  uri?: string;
  toTag?: string;
  fromTag?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  routes?: string[];
}

function request(method: string, o: ReqOpts = {}): SipRequest {
  const branch = o.branch === null ? '' : `;branch=${o.branch ?? 'z9hG4bK-b1'}`;
  const lines = [
    `${method} ${o.uri ?? 'sip:201@pbx.local'} SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} ${o.sentBy ?? '192.0.2.10:5062'}${branch}${o.rport ? ';rport' : ''}`,
    ...(o.routes ?? []).map((r) => `Route: ${r}`),
    'Max-Forwards: 70',
    `From: <sip:202@pbx.local>;tag=${o.fromTag ?? 'ft1'}`,
    `To: <sip:201@pbx.local>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? 'call-1@192.0.2.10'}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
    'Contact: <sip:202@192.0.2.10:5062>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const r = parseMessage(Buffer.from(lines));
  if (!r.ok || r.message.kind !== 'request') throw new Error(`test request did not parse: ${r.ok ? 'response' : r.error.reason}`);
  return r.message;
}

function response(req: SipRequest, status: number, toTag?: string): SipResponse {
  return createResponse(req, status, undefined, undefined, undefined, toTag === undefined ? {} : { toTag });
}

const UDP_PEER: Destination = { transport: 'UDP', host: '192.0.2.20', port: 5060 };
const TCP_PEER: Destination = { transport: 'TCP', host: '192.0.2.20', port: 5060, connectionId: 'c1' };
const UDP_SRC: Destination = { transport: 'UDP', host: '192.0.2.10', port: 5062 };
const TCP_SRC: Destination = { transport: 'TCP', host: '192.0.2.10', port: 40000, connectionId: 'tcp-7' };

/** Intervals between consecutive send times. */
function intervals(sent: Sent[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < sent.length; i++) out.push((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0));
  return out;
}

function allCancelled(t: ExecutionContext, clock: FakeClock, layer: TransactionLayer): void {
  t.is(clock.pending(), 0, 'every timer cancelled');
  t.is(layer.size(), 0, 'no live transaction');
}

// ================================================================== non-INVITE client (§17.1.2)

test('§17.1.2.2 NICT/UDP: Timer E doubles from T1 capped at T2, Timer F (64*T1) times out', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('REGISTER');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  t.is(tx?.state, 'trying');
  clock.advance(31_999);
  t.deepEqual(intervals(transport.requests('REGISTER')), [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
  t.is(tu.count('timeout'), 0);
  clock.advance(1);
  t.is(tu.count('timeout'), 1);
  t.is(tx?.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.1.2.2 NICT/UDP: in Proceeding Timer E is reset to T2', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('OPTIONS');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  clock.advance(100);
  layer.receive(response(req, 100), UDP_PEER);
  t.is(tx?.state, 'proceeding');
  t.is(tu.count('response'), 1);
  clock.advance(400 + 4000 + 4000);
  // initial at 0, then 500 (Timer E as armed), then every T2
  t.deepEqual(intervals(transport.requests('OPTIONS')), [500, 4000, 4000]);
  layer.receive(response(req, 200, 'tt'), UDP_PEER);
  t.is(tx?.state, 'completed');
  clock.advance(5000);
  allCancelled(t, clock, layer);
});

test('§17.1.2.2 NICT/UDP: final response -> Completed, retransmissions absorbed, Timer K = T4', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('REGISTER');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  layer.receive(response(req, 200, 'tt'), UDP_PEER);
  t.is(tx?.state, 'completed');
  t.is(tu.count('response'), 1);
  layer.receive(response(req, 200, 'tt'), UDP_PEER);
  t.is(tu.count('response'), 1, 'retransmitted final absorbed');
  t.is(tu.count('stray-response'), 0);
  clock.advance(10_000);
  t.is(transport.requests().length, 1, 'no retransmission after the final response');
  t.is(tx?.state, 'terminated');
  t.is(tu.last('terminated')?.reason, 'normal');
  allCancelled(t, clock, layer);
});

test('§17.1.2.2 NICT/UDP: Timer K fires exactly at T4', (t) => {
  const { clock, tu, layer } = setup();
  const req = request('REGISTER');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  layer.receive(response(req, 401, 'tt'), UDP_PEER);
  clock.advance(4_999);
  t.is(tx?.state, 'completed');
  clock.advance(1);
  t.is(tx?.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.1.2.2 NICT/TCP: no Timer E, Timer K = 0, Timer F still applies', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('REGISTER', { transport: 'TCP' });
  const tx = layer.sendRequest(req, TCP_PEER, tu);
  t.is(clock.pending(), 1, 'only Timer F');
  layer.receive(response(req, 200, 'tt'), TCP_PEER);
  t.is(tx?.state, 'terminated', 'Timer K is zero on reliable transports');
  allCancelled(t, clock, layer);

  const req2 = request('REGISTER', { transport: 'TCP', branch: 'z9hG4bK-b2' });
  layer.sendRequest(req2, TCP_PEER, tu);
  clock.advance(32_000);
  t.is(transport.requests('REGISTER').length, 2, 'one send each, never retransmitted over TCP');
  t.is(tu.count('timeout'), 1);
  allCancelled(t, clock, layer);
});

test('§17.1.4 NICT: transport error on send or retransmission -> TU informed, terminated', (t) => {
  const { clock, transport, tu, layer } = setup();
  transport.fail = true;
  const tx = layer.sendRequest(request('REGISTER'), UDP_PEER, tu);
  t.is(tx?.state, 'terminated');
  t.is(tu.count('transport-error'), 1);
  allCancelled(t, clock, layer);

  transport.fail = false;
  const tx2 = layer.sendRequest(request('REGISTER', { branch: 'z9hG4bK-b2' }), UDP_PEER, tu);
  transport.fail = true;
  clock.advance(500);
  t.is(tx2?.state, 'terminated');
  t.is(tu.count('transport-error'), 2);
  allCancelled(t, clock, layer);
});

// ================================================================== INVITE client (§17.1.1)

test('§17.1.1.2 ICT/UDP: Timer A doubles without cap, Timer B (64*T1) times out', (t) => {
  const { clock, transport, tu, layer } = setup();
  const tx = layer.sendRequest(request('INVITE'), UDP_PEER, tu);
  t.is(tx?.state, 'calling');
  clock.advance(31_999);
  t.deepEqual(intervals(transport.requests('INVITE')), [500, 1000, 2000, 4000, 8000, 16000]);
  t.is(tu.count('timeout'), 0);
  clock.advance(1);
  t.is(tu.count('timeout'), 1);
  t.is(tx?.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.1.1.2 ICT/TCP: no Timer A, Timer B times out', (t) => {
  const { clock, transport, tu, layer } = setup();
  layer.sendRequest(request('INVITE', { transport: 'TCP' }), TCP_PEER, tu);
  clock.advance(32_000);
  t.is(transport.requests('INVITE').length, 1);
  t.is(tu.count('timeout'), 1);
  allCancelled(t, clock, layer);
});

test('§17.1.1.2 ICT: provisional -> Proceeding, retransmissions stop, Timer B no longer applies', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('INVITE');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  clock.advance(600);
  layer.receive(response(req, 180, 'tt'), UDP_PEER);
  t.is(tx?.state, 'proceeding');
  clock.advance(120_000);
  t.is(transport.requests('INVITE').length, 2);
  t.is(tu.count('timeout'), 0);
  t.is(tx?.state, 'proceeding');
  t.is(clock.pending(), 0, 'Proceeding waits for the TU (Timer C / CANCEL are its business)');
  layer.receive(response(req, 486, 'tt'), UDP_PEER);
  clock.advance(32_000);
  allCancelled(t, clock, layer);
});

test('§17.1.1.3 ICT: ACK for a non-2xx is built by the transaction (same branch, Routes, To tag of the response)', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('INVITE', { routes: ['<sip:proxy1.example;lr>', '<sip:proxy2.example;lr>'], cseq: 42 });
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  layer.receive(response(req, 486, 'callee-tag'), UDP_PEER);
  t.is(tx?.state, 'completed');
  t.is(tu.count('response'), 1);
  const acks = transport.requests('ACK');
  t.is(acks.length, 1);
  const ack = acks[0]?.msg as SipRequest;
  t.is(ack.uri, req.uri);
  t.is(topVia(ack.headers)?.params.get('branch'), 'z9hG4bK-b1');
  t.is(ack.headers.getAll('Via').length, 1);
  t.deepEqual(ack.headers.getAll('Route'), ['<sip:proxy1.example;lr>', '<sip:proxy2.example;lr>']);
  t.is(getTag(getTo(ack.headers)), 'callee-tag');
  t.deepEqual(getCSeq(ack.headers), { seq: 42, method: 'ACK' });
  t.is(ack.headers.get('Call-ID'), req.headers.get('Call-ID'));
  t.is(ack.headers.get('From'), req.headers.get('From'));
  t.deepEqual(acks[0]?.dest, UDP_PEER);
});

test('§17.1.1.2 ICT/UDP: final retransmission resends the ACK, not passed up; Timer D = 32 s', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('INVITE');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  layer.receive(response(req, 404, 'tt'), UDP_PEER);
  layer.receive(response(req, 404, 'tt'), UDP_PEER);
  t.is(transport.requests('ACK').length, 2);
  t.is(tu.count('response'), 1);
  clock.advance(31_999);
  t.is(tx?.state, 'completed');
  t.is(transport.requests('INVITE').length, 1, 'Timer A cancelled by the final response');
  clock.advance(1);
  t.is(tx?.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.1.1.2 ICT/TCP: ACK sent even on reliable transport, Timer D = 0', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('INVITE', { transport: 'TCP' });
  const tx = layer.sendRequest(req, TCP_PEER, tu);
  layer.receive(response(req, 603, 'tt'), TCP_PEER);
  t.is(transport.requests('ACK').length, 1);
  t.is(tx?.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('RFC 6026 §7.2 ICT: 2xx -> Accepted, later 2xx passed up without ACK, Timer M = 64*T1', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('INVITE');
  const tx = layer.sendRequest(req, UDP_PEER, tu);
  layer.receive(response(req, 200, 'fork-a'), UDP_PEER);
  t.is(tx?.state, 'accepted');
  layer.receive(response(req, 200, 'fork-a'), UDP_PEER);
  layer.receive(response(req, 200, 'fork-b'), UDP_PEER);
  layer.receive(response(req, 486, 'fork-c'), UDP_PEER);
  t.is(tu.count('response'), 3, 'every 2xx passed up, the 486 discarded');
  t.is(tu.count('stray-response'), 0);
  t.is(transport.requests('ACK').length, 0, 'the ACK for 2xx is the TU’s');
  clock.advance(31_999);
  t.is(tx?.state, 'accepted');
  t.is(transport.requests('INVITE').length, 1);
  clock.advance(1);
  t.is(tx?.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.1.4 ICT: transport error on a Timer A retransmission', (t) => {
  const { clock, transport, tu, layer } = setup();
  const tx = layer.sendRequest(request('INVITE'), UDP_PEER, tu);
  transport.fail = true;
  clock.advance(500);
  t.is(tx?.state, 'terminated');
  t.is(tu.count('transport-error'), 1);
  t.is(tu.last('terminated')?.reason, 'transport-error');
  allCancelled(t, clock, layer);
});

// ================================================================== client matching (§17.1.3)

test('§17.1.3: responses match on branch + CSeq method, others are strays passed up', (t) => {
  const { clock, tu, layer } = setup();
  const invite = request('INVITE');
  const tx = layer.sendRequest(invite, UDP_PEER, tu);
  // Same branch, CSeq method CANCEL: belongs to the CANCEL transaction, not the INVITE one.
  layer.receive(response(request('CANCEL'), 200, 'tt'), UDP_PEER);
  layer.receive(response(request('INVITE', { branch: 'z9hG4bK-other' }), 180, 'tt'), UDP_PEER);
  t.is(tu.count('stray-response'), 2);
  t.is(tu.count('response'), 0);
  t.is(tx?.state, 'calling');

  const cancel = request('CANCEL');
  const ctx = layer.sendRequest(cancel, UDP_PEER, tu);
  layer.receive(response(cancel, 200, 'tt'), UDP_PEER);
  t.is(ctx?.state, 'completed');
  t.is(tx?.state, 'calling');
  layer.receive(response(invite, 487, 'tt'), UDP_PEER);
  t.is(tx?.state, 'completed');
  clock.advance(40_000);
  allCancelled(t, clock, layer);
});

test('sendRequest refuses a request without a magic-cookie branch and ACKs', (t) => {
  const { tu, layer } = setup();
  t.throws(() => layer.sendRequest(request('OPTIONS', { branch: 'abc' }), UDP_PEER, tu), { instanceOf: TypeError });
  t.throws(() => layer.sendRequest(request('ACK'), UDP_PEER, tu), { instanceOf: TypeError });
  t.is(layer.size(), 0);
});

// ================================================================== non-INVITE server (§17.2.2)

test('§17.2.2 NIST/UDP: Trying absorbs, Proceeding resends provisional, Completed resends final, Timer J = 64*T1', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('REGISTER');
  layer.receive(req, UDP_SRC);
  t.is(tu.count('request'), 1);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  t.is(tx.state, 'trying');

  layer.receive(request('REGISTER'), UDP_SRC);
  t.is(transport.sent.length, 0, 'retransmission absorbed in Trying');
  t.is(tu.count('request'), 1, 'not passed up again');

  t.true(tx.respond(response(req, 100)));
  t.is(tx.state, 'proceeding');
  layer.receive(request('REGISTER'), UDP_SRC);
  t.is(transport.responses(100).length, 2, '100 resent on retransmission');

  t.true(tx.respond(response(req, 200, 'tt')));
  t.is(tx.state, 'completed');
  layer.receive(request('REGISTER'), UDP_SRC);
  layer.receive(request('REGISTER'), UDP_SRC);
  t.is(transport.responses(200).length, 3, 'final resent for each retransmission');
  t.false(tx.respond(response(req, 500, 'tt')), 'a second final is discarded');
  t.is(transport.responses(500).length, 0);
  t.deepEqual(transport.sent[0]?.dest, { transport: 'UDP', host: '192.0.2.10', port: 5062 });

  clock.advance(31_999);
  t.is(tx.state, 'completed');
  clock.advance(1);
  t.is(tx.state, 'terminated');
  t.is(tu.last('server-terminated')?.reason, 'normal');
  allCancelled(t, clock, layer);
  // After Timer J, the same request is a new transaction again.
  layer.receive(request('REGISTER'), UDP_SRC);
  t.is(tu.count('request'), 2);
});

test('§17.2.2 NIST/TCP: Timer J = 0, responses on the connection', (t) => {
  const { clock, transport, tu, layer } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 200, 'tt'));
  layer.receive(request('REGISTER', { transport: 'TCP' }), TCP_SRC);
  t.is(transport.responses(200).length, 1);
  t.is(transport.sent[0]?.dest.connectionId, 'tcp-7');
  t.is((tu.last('request')?.tx as ServerTransactionHandle).state, 'terminated');
  allCancelled(t, clock, layer);
});

test('NIST local guard: a TU that never answers frees the slot after 64*T1', (t) => {
  const { clock, tu, layer } = setup();
  layer.receive(request('OPTIONS'), UDP_SRC);
  clock.advance(32_000);
  t.is(tu.count('server-timeout'), 1);
  allCancelled(t, clock, layer);
});

test('§17.2.4 NIST: transport error on the response -> TU informed, terminated', (t) => {
  const { clock, transport, tu, layer } = setup();
  layer.receive(request('REGISTER'), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  transport.fail = true;
  t.false(tx.respond(response(tx.request, 200, 'tt')));
  t.is(tu.count('server-transport-error'), 1);
  t.is(tx.state, 'terminated');
  allCancelled(t, clock, layer);
});

// ================================================================== INVITE server (§17.2.1)

test('§17.2.1 IST: 100 Trying sent by the transaction after 200 ms of TU silence', (t) => {
  const { clock, transport, tu, layer } = setup();
  layer.receive(request('INVITE'), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  clock.advance(199);
  t.is(transport.sent.length, 0);
  clock.advance(1);
  t.is(transport.responses(100).length, 1);
  const trying = transport.responses(100)[0]?.msg as SipResponse;
  t.is(getTag(getTo(trying.headers)), undefined, '100 Trying carries no To tag');
  // A retransmission in Proceeding gets the last provisional (our 100).
  layer.receive(request('INVITE'), UDP_SRC);
  t.is(transport.responses(100).length, 2);
  t.is(tu.count('request'), 1);
  tx.respond(response(tx.request, 486, 'tt'));
  tx.respond(response(tx.request, 486, 'tt'));
  layer.receive(request('ACK', { toTag: 'tt' }), UDP_SRC);
  clock.advance(5000);
  allCancelled(t, clock, layer);
});

test('§17.2.1 IST: no 100 Trying when the TU answers within 200 ms; retransmission gets the last provisional', (t) => {
  const { clock, transport, tu, layer } = setup();
  layer.receive(request('INVITE'), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  clock.advance(50);
  tx.respond(response(tx.request, 180, 'tt'));
  clock.advance(1000);
  t.is(transport.responses(100).length, 0);
  layer.receive(request('INVITE'), UDP_SRC);
  t.is(transport.responses(180).length, 2);
  tx.respond(response(tx.request, 183, 'tt'));
  layer.receive(request('INVITE'), UDP_SRC);
  t.is(transport.responses(183).length, 2, 'the most recent provisional');
  tx.respond(response(tx.request, 200, 'tt'));
  clock.advance(32_000);
  allCancelled(t, clock, layer);
});

test('§17.2.1 IST/UDP: Timer G doubles from T1 capped at T2, Timer H (64*T1) -> failure to TU', (t) => {
  const { clock, transport, tu, layer } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 486, 'tt'));
  layer.receive(request('INVITE'), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  t.is(tx.state, 'completed');
  clock.advance(31_999);
  t.deepEqual(intervals(transport.responses(486)), [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
  // Retransmitted INVITE in Completed: final resent.
  layer.receive(request('INVITE'), UDP_SRC);
  t.is(transport.responses(486).length, 12);
  clock.advance(1);
  t.is(tu.count('server-timeout'), 1);
  t.is(tx.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.2.1 IST/UDP: ACK -> Confirmed, Timer G stops, ACKs absorbed, Timer I = T4', (t) => {
  const { clock, transport, tu, layer } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 486, 'tt'));
  layer.receive(request('INVITE'), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  clock.advance(600);
  layer.receive(request('ACK', { toTag: 'tt' }), UDP_SRC);
  t.is(tx.state, 'confirmed');
  layer.receive(request('ACK', { toTag: 'tt' }), UDP_SRC);
  t.is(tu.count('ack'), 0, 'ACKs for a non-2xx are absorbed');
  const sent = transport.responses(486).length;
  clock.advance(4_999);
  t.is(transport.responses(486).length, sent, 'no more Timer G');
  t.is(tx.state, 'confirmed');
  layer.receive(request('INVITE'), UDP_SRC);
  t.is(transport.responses(486).length, sent, 'INVITE retransmission absorbed in Confirmed');
  clock.advance(1);
  t.is(tx.state, 'terminated');
  t.is(tu.count('server-timeout'), 0);
  allCancelled(t, clock, layer);
});

test('§17.2.1 IST/TCP: no Timer G, Timer I = 0, Timer H still bounds the wait for ACK', (t) => {
  const { clock, transport, tu, layer } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 480, 'tt'));
  layer.receive(request('INVITE', { transport: 'TCP' }), TCP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  t.is(clock.pending(), 1, 'only Timer H');
  layer.receive(request('ACK', { transport: 'TCP', toTag: 'tt' }), TCP_SRC);
  t.is(tx.state, 'terminated');
  allCancelled(t, clock, layer);

  layer.receive(request('INVITE', { transport: 'TCP', branch: 'z9hG4bK-b2' }), TCP_SRC);
  clock.advance(32_000);
  t.is(transport.responses(480).length, 2, 'never retransmitted over TCP');
  t.is(tu.count('server-timeout'), 1);
  allCancelled(t, clock, layer);
});

test('RFC 6026 §7.1 IST: 2xx -> Accepted, INVITE retransmissions absorbed, ACK passed up, TU 2xx sent, Timer L', (t) => {
  const { clock, transport, tu, layer } = setup();
  layer.receive(request('INVITE'), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  const ok = response(tx.request, 200, 'tt');
  t.true(tx.respond(ok));
  t.is(tx.state, 'accepted');
  layer.receive(request('INVITE'), UDP_SRC);
  t.is(transport.responses(200).length, 1, 'retransmitted INVITE absorbed, 2xx not resent by the transaction');
  t.is(tu.count('request'), 1);
  t.true(tx.respond(ok), 'the TU retransmits its 2xx through the transaction');
  t.is(transport.responses(200).length, 2);
  t.false(tx.respond(response(tx.request, 486, 'tt')));
  clock.advance(10_000);
  t.is(transport.responses(200).length, 2, 'no Timer G for 2xx');
  // The ACK for the 2xx has its own branch: a stray ACK for the dialog layer.
  layer.receive(request('ACK', { toTag: 'tt', branch: 'z9hG4bK-ack2xx' }), UDP_SRC);
  t.is(tu.count('ack'), 1);
  t.is(tu.last('ack')?.tx, undefined);
  // An ACK with the INVITE's branch in Accepted is passed up with the transaction.
  layer.receive(request('ACK', { toTag: 'tt' }), UDP_SRC);
  t.is(tu.count('ack'), 2);
  t.is(tu.last('ack')?.tx, tx);
  clock.advance(21_999);
  t.is(tx.state, 'accepted');
  clock.advance(1);
  t.is(tx.state, 'terminated');
  allCancelled(t, clock, layer);
});

test('§17.2.4 IST: transport error on Timer G retransmission -> TU informed', (t) => {
  const { clock, transport, tu, layer } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 500, 'tt'));
  layer.receive(request('INVITE'), UDP_SRC);
  transport.fail = true;
  clock.advance(500);
  t.is(tu.count('server-transport-error'), 1);
  allCancelled(t, clock, layer);
});

// ================================================================== server matching (§17.2.3, §9.2)

test('§17.2.3: sent-by and method are part of the match', (t) => {
  const { clock, tu, layer } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 200, 'tt'));
  layer.receive(request('OPTIONS'), UDP_SRC);
  layer.receive(request('OPTIONS', { sentBy: '192.0.2.99:5062' }), UDP_SRC);
  layer.receive(request('INFO'), UDP_SRC);
  t.is(tu.count('request'), 3);
  layer.receive(request('OPTIONS'), UDP_SRC);
  t.is(tu.count('request'), 3, 'same branch, sent-by and method: retransmission');
  clock.advance(32_000);
  allCancelled(t, clock, layer);
});

test('§9.2: CANCEL has its own transaction and finds the INVITE server transaction; then 200 and 487', (t) => {
  const { clock, transport, tu, layer } = setup();
  layer.receive(request('INVITE'), UDP_SRC);
  const invite = tu.last('request')?.tx as ServerTransactionHandle;
  invite.respond(response(invite.request, 180, 'tt'));

  layer.receive(request('CANCEL'), UDP_SRC);
  t.is(tu.count('request'), 2);
  const cancelTx = tu.last('request')?.tx as ServerTransactionHandle;
  t.is(cancelTx.request.method, 'CANCEL');
  t.not(cancelTx, invite);
  const target = layer.findInviteServerTransactionForCancel(cancelTx.request);
  t.is<ServerTransactionHandle | undefined, ServerTransactionHandle | undefined>(target, invite);
  cancelTx.respond(response(cancelTx.request, 200, 'tt'));
  target?.respond(response(invite.request, 487, 'tt'));
  t.is(transport.responses(487).length, 1);
  t.is(invite.state, 'completed');

  // A CANCEL for nothing we know: 481 territory.
  t.is(layer.findInviteServerTransactionForCancel(request('CANCEL', { branch: 'z9hG4bK-zzz' })), undefined);
  t.is(layer.findInviteServerTransactionForCancel(request('CANCEL', { sentBy: '198.51.100.1' })), undefined);

  layer.receive(request('ACK', { toTag: 'tt' }), UDP_SRC);
  clock.advance(40_000);
  allCancelled(t, clock, layer);
});

test('§17.2.3 RFC 2543 fallback: no magic cookie -> Request-URI, tags, Call-ID, CSeq, top Via', (t) => {
  const { clock, transport, tu, layer } = setup();
  const old = { branch: null, sentBy: '192.0.2.30:5060' } as const;
  layer.receive(request('INVITE', old), UDP_SRC);
  const tx = tu.last('request')?.tx as ServerTransactionHandle;
  tx.respond(response(tx.request, 180, 'srv'));
  layer.receive(request('INVITE', old), UDP_SRC);
  t.is(tu.count('request'), 1, 'retransmission matched without a branch');
  t.is(transport.responses(180).length, 2);
  layer.receive(request('INVITE', { ...old, cseq: 2 }), UDP_SRC);
  layer.receive(request('INVITE', { ...old, callId: 'other' }), UDP_SRC);
  layer.receive(request('INVITE', { ...old, fromTag: 'x' }), UDP_SRC);
  layer.receive(request('INVITE', { ...old, uri: 'sip:203@pbx.local' }), UDP_SRC);
  t.is(tu.count('request'), 5, 'any differing field makes a new transaction');

  // §9.2 with RFC 2543 matching.
  t.is<ServerTransactionHandle | undefined, ServerTransactionHandle | undefined>(layer.findInviteServerTransactionForCancel(request('CANCEL', old)), tx);

  tx.respond(response(tx.request, 486, 'srv'));
  // ACK: matched when its To tag is the tag of our final response.
  layer.receive(request('ACK', { ...old, toTag: 'wrong' }), UDP_SRC);
  t.is(tx.state, 'completed');
  t.is(tu.count('ack'), 1, 'unmatched ACK passed up');
  layer.receive(request('ACK', { ...old, toTag: 'srv' }), UDP_SRC);
  t.is(tx.state, 'confirmed');
  t.is(tu.count('ack'), 1);
  layer.stop();
  allCancelled(t, clock, layer);
});

// ================================================================== layer

test('cap on live transactions: new requests beyond it get a stateless 503 with Retry-After', (t) => {
  const { clock, transport, tu, layer } = setup({ maxTransactions: 2 });
  layer.receive(request('REGISTER', { branch: 'z9hG4bK-1' }), UDP_SRC);
  layer.receive(request('REGISTER', { branch: 'z9hG4bK-2' }), UDP_SRC);
  layer.receive(request('REGISTER', { branch: 'z9hG4bK-3' }), UDP_SRC);
  t.is(tu.count('request'), 2);
  const rejected = transport.responses(503);
  t.is(rejected.length, 1);
  const res = rejected[0]?.msg as SipResponse;
  t.is(res.headers.get('Retry-After'), '5');
  t.truthy(getTag(getTo(res.headers)), '503 carries a To tag');
  t.is(layer.stats().rejected, 1);
  t.is(layer.sendRequest(request('OPTIONS', { branch: 'z9hG4bK-c' }), UDP_PEER, tu), undefined);
  // Retransmissions of admitted requests still match.
  layer.receive(request('REGISTER', { branch: 'z9hG4bK-1' }), UDP_SRC);
  t.is(transport.responses(503).length, 1);
  clock.advance(32_000);
  allCancelled(t, clock, layer);
  layer.receive(request('REGISTER', { branch: 'z9hG4bK-4' }), UDP_SRC);
  t.is(tu.count('request'), 3, 'slots free again');
});

test('§18.2.2 / RFC 3581: responses go to the source port with rport, to the sent-by port without', (t) => {
  const { tu, layer, transport } = setup();
  tu.onNew = (req, tx) => tx.respond(response(req, 200, 'tt'));
  const natted: Destination = { transport: 'UDP', host: '203.0.113.5', port: 31000 };
  layer.receive(request('OPTIONS', { branch: 'z9hG4bK-r1', rport: true }), natted);
  layer.receive(request('OPTIONS', { branch: 'z9hG4bK-r2' }), natted);
  t.deepEqual(transport.sent[0]?.dest, { transport: 'UDP', host: '203.0.113.5', port: 31000 });
  t.deepEqual(transport.sent[1]?.dest, { transport: 'UDP', host: '203.0.113.5', port: 5062 });
  layer.stop();
});

test('§17.1.4/§17.2.4: a lost TCP connection fails the transactions bound to it', (t) => {
  const { clock, tu, layer } = setup();
  layer.sendRequest(request('OPTIONS', { transport: 'TCP' }), TCP_PEER, tu);
  layer.receive(request('INVITE', { transport: 'TCP' }), TCP_SRC);
  layer.receive(request('INVITE', { branch: 'z9hG4bK-u' }), UDP_SRC);
  layer.connectionFailed('c1');
  layer.connectionFailed('tcp-7');
  t.is(tu.count('transport-error'), 1);
  t.is(tu.count('server-transport-error'), 1);
  t.is(layer.size(), 1);
  layer.stop();
  allCancelled(t, clock, layer);
});

test('stop() terminates every transaction and cancels every timer', (t) => {
  const { clock, tu, layer } = setup();
  layer.sendRequest(request('INVITE', { branch: 'z9hG4bK-a' }), UDP_PEER, tu);
  layer.sendRequest(request('OPTIONS', { branch: 'z9hG4bK-b' }), UDP_PEER, tu);
  layer.receive(request('INVITE', { branch: 'z9hG4bK-c' }), UDP_SRC);
  layer.receive(request('REGISTER', { branch: 'z9hG4bK-d' }), UDP_SRC);
  t.true(clock.pending() > 0);
  layer.stop();
  t.is(tu.events.filter((e) => e.reason === 'shutdown').length, 4);
  allCancelled(t, clock, layer);
});

test('§17.1.1.1 / §17.1.2.1: T1 and T2 are configurable and drive A, B, E, F', (t) => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const tu = new RecordingTU();
  const layer = new TransactionLayer({ clock, transport, tu, timers: { t1: 100, t2: 300, t4: 1000 } });
  layer.sendRequest(request('OPTIONS', { branch: 'z9hG4bK-e' }), UDP_PEER, tu);
  layer.sendRequest(request('INVITE', { branch: 'z9hG4bK-a' }), UDP_PEER, tu);
  clock.advance(6_399);
  t.deepEqual(intervals(transport.requests('OPTIONS')).slice(0, 5), [100, 200, 300, 300, 300]);
  t.deepEqual(intervals(transport.requests('INVITE')), [100, 200, 400, 800, 1600, 3200]);
  t.is(tu.count('timeout'), 0);
  clock.advance(1);
  t.is(tu.count('timeout'), 2, 'Timers B and F at 64*T1 = 6.4 s');
  allCancelled(t, clock, layer);
});

test('§17.1.1.2 ICT: the TU gets the non-2xx final response even if the ACK cannot be sent', (t) => {
  const { clock, transport, tu, layer } = setup();
  const req = request('INVITE');
  layer.sendRequest(req, UDP_PEER, tu);
  transport.fail = true;
  layer.receive(response(req, 486, 'tt'), UDP_PEER);
  t.is(tu.count('response'), 1);
  t.is(tu.count('transport-error'), 1);
  allCancelled(t, clock, layer);
});
