import test from 'ava';
import type { ExecutionContext } from 'ava';
import {
  createCancel,
  createUacDialog,
  createUasDialog,
  DialogStore,
  InviteClientDialogs,
  recordRouteHeaders,
  requestUriOf,
  responseContactMustBeSips,
  uriDestination,
} from '../../../firmware/sip/dialog/index.ts';
import type { Dialog, DialogOptions, DialogTerminationReason, OutgoingDialogRequest } from '../../../firmware/sip/dialog/index.ts';
import { createResponse, formatUri, getCSeq, parseMessage, parseUri, serialize, topVia } from '../../../firmware/sip/message/index.ts';
import type { SipRequest, SipResponse, SipUri } from '../../../firmware/sip/message/types.ts';
import {
  ALICE_CONTACT,
  ALICE_TAG,
  BOB_CONTACT,
  BOB_TAG,
  CALL_ID,
  inviteAtBob,
  inviteFromAlice,
  P1,
  P2,
  P3,
  RECORD_ROUTE_FIELDS,
  requestFromAlice,
  requestFromBob,
  responseAtAlice,
} from '../../fixtures/sip/dialog-messages.ts';

// ---------------------------------------------------------------- helpers

const BOB_VIA: DialogOptions['via'] = { host: '192.0.2.20', port: 5060 };
const ALICE_VIA: DialogOptions['via'] = { host: '192.0.2.10', port: 5060 };

/** Bob answers `invite` the way the UA core will: our tag, our Contact, the request's Record-Route. */
function bobResponse(invite: SipRequest, status: number, contact = BOB_CONTACT): SipResponse {
  return createResponse(invite, status, undefined, [...recordRouteHeaders(invite), ['Contact', contact]], undefined, {
    toTag: BOB_TAG,
  });
}

function uasDialog(invite = inviteAtBob(), status = 200, opts: DialogOptions = {}): Dialog {
  const made = createUasDialog(invite, bobResponse(invite, status), { via: BOB_VIA, initialLocalSeq: 7000, ...opts });
  if (!made.ok) throw new Error(made.reason);
  return made.dialog;
}

function uacDialog(res = responseAtAlice(200), invite = inviteFromAlice(), opts: DialogOptions = {}): Dialog {
  const made = createUacDialog(invite, res, { via: ALICE_VIA, ...opts });
  if (!made.ok) throw new Error(made.reason);
  return made.dialog;
}

/** The request goes through the real serializer and parser: what the peer will see. */
function onWire(t: ExecutionContext, out: OutgoingDialogRequest): SipRequest {
  const r = parseMessage(serialize(out.request));
  if (!r.ok || r.message.kind !== 'request') {
    t.fail('built request does not parse');
    throw new Error('unparseable');
  }
  return r.message;
}

const routeUris = (d: Dialog): string[] => d.routeSet.map((r) => r.value);
const uri = (s: string): SipUri => parseUri(s) as SipUri;

// ---------------------------------------------------------------- creation

test('§12.1.1 UAS: route set = Record-Route of the request in order (3 proxies, 2 fields), remote target = Contact', (t) => {
  const d = uasDialog(inviteAtBob(), 180);
  t.is(d.role, 'uas');
  t.is(d.state, 'early');
  t.deepEqual(d.id, { callId: CALL_ID, localTag: BOB_TAG, remoteTag: ALICE_TAG });
  t.deepEqual(routeUris(d), [P3, P2, P1]);
  t.true(d.routeSet.every((r) => r.lr));
  t.is(formatUri(d.remoteTarget), 'sip:alice@192.0.2.10:5060');
  // "The remote sequence number MUST be set to the value of the sequence number
  // in the CSeq header field of the request. The local sequence number MUST be empty."
  t.is(d.remoteSeq, 314159);
  t.is(d.localSeq, undefined);
  // Remote URI = From of the request, local URI = To (with our tag) of the response.
  t.is(d.remoteAddress, '"Alice" <sip:alice@atlanta.example>;tag=' + ALICE_TAG);
  t.is(d.localAddress, 'Bob <sip:bob@biloxi.example>;tag=' + BOB_TAG);
  t.is(d.localContact, BOB_CONTACT);
  t.false(d.secure);
});

test('§12.1.1 UAS: Record-Route fields copied into the response verbatim and in order', (t) => {
  const invite = inviteAtBob();
  const res = bobResponse(invite, 200);
  t.deepEqual(res.headers.getFields('record-route'), RECORD_ROUTE_FIELDS);
  const wire = parseMessage(serialize(res));
  t.true(wire.ok);
  if (wire.ok) t.deepEqual(wire.message.headers.getAll('record-route'), [P3, P2, P1]);
});

