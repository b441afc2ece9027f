/**
 * The dialogs created by one INVITE we sent (RFC 3261 §12.1.2, §13.2.2.4):
 * a forking proxy may return several 1xx and 2xx with different To tags,
 * "each represents a distinct dialog, with a distinct dialog identifier".
 * One early dialog per remote tag; the first 2xx confirms its dialog; the
 * caller learns which other dialogs to end and which later 2xx to ACK and
 * BYE.
 */
import { getTag, getTo } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/types.ts';
import { createUacDialog } from './dialog.ts';
import type { Dialog } from './dialog.ts';
import type { DialogStore } from './dialog-store.ts';
import type { DialogOptions, DialogTerminationReason } from './types.ts';

export type InviteResponseOutcome =
  /** 100, a 1xx without To tag, or a non-2xx final after a 2xx: no dialog concerned. */
  | { kind: 'none' }
  /** A 101-199 with a To tag: the early dialog of that tag (created now or before). */
  | { kind: 'early'; dialog: Dialog; created: boolean }
  /**
   * The first 2xx: its dialog is confirmed (send the ACK: dialog.createAck).
   * `otherEarly` are the early dialogs of other forks, still early: end
   * them now with terminateEarly() (or BYE them), or let
   * transactionCompleted() end them.
   */
  | { kind: 'confirmed'; dialog: Dialog; created: boolean; otherEarly: Dialog[] }
  /** The same 2xx again (same To tag): send the same ACK again. */
  | { kind: 'retransmission'; dialog: Dialog }
  /**
   * A 2xx from another fork after the first one: a new confirmed dialog.
   * The caller MUST ACK it, and if it does not want it, BYE it (§13.2.2.4).
   */
  | { kind: 'additional'; dialog: Dialog; created: boolean }
  /** A non-2xx final response: every early dialog is terminated (§12.3). */
  | { kind: 'rejected'; terminated: Dialog[] }
  /** A dialog-creating response the dialog could not be built from. */
  | { kind: 'invalid'; reason: string };

export interface InviteClientDialogsOptions extends DialogOptions {
  /** When given, every dialog created here is added to it. */
  store?: DialogStore;
}

export class InviteClientDialogs {
  private readonly byTag = new Map<string | null, Dialog>();
  /** Remote tags that sent a 2xx. */
  private readonly answered = new Set<string | null>();
  private first: Dialog | undefined;
  private final = false;

  constructor(
    readonly invite: SipRequest,
    private readonly opts: InviteClientDialogsOptions = {},
  ) {}

  /** The dialog confirmed by the first 2xx. */
  get confirmed(): Dialog | undefined {
    return this.first;
  }

  /** Every dialog created so far, in creation order of their tags (live or not). */
  dialogs(): Dialog[] {
    return [...this.byTag.values()];
  }

  /** Dialogs still early. */
  earlyDialogs(): Dialog[] {
    return this.dialogs().filter((d) => d.state === 'early');
  }

  /** Every response of the INVITE client transaction (onResponse), including 2xx passed up in Accepted. */
  receiveResponse(res: SipResponse): InviteResponseOutcome {
    const status = res.status;
    const tag = getTag(getTo(res.headers)) ?? null;
    if (status >= 300) {
      if (this.first !== undefined || this.final) return { kind: 'none' };
      this.final = true;
      // "Independent of the method, if a request outside of a dialog
      // generates a non-2xx final response, any early dialogs created through
      // provisional responses to that request are terminated." (§12.3)
      return { kind: 'rejected', terminated: this.endEarly('rejected') };
    }
    if (this.final) return { kind: 'none' };
    // §12.1: "only 2xx and 101-199 responses with a To tag, where the request
    // was INVITE, will establish a dialog."
    if (status <= 100 || (status < 200 && tag === null)) return { kind: 'none' };
    const existing = this.byTag.get(tag);
    const live = existing !== undefined && existing.state !== 'terminated' ? existing : undefined;
    if (status < 200) {
      if (live !== undefined) {
        live.receiveResponse(res);
        return { kind: 'early', dialog: live, created: false };
      }
      if (existing !== undefined) return { kind: 'none' }; // a fork we already ended
      const made = this.create(res, tag);
      return 'reason' in made ? { kind: 'invalid', reason: made.reason } : { kind: 'early', dialog: made.dialog, created: true };
    }
    // 2xx. "The UAC core MUST generate an ACK request for each 2xx received
    // from the transaction layer." (§13.2.2.4)
    if (existing !== undefined && this.answered.has(tag)) {
      // That tag's 2xx came before (its dialog may have been hung up since): a retransmission.
      return { kind: 'retransmission', dialog: existing };
    }
    let dialog: Dialog;
    let created: boolean;
    if (live !== undefined) {
      // "If the dialog identifier in the 2xx response matches the dialog
      // identifier of an existing dialog, the dialog MUST be transitioned to
      // the "confirmed" state [...]"
      live.receiveResponse(res);
      dialog = live;
      created = false;
    } else {
      // "Otherwise, a new dialog in the "confirmed" state MUST be constructed
      // using the procedures of Section 12.1.2." (also for the tag of an
      // early dialog we ended: its 2xx still makes a dialog to ACK and BYE)
      const made = this.create(res, tag);
      if ('reason' in made) return { kind: 'invalid', reason: made.reason };
      dialog = made.dialog;
      created = true;
    }
    this.answered.add(tag);
    if (this.first === undefined) {
      this.first = dialog;
      return { kind: 'confirmed', dialog, created, otherEarly: this.earlyDialogs() };
    }
    // "Multiple 2xx responses may arrive at the UAC for a single INVITE
    // request due to a forking proxy. [...] If, after acknowledging any 2xx
    // response to an INVITE, the UAC does not want to continue with that
    // dialog, then the UAC MUST terminate the dialog by sending a BYE request
    // as described in Section 15." (§13.2.2.4)
    return { kind: 'additional', dialog, created };
  }

  /** Ends every dialog still early (e.g. right after the first 2xx); returns them. */
  terminateEarly(reason: DialogTerminationReason = 'local'): Dialog[] {
    return this.endEarly(reason);
  }

  /**
   * The INVITE client transaction has terminated (RFC 6026 Timer M after a
   * 2xx, or a final response / timeout): "the UAC core considers the INVITE
   * transaction completed 64*T1 seconds after the reception of the first 2xx
   * response. At this point all the early dialogs that have not transitioned
   * to established dialogs are terminated." (§13.2.2.4). Returns them.
   */
  transactionCompleted(): Dialog[] {
    this.final = true;
    return this.endEarly('early-expired');
  }

  private endEarly(reason: DialogTerminationReason): Dialog[] {
    const ended = this.earlyDialogs();
    for (const d of ended) d.terminate(reason);
    return ended;
  }

  private create(res: SipResponse, tag: string | null): { dialog: Dialog } | { reason: string } {
    const made = createUacDialog(this.invite, res, this.opts);
    if (!made.ok) return { reason: made.reason };
    this.byTag.set(tag, made.dialog);
    this.opts.store?.add(made.dialog);
    return { dialog: made.dialog };
  }
}
