/**
 * INVITE server transaction (RFC 3261 §17.2.1, figure 7) with the RFC 6026
 * "Accepted" state (§7.1): on a 2xx from the TU the transaction does not
 * terminate (as RFC 3261 says) but moves to Accepted for Timer L (64*T1),
 * absorbing INVITE retransmissions (the TU retransmits the 2xx itself,
 * §13.3.1.4), passing further 2xx from the TU to the transport, and passing
 * ACKs up to the TU.
 *
 *   Proceeding --TU 1xx--> Proceeding (100 Trying sent by us after 200 ms)
 *   Proceeding --TU 300-699--> Completed --ACK--> Confirmed --Timer I--> Terminated
 *   Completed --Timer H--> Terminated (timeout)
 *   Proceeding --TU 2xx--> Accepted --Timer L--> Terminated
 */
import { createResponse, getTag, getTo } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { nextCapped, sixtyFourT1 } from './timers.ts';
import { Transaction } from './transaction.ts';
import type { TimerName } from './transaction.ts';
import type { Destination, ServerTransactionHandle, TerminationReason, TransactionContext } from './types.ts';

export class InviteServerTransaction extends Transaction implements ServerTransactionHandle {
  readonly kind = 'ist' as const;
  private lastProvisional: SipResponse | undefined;
  private final: SipResponse | undefined;
  private timerG: number;
  /** Source of the INVITE, for ACKs passed up in Accepted. */
  readonly source: Destination;

  constructor(ctx: TransactionContext, key: string, request: SipRequest, destination: Destination, reliable: boolean, source: Destination) {
    super(ctx, key, request, destination, reliable, 'proceeding');
    this.timerG = ctx.timers.t1;
    this.source = source;
    // "The server transaction MUST generate a 100 (Trying) response unless it knows that the TU will
    // generate a provisional or final response within 200 ms, in which case it MAY generate a 100
    // (Trying) response." We wait 200 ms for the TU, then send it.
    this.arm('Trying', ctx.timers.trying);
  }

  get finalResponse(): SipResponse | undefined {
    return this.final;
  }

  /** The To tag of the final response (RFC 2543 ACK matching, §17.2.3). */
  finalToTag(): string | undefined {
    return this.final ? getTag(getTo(this.final.headers)) : undefined;
  }

  /** A retransmission of the INVITE (matched by the layer). */
  receiveRequest(_req: SipRequest): void {
    switch (this.state) {
      case 'proceeding':
        // "If a request retransmission is received while in the "Proceeding" state, the most recent
        // provisional response that was received from the TU MUST be passed to the transport layer
        // for retransmission."
        if (this.lastProvisional) this.transmit(this.lastProvisional);
        return;
      case 'completed':
        // "Furthermore, while in the "Completed" state, if a request retransmission is received, the
        // server SHOULD pass the response to the transport for retransmission."
        if (this.final) this.transmit(this.final);
        return;
      default:
        // Confirmed: absorbed. Accepted (RFC 6026 §7.1): "the retransmitted INVITE is absorbed".
        return;
    }
  }

  /** An ACK matching this transaction. Returns true if absorbed, false if it must go to the TU. */
  receiveAck(_ack: SipRequest): boolean {
    switch (this.state) {
      case 'completed':
        // "If an ACK is received while the server transaction is in the "Completed" state, the server
        // transaction MUST transition to the "Confirmed" state. As Timer G is ignored in this state,
        // any retransmissions of the response will cease."
        this.state = 'confirmed';
        this.disarm('G');
        this.disarm('H');
        // "When this state is entered, timer I is set to fire in T4 seconds for unreliable
        // transports, and zero seconds for reliable transports."
        if (this.reliable) this.terminate('normal');
        else this.arm('I', this.ctx.timers.t4);
        return true;
      case 'confirmed':
        // "The purpose of the "Confirmed" state is to absorb any additional ACK messages that arrive."
        return true;
      case 'accepted':
        // RFC 6026 §7.1: "If an ACK is received while the INVITE server transaction is in the
        // "Accepted" state, then the ACK must be passed directly to the TU."
        return false;
      default:
        // An ACK in Proceeding matches no response we sent: drop it.
        return true;
    }
  }