test('§12.1.1 UAS: 180 makes an early dialog, the 2xx we send confirms it, a non-2xx final ends it (§12.3)', (t) => {
  const invite = inviteAtBob();
  const d = uasDialog(invite, 180);
  d.responseSent(bobResponse(invite, 200));
  t.is(d.state, 'confirmed');

  const d2 = uasDialog(invite, 183);
  d2.responseSent(createResponse(invite, 486, undefined, [], undefined, { toTag: BOB_TAG }));
  t.is(d2.state, 'terminated');
  t.is(d2.terminationReason, 'rejected');
});

test('§12.1.1 UAS: no Record-Route → empty route set; no Contact → refused; no From tag → remote tag null', (t) => {
  const d = uasDialog(inviteAtBob({ recordRoute: [], fromTag: null }));
  t.deepEqual(d.routeSet, []);
  t.is(d.id.remoteTag, null);
  const invite = inviteAtBob({ contact: null });
  const made = createUasDialog(invite, bobResponse(invite, 200));
  t.deepEqual(made, { ok: false, reason: 'Missing Contact' });
  // 100 Trying never creates a dialog (§12.1).
  t.false(createUasDialog(inviteAtBob(), createResponse(inviteAtBob(), 100)).ok);
});

test('§12.1.2 UAC: route set = Record-Route of the response in reverse order, remote target = Contact of the response', (t) => {
  const d = uacDialog(responseAtAlice(200));
  t.is(d.role, 'uac');
  t.is(d.state, 'confirmed');
  t.deepEqual(d.id, { callId: CALL_ID, localTag: ALICE_TAG, remoteTag: BOB_TAG });
  t.deepEqual(routeUris(d), [P1, P2, P3]);
  t.is(formatUri(d.remoteTarget), 'sip:bob@192.0.2.20:5060');
  // "The local sequence number MUST be set to the value of the sequence number
  // in the CSeq header field of the request. The remote sequence number MUST be empty"
  t.is(d.localSeq, 314159);
  t.is(d.remoteSeq, undefined);
  t.is(d.localAddress, '"Alice" <sip:alice@atlanta.example>;tag=' + ALICE_TAG);
  t.is(d.remoteAddress, 'Bob <sip:bob@biloxi.example>;tag=' + BOB_TAG);
  t.is(d.localContact, ALICE_CONTACT);
});

test('§12.1.2 UAC: two proxies; 1xx with tag → early; 1xx without tag → no dialog; 2xx without tag → remote tag null', (t) => {
  const d = uacDialog(responseAtAlice(180, { recordRoute: [P2, P1] }));
  t.is(d.state, 'early');
  t.deepEqual(routeUris(d), [P1, P2]);
  t.deepEqual(createUacDialog(inviteFromAlice(), responseAtAlice(180, { toTag: null })), {
    ok: false,
    reason: 'Provisional Response Without To Tag',
  });
  t.is(uacDialog(responseAtAlice(200, { toTag: null })).id.remoteTag, null);
});

// ---------------------------------------------------------------- request construction

test('§12.2.1.1 loose routing (UAS side): Request-URI = remote target, Route = route set in order, sent to the first route', (t) => {
  const d = uasDialog();
  const out = d.createRequest('BYE');
  const bye = onWire(t, out);
  t.is(bye.method, 'BYE');
  t.is(bye.uri, 'sip:alice@192.0.2.10:5060');
  t.deepEqual(bye.headers.getAll('route'), [P3, P2, P1]);
  t.deepEqual(out.destination, { transport: 'UDP', host: '192.0.2.3', port: 5060 });
  t.is(bye.headers.get('from'), 'Bob <sip:bob@biloxi.example>;tag=' + BOB_TAG);
  t.is(bye.headers.get('to'), '"Alice" <sip:alice@atlanta.example>;tag=' + ALICE_TAG);
  t.is(bye.headers.get('call-id'), CALL_ID);
  t.is(bye.headers.get('max-forwards'), '70');
  t.is(bye.headers.get('cseq'), '7000 BYE');
  // BYE is not a target refresh: no Contact.
  t.false(bye.headers.has('contact'));
  const via = topVia(bye.headers);
  t.is(via?.transport, 'UDP');
  t.is(via?.host, '192.0.2.20');
  t.is(via?.port, 5060);
  t.true(via?.params.get('branch')?.startsWith('z9hG4bK'));
  t.true(via?.params.has('rport'));
});

