/**
 * A dialog (RFC 3261 §12): its state, how it is created on each side
 * (§12.1.1 UAS, §12.1.2 UAC), the requests sent within it (§12.2.1.1, the
 * 2xx ACK of §13.2.2.4), and what received messages do to it (§12.2.1.2,
 * §12.2.2, §15). Pure: it builds messages and changes its own state; the
 * caller sends them through the transaction layer.
 */
import { randomInt } from 'node:crypto';
import {
  createRequest as createSipRequest,
  getCSeq,
  getCallId,
  getContacts,
  getFrom,
  getTag,
  getTo,
  isSipUri,
  newBranch,
  parseNameAddr,
  parseUri,
} from '../message/index.ts';
import type { NameAddr, SipMessage, SipRequest, SipResponse, SipUri } from '../message/types.ts';
import type { Destination } from '../transaction/index.ts';
import { readRecordRoute, routeRequest, uriDestination } from './route-set.ts';
import type {
  DialogCreation,
  DialogId,
  DialogOptions,
  DialogRole,
  DialogState,
  DialogTerminationReason,
  InDialogRequestInit,
  IncomingRequestVerdict,
  OutgoingDialogRequest,
  RouteEntry,
  ViaSpec,
} from './types.ts';

const MAX_SEQ = 0xffffffff;

/**
 * Methods whose request (and 2xx) replace the remote target: re-INVITE
 * (RFC 3261 §12.2), UPDATE (RFC 3311), SUBSCRIBE and NOTIFY (RFC 6665).
 */
export const TARGET_REFRESH_METHODS: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY']);

/** Methods that carry our Contact when sent within a dialog: target refreshes, and REFER (it creates a subscription, RFC 3515). */
const CONTACT_METHODS: ReadonlySet<string> = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

/** Map key of a dialog ID. Call-IDs and tags hold no LF (they are header text). */
export function dialogKey(callId: string, localTag: string, remoteTag: string | null): string {
  return callId + '\n' + localTag + '\n' + (remoteTag ?? '');
}

/** First Contact URI of a message if it is a SIP or SIPS URI. */
function contactUri(msg: SipMessage): SipUri | undefined {
  const contacts = getContacts(msg.headers);
  if (contacts === '*') return undefined;
  const uri = contacts[0]?.uri;
  return isSipUri(uri) ? uri : undefined;
}

/** First raw Contact value, as it will be repeated in our requests. */
function contactValue(msg: SipMessage): string | undefined {
  return msg.headers.getAll('contact')[0];
}

function hostPort(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? '[' + host + ']' : host;
  return h + ':' + port;
}

interface DialogInit {
  role: DialogRole;
  state: DialogState;
  id: DialogId;
  localAddress: string;
  remoteAddress: string;
  localSeq: number | undefined;
  remoteSeq: number | undefined;
  remoteTarget: SipUri;
  routeSet: RouteEntry[];
  secure: boolean;
  localContact: string | undefined;
  creating: { method: string; seq: number };
  via: ViaSpec | undefined;
  flow?: Destination | undefined;
  initialLocalSeq: number | undefined;
}

type TerminationListener = (dialog: Dialog, reason: DialogTerminationReason) => void;

export class Dialog {
  readonly role: DialogRole;
  readonly id: DialogId;
  /** dialogKey(id): the DialogStore key. */
  readonly key: string;
  /** The method and CSeq number of the request that created the dialog. */
  readonly creating: { readonly method: string; readonly seq: number };
  /** "secure" flag (§12.1.1, §12.1.2). */
  readonly secure: boolean;
  private _state: DialogState;
  private _terminationReason: DialogTerminationReason | undefined;
  /** From of our requests (local URI + local tag), verbatim from the creating transaction. */
  readonly localAddress: string;
  /** To of our requests (remote URI + remote tag), verbatim from the creating transaction. */
  readonly remoteAddress: string;
  private _localSeq: number | undefined;
  private _remoteSeq: number | undefined;
  private _remoteTarget: SipUri;
  private _routeSet: RouteEntry[];
  /** The Contact value we send (our local target), or undefined if we never sent one. */
  localContact: string | undefined;
  private readonly via: ViaSpec | undefined;
  /** Where in-dialog requests go when there is no route set (DialogOptions.flow). */
  private readonly flow: Destination | undefined;
  private readonly initialLocalSeq: number | undefined;
  private lastAck: { seq: number; out: OutgoingDialogRequest } | undefined;
  private listeners: TerminationListener[] = [];

