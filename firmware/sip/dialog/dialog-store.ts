/**
 * The dialogs of a UA, by dialog ID (RFC 3261 §12), and the matching of
 * incoming messages to them (§12.2.2: "If the request has a tag in the To
 * header field, the UAS core computes the dialog identifier corresponding
 * to the request and compares it with existing dialogs.").
 */
import { getCallId, getFrom, getTag, getTo } from '../message/index.ts';
import type { SipMessage } from '../message/types.ts';
import { dialogKey } from './dialog.ts';
import type { Dialog } from './dialog.ts';
import type { DialogId } from './types.ts';

export class DialogStore {
  private readonly byKey = new Map<string, Dialog>();
  private readonly unsubscribe = new Map<Dialog, () => void>();

  /**
   * Adds a live dialog; it leaves the store by itself when it terminates.
   * Returns false (and adds nothing) when the dialog is terminated or its
   * ID is already used by another dialog.
   */
  add(dialog: Dialog): boolean {
    if (dialog.state === 'terminated') return false;
    const existing = this.byKey.get(dialog.key);
    if (existing !== undefined) return existing === dialog;
    this.byKey.set(dialog.key, dialog);
    this.unsubscribe.set(
      dialog,
      dialog.onTerminated((d) => this.remove(d)),
    );
    return true;
  }

  remove(dialog: Dialog): void {
    if (this.byKey.get(dialog.key) !== dialog) return;
    this.byKey.delete(dialog.key);
    this.unsubscribe.get(dialog)?.();
    this.unsubscribe.delete(dialog);
  }

  get(id: DialogId): Dialog | undefined {
    return this.byKey.get(dialogKey(id.callId, id.localTag, id.remoteTag));
  }

  /**
   * The dialog a message belongs to. A request from the peer: local tag =
   * To tag, remote tag = From tag (§12.2.2); a request without To tag is
   * outside any dialog. A response to a request we sent (e.g. a 2xx
   * retransmission that outlived its transaction): local tag = From tag,
   * remote tag = To tag.
   */
  match(msg: SipMessage): Dialog | undefined {
    const callId = getCallId(msg.headers);
    if (callId === undefined) return undefined;
    const fromTag = getTag(getFrom(msg.headers)) ?? null;
    const toTag = getTag(getTo(msg.headers)) ?? null;
    if (msg.kind === 'request') {
      if (toTag === null) return undefined;
      return this.byKey.get(dialogKey(callId, toTag, fromTag));
    }
    if (fromTag === null) return undefined;
    return this.byKey.get(dialogKey(callId, fromTag, toTag));
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<Dialog> {
    return this.byKey.values();
  }
}