test('§12.2.1.1 loose routing (UAC side): Route p1, p2, p3; next hop p1 over TCP (transport=tcp), Via transport follows', (t) => {
  const d = uacDialog();
  const out = d.createRequest('BYE');
  const bye = onWire(t, out);
  t.is(bye.uri, 'sip:bob@192.0.2.20:5060');
  t.deepEqual(bye.headers.getAll('route'), [P1, P2, P3]);
  t.deepEqual(out.destination, { transport: 'TCP', host: '192.0.2.1', port: 5060 });
  t.is(topVia(bye.headers)?.transport, 'TCP');
  // A fresh branch per request.
  t.not(topVia(d.createRequest('INFO').request.headers)?.params.get('branch'), topVia(bye.headers)?.params.get('branch'));
});

test('§12.2.1.1 empty route set: Request-URI = remote target, no Route, sent to the remote target', (t) => {
  const d = uacDialog(responseAtAlice(200, { recordRoute: [], contact: '<sip:bob@192.0.2.20:5080;transport=tcp>' }));
  const out = d.createRequest('BYE');
  t.is(out.request.uri, 'sip:bob@192.0.2.20:5080;transport=tcp');
  t.false(out.request.headers.has('route'));
  t.deepEqual(out.destination, { transport: 'TCP', host: '192.0.2.20', port: 5080 });
});

test('§12.2.1.1 strict routing: first route without lr → Request-URI = first route, Route = rest + remote target last', (t) => {
  const strict = '<sip:192.0.2.3;maddr=192.0.2.33>';
  const d = uasDialog(inviteAtBob({ recordRoute: [strict, P2] }));
  t.false(d.routeSet[0]?.lr);
  const out = d.createRequest('BYE');
  const bye = onWire(t, out);
  t.is(bye.uri, 'sip:192.0.2.3;maddr=192.0.2.33');
  t.deepEqual(bye.headers.getAll('route'), [P2, '<sip:alice@192.0.2.10:5060>']);
  // §8.1.2: with a strict router the procedures apply to the Request-URI (maddr wins, RFC 3263 §4).
  t.deepEqual(out.destination, { transport: 'UDP', host: '192.0.2.33', port: 5060 });
});

test('§12.2.1.1 / §19.1.1 strict routing strips parameters not allowed in a Request-URI (method, headers)', (t) => {
  t.is(requestUriOf(uri('sip:192.0.2.3;method=INVITE;ttl=2?Subject=x')), 'sip:192.0.2.3;ttl=2');
  const d = uasDialog(inviteAtBob({ recordRoute: ['<sip:192.0.2.3;method=INVITE>'] }));
  t.is(d.createRequest('INFO').request.uri, 'sip:192.0.2.3');
});

test('§12.2.1.1 CSeq: UAC increments from the INVITE number by one per request; the first UAS request uses the initial value', (t) => {
  const uac = uacDialog();
  t.is(getCSeq(uac.createRequest('INFO').request.headers)?.seq, 314160);
  t.is(getCSeq(uac.createRequest('UPDATE').request.headers)?.seq, 314161);
  t.is(uac.localSeq, 314161);

  const uas = uasDialog();
  t.deepEqual(getCSeq(uas.createRequest('INFO').request.headers), { seq: 7000, method: 'INFO' });
  t.deepEqual(getCSeq(uas.createRequest('BYE').request.headers), { seq: 7001, method: 'BYE' });
});

test('§8.1.1.5 the initial local CSeq of a UAS dialog is below 2^31 when chosen by the dialog', (t) => {
  const invite = inviteAtBob();
  const made = createUasDialog(invite, bobResponse(invite, 200), { via: BOB_VIA });
  if (!made.ok) return t.fail();
  const seq = getCSeq(made.dialog.createRequest('INFO').request.headers)?.seq ?? -1;
  t.true(seq >= 1 && seq < 2 ** 31);
});

test('§12.2.1.1 target refresh requests carry our Contact; headers and body of the caller are appended', (t) => {
  const d = uacDialog();
  const sdp = Buffer.from('v=0\r\n');
  const reinvite = onWire(t, d.createRequest('INVITE', { headers: [['Content-Type', 'application/sdp']], body: sdp }));
  t.is(reinvite.headers.get('contact'), ALICE_CONTACT);
  t.is(reinvite.headers.get('content-type'), 'application/sdp');
  t.deepEqual(reinvite.body, sdp);
  t.false(onWire(t, d.createRequest('INFO')).headers.has('contact'));
});