  /** Use createUasDialog / createUacDialog. */
  constructor(init: DialogInit) {
    this.role = init.role;
    this._state = init.state;
    this.id = init.id;
    this.key = dialogKey(init.id.callId, init.id.localTag, init.id.remoteTag);
    this.localAddress = init.localAddress;
    this.remoteAddress = init.remoteAddress;
    this._localSeq = init.localSeq;
    this._remoteSeq = init.remoteSeq;
    this._remoteTarget = init.remoteTarget;
    this._routeSet = init.routeSet;
    this.secure = init.secure;
    this.localContact = init.localContact;
    this.creating = init.creating;
    this.via = init.via;
    this.flow = init.flow;
    this.initialLocalSeq = init.initialLocalSeq;
  }

  get state(): DialogState {
    return this._state;
  }

  get terminationReason(): DialogTerminationReason | undefined {
    return this._terminationReason;
  }

  /** Local sequence number: the CSeq number last used in a request we sent; undefined = empty (§12.1.1). */
  get localSeq(): number | undefined {
    return this._localSeq;
  }

  /** Remote sequence number: the highest CSeq number received from the peer; undefined = empty (§12.1.2). */
  get remoteSeq(): number | undefined {
    return this._remoteSeq;
  }

  get remoteTarget(): SipUri {
    return this._remoteTarget;
  }

  get routeSet(): readonly RouteEntry[] {
    return this._routeSet;
  }

  /** Local URI (our From in this dialog), parsed. */
  get localUri(): NameAddr | undefined {
    return parseNameAddr(this.localAddress);
  }

  /** Remote URI (our To in this dialog), parsed. */
  get remoteUri(): NameAddr | undefined {
    return parseNameAddr(this.remoteAddress);
  }

