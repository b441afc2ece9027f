/**
 * The transaction layer (RFC 3261 §17): owns every client and server
 * transaction, matches incoming messages to them (§17.1.3, §17.2.3, with
 * the RFC 2543 fallback), creates server transactions for new requests and
 * hands them to the TU, and bounds the number of live transactions.
 *
 * Hot path: one Map lookup by a key string per message; no closures per
 * message (only the timers own closures); no logging.
 */
import type { Clock } from '../../core/clock.ts';
import { createResponse, getCSeq, getCallId, getFrom, getTag, getTo, newTag, topVia } from '../message/index.ts';
import type { SipMessage, SipRequest, SipResponse, Via } from '../message/types.ts';
import { InviteClientTransaction } from './invite-client-transaction.ts';
import { InviteServerTransaction } from './invite-server-transaction.ts';
import { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
import { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
import { resolveTimers } from './timers.ts';
import type { TimerSettings } from './timers.ts';
import type {
  ClientTransactionUser,
  Destination,
  TransactionContext,
  TransactionTransport,
  TransactionUser,
  TransactionView,
} from './types.ts';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** "The branch parameter value MUST start with the magic cookie "z9hG4bK"" (§8.1.1.7). */
export const MAGIC_COOKIE = 'z9hG4bK';

export interface TransactionLayerOptions {
  transport: TransactionTransport;
  tu: TransactionUser;
  clock: Clock;
  /** T1, T2, T4, Timer D, 100 Trying delay, server guard. */
  timers?: Partial<TimerSettings>;
  /** Live transactions (client + server) above which new requests get 503. Default 10 000. */
  maxTransactions?: number;
  /** Retry-After (seconds) on the 503 sent beyond the cap. Default 5. */
  retryAfterSeconds?: number;
}

export interface TransactionLayerStats {
  client: number;
  server: number;
  /** Requests answered 503 because the cap was reached. */
  rejected: number;
}

const SEP = '\u0000';

export class TransactionLayer {
  private readonly transport: TransactionTransport;
  private readonly tu: TransactionUser;
  private readonly maxTransactions: number;
  private readonly retryAfter: string;
  readonly timers: TimerSettings;
  private readonly ctx: TransactionContext;
  private readonly client = new Map<string, ClientTransaction>();
  private readonly server = new Map<string, ServerTransaction>();
  /** RFC 2543 ACK matching: key without the To tag -> INVITE server transaction. */
  private readonly ack2543 = new Map<string, InviteServerTransaction>();
  private readonly ack2543Key = new WeakMap<InviteServerTransaction, string>();
  private rejected = 0;
  private stopped = false;

  constructor(options: TransactionLayerOptions) {
    this.transport = options.transport;
    this.tu = options.tu;
    this.maxTransactions = Math.max(1, options.maxTransactions ?? 10_000);
    this.retryAfter = String(options.retryAfterSeconds ?? 5);
    this.timers = resolveTimers(options.timers);
    const OK = { ok: true } as const;
    const transport = this.transport;
    this.ctx = {
      clock: options.clock,
      timers: this.timers,
      tu: this.tu,
      send(msg: SipMessage, dest: Destination) {
        try {
          if (transport.send(msg, dest) === false) return { ok: false, error: new Error('transport send failed') };
          return OK;
        } catch (error) {
          return { ok: false, error };
        }
      },
      remove: (tx: TransactionView) => this.remove(tx),
    };
  }

  stats(): TransactionLayerStats {
    return { client: this.client.size, server: this.server.size, rejected: this.rejected };
  }

  /** Live transactions, client and server. */
  size(): number {
    return this.client.size + this.server.size;
  }

  // ------------------------------------------------------------------ client side

  /**
   * Creates a client transaction for `request` (INVITE or any non-INVITE
   * but ACK; the ACK for a 2xx goes through sendStateless) and sends it.
   * The request must carry its top Via with a branch starting with the
   * magic cookie (newBranch()). Returns undefined when the cap on live
   * transactions is reached (treat as a local 503).
   */
  sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): ClientTransaction | undefined {
    if (request.method === 'ACK') throw new TypeError('ACK is not sent in a client transaction (§17.1.1.3, §13.2.2.4)');
    const via = topVia(request.headers);
    const branch = via?.params.get('branch');
    if (!branch || !branch.startsWith(MAGIC_COOKIE)) {
      throw new TypeError('request needs a top Via with a z9hG4bK branch (§8.1.1.7)');
    }
    // §17.1.3 matches on branch + CSeq method; the method of the request is that method.
    const key = branch + SEP + request.method;
    if (this.client.has(key)) throw new TypeError(`duplicate client transaction ${branch} ${request.method}`);
    if (this.stopped || this.size() >= this.maxTransactions) return undefined;
    const reliable = this.transport.isReliable(destination.transport);
    const tx =
      request.method === 'INVITE'
        ? new InviteClientTransaction(this.ctx, key, request, destination, reliable, user)
        : new NonInviteClientTransaction(this.ctx, key, request, destination, reliable, user);
    this.client.set(key, tx);
    tx.start();
    return tx;
  }

  /** Sends without a transaction: the ACK for a 2xx (§13.2.2.4), stateless responses. */
  sendStateless(msg: SipMessage, destination: Destination): boolean {
    const r = this.ctx.send(msg, destination);
    return r.ok;
  }

  // ------------------------------------------------------------------ incoming

  /** Entry point for every message the transport layer accepted (§18.1.2, §18.2.1). */
  receive(msg: SipMessage, source: Destination): void {
    if (this.stopped) return;
    if (msg.kind === 'response') this.receiveResponse(msg, source);
    else this.receiveRequest(msg, source);
  }

  private receiveResponse(res: SipResponse, source: Destination): void {
    // §17.1.3: "1. If the response has the same value of the branch parameter in the top Via header
    // field as the branch parameter in the top Via header field of the request that created the
    // transaction. 2. If the method parameter in the CSeq header field matches the method of the
    // request that created the transaction."
    const branch = topVia(res.headers)?.params.get('branch');
    const cseq = getCSeq(res.headers);
    const tx = branch && cseq ? this.client.get(branch + SEP + cseq.method) : undefined;
    if (tx) tx.receiveResponse(res);
    else this.tu.onStrayResponse(res, source);
  }

  private receiveRequest(req: SipRequest, source: Destination): void {
    const via = topVia(req.headers);
    if (!via) return; // the message layer rejects this; nothing to answer to
    const isAck = req.method === 'ACK';
    const branch = via.params.get('branch');
    let key: string | undefined;
    if (branch && branch.startsWith(MAGIC_COOKIE)) {
      // §17.2.3: "1. the branch parameter in the request is equal to the one in the top Via header
      // field of the request that created the transaction, and 2. the sent-by value in the top Via of
      // the request is equal to the one in the request that created the transaction, and 3. the
      // method of the request matches the one that created the transaction, except for ACK, where
      // the method of the request that created the transaction is INVITE."
      key = branch + SEP + sentBy(via) + SEP + (isAck ? 'INVITE' : req.method);
    } else if (isAck) {
      this.receiveAck2543(req, source);
      return;
    } else {
      key = key2543(req, req.method);
      if (key === undefined) return;
    }

    const existing = this.server.get(key);
    if (isAck) {
      if (existing && existing.kind === 'ist') {
        if (!existing.receiveAck(req)) this.tu.onAck(req, source, existing);
      } else {
        // An ACK for a 2xx: its own transaction (§17.1.1.3), passed up to the dialog layer.
        this.tu.onAck(req, source);
      }
      return;
    }
    if (existing) {
      existing.receiveRequest(req);
      return;
    }
    this.createServerTransaction(req, source, key, via);
  }

  /**
   * §17.2.3 (RFC 2543 fallback): "The ACK request matches a transaction if the Request-URI, From
   * tag, Call-ID, CSeq number (not the method), and top Via header field match those of the INVITE
   * request which created the transaction, and the To tag of the ACK matches the To tag of the
   * response sent by the server transaction."
   */
  private receiveAck2543(ack: SipRequest, source: Destination): void {
    const key = ackKey2543(ack);
    const tx = key === undefined ? undefined : this.ack2543.get(key);
    if (tx && tx.finalToTag() === getTag(getTo(ack.headers))) {
      if (!tx.receiveAck(ack)) this.tu.onAck(ack, source, tx);
      return;
    }
    this.tu.onAck(ack, source);
  }

  private createServerTransaction(req: SipRequest, source: Destination, key: string, via: Via): void {
    const destination = responseDestination(via, source);
    if (this.size() >= this.maxTransactions) {
      this.rejected++;
      this.rejectOverload(req, destination);
      return;
    }
    const reliable = this.transport.isReliable(destination.transport);
    if (req.method === 'INVITE') {
      const tx = new InviteServerTransaction(this.ctx, key, req, destination, reliable, source);
      this.server.set(key, tx);
      if (!key.startsWith(MAGIC_COOKIE)) {
        const ackKey = ackKey2543(req);
        if (ackKey !== undefined) {
          this.ack2543.set(ackKey, tx);
          this.ack2543Key.set(tx, ackKey);
        }
      }
      this.tu.onRequest(req, tx, source);
    } else {
      const tx = new NonInviteServerTransaction(this.ctx, key, req, destination, reliable);
      this.server.set(key, tx);
      this.tu.onRequest(req, tx, source);
    }
  }

  /** Beyond the cap: a stateless 503 with Retry-After (RFC 3261 §21.5.4). */
  private rejectOverload(req: SipRequest, destination: Destination): void {
    const toTag = getTag(getTo(req.headers)) === undefined ? newTag() : undefined;
    const res = createResponse(req, 503, undefined, [['Retry-After', this.retryAfter]], undefined, toTag === undefined ? {} : { toTag });
    this.ctx.send(res, destination);
  }

  // ------------------------------------------------------------------ lookups for the TU

  /**
   * §9.2: "The TU determines the transaction to be cancelled by taking the CANCEL request, and then
   * assuming that the request method is anything but CANCEL or ACK and applying the transaction
   * matching procedures of Section 17.2.3." Returns the INVITE server transaction a CANCEL targets,
   * or undefined (answer the CANCEL with 481). If found and it has no final response yet, answer the
   * CANCEL 200 and the INVITE 487; if it has one, answer the CANCEL 200 and leave the INVITE alone.
   */
  findInviteServerTransactionForCancel(cancel: SipRequest): InviteServerTransaction | undefined {
    const via = topVia(cancel.headers);
    if (!via) return undefined;
    const branch = via.params.get('branch');
    const key =
      branch && branch.startsWith(MAGIC_COOKIE) ? branch + SEP + sentBy(via) + SEP + 'INVITE' : key2543(cancel, 'INVITE');
    if (key === undefined) return undefined;
    const tx = this.server.get(key);
    return tx && tx.kind === 'ist' ? tx : undefined;
  }

  /** The server transaction of a request (e.g. to test whether a request is a retransmission). */
  findServerTransaction(req: SipRequest): ServerTransaction | undefined {
    const via = topVia(req.headers);
    if (!via) return undefined;
    const branch = via.params.get('branch');
    const method = req.method === 'ACK' ? 'INVITE' : req.method;
    const key = branch && branch.startsWith(MAGIC_COOKIE) ? branch + SEP + sentBy(via) + SEP + method : key2543(req, method);
    return key === undefined ? undefined : this.server.get(key);
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * A connection-oriented transport lost a connection (or could not open
   * it): every transaction bound to it fails with a transport error
   * (§17.1.4, §17.2.4). Linear in live transactions; connection loss is rare.
   */
  connectionFailed(connectionId: string, error?: unknown): void {
    const hit: Array<ClientTransaction | ServerTransaction> = [];
    for (const tx of this.client.values()) if (tx.destination.connectionId === connectionId) hit.push(tx);
    for (const tx of this.server.values()) if (tx.destination.connectionId === connectionId) hit.push(tx);
    for (const tx of hit) tx.terminate('transport-error', error ?? new Error('connection failed'));
  }

  /** Terminates every transaction (reason 'shutdown'), cancelling all timers. New messages are ignored. */
  stop(): void {
    this.stopped = true;
    const all: Array<ClientTransaction | ServerTransaction> = [...this.client.values(), ...this.server.values()];
    for (const tx of all) tx.terminate('shutdown');
  }

  private remove(tx: TransactionView): void {
    if (tx.kind === 'ict' || tx.kind === 'nict') {
      if (this.client.get(tx.key) === tx) this.client.delete(tx.key);
      return;
    }
    if (this.server.get(tx.key) === tx) this.server.delete(tx.key);
    if (tx.kind === 'ist') {
      const ackKey = this.ack2543Key.get(tx as InviteServerTransaction);
      if (ackKey !== undefined && this.ack2543.get(ackKey) === tx) this.ack2543.delete(ackKey);
    }
  }
}

/** sent-by (host[:port]) of a Via, for §17.2.3 matching. Host compared case-insensitively. */
function sentBy(via: Via): string {
  return via.port === undefined ? via.host.toLowerCase() : via.host.toLowerCase() + ':' + via.port;
}

/** First Via value as received (RFC 2543 matching compares the whole top Via). */
function topViaText(req: SipRequest): string | undefined {
  const first = req.headers.get('Via');
  if (first === undefined) return undefined;
  const v = first.indexOf(',') < 0 ? first : req.headers.getAll('Via')[0];
  return v?.trim();
}

/**
 * §17.2.3 (RFC 2543 fallback): "The INVITE request matches a transaction if the Request-URI, To
 * tag, From tag, Call-ID, CSeq, and top Via header field match those of the INVITE request which
 * created the transaction. ... For all other request methods, a request is matched to a transaction
 * if the Request-URI, To tag, From tag, Call-ID, CSeq (including the method), and top Via header
 * field match those of the request that created the transaction."
 */
function key2543(req: SipRequest, method: string): string | undefined {
  const h = req.headers;
  const cseq = getCSeq(h);
  const callId = getCallId(h);
  const via = topViaText(req);
  if (!cseq || callId === undefined || via === undefined) return undefined;
  return (
    '2543' + SEP + method + SEP + req.uri + SEP + (getTag(getTo(h)) ?? '') + SEP + (getTag(getFrom(h)) ?? '') + SEP +
    callId + SEP + cseq.seq + SEP + via
  );
}

/** RFC 2543 ACK key: the INVITE's Request-URI, From tag, Call-ID, CSeq number, top Via. */
function ackKey2543(req: SipRequest): string | undefined {
  const h = req.headers;
  const cseq = getCSeq(h);
  const callId = getCallId(h);
  const via = topViaText(req);
  if (!cseq || callId === undefined || via === undefined) return undefined;
  return req.uri + SEP + (getTag(getFrom(h)) ?? '') + SEP + callId + SEP + cseq.seq + SEP + via;
}

/**
 * §18.2.2 Sending Responses, with RFC 3581 rport: over a reliable
 * transport, back on the connection the request came in on; otherwise to
 * maddr if present; otherwise to the source address ("received") and, with
 * rport, the source port, else the sent-by port (default 5060, 5061 for
 * TLS).
 */
export function responseDestination(via: Via, source: Destination): Destination {
  const transport = via.transport.toUpperCase();
  if (source.connectionId !== undefined) {
    return { transport: source.transport, host: source.host, port: source.port, connectionId: source.connectionId };
  }
  const defaultPort = transport === 'TLS' ? 5061 : 5060;
  const maddr = via.params.get('maddr');
  if (maddr) return { transport, host: maddr, port: via.port ?? defaultPort };
  if (via.params.has('rport')) return { transport: source.transport, host: source.host, port: source.port };
  return { transport: source.transport, host: source.host, port: via.port ?? defaultPort };
}