test('§12.2.1.1 Via sent-by chosen per destination; ACK and CANCEL are refused by createRequest', (t) => {
  const d = uacDialog(responseAtAlice(200), inviteFromAlice(), {
    via: (dest) => ({ host: dest.transport === 'TCP' ? '192.0.2.10' : '198.51.100.1', port: dest.transport === 'TCP' ? 5062 : 5060 }),
  });
  const via = topVia(d.createRequest('INFO').request.headers);
  t.is(via?.transport, 'TCP');
  t.is(via?.port, 5062);
  t.throws(() => d.createRequest('ACK'));
  t.throws(() => d.createRequest('CANCEL'));
});

// ---------------------------------------------------------------- receiving requests

test('§12.2.2 in-dialog requests: lower CSeq → 500, gaps are fine, the remote sequence number follows', (t) => {
  const d = uasDialog(); // remote seq 314159
  t.is(d.receiveRequest(requestFromAlice('INFO', 314161)), 'ok'); // a gap (e.g. a challenged request) is no error
  t.is(d.remoteSeq, 314161);
  t.deepEqual(d.receiveRequest(requestFromAlice('INFO', 314160)), { reject: 500, reason: 'CSeq Out Of Order' });
  // Same number again (a late retransmission): refused too, see docs/sip-dialogs.md.
  t.deepEqual(d.receiveRequest(requestFromAlice('INFO', 314161)), { reject: 500, reason: 'CSeq Out Of Order' });
  t.is(d.remoteSeq, 314161);
  // ACK carries the INVITE's number: never ordered.
  t.is(d.receiveRequest(requestFromAlice('ACK', 314159)), 'ok');
});

test('§12.2.2 UAC dialog: the remote sequence number is empty until the first request from the peer', (t) => {
  const d = uacDialog();
  t.is(d.receiveRequest(requestFromBob('INFO', 12)), 'ok');
  t.is(d.remoteSeq, 12);
  t.deepEqual(d.receiveRequest(requestFromBob('INFO', 11)), { reject: 500, reason: 'CSeq Out Of Order' });
});

test('§12.2.2 target refresh by re-INVITE replaces the remote target; the route set does not change', (t) => {
  const d = uasDialog();
  const reinvite = requestFromAlice('INVITE', 314160, {
    contact: '<sip:alice@192.0.2.11:5062;transport=tcp>',
    recordRoute: ['<sip:192.0.2.99;lr>'],
  });
  t.is(d.receiveRequest(reinvite), 'ok');
  t.is(formatUri(d.remoteTarget), 'sip:alice@192.0.2.11:5062;transport=tcp');
  t.deepEqual(routeUris(d), [P3, P2, P1]);
  const out = d.createRequest('BYE');
  t.is(out.request.uri, 'sip:alice@192.0.2.11:5062;transport=tcp');
  t.deepEqual(out.destination, { transport: 'UDP', host: '192.0.2.3', port: 5060 });
  // A non-target-refresh request does not move the target.
  d.receiveRequest(requestFromAlice('INFO', 314161, { contact: '<sip:elsewhere@192.0.2.77>' }));
  t.is(d.remoteTarget.host, '192.0.2.11');
});

test('§12.2.1.2 2xx to our re-INVITE replaces the remote target; its Record-Route does not change the route set', (t) => {
  const d = uacDialog();
  const { request } = d.createRequest('INVITE');
  const seq = getCSeq(request.headers)?.seq ?? 0;
  d.receiveResponse(
    responseAtAlice(200, { cseq: `${seq} INVITE`, contact: '<sip:bob@192.0.2.21:5060>', recordRoute: ['<sip:192.0.2.99;lr>'] }),
  );
  t.is(d.remoteTarget.host, '192.0.2.21');
  t.deepEqual(routeUris(d), [P1, P2, P3]);
  t.is(d.state, 'confirmed');
  // A 2xx to a non-target-refresh request leaves the target alone.
  const info = d.createRequest('INFO').request;
  d.receiveResponse(responseAtAlice(200, { cseq: `${getCSeq(info.headers)?.seq} INFO`, contact: '<sip:bob@192.0.2.50>' }));
  t.is(d.remoteTarget.host, '192.0.2.21');
});

test('§15.1.2 a received BYE terminates the dialog; later requests get 481', (t) => {
  const d = uasDialog();
  const reasons: DialogTerminationReason[] = [];
  d.onTerminated((_d, r) => reasons.push(r));
  t.is(d.receiveRequest(requestFromAlice('BYE', 314160)), 'ok');
  t.is(d.state, 'terminated');
  t.deepEqual(reasons, ['bye']);
  t.deepEqual(d.receiveRequest(requestFromAlice('INFO', 314161)), { reject: 481, reason: 'Call/Transaction Does Not Exist' });
  t.throws(() => d.createRequest('INFO'), { message: /terminated/ });
});

