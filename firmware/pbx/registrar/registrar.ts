import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { EventPublisher } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { Config, Phone } from '../../config/index.ts';
import {
  getCSeq,
  getCallId,
  getContacts,
  getExpires,
  getTo,
  isSipUri,
  formatUri,
  type SipRequest,
} from '../../sip/message/index.ts';
import type { PbxEvents } from '../events.ts';
import { applyRegister, remainingSeconds, type Binding, type RegistrarLimits } from './bindings.ts';

export interface RegisterContext {
  request: SipRequest;
  /** The authenticated SIP username (digest verified before we are called). */
  authUser: string;
  source: Binding['source'];
  respond(status: number, reason?: string, headers?: Array<[string, string]>): void;
}

export interface PhoneRegistration {
  phone: Phone;
  bindings: Binding[];
}

/**
 * The registrar (RFC 3261 §10.3) for the phones of the config: each phone
 * registers its own AOR with its own credentials; bindings expire on the
 * injected clock; changes are published on the event bus.
 */
export class Registrar {
  private readonly bindings = new Map<string, Binding[]>(); // by phone MAC
  private byUsername = new Map<string, Phone>();
  private sweepTimer: TimerHandle | undefined;

  constructor(
    private config: Readonly<Config>,
    private readonly clock: Clock,
    private readonly events: EventPublisher<PbxEvents>,
    private readonly log: Logger,
  ) {
    this.indexPhones();
  }

  start(): void {
    this.sweepTimer = this.clock.setInterval(() => this.sweep(), 1000);
  }

  stop(): void {
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
  }

  /** New config: re-index phones; bindings of phones that were removed are dropped. */
  reconfigure(config: Readonly<Config>): void {
    this.config = config;
    this.indexPhones();
    for (const mac of [...this.bindings.keys()]) {
      if (!config.phones.some((p) => p.mac === mac)) this.drop(mac, 'removed');
    }
  }

  private indexPhones(): void {
    this.byUsername = new Map(this.config.phones.map((p) => [p.sip.username, p]));
  }

  private limits(): RegistrarLimits {
    const r = this.config.sip.registrar;
    return { minExpires: r.minExpires, maxExpires: r.maxExpires, defaultExpires: r.defaultExpires, maxContacts: r.maxContactsPerPhone };
  }

  /** For the authenticator: the phone's password by SIP username. */
  passwordOf(username: string): string | undefined {
    return this.byUsername.get(username)?.sip.password;
  }

  handleRegister(ctx: RegisterContext): void {
    const req = ctx.request;
    const phone = this.byUsername.get(ctx.authUser);
    if (!phone) {
      ctx.respond(403, 'Forbidden');
      return;
    }
    const to = getTo(req.headers);
    const aorUser = to && isSipUri(to.uri) ? to.uri.user : undefined;
    // A phone registers its own address only (its username or its internal number).
    if (aorUser !== phone.sip.username && aorUser !== phone.internalNumber) {
      ctx.respond(403, 'Forbidden');
      return;
    }
    const cseq = getCSeq(req.headers);
    const callId = getCallId(req.headers);
    const contactsRaw = getContacts(req.headers);
    if (!cseq || callId === undefined) {
      ctx.respond(400, 'Bad Request');
      return;
    }
    if (contactsRaw !== '*' && contactsRaw.length !== req.headers.getAll('contact').length) {
      ctx.respond(400, 'Bad Contact');
      return;
    }
    const now = this.clock.monotonic();
    const current = this.bindings.get(phone.mac) ?? [];
    if (Array.isArray(contactsRaw) && contactsRaw.length === 0) {
      // §10.2.4: a REGISTER without Contact is a query of the current bindings.
      ctx.respond(200, 'OK', this.contactHeaders(current, now));
      return;
    }
    const expiresHeader = getExpires(req.headers);
    const ua = req.headers.get('user-agent');
    const outcome = applyRegister(
      current,
      {
        callId,
        cseq: cseq.seq,
        ...(expiresHeader !== undefined ? { expiresHeader } : {}),
        contacts:
          contactsRaw === '*'
            ? '*'
            : contactsRaw.map((c) => {
                const e = c.params.get('expires');
                const q = c.params.get('q');
                const n = e === undefined || e === null ? undefined : Number.parseInt(e, 10);
                return {
                  uri: formatUri(c.uri),
                  ...(n !== undefined && Number.isFinite(n) && n >= 0 ? { expires: n } : {}),
                  ...(q !== undefined && q !== null ? { q } : {}),
                };
              }),
        source: ctx.source,
        ...(ua !== undefined ? { userAgent: ua.slice(0, 128) } : {}),
      },
      now,
      this.limits(),
    );
    switch (outcome.kind) {
      case 'interval-too-brief':
        ctx.respond(423, 'Interval Too Brief', [['Min-Expires', String(outcome.minExpires)]]);
        return;
      case 'bad-request':
        ctx.respond(400, outcome.reason);
        return;
      case 'out-of-order':
        ctx.respond(500, 'Out Of Order CSeq', [['Retry-After', '1']]);
        return;
      case 'ok': {
        const wasRegistered = current.some((b) => b.expiresAt > now);
        if (outcome.bindings.length > 0) this.bindings.set(phone.mac, outcome.bindings);
        else this.bindings.delete(phone.mac);
        ctx.respond(200, 'OK', this.contactHeaders(outcome.bindings, now));
        if (!wasRegistered && outcome.bindings.length > 0) {
          this.log.info({ phone: phone.internalNumber, from: `${ctx.source.host}:${ctx.source.port}` }, 'phone registered');
          this.events.emit('phone.registered', { mac: phone.mac, internalNumber: phone.internalNumber, contacts: outcome.bindings.length });
        } else if (wasRegistered && outcome.bindings.length === 0) {
          this.log.info({ phone: phone.internalNumber }, 'phone unregistered');
          this.events.emit('phone.unregistered', { mac: phone.mac, internalNumber: phone.internalNumber, reason: 'removed' });
        }
      }
    }
  }

  private contactHeaders(bindings: readonly Binding[], now: number): Array<[string, string]> {
    const h: Array<[string, string]> = bindings.map((b) => ['Contact', `<${b.contact}>;expires=${remainingSeconds(b, now)}`]);
    h.push(['Date', new Date(this.clock.now()).toUTCString()]);
    return h;
  }

  /** Removes expired bindings; phones left with none are unregistered. */
  sweep(): void {
    const now = this.clock.monotonic();
    for (const [mac, list] of this.bindings) {
      const live = list.filter((b) => b.expiresAt > now);
      if (live.length === list.length) continue;
      if (live.length > 0) this.bindings.set(mac, live);
      else this.drop(mac, 'expired');
    }
  }

  private drop(mac: string, reason: 'expired' | 'removed'): void {
    if (!this.bindings.delete(mac)) return;
    const phone = this.config.phones.find((p) => p.mac === mac);
    const internalNumber = phone?.internalNumber ?? '?';
    this.log.info({ phone: internalNumber, reason }, 'phone unregistered');
    this.events.emit('phone.unregistered', { mac, internalNumber, reason });
  }

  /** Live bindings of one phone (calls will fork to all of them). */
  contactsOf(mac: string): Binding[] {
    const now = this.clock.monotonic();
    return (this.bindings.get(mac) ?? []).filter((b) => b.expiresAt > now);
  }

  registrations(): PhoneRegistration[] {
    return this.config.phones.map((phone) => ({ phone, bindings: this.contactsOf(phone.mac) }));
  }

  registeredCount(): number {
    return this.registrations().filter((r) => r.bindings.length > 0).length;
  }
}