  respond(res: SipResponse): boolean {
    const status = res.status;
    if (this.state === 'accepted') {
      // RFC 6026 §7.1: "While in the "Accepted" state, any 2xx responses passed from the TU to the
      // server transaction MUST be passed to the transport layer for transmission."
      if (status >= 200 && status < 300) return this.transmit(res);
      return false;
    }
    if (this.state !== 'proceeding') return false;
    this.disarm('Trying');
    if (status < 200) {
      // "The TU passes any number of provisional responses to the server transaction. So long as the
      // server transaction is in the "Proceeding" state, each of these MUST be passed to the
      // transport layer for transmission."
      this.lastProvisional = res;
      return this.transmit(res);
    }
    this.final = res;
    this.lastProvisional = undefined;
    if (status < 300) {
      // RFC 6026 §7.1 (replacing RFC 3261 "If, while in the "Proceeding" state, the TU passes a 2xx
      // response to the server transaction, the server transaction MUST pass this response to the
      // transport layer for transmission ... The server transaction MUST then transition to the
      // "Terminated" state."): "If, while in the "Proceeding" state, the TU passes a 2xx response to
      // the server transaction, the server transaction MUST pass this response to the transport layer
      // for transmission. It is not retransmitted by the server transaction; retransmissions of 2xx
      // responses are handled by the TU. The server transaction MUST then transition to the
      // "Accepted" state." and "Timer L ... set to fire in 64*T1".
      this.state = 'accepted';
      if (!this.transmit(res)) return false;
      this.arm('L', sixtyFourT1(this.ctx.timers));
      return true;
    }
    // "While in the "Proceeding" state, if the TU passes a response with status code from 300 to 699
    // to the server transaction, the response MUST be passed to the transport layer for transmission,
    // and the state machine MUST enter the "Completed" state. For unreliable transports, timer G is
    // set to fire in T1 seconds, and is not set to fire for reliable transports."
    this.state = 'completed';
    if (!this.transmit(res)) return false;
    if (!this.reliable) this.arm('G', this.timerG);
    // "When the "Completed" state is entered, timer H MUST be set to fire in 64*T1 seconds for all transports."
    this.arm('H', sixtyFourT1(this.ctx.timers));
    return true;
  }

  protected onTimer(name: TimerName): void {
    switch (name) {
      case 'Trying':
        if (this.state === 'proceeding' && !this.lastProvisional) {
          const trying = createResponse(this.request, 100);
          this.lastProvisional = trying;
          this.transmit(trying);
        }
        return;
      case 'G':
        if (this.state !== 'completed' || !this.final) return;
        // "If timer G fires, the response is passed to the transport layer once more for
        // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds. From then on, when
        // timer G fires, the response is passed to the transport again for transmission, and timer G
        // is reset with a value that doubles, unless that value exceeds T2, in which case it is reset
        // with the value of T2."
        if (!this.transmit(this.final)) return;
        this.timerG = nextCapped(this.timerG, this.ctx.timers);
        this.arm('G', this.timerG);
        return;
      case 'H':
        // "If timer H fires while in the "Completed" state, it implies that the ACK was never
        // received. In this case, the server transaction MUST transition to the "Terminated" state,
        // and MUST indicate to the TU that a transaction failure has occurred."
        if (this.state === 'completed') this.terminate('timeout');
        return;
      case 'I':
        // "Once timer I fires, the server MUST transition to the "Terminated" state."
        this.terminate('normal');
        return;
      case 'L':
        // RFC 6026 §7.1: "If Timer L fires while the INVITE server transaction is in the "Accepted"
        // state, the transaction MUST transition to the "Terminated" state."
        this.terminate('normal');
        return;
      default:
        return;
    }
  }

  protected notifyTerminated(reason: TerminationReason, error: unknown): void {
    const tu = this.ctx.tu;
    if (reason === 'timeout') tu.onServerTimeout(this);
    else if (reason === 'transport-error') tu.onServerTransportError(this, error);
    tu.onServerTerminated?.(this, reason);
  }
}