test('§15.1.1 our BYE: the dialog ends with its final response, but not with a 401/407 challenge', (t) => {
  const d = uacDialog();
  const bye1 = d.createRequest('BYE').request;
  d.receiveResponse(responseAtAlice(407, { cseq: `${getCSeq(bye1.headers)?.seq} BYE`, reason: 'Proxy Authentication Required' }));
  t.is(d.state, 'confirmed');
  const bye2 = d.createRequest('BYE', { headers: [['Proxy-Authorization', 'Digest ...']] }).request;
  d.receiveResponse(responseAtAlice(200, { cseq: `${getCSeq(bye2.headers)?.seq} BYE` }));
  t.is(d.state, 'terminated');
  t.is(d.terminationReason, 'bye');
});

test('§15 the callee must not send BYE on an early dialog; the caller may', (t) => {
  t.throws(() => uasDialog(inviteAtBob(), 180).createRequest('BYE'), { message: /early/ });
  t.is(uacDialog(responseAtAlice(180)).createRequest('BYE').request.method, 'BYE');
});

test('§12.2.1.2 481 and 408 to an in-dialog request terminate the dialog; so does a transaction timeout', (t) => {
  for (const [status, reason] of [
    [481, 'gone'],
    [408, 'timeout'],
  ] as const) {
    const d = uacDialog();
    const info = d.createRequest('INFO').request;
    d.receiveResponse(responseAtAlice(status, { cseq: `${getCSeq(info.headers)?.seq} INFO`, reason: 'x' }));
    t.is(d.state, 'terminated');
    t.is(d.terminationReason, reason);
  }
  const d = uacDialog();
  d.requestTimedOut();
  t.is(d.terminationReason, 'timeout');
  // Other failures keep the dialog.
  const d2 = uacDialog();
  const info = d2.createRequest('INFO').request;
  d2.receiveResponse(responseAtAlice(501, { cseq: `${getCSeq(info.headers)?.seq} INFO`, reason: 'Not Implemented' }));
  t.is(d2.state, 'confirmed');
});

// ---------------------------------------------------------------- forking

test('§13.2.2.4 forking: two early dialogs, one 2xx confirms its dialog and reports the other for termination', (t) => {
  const store = new DialogStore();
  const fork = new InviteClientDialogs(inviteFromAlice(), { via: ALICE_VIA, store });
  t.deepEqual(fork.receiveResponse(responseAtAlice(100, { toTag: null, reason: 'Trying' })), { kind: 'none' });
  const a = fork.receiveResponse(responseAtAlice(180, { toTag: 'forkA', contact: '<sip:bob@192.0.2.20>' }));
  const b = fork.receiveResponse(responseAtAlice(183, { toTag: 'forkB', contact: '<sip:bob@192.0.2.30>', recordRoute: [P1] }));
  if (a.kind !== 'early' || b.kind !== 'early') return t.fail();
  t.true(a.created && b.created);
  t.is(store.size, 2);
  // The same fork's next 1xx reuses its dialog.
  const a2 = fork.receiveResponse(responseAtAlice(180, { toTag: 'forkA', contact: '<sip:bob@192.0.2.20>' }));
  t.true(a2.kind === 'early' && !a2.created && a2.dialog === a.dialog);

  const ok = fork.receiveResponse(responseAtAlice(200, { toTag: 'forkB', contact: '<sip:bob@192.0.2.30>', recordRoute: [P2, P1] }));
  if (ok.kind !== 'confirmed') return t.fail();
  t.is(ok.dialog, b.dialog);
  t.false(ok.created);
  t.is(ok.dialog.state, 'confirmed');
  // "the route set for the dialog MUST be recomputed based on the 2xx response"
  t.deepEqual(routeUris(ok.dialog), [P1, P2]);
  t.deepEqual(ok.otherEarly, [a.dialog]);
  t.is(fork.confirmed, b.dialog);

  t.deepEqual(fork.terminateEarly(), [a.dialog]);
  t.is(a.dialog.state, 'terminated');
  t.is(store.size, 1);
  t.is(store.match(responseAtAlice(200, { toTag: 'forkB' })), b.dialog);
});

