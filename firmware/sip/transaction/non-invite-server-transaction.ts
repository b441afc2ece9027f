/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, figure 8).
 *
 *   Trying --TU 1xx--> Proceeding --TU 200-699--> Completed --Timer J--> Terminated
 *   Trying --TU 200-699--> Completed
 *   any --transport error--> Terminated
 *
 * Plus a local guard timer (not in the RFC, see timers.ts) so that a TU
 * that never answers cannot hold a slot forever.
 */
import type { SipRequest, SipResponse } from '../message/types.ts';
import { sixtyFourT1 } from './timers.ts';
import { Transaction } from './transaction.ts';
import type { TimerName } from './transaction.ts';
import type { Destination, ServerTransactionHandle, TerminationReason, TransactionContext } from './types.ts';

export class NonInviteServerTransaction extends Transaction implements ServerTransactionHandle {
  readonly kind = 'nist' as const;
  private lastProvisional: SipResponse | undefined;
  private final: SipResponse | undefined;

  constructor(ctx: TransactionContext, key: string, request: SipRequest, destination: Destination, reliable: boolean) {
    super(ctx, key, request, destination, reliable, 'trying');
    this.arm('Guard', ctx.timers.serverGuard);
  }

  get finalResponse(): SipResponse | undefined {
    return this.final;
  }

  /** A retransmission of the request (matched by the layer). */
  receiveRequest(_req: SipRequest): void {
    switch (this.state) {
      case 'trying':
        // "While in the "Trying" state, ... any further request retransmissions are discarded."
        return;
      case 'proceeding':
        // "If a retransmission of the request is received while in the "Proceeding" state, the most
        // recently sent provisional response MUST be passed to the transport layer for retransmission."
        if (this.lastProvisional) this.transmit(this.lastProvisional);
        return;
      case 'completed':
        // "While in the "Completed" state, the server transaction MUST pass the final response to the
        // transport layer for retransmission whenever a retransmission of the request is received."
        if (this.final) this.transmit(this.final);
        return;
      default:
        return;
    }
  }

  respond(res: SipResponse): boolean {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      // "Any other final responses passed by the TU to the server transaction MUST be discarded
      // while in the "Completed" state."
      return false;
    }
    if (res.status < 200) {
      // "While in the "Trying" state, if the TU passes a provisional response to the server
      // transaction, the server transaction MUST enter the "Proceeding" state. The response MUST be
      // passed to the transport layer for transmission." (Also in Proceeding: "Any further
      // provisional responses that are received from the TU while in the "Proceeding" state MUST be
      // passed to the transport layer for transmission.")
      this.state = 'proceeding';
      this.lastProvisional = res;
      return this.transmit(res);
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the
    // "Proceeding" state, the transaction MUST enter the "Completed" state, and the response MUST be
    // passed to the transport layer for transmission." (Same from Trying.)
    this.state = 'completed';
    this.final = res;
    this.lastProvisional = undefined;
    this.disarm('Guard');
    if (!this.transmit(res)) return false;
    // "When the server transaction enters the "Completed" state, it MUST set Timer J to fire in
    // 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    if (this.reliable) this.terminate('normal');
    else this.arm('J', sixtyFourT1(this.ctx.timers));
    return true;
  }

  protected onTimer(name: TimerName): void {
    if (name === 'J') {
      // "When Timer J fires, the server transaction MUST transition to the "Terminated" state."
      this.terminate('normal');
    } else if (name === 'Guard' && (this.state === 'trying' || this.state === 'proceeding')) {
      this.terminate('timeout');
    }
  }

  protected notifyTerminated(reason: TerminationReason, error: unknown): void {
    const tu = this.ctx.tu;
    if (reason === 'timeout') tu.onServerTimeout(this);
    else if (reason === 'transport-error') tu.onServerTransportError(this, error);
    tu.onServerTerminated?.(this, reason);
  }
}
