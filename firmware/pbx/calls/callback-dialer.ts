import type { Clock, TimerHandle } from '../../core/clock.ts';
import { getTag, getTo, type SipRequest, type SipResponse } from '../../sip/message/index.ts';
import { inviteToContact } from './invite.ts';
import type { ClientTransactionUser, Destination } from '../../sip/transaction/index.ts';
import { Dialog, DialogStore, InviteClientDialogs, type ViaSentBy } from '../../sip/dialog/index.ts';
import { sendCancel, type CancellableFork } from './cancel.ts';
import type { Binding } from '../registrar/bindings.ts';

/** What the dialer needs of the B2BUA below it (a subset of CallManager's dependencies). */
export interface DialerPorts {
  clock: Clock;
  sip: {
    sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): boolean;
    sendStateless(message: SipRequest, destination: Destination): void;
    abandon?(request: SipRequest): void;
    readonly advertise: { host: string; port: number };
    readonly t1: number;
  };
  dialogs: DialogStore;
  viaFor: (d: Destination) => ViaSentBy;
  contact(transport: string): string;
}

export type DialOutcome =
  | { ok: true; dialog: Dialog; invite: SipRequest; destination: Destination; answer: Buffer }
  | { ok: false; status: number };

interface Fork extends CancellableFork {
  dialogs: InviteClientDialogs;
  provisional: boolean;
  final: boolean;
  cancelWanted: boolean;
  cancelSent: boolean;
}

/**
 * The first half of a call the PBX places itself (FWD-6 automatic
 * callback): an INVITE with our offer to every registered contact of one
 * phone, the first 2xx wins (ACKed; the other forks CANCELed, §9.1: a fork
 * that has sent nothing yet is CANCELed on its first 1xx), nobody within
 * `seconds`: every fork CANCELed and the outcome is 408. The winner's
 * dialog is handed over to the B2BUA as the call's A leg.
 */
export class CallbackDialer {
  private readonly forks: Fork[] = [];
  private timer?: TimerHandle;
  private done = false;
  private readonly failures: number[] = [];

  constructor(
    private readonly ports: DialerPorts,
    private readonly contacts: readonly Binding[],
    private readonly from: { number: string; display: string },
    private readonly to: string,
    private readonly offer: Buffer,
    private readonly seconds: number,
    private readonly onDone: (outcome: DialOutcome) => void,
  ) {}

  start(): void {
    for (const binding of this.contacts) {
      const { invite, destination } = inviteToContact({ advertise: this.ports.sip.advertise, contact: (t) => this.ports.contact(t) }, binding, this.from, this.to, this.offer);
      const fork: Fork = {
        invite,
        destination,
        dialogs: new InviteClientDialogs(invite, { via: this.ports.viaFor, store: this.ports.dialogs, flow: destination }),
        provisional: false,
        final: false,
        cancelWanted: false,
        cancelSent: false,
      };
      const sent = this.ports.sip.sendRequest(invite, destination, {
        onResponse: (res) => this.onResponse(fork, res),
        onTimeout: () => this.onFailure(fork, 408),
        onTransportError: () => this.onFailure(fork, 503),
      });
      if (sent) this.forks.push(fork);
    }
    if (this.forks.length === 0) {
      this.finish({ ok: false, status: 480 });
      return;
    }
    this.timer = this.ports.clock.setTimeout(() => {
      this.timer = undefined;
      this.abort(408);
    }, this.seconds * 1000);
  }

  /** Gives up (ring timeout, shutdown): every fork CANCELed. */
  abort(status = 487): void {
    if (this.done) return;
    for (const f of this.forks) this.cancel(f);
    this.finish({ ok: false, status });
  }

  private onResponse(fork: Fork, res: SipResponse): void {
    if (res.status >= 200) {
      fork.final = true;
      fork.finalReceived = true;
      fork.giveUp?.cancel();
    }
    const outcome = fork.dialogs.receiveResponse(res);
    if (res.status < 200) {
      fork.provisional = true;
      if (fork.cancelWanted && !fork.cancelSent) this.sendCancel(fork);
      return;
    }
    if (res.status >= 300) {
      this.onFailure(fork, res.status);
      return;
    }
    const tag = getTag(getTo(res.headers));
    const dialog = fork.dialogs.dialogs().find((d) => d.id.remoteTag === tag);
    if (!dialog) return;
    // §13.2.2.4: every 2xx is ACKed, retransmissions included.
    const ack = dialog.createAck(fork.invite);
    this.ports.sip.sendStateless(ack.request, ack.destination);
    if (outcome.kind === 'retransmission') return;
    if (this.done) {
      // Answered after another fork won, or after we gave up: end that dialog (§13.2.2.4).
      this.bye(dialog);
      return;
    }
    for (const other of this.forks) if (other !== fork) this.cancel(other);
    this.finish({ ok: true, dialog, invite: fork.invite, destination: fork.destination, answer: res.body });
  }

  private onFailure(fork: Fork, status: number): void {
    fork.final = true;
    if (this.done) return;
    this.failures.push(status);
    if (this.forks.every((f) => f.final)) this.finish({ ok: false, status: this.failures.includes(486) ? 486 : (this.failures[0] ?? 480) });
  }

  private cancel(fork: Fork): void {
    if (fork.final || fork.cancelSent) return;
    if (!fork.provisional) {
      fork.cancelWanted = true;
      return;
    }
    this.sendCancel(fork);
  }

  private sendCancel(fork: Fork): void {
    fork.cancelSent = true;
    sendCancel(this.ports, fork);
  }

  private bye(dialog: Dialog): void {
    try {
      const out = dialog.createRequest('BYE');
      this.ports.sip.sendRequest(out.request, out.destination, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
    } catch {
      // No BYE possible on this dialog: nothing more to do.
    }
    dialog.terminate('local');
  }

  private finish(outcome: DialOutcome): void {
    if (this.done) return;
    this.done = true;
    this.timer?.cancel();
    this.timer = undefined;
    // Early dialogs of the losing forks are over; the winner's lives on in the call.
    for (const f of this.forks) for (const d of f.dialogs.dialogs()) if (!outcome.ok || d !== outcome.dialog) if (d.state === 'early') d.terminate('local');
    this.onDone(outcome);
  }
}