test('§13.2.2.4 a second 2xx from another fork is a new confirmed dialog to ACK and BYE; a 2xx retransmission gets the same ACK', (t) => {
  const fork = new InviteClientDialogs(inviteFromAlice(), { via: ALICE_VIA });
  fork.receiveResponse(responseAtAlice(180, { toTag: 'forkA' }));
  const first = fork.receiveResponse(responseAtAlice(200, { toTag: 'forkB', contact: '<sip:bob@192.0.2.30>' }));
  if (first.kind !== 'confirmed') return t.fail();
  const ack1 = first.dialog.createAck(fork.invite);
  t.is(first.dialog.createAck(fork.invite), ack1);
  const again = fork.receiveResponse(responseAtAlice(200, { toTag: 'forkB', contact: '<sip:bob@192.0.2.30>' }));
  t.deepEqual(again, { kind: 'retransmission', dialog: first.dialog });

  // forkA was still early: its 2xx confirms it, as an additional dialog.
  const second = fork.receiveResponse(responseAtAlice(200, { toTag: 'forkA', contact: '<sip:bob@192.0.2.20>' }));
  if (second.kind !== 'additional') return t.fail();
  t.is(second.dialog.state, 'confirmed');
  t.is(second.dialog.id.remoteTag, 'forkA');
  const ack = onWire(t, second.dialog.createAck(fork.invite));
  t.is(ack.headers.get('to'), 'Bob <sip:bob@biloxi.example>;tag=forkA');
  const bye = onWire(t, second.dialog.createRequest('BYE'));
  t.is(bye.uri, 'sip:bob@192.0.2.20');
  t.is(getCSeq(bye.headers)?.seq, 314160);

  // A third fork answering after its early dialog was ended: still a dialog to ACK and BYE.
  fork.receiveResponse(responseAtAlice(180, { toTag: 'forkC' }));
  fork.terminateEarly();
  const third = fork.receiveResponse(responseAtAlice(200, { toTag: 'forkC' }));
  t.true(third.kind === 'additional' && third.created && third.dialog.state === 'confirmed');
});

test('§12.3 a non-2xx final response terminates every early dialog of the INVITE', (t) => {
  const fork = new InviteClientDialogs(inviteFromAlice(), { via: ALICE_VIA });
  fork.receiveResponse(responseAtAlice(180, { toTag: 'forkA' }));
  fork.receiveResponse(responseAtAlice(180, { toTag: 'forkB' }));
  const out = fork.receiveResponse(responseAtAlice(486, { toTag: 'proxy-tag' }));
  if (out.kind !== 'rejected') return t.fail();
  t.is(out.terminated.length, 2);
  t.true(out.terminated.every((d) => d.state === 'terminated' && d.terminationReason === 'rejected'));
  t.deepEqual(fork.receiveResponse(responseAtAlice(180, { toTag: 'forkC' })), { kind: 'none' });
});

test('§13.2.2.4 when the INVITE transaction completes, early dialogs left are terminated', (t) => {
  const fork = new InviteClientDialogs(inviteFromAlice(), { via: ALICE_VIA });
  fork.receiveResponse(responseAtAlice(180, { toTag: 'forkA' }));
  fork.receiveResponse(responseAtAlice(200, { toTag: 'forkB' }));
  const ended = fork.transactionCompleted();
  t.deepEqual(
    ended.map((d) => [d.id.remoteTag, d.terminationReason]),
    [['forkA', 'early-expired']],
  );
  t.is(fork.confirmed?.state, 'confirmed');
});

// ---------------------------------------------------------------- ACK and CANCEL

test('§13.2.2.4 ACK for a 2xx: in-dialog headers, CSeq number of the INVITE with method ACK, same credentials, no CSeq increment', (t) => {
  const invite = inviteFromAlice();
  const d = uacDialog(responseAtAlice(200), invite);
  const out = d.createAck(invite);
  const ack = onWire(t, out);
  t.is(ack.method, 'ACK');
  t.is(ack.uri, 'sip:bob@192.0.2.20:5060');
  t.deepEqual(ack.headers.getAll('route'), [P1, P2, P3]);
  t.is(ack.headers.get('cseq'), '314159 ACK');
  t.is(ack.headers.get('from'), invite.headers.get('from'));
  t.is(ack.headers.get('to'), 'Bob <sip:bob@biloxi.example>;tag=' + BOB_TAG);
  t.is(ack.headers.get('call-id'), CALL_ID);
  t.is(ack.headers.get('proxy-authorization'), invite.headers.get('proxy-authorization'));
  // A new transaction: its own branch, not the INVITE's.
  t.not(topVia(ack.headers)?.params.get('branch'), topVia(invite.headers)?.params.get('branch'));
  t.deepEqual(out.destination, { transport: 'TCP', host: '192.0.2.1', port: 5060 });
  t.is(d.localSeq, 314159);
  t.is(getCSeq(d.createRequest('BYE').request.headers)?.seq, 314160);
  // By number, with an answer in the body.
  const d2 = uacDialog();
  const ack2 = d2.createAck(314159, { headers: [['Content-Type', 'application/sdp']], body: Buffer.from('v=0\r\n') }).request;
  t.is(ack2.headers.get('cseq'), '314159 ACK');
  t.is(ack2.body.toString(), 'v=0\r\n');
});

