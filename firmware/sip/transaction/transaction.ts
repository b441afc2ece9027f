/**
 * Shared plumbing of the four RFC 3261 §17 state machines: state, the
 * owning layer's context, timer bookkeeping and termination. Each timer is
 * a named slot so that termination cancels every one of them.
 */
import type { TimerHandle } from '../../core/clock.ts';
import type { SipMessage, SipRequest } from '../message/types.ts';
import type {
  ClientTransactionUser,
  Destination,
  TerminationReason,
  TransactionContext,
  TransactionKind,
  TransactionState,
  TransactionView,
} from './types.ts';

/** Timer slots (by RFC name). One transaction never needs more than three at once. */
export type TimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying' | 'Guard';

export abstract class Transaction implements TransactionView {
  abstract readonly kind: TransactionKind;
  state: TransactionState;
  readonly key: string;
  readonly request: SipRequest;
  readonly destination: Destination;
  readonly reliable: boolean;
  protected readonly ctx: TransactionContext;
  private readonly armed = new Map<TimerName, TimerHandle>();

  protected constructor(ctx: TransactionContext, key: string, request: SipRequest, destination: Destination, reliable: boolean, initial: TransactionState) {
    this.ctx = ctx;
    this.key = key;
    this.request = request;
    this.destination = destination;
    this.reliable = reliable;
    this.state = initial;
  }

  /** Number of armed timers (debug command, tests). */
  armedTimers(): TimerName[] {
    return [...this.armed.keys()];
  }

  protected arm(name: TimerName, ms: number): void {
    this.armed.get(name)?.cancel();
    this.armed.set(
      name,
      this.ctx.clock.setTimeout(() => {
        this.armed.delete(name);
        if (this.state !== 'terminated') this.onTimer(name);
      }, ms),
    );
  }

  protected disarm(name: TimerName): void {
    const h = this.armed.get(name);
    if (h) {
      h.cancel();
      this.armed.delete(name);
    }
  }

  protected disarmAll(): void {
    for (const h of this.armed.values()) h.cancel();
    this.armed.clear();
  }

  protected abstract onTimer(name: TimerName): void;

  /** Sends through the layer; on a transport error terminates and reports it (§17.1.4, §17.2.4). */
  protected transmit(msg: SipMessage): boolean {
    const r = this.ctx.send(msg, this.destination);
    if (r.ok) return true;
    this.terminate('transport-error', r.error);
    return false;
  }

  /**
   * Enters Terminated: cancels every timer, leaves the layer's tables, then
   * tells the user why. Idempotent.
   */
  terminate(reason: TerminationReason = 'normal', error?: unknown): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.disarmAll();
    this.ctx.remove(this);
    this.notifyTerminated(reason, error);
  }

  protected abstract notifyTerminated(reason: TerminationReason, error: unknown): void;
}

/** What both client machines tell their TU when they end (§17.1.1.2 timeout, §17.1.4 transport error). */
export function notifyClientUser(user: ClientTransactionUser, tx: TransactionView, reason: TerminationReason, error: unknown): void {
  if (reason === 'timeout') user.onTimeout(tx);
  else if (reason === 'transport-error') user.onTransportError(tx, error);
  user.onTerminated?.(tx, reason);
}