  /** Called once when the dialog terminates. Returns the unsubscribe function. */
  onTerminated(listener: TerminationListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Ends the dialog (idempotent). Listeners are told once; a throwing listener does not stop the others. */
  terminate(reason: DialogTerminationReason = 'local'): void {
    if (this._state === 'terminated') return;
    this._state = 'terminated';
    this._terminationReason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    let failure: unknown;
    for (const l of listeners) {
      try {
        l(this, reason);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  // ---------------------------------------------------------------- sending

  /**
   * A request within the dialog (§12.2.1.1), with a new Via branch, and
   * where to send it. ACK for a 2xx: createAck(); CANCEL: createCancel().
   * Throws on misuse (terminated dialog, BYE on an early dialog as UAS, no
   * Via setting, CSeq space exhausted).
   */
  createRequest(method: string, init?: InDialogRequestInit): OutgoingDialogRequest {
    if (method === 'ACK' || method === 'CANCEL') {
      throw new Error(`dialog: use createAck()/createCancel() for ${method}`);
    }
    if (this._state === 'terminated') throw new Error('dialog: terminated');
    // "The caller's UA MAY send a BYE for either confirmed or early dialogs,
    // and the callee's UA MAY send a BYE on confirmed dialogs, but MUST NOT
    // send a BYE on early dialogs." (§15)
    if (method === 'BYE' && this.role === 'uas' && this._state === 'early') {
      throw new Error('dialog: the callee must not send BYE on an early dialog');
    }
    // "Requests within a dialog MUST contain strictly monotonically increasing
    // and contiguous CSeq sequence numbers (increasing-by-one) in each
    // direction (excepting ACK and CANCEL of course, whose numbers equal the
    // requests being acknowledged or cancelled). Therefore, if the local
    // sequence number is not empty, the value of the local sequence number
    // MUST be incremented by one, and this value MUST be placed into the CSeq
    // header field. If the local sequence number is empty, an initial value
    // MUST be chosen using the guidelines of Section 8.1.1.5."
    let seq: number;
    if (this._localSeq === undefined) {
      // §8.1.1.5: "The sequence number value MUST be expressible as a 32-bit
      // unsigned integer and MUST be less than 2**31."
      seq = this.initialLocalSeq ?? randomInt(1, 2 ** 30);
    } else {
      seq = this._localSeq + 1;
      if (seq > MAX_SEQ) throw new Error('dialog: CSeq space exhausted');
    }
    const contact = CONTACT_METHODS.has(method) ? this.localContact : undefined;
    const out = this.build(method, seq, contact, init);
    this._localSeq = seq;
    return out;
  }

  /**
   * The ACK for a 2xx to the INVITE with CSeq number `invite` (or to that
   * INVITE request, whose credentials are then copied) (§13.2.2.4):
   * "The header fields of the ACK are constructed in the same way as for any
   * request sent within a dialog (see Section 12) with the exception of the
   * CSeq and the header fields related to authentication. The sequence
   * number of the CSeq header field MUST be the same as the INVITE being
   * acknowledged, but the CSeq method MUST be ACK. The ACK MUST contain the
   * same credentials as the INVITE."
   * "The UAC core MUST generate an ACK request for each 2xx received from
   * the transaction layer": a retransmitted 2xx gets the same ACK again, so
   * the ACK built first for a CSeq number is returned for that number until
   * another INVITE is acknowledged. Allowed in every state (a 2xx from a
   * fork we already hung up on is still ACKed).
   */
  createAck(invite: number | SipRequest, init?: InDialogRequestInit): OutgoingDialogRequest {
    const seq = typeof invite === 'number' ? invite : getCSeq(invite.headers)?.seq;
    if (seq === undefined) throw new Error('dialog: INVITE without CSeq');
    if (this.lastAck !== undefined && this.lastAck.seq === seq) return this.lastAck.out;
    const headers: Array<[string, string]> = [];
    if (typeof invite !== 'number') {
      for (const name of ['Authorization', 'Proxy-Authorization']) {
        for (const v of invite.headers.getFields(name)) headers.push([name, v]);
      }
    }
    if (init?.headers) headers.push(...init.headers);
    const out = this.build('ACK', seq, undefined, init?.body ? { headers, body: init.body } : { headers });
    this.lastAck = { seq, out };
    return out;
  }

  private build(method: string, seq: number, contact: string | undefined, init?: InDialogRequestInit): OutgoingDialogRequest {
    if (this.via === undefined) throw new Error('dialog: no Via sent-by configured (DialogOptions.via)');
    const routing = routeRequest(this._remoteTarget, this._routeSet);
    // Without proxies in the way, the peer is reached where its flow is (NAT), not where its Contact says.
    const destination: Destination = this.flow && routing.routes.length === 0 ? { ...this.flow } : uriDestination(routing.nextHop);
    const sentBy = typeof this.via === 'function' ? this.via(destination) : this.via;
    const transport = (sentBy.transport ?? destination.transport).toUpperCase();
    const headers: Array<[string, string]> = [
      // RFC 3581 §3: "The client MUST include an rport parameter with no value".
      ['Via', `SIP/2.0/${transport} ${hostPort(sentBy.host, sentBy.port)};branch=${newBranch()};rport`],
    ];
    for (const r of routing.routes) headers.push(['Route', r]);
    // §8.1.1.6: "A UAC MUST insert a Max-Forwards header field into each
    // request it originates with a value that SHOULD be 70."
    headers.push(['Max-Forwards', '70']);
    // "The URI in the To field of the request MUST be set to the remote URI
    // from the dialog state. The tag in the To header field of the request
    // MUST be set to the remote tag of the dialog ID. The From URI of the
    // request MUST be set to the local URI from the dialog state. The tag in
    // the From header field of the request MUST be set to the local tag of
    // the dialog ID. If the value of the remote or local tags is null, the
    // tag parameter MUST be omitted from the To or From header fields,
    // respectively." (§12.2.1.1): the addresses of the creating transaction
    // carry exactly these URIs and tags.
    headers.push(['From', this.localAddress]);
    headers.push(['To', this.remoteAddress]);
    // "The Call-ID of the request MUST be set to the Call-ID of the dialog."
    headers.push(['Call-ID', this.id.callId]);
    // "The method field in the CSeq header field value MUST match the method of the request."
    headers.push(['CSeq', `${seq} ${method}`]);
    // "A UAC SHOULD include a Contact header field in any target refresh
    // requests within a dialog, and unless there is a need to change it, the
    // URI SHOULD be the same as used in previous requests within the dialog."
    if (contact !== undefined) headers.push(['Contact', contact]);
    if (init?.headers) headers.push(...init.headers);
    const request = createSipRequest(
      init?.body ? { method, uri: routing.requestUri, headers, body: init.body } : { method, uri: routing.requestUri, headers },
    );
    return { request, destination };
  }

  // -------------------------------------------------------------- receiving

  /**
   * An in-dialog request from the peer (§12.2.2), before the TU acts on
   * it. 'ok', or the response to send instead of processing it.
   */
  receiveRequest(req: SipRequest): IncomingRequestVerdict {
    if (this._state === 'terminated') return { reject: 481, reason: 'Call/Transaction Does Not Exist' };
    // ACK and CANCEL carry the number of the INVITE they belong to: they are
    // not ordered against other requests.
    if (req.method === 'ACK' || req.method === 'CANCEL') return 'ok';
    const cseq = getCSeq(req.headers);
    if (cseq === undefined) return { reject: 500, reason: 'Missing CSeq' };
    if (this._remoteSeq === undefined) {
      // "If the remote sequence number is empty, it MUST be set to the value
      // of the sequence number in the CSeq header field value in the request."
      this._remoteSeq = cseq.seq;
    } else if (cseq.seq <= this._remoteSeq) {
      // "If the remote sequence number was not empty, but the sequence number
      // of the request is lower than the remote sequence number, the request
      // is out of order and MUST be rejected with a 500 (Server Internal
      // Error) response."
      // An equal number is refused too: retransmissions are absorbed by the
      // transaction layer, so a request with the same number is a late
      // retransmission (processing it again would replay a re-INVITE) or a
      // broken peer reusing a number.
      return { reject: 500, reason: 'CSeq Out Of Order' };
    } else {
      // "If the remote sequence number was not empty, and the sequence number
      // of the request is greater than the remote sequence number, the
      // request is in order. [...] The UAS MUST then set the remote sequence
      // number to the value of the sequence number in the CSeq header field
      // value in the request."
      this._remoteSeq = cseq.seq;
    }
    // "When a UAS receives a target refresh request, it MUST replace the
    // dialog's remote target URI with the URI from the Contact header field
    // in that request, if present."
    if (TARGET_REFRESH_METHODS.has(req.method)) {
      const target = contactUri(req);
      if (target !== undefined) this._remoteTarget = target;
    }
    // §15.1.2: "the UAS core SHOULD terminate the session (and therefore stop
    // sending and listening for media)"; the dialog ends with the BYE.
    if (req.method === 'BYE') this.terminate('bye');
    return 'ok';
  }

  /**
   * A response to a request we sent within the dialog (§12.2.1.2), or, for a
   * UAC dialog, to the request that created it (§12.1, §13.2.2.4). For
   * forked INVITEs use InviteClientDialogs, which calls this.
   */
  receiveResponse(res: SipResponse): void {
    if (this._state === 'terminated') return;
    const cseq = getCSeq(res.headers);
    if (cseq === undefined) return;
    if (this.role === 'uac' && cseq.method === this.creating.method && cseq.seq === this.creating.seq) {
      // Forks answer the same request: a 1xx or 2xx concerns this dialog only
      // with its own To tag; a non-2xx final ends every early dialog (§12.3),
      // whatever tag the proxy put in it.
      if (res.status >= 300 || (getTag(getTo(res.headers)) ?? null) === this.id.remoteTag) this.creatingResponse(res);
      return;
    }
    const status = res.status;
    // "When a UAC receives a 2xx response to a target refresh request, it
    // MUST replace the dialog's remote target URI with the URI from the
    // Contact header field in that response, if present." The route set is
    // not touched: it is learned when the dialog is created (§12.1.1,
    // §12.1.2) and only recomputed by the 2xx that confirms an early dialog
    // (§13.2.2.4).
    if (status >= 200 && status < 300 && TARGET_REFRESH_METHODS.has(cseq.method)) {
      const target = contactUri(res);
      if (target !== undefined) this._remoteTarget = target;
    }
    // "If the response for a request within a dialog is a 481
    // (Call/Transaction Does Not Exist) or a 408 (Request Timeout), the UAC
    // SHOULD terminate the dialog."
    if (status === 481) {
      this.terminate('gone');
      return;
    }
    if (status === 408) {
      this.terminate('timeout');
      return;
    }
    // §15.1.1: the dialog ends with the final response to our BYE, except a
    // challenge, to which the caller answers with a new BYE carrying credentials.
    if (cseq.method === 'BYE' && status >= 200 && status !== 401 && status !== 407) this.terminate('bye');
  }

  /**
   * "A UAC SHOULD also terminate a dialog if no response at all is received
   * for the request (the client transaction would inform the TU about the
   * timeout.)" (§12.2.1.2): call from ClientTransactionUser.onTimeout.
   */
  requestTimedOut(): void {
    this.terminate('timeout');
  }

  /** Responses to the request that created a UAC dialog. */
  private creatingResponse(res: SipResponse): void {
    const status = res.status;
    if (status < 200) {
      // Not said by RFC 3261: a later provisional response of the same early
      // dialog may carry a new Contact; we follow it (as a 2xx would).
      if (this._state === 'early') {
        const target = contactUri(res);
        if (target !== undefined) this._remoteTarget = target;
      }
      return;
    }
    if (status < 300) {
      if (this._state !== 'early') return; // a retransmission of the 2xx
      // "If the dialog identifier in the 2xx response matches the dialog
      // identifier of an existing dialog, the dialog MUST be transitioned to
      // the "confirmed" state, and the route set for the dialog MUST be
      // recomputed based on the 2xx response using the procedures of Section
      // 12.2.1.2." (§13.2.2.4) "Note that the only piece of state that is
      // recomputed is the route set. Other pieces of state such as the
      // highest sequence numbers (remote and local) sent within the dialog
      // are not recomputed."
      const rr = readRecordRoute(res.headers);
      if (rr !== undefined) this._routeSet = rr.reverse();
      // The INVITE is a target refresh request: its 2xx gives the remote target (§12.2.1.2).
      const target = contactUri(res);
      if (target !== undefined) this._remoteTarget = target;
      this._state = 'confirmed';
      return;
    }
    // "Independent of the method, if a request outside of a dialog generates
    // a non-2xx final response, any early dialogs created through provisional
    // responses to that request are terminated." (§12.3)
    if (this._state === 'early') this.terminate('rejected');
  }

  /**
   * UAS: a response we send to a request of this dialog (the creating
   * request's later responses, or answers to in-dialog requests). Moves an
   * early dialog to confirmed on the 2xx, terminates it on a non-2xx final
   * (§12.3), and keeps our Contact (local target) when a response changes it.
   */
  responseSent(res: SipResponse): void {
    if (this._state === 'terminated') return;
    const cseq = getCSeq(res.headers);
    if (cseq === undefined) return;
    const status = res.status;
    if (status > 100 && status < 300) {
      const contact = contactValue(res);
      if (contact !== undefined && (status >= 200 || this._state === 'early')) this.localContact = contact;
    }
    if (this.role !== 'uas' || cseq.method !== this.creating.method || cseq.seq !== this.creating.seq) return;
    if (status >= 200 && status < 300) {
      if (this._state === 'early') this._state = 'confirmed';
    } else if (status >= 300 && this._state === 'early') {
      // "Independent of the method, if a request outside of a dialog
      // generates a non-2xx final response, any early dialogs created through
      // provisional responses to that request are terminated." (§12.3)
      this.terminate('rejected');
    }
  }
}

// ------------------------------------------------------------------ creation

function isDialogCreating(status: number): boolean {
  // "Within this specification, only 2xx and 101-199 responses with a To tag,
  // where the request was INVITE, will establish a dialog." (§12.1)
  // SUBSCRIBE / REFER also do (RFC 6665): the method is not checked here.
  return status > 100 && status < 300;
}

/** What both sides of §12.1 read from the dialog-creating request and response, or why there is no dialog. */
function creatingHeaders(
  request: SipRequest,
  response: SipResponse,
): { ok: true; callId: string; cseq: NonNullable<ReturnType<typeof getCSeq>>; from: string; to: string } | { ok: false; reason: string } {
  if (!isDialogCreating(response.status)) return { ok: false, reason: 'Response Does Not Create A Dialog' };
  const callId = getCallId(request.headers);
  const cseq = getCSeq(request.headers);
  const from = request.headers.get('from');
  const to = response.headers.get('to');
  if (callId === undefined || cseq === undefined || from === undefined || to === undefined) return { ok: false, reason: 'Missing Header' };
  return { ok: true, callId, cseq, from, to };
}

/**
 * The UAS side (§12.1.1): `request` is the dialog-creating request received,
 * `response` the 101-199 (with a To tag) or 2xx we send to it, which must
 * already carry our To tag, Contact and the Record-Route of the request
 * (recordRouteHeaders()).
 */
export function createUasDialog(request: SipRequest, response: SipResponse, opts: DialogOptions = {}): DialogCreation<Dialog> {
  const h = creatingHeaders(request, response);
  if (!h.ok) return h;
  const { callId, cseq, from, to } = h;
  // "The local tag component of the dialog ID MUST be set to the tag in the
  // To field in the response to the request (which always includes a tag),
  // and the remote tag component of the dialog ID MUST be set to the tag from
  // the From field in the request. A UAS MUST be prepared to receive a
  // request without a tag in the From field, in which case the tag is
  // considered to have a value of null."
  const localTag = getTag(parseNameAddr(to));
  if (localTag === undefined) return { ok: false, reason: 'Response Without To Tag' };
  const remoteTag = getTag(getFrom(request.headers)) ?? null;
  // "The remote target MUST be set to the URI from the Contact header field of the request."
  const remoteTarget = contactUri(request);
  if (remoteTarget === undefined) return { ok: false, reason: 'Missing Contact' };
  // "The route set MUST be set to the list of URIs in the Record-Route header
  // field from the request, taken in order and preserving all URI parameters.
  // If no Record-Route header field is present in the request, the route set
  // MUST be set to the empty set."
  const routeSet = readRecordRoute(request.headers);
  if (routeSet === undefined) return { ok: false, reason: 'Bad Record-Route' };
  // "If the request arrived over TLS, and the Request-URI contained a SIPS
  // URI, the "secure" flag is set to TRUE."
  const secure = opts.transport?.toUpperCase() === 'TLS' && parseUri(request.uri)?.scheme === 'sips';
  // "The remote sequence number MUST be set to the value of the sequence
  // number in the CSeq header field of the request. The local sequence
  // number MUST be empty."
  // "The remote URI MUST be set to the URI in the From field, and the local
  // URI MUST be set to the URI in the To field."
  const dialog = new Dialog({
    role: 'uas',
    state: response.status < 200 ? 'early' : 'confirmed',
    id: { callId, localTag, remoteTag },
    localAddress: to,
    remoteAddress: from,
    localSeq: undefined,
    remoteSeq: cseq.seq,
    remoteTarget,
    routeSet,
    secure,
    localContact: contactValue(response),
    creating: { method: cseq.method, seq: cseq.seq },
    via: opts.via,
    flow: opts.flow,
    initialLocalSeq: opts.initialLocalSeq,
  });
  return { ok: true, dialog };
}

/**
 * The UAC side (§12.1.2): `request` is the dialog-creating request we sent,
 * `response` a 101-199 with a To tag (early dialog) or a 2xx (confirmed).
 * A response without a usable Contact (a broken peer) gets the Request-URI
 * as remote target, so that its 2xx can still be ACKed and the dialog hung up.
 */
export function createUacDialog(request: SipRequest, response: SipResponse, opts: DialogOptions = {}): DialogCreation<Dialog> {
  const h = creatingHeaders(request, response);
  if (!h.ok) return h;
  const { callId, cseq, from, to } = h;
  // "The local tag component of the dialog ID MUST be set to the tag in the
  // From field in the request, and the remote tag component of the dialog ID
  // MUST be set to the tag in the To field of the response. A UAC MUST be
  // prepared to receive a response without a tag in the To field, in which
  // case the tag is considered to have a value of null."
  const localTag = getTag(getFrom(request.headers));
  if (localTag === undefined) return { ok: false, reason: 'Request Without From Tag' };
  const remoteTag = getTag(getTo(response.headers)) ?? null;
  if (remoteTag === null && response.status < 200) return { ok: false, reason: 'Provisional Response Without To Tag' };
  // "The remote target MUST be set to the URI from the Contact header field of the response."
  const requestUri = parseUri(request.uri);
  const remoteTarget = contactUri(response) ?? (isSipUri(requestUri) ? requestUri : undefined);
  if (remoteTarget === undefined) return { ok: false, reason: 'Missing Contact' };
  // "The route set MUST be set to the list of URIs in the Record-Route header
  // field from the response, taken in reverse order and preserving all URI
  // parameters. If no Record-Route header field is present in the response,
  // the route set MUST be set to the empty set. This route set, even if
  // empty, overrides any pre-existing route set for future requests in this
  // dialog."
  const rr = readRecordRoute(response.headers);
  if (rr === undefined) return { ok: false, reason: 'Bad Record-Route' };
  // "If the request was sent over TLS, and the Request-URI contained a SIPS
  // URI, the "secure" flag is set to TRUE."
  const secure = requestUri?.scheme === 'sips' && (opts.transport ?? 'TLS').toUpperCase() === 'TLS';
  // "The local sequence number MUST be set to the value of the sequence
  // number in the CSeq header field of the request. The remote sequence
  // number MUST be empty (it is established when the remote UA sends a
  // request within the dialog)."
  // "The remote URI MUST be set to the URI in the To field, and the local URI
  // MUST be set to the URI in the From field."
  const dialog = new Dialog({
    role: 'uac',
    state: response.status < 200 ? 'early' : 'confirmed',
    id: { callId, localTag, remoteTag },
    localAddress: from,
    remoteAddress: to,
    localSeq: cseq.seq,
    remoteSeq: undefined,
    remoteTarget,
    routeSet: rr.reverse(),
    secure,
    localContact: contactValue(request),
    creating: { method: cseq.method, seq: cseq.seq },
    via: opts.via,
    flow: opts.flow,
    initialLocalSeq: undefined,
  });
  return { ok: true, dialog };
}

/**
 * The Record-Route fields of a dialog-creating request, to pass as extra
 * headers of the response (createResponse(req, 200, undefined,
 * [...recordRouteHeaders(req), ['Contact', ...]])): "When a UAS responds to a
 * request with a response that establishes a dialog (such as a 2xx to
 * INVITE), the UAS MUST copy all Record-Route header field values from the
 * request into the response (including the URIs, URI parameters, and any
 * Record-Route header field parameters, whether they are known or unknown to
 * the UAS) and MUST maintain the order of those values." (§12.1.1)
 */
export function recordRouteHeaders(request: SipRequest): Array<[string, string]> {
  return request.headers.getFields('record-route').map((v): [string, string] => ['Record-Route', v]);
}

/**
 * "If the request that initiated the dialog contained a SIPS URI in the
 * Request-URI or in the top Record-Route header field value, if there was
 * any, or the Contact header field if there was no Record-Route header
 * field, the Contact header field in the response MUST be a SIPS URI." (§12.1.1)
 */
export function responseContactMustBeSips(request: SipRequest): boolean {
  if (parseUri(request.uri)?.scheme === 'sips') return true;
  const topRr = request.headers.getAll('record-route')[0];
  if (topRr !== undefined) return parseNameAddr(topRr)?.uri.scheme === 'sips';
  return contactUri(request)?.scheme === 'sips';
}
