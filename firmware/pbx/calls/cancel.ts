import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { SipRequest } from '../../sip/message/index.ts';
import type { ClientTransactionUser, Destination } from '../../sip/transaction/index.ts';
import { createCancel } from '../../sip/dialog/index.ts';

/** A fork of an INVITE we may CANCEL: the §9.1 bookkeeping shared by the B2BUA's forks and the callback dialer. */
export interface CancellableFork {
  invite: SipRequest;
  destination: Destination;
  /** A final response to the INVITE arrived (the transaction ends by itself). */
  finalReceived?: boolean;
  /** §9.1 give-up timer, armed when the CANCEL was answered but the INVITE not yet. */
  giveUp?: TimerHandle;
}

export interface CancelPorts {
  clock: Clock;
  sip: {
    sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): boolean;
    abandon?(request: SipRequest): void;
    readonly t1: number;
  };
}

/**
 * Sends the CANCEL of a fork's INVITE. §9.1: "If there is no final response
 * for the original request in 64*T1 seconds [...], the client SHOULD then
 * consider the original transaction cancelled and SHOULD destroy the client
 * transaction handling the original request." Without this, an INVITE
 * transaction in Proceeding (no Timer B any more) whose callee vanished
 * would live for ever. The CANCEL's own Timer F is that 64*T1 when the
 * CANCEL gets no answer either.
 */
export function sendCancel(ports: CancelPorts, fork: CancellableFork): void {
  const { sip, clock } = ports;
  const giveUp = (): void => {
    fork.giveUp = undefined;
    if (!fork.finalReceived) sip.abandon?.(fork.invite);
  };
  sip.sendRequest(createCancel(fork.invite), fork.destination, {
    onResponse: (res) => {
      if (res.status >= 200 && !fork.finalReceived && !fork.giveUp) fork.giveUp = clock.setTimeout(giveUp, 64 * sip.t1);
    },
    onTimeout: giveUp,
    onTransportError: giveUp,
  });
}
