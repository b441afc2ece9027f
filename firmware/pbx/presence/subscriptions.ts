import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { Config } from '../../config/index.ts';
import { createResponse, isSipUri, newTag, parseUri, type SipRequest } from '../../sip/message/index.ts';
import type { ClientTransactionUser, Destination, ServerTransactionHandle } from '../../sip/transaction/index.ts';
import { Dialog, DialogStore, createUasDialog, type ViaSentBy } from '../../sip/dialog/index.ts';
import { dialogInfoXml, sameLamp, type WatchedState } from './dialog-info.ts';
import { messageSummary } from '../voicemail/mwi.ts';

/**
 * SUBSCRIBE/NOTIFY (RFC 6665) for the phones' keys (issue 9 §3, §4):
 *
 * - `Event: dialog` (RFC 4235): a busy lamp on a phone's key watches
 *   another phone of the installation (by internal number in the
 *   Request-URI): idle, ringing with the caller, busy. A NOTIFY goes out at
 *   once (RFC 6665 §4.2.1) and whenever what the lamp shows changes.
 * - `Event: message-summary` (RFC 3842): a phone watches its own voicemail
 *   box; the counts are sent at once and when they change (then no
 *   unsolicited NOTIFY is needed for that phone).
 *
 * Subscriptions last what the phone asked (Expires), between MIN and MAX
 * seconds (423 below MIN); a refresh is a SUBSCRIBE in the dialog; Expires: 0
 * ends it with a final NOTIFY (`terminated`); one that is not refreshed ends
 * with `terminated;reason=timeout`. A NOTIFY answered 481 ends it. Only
 * authenticated phones subscribe (the SIP service challenges SUBSCRIBE).
 */

export const MIN_SUBSCRIBE_SECONDS = 60;
export const MAX_SUBSCRIBE_SECONDS = 3600;
const MAX_SUBSCRIPTIONS = 2000;

type Kind = 'dialog' | 'message-summary';

interface Subscription {
  kind: Kind;
  dialog: Dialog;
  /** The watched phone (MAC). */
  target: string;
  targetNumber: string;
  subscriber: string;
  expiry?: TimerHandle;
  /** Monotonic ms when it expires unless refreshed. */
  expiresAt: number;
  version: number;
  lastState?: WatchedState;
}

export interface SubscriptionDeps {
  clock: Clock;
  log: Logger;
  config(): Readonly<Config>;
  sip: {
    sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): boolean;
    readonly advertise: { host: string; port: number };
  };
  viaFor: (d: Destination) => ViaSentBy;
  contact(transport: string): string;
  /** What a phone's lamp shows now. */
  watchedState(mac: string): WatchedState;
  /** A phone's voicemail counts. */
  mwiCounts(mac: string): { fresh: number; saved: number };
}

export class Subscriptions {
  private readonly dialogs = new DialogStore();
  private readonly subs = new Map<string, Subscription>();

  constructor(private readonly deps: SubscriptionDeps) {}

  get size(): number {
    return this.subs.size;
  }