test('§9.1 CANCEL: same Request-URI, Call-ID, To, From, CSeq number; top Via only; Route copied; method CANCEL', (t) => {
  const sent = parseMessage(
    Buffer.from(
      [
        'INVITE sip:bob@biloxi.example SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKtop;rport, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKlower',
        'Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKlowest',
        'Route: <sip:192.0.2.1;transport=tcp;lr>',
        'Route: <sip:192.0.2.2:5070;lr>',
        'Max-Forwards: 70',
        'To: Bob <sip:bob@biloxi.example>',
        'From: "Alice" <sip:alice@atlanta.example>;tag=' + ALICE_TAG,
        'Call-ID: ' + CALL_ID,
        'CSeq: 314159 INVITE',
        'Contact: ' + ALICE_CONTACT,
        'Proxy-Authorization: Digest username="alice"',
        'Content-Type: application/sdp',
        'Content-Length: 5',
        '',
        'v=0\r\n',
      ].join('\r\n'),
    ),
  );
  if (!sent.ok || sent.message.kind !== 'request') return t.fail();
  const cancel = createCancel(sent.message);
  const wire = parseMessage(serialize(cancel));
  if (!wire.ok) return t.fail();
  t.is(
    serialize(cancel).toString(),
    [
      'CANCEL sip:bob@biloxi.example SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKtop;rport',
      'Route: <sip:192.0.2.1;transport=tcp;lr>',
      'Route: <sip:192.0.2.2:5070;lr>',
      'Max-Forwards: 70',
      'From: "Alice" <sip:alice@atlanta.example>;tag=' + ALICE_TAG,
      'To: Bob <sip:bob@biloxi.example>',
      'Call-ID: ' + CALL_ID,
      'CSeq: 314159 CANCEL',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  t.is(wire.message.kind, 'request');
});

// ---------------------------------------------------------------- secure flag and destinations

test('§12.1.1 secure flag: sips Request-URI received over TLS; not over TCP', (t) => {
  const invite = inviteAtBob({ uri: 'sips:bob@192.0.2.20', recordRoute: ['<sips:192.0.2.3;lr>'], contact: '<sips:alice@192.0.2.10>' });
  t.true(uasDialog(invite, 200, { transport: 'TLS' }).secure);
  t.false(uasDialog(invite, 200, { transport: 'TCP' }).secure);
  t.false(uasDialog(inviteAtBob(), 200, { transport: 'TLS' }).secure);
  const d = uasDialog(invite, 200, { transport: 'TLS' });
  // The next hop is a sips URI: TLS on 5061.
  t.deepEqual(d.createRequest('BYE').destination, { transport: 'TLS', host: '192.0.2.3', port: 5061 });
});

test('§12.1.2 secure flag: sips Request-URI sent over TLS', (t) => {
  const invite = inviteFromAlice({ uri: 'sips:bob@biloxi.example' });
  t.true(uacDialog(responseAtAlice(200), invite).secure);
  t.false(uacDialog(responseAtAlice(200), invite, { transport: 'TCP' }).secure);
  t.false(uacDialog().secure);
});

test('§12.1.1 the Contact of our response must be sips when the Request-URI, the top Record-Route or the Contact is', (t) => {
  t.true(responseContactMustBeSips(inviteAtBob({ uri: 'sips:bob@192.0.2.20' })));
  t.true(responseContactMustBeSips(inviteAtBob({ recordRoute: ['<sips:192.0.2.3;lr>', P2] })));
  t.false(responseContactMustBeSips(inviteAtBob({ recordRoute: [P3, '<sips:192.0.2.2;lr>'], contact: '<sips:alice@192.0.2.10>' })));
  t.true(responseContactMustBeSips(inviteAtBob({ recordRoute: [], contact: '<sips:alice@192.0.2.10>' })));
  t.false(responseContactMustBeSips(inviteAtBob()));
});

test('RFC 3263 §4 next-hop resolution without DNS: transport parameter, sips → TLS, default ports, maddr', (t) => {
  t.deepEqual(uriDestination(uri('sip:192.0.2.1')), { transport: 'UDP', host: '192.0.2.1', port: 5060 });
  t.deepEqual(uriDestination(uri('sip:192.0.2.1;transport=TCP')), { transport: 'TCP', host: '192.0.2.1', port: 5060 });
  t.deepEqual(uriDestination(uri('sip:192.0.2.1;transport=tls')), { transport: 'TLS', host: '192.0.2.1', port: 5061 });
  t.deepEqual(uriDestination(uri('sips:192.0.2.1')), { transport: 'TLS', host: '192.0.2.1', port: 5061 });
  t.deepEqual(uriDestination(uri('sips:192.0.2.1:6000;transport=tcp')), { transport: 'TLS', host: '192.0.2.1', port: 6000 });
  t.deepEqual(uriDestination(uri('sip:[2001:db8::1]:5070')), { transport: 'UDP', host: '[2001:db8::1]', port: 5070 });
  t.deepEqual(uriDestination(uri('sip:x.example;maddr=192.0.2.9')), { transport: 'UDP', host: '192.0.2.9', port: 5060 });
});

// ---------------------------------------------------------------- store

test('§12.2.2 DialogStore matches requests (To tag = local) and responses (From tag = local), forgets terminated dialogs', (t) => {
  const store = new DialogStore();
  const uas = uasDialog();
  t.true(store.add(uas));
  t.is(store.match(requestFromAlice('INFO', 314160)), uas);
  t.is(store.get(uas.id), uas);
  // Not ours: other tag, other Call-ID, or no To tag (a new request, or a CANCEL).
  t.is(store.match(requestFromBob('INFO', 1)), undefined);
  t.is(store.match(inviteAtBob()), undefined);
  const uac = uacDialog();
  t.true(store.add(uac));
  t.is(store.match(responseAtAlice(200)), uac);
  t.is(store.match(requestFromBob('BYE', 1)), uac);
  t.is(store.size, 2);

  uas.receiveRequest(requestFromAlice('BYE', 314160));
  t.is(store.size, 1);
  t.is(store.match(requestFromAlice('INFO', 314161)), undefined);
  // A terminated dialog is not added; the same dialog twice is fine; another one with the same ID is refused.
  t.false(store.add(uas));
  t.true(store.add(uac));
  t.false(store.add(uacDialog()));
  uac.terminate();
  t.is(store.size, 0);
});

test('§12.1.2 a 2xx without Contact (broken peer): the Request-URI stands in as remote target so it can be ACKed and hung up', (t) => {
  const d = uacDialog(responseAtAlice(200, { contact: null, recordRoute: [] }));
  t.is(formatUri(d.remoteTarget), 'sip:bob@biloxi.example');
  t.is(d.createAck(314159).request.uri, 'sip:bob@biloxi.example');
});

test('§12.2.1.1 our Contact follows what we send: a new Contact in our 2xx to a re-INVITE is used in later target refreshes', (t) => {
  const d = uasDialog();
  const reinvite = requestFromAlice('INVITE', 314160, { contact: ALICE_CONTACT });
  t.is(d.receiveRequest(reinvite), 'ok');
  d.responseSent(createResponse(reinvite, 200, undefined, [['Contact', '<sip:bob@192.0.2.20:5070>']]));
  t.is(d.localContact, '<sip:bob@192.0.2.20:5070>');
  t.is(d.createRequest('UPDATE').request.headers.get('contact'), '<sip:bob@192.0.2.20:5070>');
  t.is(d.state, 'confirmed');
});

test('RFC 5626 §5.3 flow: with DialogOptions.flow and no route set, in-dialog requests go to the flow (a phone behind NAT), the Request-URI stays the remote target', (t) => {
  const parsed = parseMessage(Buffer.from(
    ['INVITE sip:pbx@203.0.113.1 SIP/2.0', 'Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bKnat;rport', 'Max-Forwards: 70', 'From: <sip:601@203.0.113.1>;tag=a', 'To: <sip:602@203.0.113.1>', 'Call-ID: nat@test', 'CSeq: 1 INVITE', 'Contact: <sip:601@192.168.1.20:5060>', 'Content-Length: 0', '', ''].join('\r\n'),
  ));
  if (!parsed.ok || parsed.message.kind !== 'request') return t.fail('fixture');
  const req = parsed.message;
  const res = createResponse(req, 200, 'OK', [['Contact', '<sip:pbx@203.0.113.1>']], undefined, { toTag: 'b' });
  const flow = { transport: 'UDP', host: '198.51.100.7', port: 40123 };
  const made = createUasDialog(req, res, { via: { host: '203.0.113.1', port: 5060 }, flow });
  if (!made.ok) return t.fail(made.reason);
  const bye = made.dialog.createRequest('BYE');
  t.is(bye.request.uri, 'sip:601@192.168.1.20:5060');
  t.deepEqual(bye.destination, flow);
  const plain = createUasDialog(req, res, { via: { host: '203.0.113.1', port: 5060 } });
  if (!plain.ok) return t.fail(plain.reason);
  t.is(plain.dialog.createRequest('BYE').destination.host, '192.168.1.20', 'without a flow: the remote target');
});
