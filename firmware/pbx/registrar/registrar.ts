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
 * A SIP account of a phone: its desk set (phone.sip) or its mobile softphone
 * (phone.mobile, WEB-7). Both authenticate with their own credentials and
 * bind as contacts of the same phone, so a call to the phone forks to both.
 */
export interface SipAccount {
  phone: Phone;
  kind: 'desk' | 'mobile';
  username: string;
  password: string;
}

/** Bindings are kept per account: the desk set's under the MAC, the mobile's under MAC + this suffix. */
const MOBILE_KEY = '#mobile';
const macOfKey = (key: string): string => (key.endsWith(MOBILE_KEY) ? key.slice(0, -MOBILE_KEY.length) : key);

/**
 * The registrar (RFC 3261 §10.3) for the phones of the config: each phone
 * registers its own AOR with its own credentials; bindings expire on the
 * injected clock; changes are published on the event bus.
 */
export class Registrar {
  private readonly bindings = new Map<string, Binding[]>(); // by account: MAC (desk set) or MAC#mobile
  private byUsername = new Map<string, SipAccount>();
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

  /**
   * New config: re-index phones; bindings of phones that were removed are
   * dropped, and so are those of a mobile account that was revoked or given
   * new credentials (WEB-7: revocation ends the registration at once).
   */
  reconfigure(config: Readonly<Config>): void {
    const before = this.config;
    this.config = config;
    this.indexPhones();
    for (const key of [...this.bindings.keys()]) {
      const mac = macOfKey(key);
      const phone = config.phones.find((p) => p.mac === mac);
      if (!phone) {
        this.dropKey(key, before, 'removed');
        continue;
      }
      if (key === mac) continue;
      const old = before.phones.find((p) => p.mac === mac)?.mobile;
      const now = phone.mobile;
      if (!now || !old || now.username !== old.username || now.password !== old.password) this.dropKey(key, before, 'removed');
    }
  }

  private indexPhones(): void {
    const m = new Map<string, SipAccount>();
    for (const p of this.config.phones) {
      m.set(p.sip.username, { phone: p, kind: 'desk', username: p.sip.username, password: p.sip.password });
      if (p.mobile) m.set(p.mobile.username, { phone: p, kind: 'mobile', username: p.mobile.username, password: p.mobile.password });
    }
    this.byUsername = m;
  }

  /** The account a SIP username authenticates as (desk set or mobile app). */
  accountOf(username: string): SipAccount | undefined {
    return this.byUsername.get(username);
  }

  /**
   * The phone's own SIP username for an authenticated user: a mobile app
   * calls and subscribes as its phone (same identity, same restrictions).
   */
  phoneUsernameOf(username: string): string {
    return this.byUsername.get(username)?.phone.sip.username ?? username;
  }

  private limits(): RegistrarLimits {
    const r = this.config.sip.registrar;
    return { minExpires: r.minExpires, maxExpires: r.maxExpires, defaultExpires: r.defaultExpires, maxContacts: r.maxContactsPerPhone };
  }

  /** For the authenticator: the phone's password by SIP username. */
  passwordOf(username: string): string | undefined {
    return this.byUsername.get(username)?.password;
  }

  handleRegister(ctx: RegisterContext): void {
    const req = ctx.request;
    const account = this.byUsername.get(ctx.authUser);
    if (!account) {
      ctx.respond(403, 'Forbidden');
      return;
    }
    const phone = account.phone;
    const key = account.kind === 'desk' ? phone.mac : phone.mac + MOBILE_KEY;
    const to = getTo(req.headers);
    const aorUser = to && isSipUri(to.uri) ? to.uri.user : undefined;
    // An account registers its own address only (its username or its phone's internal number).
    if (aorUser !== account.username && aorUser !== phone.internalNumber) {
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
    const current = this.bindings.get(key) ?? [];
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
        // Events and logs are per phone: a phone is registered while its desk set or its mobile app is.
        const wasRegistered = this.contactsOf(phone.mac).length > 0;
        const accountWas = current.some((b) => b.expiresAt > now);
        if (outcome.bindings.length > 0) this.bindings.set(key, outcome.bindings);
        else this.bindings.delete(key);
        ctx.respond(200, 'OK', this.contactHeaders(outcome.bindings, now));
        const isRegistered = this.contactsOf(phone.mac).length > 0;
        if (account.kind === 'mobile' && accountWas !== outcome.bindings.length > 0)
          this.log.info({ phone: phone.internalNumber, username: account.username, from: `${ctx.source.host}:${ctx.source.port}` }, outcome.bindings.length > 0 ? 'mobile app registered' : 'mobile app unregistered');
        if (!wasRegistered && isRegistered) {
          this.log.info({ phone: phone.internalNumber, from: `${ctx.source.host}:${ctx.source.port}` }, 'phone registered');
          this.events.emit('phone.registered', { mac: phone.mac, internalNumber: phone.internalNumber, contacts: outcome.bindings.length });
        } else if (wasRegistered && !isRegistered) {
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
    for (const [key, list] of this.bindings) {
      const live = list.filter((b) => b.expiresAt > now);
      if (live.length === list.length) continue;
      if (live.length > 0) this.bindings.set(key, live);
      else this.dropKey(key, this.config, 'expired');
    }
  }

  /** Drops one account's bindings; the phone is unregistered when none of its accounts has any left. */
  private dropKey(key: string, config: Readonly<Config>, reason: 'expired' | 'removed'): void {
    if (!this.bindings.delete(key)) return;
    const mac = macOfKey(key);
    const phone = config.phones.find((p) => p.mac === mac) ?? this.config.phones.find((p) => p.mac === mac);
    const internalNumber = phone?.internalNumber ?? '?';
    if (key !== mac) this.log.info({ phone: internalNumber, reason }, 'mobile app unregistered');
    if (this.contactsOf(mac).length > 0) return;
    this.log.info({ phone: internalNumber, reason }, 'phone unregistered');
    this.events.emit('phone.unregistered', { mac, internalNumber, reason });
  }

  /**
   * WEB-7 revocation: the mobile app's bindings go at once (the config
   * change does it too; this is for callers that cannot wait for it).
   * Returns how many bindings were removed.
   */
  dropMobile(mac: string): number {
    const n = this.bindings.get(mac + MOBILE_KEY)?.length ?? 0;
    this.dropKey(mac + MOBILE_KEY, this.config, 'removed');
    return n;
  }

  /** Live bindings of one phone, desk set and mobile app (calls will fork to all of them). */
  contactsOf(mac: string): Binding[] {
    const now = this.clock.monotonic();
    const desk = this.bindings.get(mac) ?? [];
    const mobile = this.bindings.get(mac + MOBILE_KEY) ?? [];
    return (mobile.length === 0 ? desk : [...desk, ...mobile]).filter((b) => b.expiresAt > now);
  }

  /** Live bindings of a phone's mobile app only (WEB-7). */
  mobileContactsOf(mac: string): Binding[] {
    const now = this.clock.monotonic();
    return (this.bindings.get(mac + MOBILE_KEY) ?? []).filter((b) => b.expiresAt > now);
  }

  registrations(): PhoneRegistration[] {
    return this.config.phones.map((phone) => ({ phone, bindings: this.contactsOf(phone.mac) }));
  }

  registeredCount(): number {
    return this.registrations().filter((r) => r.bindings.length > 0).length;
  }
}

