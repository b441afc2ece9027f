/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, figure 6), with the
 * RFC 4320 note that a 100 Trying does not change the retransmission rule.
 *
 *   Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
 *   Trying/Proceeding --Timer F or transport error--> Terminated
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import { nextCapped, sixtyFourT1 } from './timers.ts';
import { Transaction, notifyClientUser } from './transaction.ts';
import type { TimerName } from './transaction.ts';
import type { ClientTransactionUser, Destination, TerminationReason, TransactionContext } from './types.ts';

export class NonInviteClientTransaction extends Transaction {
  readonly kind = 'nict' as const;
  private readonly user: ClientTransactionUser;
  private timerE: number;

  constructor(ctx: TransactionContext, key: string, request: SipRequest, destination: Destination, reliable: boolean, user: ClientTransactionUser) {
    super(ctx, key, request, destination, reliable, 'trying');
    this.user = user;
    this.timerE = ctx.timers.t1;
  }

  /** Sends the request and arms Timers E and F. Called once by the layer. */
  start(): void {
    // "The request MUST be passed to the transport layer for transmission."
    if (!this.transmit(this.request)) return;
    // "If an unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
    if (!this.reliable) this.arm('E', this.timerE);
    // "If a reliable transport is in use, ... the client transaction MUST set timer F to fire in 64*T1 seconds."
    // (Timer F is armed regardless of the transport.)
    this.arm('F', sixtyFourT1(this.ctx.timers));
  }

  receiveResponse(res: SipResponse): void {
    const provisional = res.status < 200;
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (provisional) {
          // "If a provisional response is received while in the "Trying" state, the response
          // MUST be passed to the TU, and then the client transaction SHOULD move to the "Proceeding" state."
          this.state = 'proceeding';
          this.user.onResponse(res, this);
          return;
        }
        // "If a final response (status codes 200-699) is received while in the "Trying" state,
        // the response MUST be passed to the TU, and the client transaction MUST transition to the "Completed" state."
        this.state = 'completed';
        this.disarm('E');
        this.disarm('F');
        this.user.onResponse(res, this);
        if (this.state !== 'completed') return; // the TU terminated us (e.g. shutdown)
        // "Once the client transaction enters the "Completed" state, it MUST set Timer K to fire in
        // T4 seconds for unreliable transports, and zero seconds for reliable transports."
        if (this.reliable) this.terminate('normal');
        else this.arm('K', this.ctx.timers.t4);
        return;
      default:
        // Completed: "any retransmissions of the final response that are received ... are absorbed".
        return;
    }
  }

  protected onTimer(name: TimerName): void {
    switch (name) {
      case 'E':
        if (this.state === 'trying') {
          // "If timer E fires while still in this state, the timer is reset, but this time with a value
          // of MIN(2*T1, T2). When the timer fires again, it is reset to a MIN(4*T1, T2)."
          this.timerE = nextCapped(this.timerE, this.ctx.timers);
        } else if (this.state === 'proceeding') {
          // "If Timer E fires while in the "Proceeding" state, the request MUST be passed to the
          // transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
          this.timerE = this.ctx.timers.t2;
        } else {
          return;
        }
        if (!this.transmit(this.request)) return;
        this.arm('E', this.timerE);
        return;
      case 'F':
        // "If Timer F fires while in the "Trying" state [or "Proceeding"], the client transaction SHOULD
        // inform the TU about the timeout, and then it SHOULD enter the "Terminated" state."
        this.terminate('timeout');
        return;
      case 'K':
        // "If Timer K fires while in this state, the client transaction MUST transition to the "Terminated" state."
        this.terminate('normal');
        return;
      default:
        return;
    }
  }

  protected notifyTerminated(reason: TerminationReason, error: unknown): void {
    notifyClientUser(this.user, this, reason, error);
  }
}