  /** A SUBSCRIBE from an authenticated phone (new, or a refresh in its dialog). */
  handle(req: SipRequest, tx: ServerTransactionHandle, source: Destination, authUser: string): void {
    const refuse = (status: number, reason: string, headers: Array<[string, string]> = []): void => {
      tx.respond(createResponse(req, status, reason, headers, undefined, { toTag: newTag() }));
    };
    const event = (req.headers.get('event') ?? req.headers.get('o') ?? '').split(';')[0]!.trim().toLowerCase();
    const asked = Number(/^\s*(\d{1,9})/.exec(req.headers.get('expires') ?? '')?.[1] ?? MAX_SUBSCRIBE_SECONDS);
    const existing = this.dialogs.match(req);
    if (existing) {
      const sub = this.subs.get(existing.key);
      if (!sub) {
        refuse(481, 'Subscription Does Not Exist');
        return;
      }
      const verdict = existing.receiveRequest(req);
      if (verdict !== 'ok') {
        tx.respond(createResponse(req, verdict.reject, verdict.reason));
        return;
      }
      this.accept(req, tx, sub, asked);
      return;
    }
    if (event !== 'dialog' && event !== 'message-summary') {
      // RFC 6665 §4.2.1.2: an event package we do not support.
      refuse(489, 'Bad Event', [['Allow-Events', 'dialog, message-summary']]);
      return;
    }
    if (asked !== 0 && asked < MIN_SUBSCRIBE_SECONDS) {
      refuse(423, 'Interval Too Brief', [['Min-Expires', String(MIN_SUBSCRIBE_SECONDS)]]);
      return;
    }
    const cfg = this.deps.config();
    const subscriber = cfg.phones.find((p) => p.sip.username === authUser);
    const uri = parseUri(req.uri);
    const user = uri && isSipUri(uri) ? (uri.user ?? '') : '';
    // A lamp watches a phone of this installation; a message lamp only its own box.
    const target = event === 'message-summary' && (user === '' || user === subscriber?.internalNumber || user === subscriber?.sip.username) ? subscriber : cfg.phones.find((p) => p.internalNumber === user);
    if (!subscriber || !target) {
      refuse(404, 'Not Found');
      return;
    }
    if (event === 'message-summary' && target.mac !== subscriber.mac) {
      refuse(403, 'Forbidden');
      return;
    }
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      refuse(503, 'Service Unavailable', [['Retry-After', '60']]);
      return;
    }
    const res = createResponse(req, 200, 'OK', [['Contact', this.deps.contact(source.transport)]], undefined, { toTag: newTag() });
    const made = createUasDialog(req, res, { via: this.deps.viaFor, transport: source.transport, flow: source });
    if (!made.ok) {
      refuse(400, 'Bad Request');
      return;
    }
    made.dialog.responseSent(res);
    const sub: Subscription = { kind: event, dialog: made.dialog, target: target.mac, targetNumber: target.internalNumber, subscriber: subscriber.internalNumber, expiresAt: 0, version: 0 };
    this.dialogs.add(made.dialog);
    this.subs.set(made.dialog.key, sub);
    this.deps.log.info({ subscriber: sub.subscriber, event, watched: sub.targetNumber, expires: asked }, 'subscription');
    this.accept(req, tx, sub, asked, res);
  }

  /** The lamps may have changed (a call's state changed): NOTIFY the watchers of phones whose lamp did. */
  phonesChanged(): void {
    for (const sub of this.subs.values()) {
      if (sub.kind !== 'dialog') continue;
      const now = this.deps.watchedState(sub.target);
      if (sub.lastState && sameLamp(sub.lastState, now)) continue;
      this.notify(sub, `active;expires=${this.remaining(sub)}`);
    }
  }

  /** A box's counts changed; true when a subscription of its phone was told (no unsolicited NOTIFY needed). */
  countsChanged(mac: string): boolean {
    let told = false;
    for (const sub of this.subs.values()) {
      if (sub.kind !== 'message-summary' || sub.target !== mac) continue;
      this.notify(sub, `active;expires=${this.remaining(sub)}`);
      told = true;
    }
    return told;
  }

  stop(): void {
    for (const sub of [...this.subs.values()]) this.end(sub, 'terminated;reason=noresource');
  }

  private remaining(sub: Subscription): number {
    return Math.max(0, Math.round((sub.expiresAt - this.deps.clock.monotonic()) / 1000));
  }

  private accept(req: SipRequest, tx: ServerTransactionHandle, sub: Subscription, asked: number, res = createResponse(req, 200, 'OK', [], undefined, {})): void {
    const seconds = Math.min(asked, MAX_SUBSCRIBE_SECONDS);
    res.headers.set('Expires', String(seconds));
    tx.respond(res);
    sub.expiry?.cancel();
    if (seconds === 0) {
      // RFC 6665 §4.2.1.4: an unsubscribe gets a last NOTIFY.
      this.end(sub, 'terminated;reason=timeout');
      return;
    }
    sub.expiresAt = this.deps.clock.monotonic() + seconds * 1000;
    sub.expiry = this.deps.clock.setTimeout(() => this.end(sub, 'terminated;reason=timeout'), seconds * 1000);
    this.notify(sub, `active;expires=${seconds}`);
  }

  private end(sub: Subscription, state: string): void {
    if (!this.subs.has(sub.dialog.key)) return;
    sub.expiry?.cancel();
    this.notify(sub, state);
    this.subs.delete(sub.dialog.key);
    sub.dialog.terminate('local');
  }

  private notify(sub: Subscription, subscriptionState: string): void {
    const adv = this.deps.sip.advertise;
    let body: string;
    let type: string;
    if (sub.kind === 'dialog') {
      const state = this.deps.watchedState(sub.target);
      sub.lastState = state;
      body = dialogInfoXml(`sip:${sub.targetNumber}@${adv.host}`, sub.version++, state, adv.host);
      type = 'application/dialog-info+xml';
    } else {
      body = messageSummary(`sip:${sub.targetNumber}@${adv.host}`, this.deps.mwiCounts(sub.target));
      type = 'application/simple-message-summary';
    }
    let out;
    try {
      out = sub.dialog.createRequest('NOTIFY', {
        headers: [
          ['Event', sub.kind],
          ['Subscription-State', subscriptionState],
          ['Content-Type', type],
        ],
        body: Buffer.from(body),
      });
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message }, 'no NOTIFY possible on this subscription');
      return;
    }
    this.deps.sip.sendRequest(out.request, out.destination, {
      onResponse: (res) => {
        // RFC 6665 §4.1.3: a 481 (or any failure but 408) means the subscriber is gone.
        if (res.status >= 300 && this.subs.has(sub.dialog.key)) {
          sub.expiry?.cancel();
          this.subs.delete(sub.dialog.key);
          sub.dialog.terminate('local');
        }
      },
      onTimeout: () => {},
      onTransportError: () => {},
    });
  }
}
