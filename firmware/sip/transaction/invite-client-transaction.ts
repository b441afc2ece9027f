/**
 * INVITE client transaction (RFC 3261 §17.1.1, figure 5) with the RFC 6026
 * "Accepted" state (§7.2, figure 5 as updated): a 2xx no longer terminates
 * the transaction; it moves to Accepted for Timer M (64*T1) so that 2xx
 * retransmissions and forked 2xx are still matched and passed to the TU
 * (which sends the ACK for 2xx itself, §13.2.2.4), instead of arriving as
 * strays.
 *
 *   Calling --1xx--> Proceeding
 *   Calling/Proceeding --300-699 (send ACK)--> Completed --Timer D--> Terminated
 *   Calling/Proceeding --2xx--> Accepted --Timer M--> Terminated
 *   Calling --Timer B / transport error--> Terminated
 */
import { createRequest } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { sixtyFourT1 } from './timers.ts';
import { Transaction, notifyClientUser } from './transaction.ts';
import type { TimerName } from './transaction.ts';
import type { ClientTransactionUser, Destination, TerminationReason, TransactionContext } from './types.ts';

export class InviteClientTransaction extends Transaction {
  readonly kind = 'ict' as const;
  private readonly user: ClientTransactionUser;
  private timerA: number;
  /** The ACK sent for a non-2xx final response, resent on its retransmissions. */
  private ack: SipRequest | undefined;

  constructor(ctx: TransactionContext, key: string, request: SipRequest, destination: Destination, reliable: boolean, user: ClientTransactionUser) {
    super(ctx, key, request, destination, reliable, 'calling');
    this.user = user;
    this.timerA = ctx.timers.t1;
  }

  /** The ACK this transaction generated for a non-2xx final response, if any. */
  get generatedAck(): SipRequest | undefined {
    return this.ack;
  }

  start(): void {
    // "The initial state, "calling", MUST be entered when the TU initiates a new client
    // transaction with an INVITE request. The client transaction MUST pass the request to
    // the transport layer for transmission."
    if (!this.transmit(this.request)) return;
    // "If an unreliable transport is being used, the client transaction MUST start timer A with a value of T1."
    if (!this.reliable) this.arm('A', this.timerA);
    // "For any transport, the client transaction MUST start timer B with a value of 64*T1 seconds."
    this.arm('B', sixtyFourT1(this.ctx.timers));
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          // "If the client transaction receives a provisional response while in the "Calling" state,
          // it transitions to the "Proceeding" state. In the "Proceeding" state, the client transaction
          // SHOULD NOT retransmit the request any longer."
          if (this.state === 'calling') {
            this.state = 'proceeding';
            this.disarm('A');
            // Timer B only bounds the Calling state.
            this.disarm('B');
          }
          this.user.onResponse(res, this);
          return;
        }
        this.disarm('A');
        this.disarm('B');
        if (status < 300) {
          // RFC 6026 §7.2: "If a 2xx response is received while the client INVITE state machine is in
          // the "Calling" or "Proceeding" states, it MUST transition to the "Accepted" state, pass the
          // 2xx response to the TU, and set Timer M to 64*T1."
          this.state = 'accepted';
          this.arm('M', sixtyFourT1(this.ctx.timers));
          this.user.onResponse(res, this);
          return;
        }
        // "When in either the "Calling" or "Proceeding" states, reception of a response with status
        // code from 300-699 MUST cause the client transaction to transition to "Completed". The
        // client transaction MUST pass the received response up to the TU, and the client
        // transaction MUST generate an ACK request, even if the transport is reliable."
        this.state = 'completed';
        this.ack = this.buildAck(res);
        // Response first: a transport error on the ACK must not hide the final response from the TU.
        this.user.onResponse(res, this);
        if (this.state !== 'completed') return;
        if (!this.transmit(this.ack)) return;
        // "The client transaction SHOULD start timer D when it enters the "Completed" state, with a
        // value of at least 32 seconds for unreliable transports, and a value of zero seconds for
        // reliable transports."
        if (this.reliable) this.terminate('normal');
        else this.arm('D', this.ctx.timers.timerD);
        return;
      case 'completed':
        // "Any retransmissions of the final response that are received while in the "Completed"
        // state MUST cause the ACK to be re-passed to the transport layer for retransmission, but
        // the newly received response MUST NOT be passed up to the TU."
        if (status >= 300 && this.ack) this.transmit(this.ack);
        return;
      case 'accepted':
        // RFC 6026 §7.2: "Any 2xx responses that match this client transaction and that are received
        // while in the "Accepted" state MUST be passed up to the TU. The client transaction MUST NOT
        // generate an ACK to the 2xx response." Other responses are discarded.
        if (status >= 200 && status < 300) this.user.onResponse(res, this);
        return;
      default:
        return;
    }
  }

  /**
   * §17.1.1.3 Construction of the ACK Request: "The ACK request constructed by the client
   * transaction MUST contain values for the Call-ID, From, and Request-URI that are equal to the
   * values of those header fields in the request passed to the transport by the client transaction
   * ... The To header field in the ACK MUST equal the To header field in the response being
   * acknowledged ... The ACK MUST contain a single Via header field, and this MUST be equal to the
   * top Via header field of the original request. The CSeq header field in the ACK MUST contain the
   * same value for the sequence number as was present in the original request, but the method
   * parameter MUST be equal to "ACK"."
   */
  private buildAck(res: SipResponse): SipRequest {
    const h = this.request.headers;
    const headers: Array<[string, string]> = [];
    const via = h.getAll('Via')[0];
    if (via !== undefined) headers.push(['Via', via]);
    // "If the INVITE request whose response is being acknowledged had Route header fields, those
    // header fields MUST appear in the ACK."
    for (const route of h.getAll('Route')) headers.push(['Route', route]);
    headers.push(['Max-Forwards', '70']);
    const from = h.get('From');
    if (from !== undefined) headers.push(['From', from]);
    const to = res.headers.get('To') ?? h.get('To');
    if (to !== undefined) headers.push(['To', to]);
    const callId = h.get('Call-ID');
    if (callId !== undefined) headers.push(['Call-ID', callId]);
    const cseq = h.get('CSeq') ?? '';
    const seq = cseq.trim().split(/\s+/)[0] ?? '0';
    headers.push(['CSeq', `${seq} ACK`]);
    return createRequest({ method: 'ACK', uri: this.request.uri, headers });
  }

  protected onTimer(name: TimerName): void {
    switch (name) {
      case 'A':
        if (this.state !== 'calling') return;
        // "When timer A fires, the client transaction MUST retransmit the request by passing it to
        // the transport layer, and MUST reset the timer with a value of 2*T1. ... When timer A fires
        // 2*T1 seconds later, the request MUST be retransmitted again ... (assuming the client
        // transaction is still in this state). This process MUST continue so that the request is
        // retransmitted with intervals that double after each transmission." (no T2 cap)
        if (!this.transmit(this.request)) return;
        this.timerA *= 2;
        this.arm('A', this.timerA);
        return;
      case 'B':
        // "If the client transaction is still in the "Calling" state when timer B fires, the client
        // transaction SHOULD inform the TU that a timeout has occurred."
        if (this.state === 'calling') this.terminate('timeout');
        return;
      case 'D':
        // "If timer D fires while the client transaction is in the "Completed" state, the client
        // transaction MUST move to the terminated state."
        this.terminate('normal');
        return;
      case 'M':
        // RFC 6026 §7.2: "If Timer M fires while the client transaction is in the "Accepted" state,
        // the client transaction MUST move to the "Terminated" state."
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
