/**
 * SIP transaction layer (RFC 3261 §17, RFC 6026): four state machines and
 * the TransactionLayer that matches messages to them. Sits on a
 * TransactionTransport, notifies a TransactionUser.
 */
export { TransactionLayer, MAGIC_COOKIE, responseDestination } from './transaction-layer.ts';
export type { ClientTransaction, ServerTransaction, TransactionLayerOptions, TransactionLayerStats } from './transaction-layer.ts';
export { InviteClientTransaction } from './invite-client-transaction.ts';
export { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
export { InviteServerTransaction } from './invite-server-transaction.ts';
export { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
export { DEFAULT_T1, DEFAULT_T2, DEFAULT_T4, resolveTimers } from './timers.ts';
export type { TimerSettings } from './timers.ts';
export type { TimerName } from './transaction.ts';
export type {
  ClientTransactionUser,
  Destination,
  ServerTransactionHandle,
  TerminationReason,
  TransactionKind,
  TransactionState,
  TransactionTransport,
  TransactionUser,
  TransactionView,
} from './types.ts';
