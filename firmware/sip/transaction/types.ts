/**
 * Interfaces of the transaction layer (RFC 3261 §17): the transport below
 * it, the transaction user (TU: UA core, proxy core, registrar) above it,
 * and the context the layer gives each transaction.
 */
import type { Clock } from '../../core/clock.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.ts';
import type { TimerSettings } from './timers.ts';

/** Where to send a message, or where one came from. */
export interface Destination {
  /** Transport name, upper case as in Via: 'UDP' | 'TCP' | 'TLS' ... */
  transport: string;
  host: string;
  port: number;
  /** For connection-oriented transports: the connection a request arrived on / to reuse. */
  connectionId?: string;
}

/**
 * What the transaction layer needs from the transport layer (§18).
 * send() returns false (or throws) when the message could not be handed to
 * the network (§17.1.4 / §17.2.4 "transport error"); failures discovered
 * later (a TCP connection refused or closed) are reported through
 * TransactionLayer.connectionFailed(connectionId).
 */
export interface TransactionTransport {
  send(msg: SipMessage, dest: Destination): boolean | void;
  /** True for TCP, TLS, SCTP, WS(S): Timers A/E/G are not armed and D/I/J/K are zero. */
  isReliable(transport: string): boolean;
}

export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

export type TransactionState =
  | 'calling' // ICT
  | 'trying' // NICT, NIST
  | 'proceeding'
  | 'completed'
  | 'confirmed' // IST
  | 'accepted' // ICT, IST (RFC 6026)
  | 'terminated';

/** Why a transaction ended, as given to onTerminated. */
export type TerminationReason = 'normal' | 'timeout' | 'transport-error' | 'shutdown';

/** Minimal view of a transaction shared by the four machines. */
export interface TransactionView {
  readonly kind: TransactionKind;
  readonly key: string;
  readonly state: TransactionState;
  readonly request: SipRequest;
}

/** Receives what a client transaction learns. Given per transaction (the request's sender). */
export interface ClientTransactionUser {
  /** Every response passed up (§17.1.1.2, §17.1.2.2; RFC 6026 2xx in Accepted). */
  onResponse(response: SipResponse, tx: TransactionView): void;
  /** Timer B or F fired (§17.1.1.2, §17.1.2.2): treat as 408. */
  onTimeout(tx: TransactionView): void;
  /** The transport could not send (§17.1.4): treat as 503. */
  onTransportError(tx: TransactionView, error?: unknown): void;
  /** Optional: the transaction left the layer (any reason). */
  onTerminated?(tx: TransactionView, reason: TerminationReason): void;
}

/** The layer-wide TU: new requests, strays, and server transaction failures. */
export interface TransactionUser {
  /** A new request (not a retransmission, not an ACK) with the server transaction created for it. */
  onRequest(request: SipRequest, tx: ServerTransactionHandle, source: Destination): void;
  /**
   * An ACK that no transaction absorbed: an ACK for a 2xx (a new
   * transaction per §17.1.1.3; the dialog layer needs it), or one received
   * by an INVITE server transaction in the RFC 6026 Accepted state (then tx
   * is that transaction).
   */
  onAck(ack: SipRequest, source: Destination, tx?: ServerTransactionHandle): void;
  /** A response matching no client transaction (§18.1.2: a proxy forwards it; a UA drops it). */
  onStrayResponse(response: SipResponse, source: Destination): void;
  /** Timer H fired (no ACK, §17.2.1), or the local guard of a non-INVITE server transaction. */
  onServerTimeout(tx: ServerTransactionHandle): void;
  /** A response could not be sent (§17.2.4). */
  onServerTransportError(tx: ServerTransactionHandle, error?: unknown): void;
  onServerTerminated?(tx: ServerTransactionHandle, reason: TerminationReason): void;
}

/** What the TU may do with a server transaction. */
export interface ServerTransactionHandle extends TransactionView {
  /** Where responses go (§18.2.2). */
  readonly destination: Destination;
  /**
   * Sends a response through the transaction. Returns false if the state
   * does not allow it (e.g. a second final response) or the transport failed.
   */
  respond(response: SipResponse): boolean;
  /** The last final response sent, if any (e.g. to know whether a CANCEL came too late). */
  readonly finalResponse: SipResponse | undefined;
}

/** What a transaction needs from the layer that owns it. */
export interface TransactionContext {
  readonly clock: Clock;
  readonly timers: TimerSettings;
  readonly tu: TransactionUser;
  /** Sends through the transport; false on a transport error. */
  send(msg: SipMessage, dest: Destination): { ok: true } | { ok: false; error: unknown };
  /** Called once by a transaction entering Terminated: forget its keys. */
  remove(tx: TransactionView): void;
}
