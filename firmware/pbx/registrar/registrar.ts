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
import { applyRegister, remainingSeconds, type Binding, type RegisterFacts, type RegistrarLimits } from './bindings.ts';

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

/** A registrar's answer to a REGISTER: status, reason and the header fields it adds. */
export interface RegisterAnswer {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

function answer(status: number, reason: string, headers: Array<[string, string]> = []): RegisterAnswer {
  return { status, reason, headers };
}

/**
 * What the registrar needs of a REGISTER, read from the request by
 * readRegister() (plain data: it crosses from the registrar's threads to the
 * main thread by structured clone).
 */
export interface RegisterRequest {
  /** The user part of the To URI (the address of record), if it is a SIP URI. */
  aorUser: string | undefined;
  callId: string;
  cseq: number;
  contacts: '*' | ContactChange[];
  expiresHeader?: number;
  userAgent?: string;
  /** Set when the request cannot be applied (400): answered after the account checks. */
  problem?: RegisterAnswer;
}

type ContactChange = Exclude<RegisterFacts['contacts'], '*'>[number];

/** Reads the parts of a REGISTER that the registrar uses (§10.3); pure, no state. */
export function readRegister(req: SipRequest): RegisterRequest {
  const to = getTo(req.headers);
  const aorUser = to && isSipUri(to.uri) ? to.uri.user : undefined;
  const cseq = getCSeq(req.headers);
  const callId = getCallId(req.headers);
  const contactsRaw = getContacts(req.headers);
  const base = { aorUser, callId: callId ?? '', cseq: cseq?.seq ?? 0 };
  if (!cseq || callId === undefined) return { ...base, contacts: [], problem: answer(400, 'Bad Request') };
  if (contactsRaw !== '*' && contactsRaw.length !== req.headers.getAll('contact').length) {
    return { ...base, contacts: [], problem: answer(400, 'Bad Contact') };
  }
  const expiresHeader = getExpires(req.headers);
  const ua = req.headers.get('user-agent');
  return {
    ...base,
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
    ...(expiresHeader !== undefined ? { expiresHeader } : {}),
    ...(ua !== undefined ? { userAgent: ua.slice(0, 128) } : {}),
  };
}

/**
 * The registrar (RFC 3261 §10.3) for the phones of the config: each phone
 * registers its own AOR with its own credentials; bindings expire on the
 * injected clock; changes are published on the event bus.
 */
export class Registrar {
  private readonly bindings = new Map<string, Binding[]>(); // by account: MAC (desk set) or MAC#mobile
  private byUsername = new Map<string, SipAccount>();
  private sweepTimer: TimerHandle | undefined;
  private dateSecond = Number.NaN;
  private dateText = '';

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

  /** Every account's (username, password), for the registrar threads' authenticators. */
  credentials(): Array<[string, string]> {
    return [...this.byUsername.values()].map((a) => [a.username, a.password]);
  }

  /** For the authenticator: the phone's password by SIP username. */
  passwordOf(username: string): string | undefined {
    return this.byUsername.get(username)?.password;
  }

  handleRegister(ctx: RegisterContext): void {
    const answer = this.register(ctx.authUser, readRegister(ctx.request), ctx.source);
    ctx.respond(answer.status, answer.reason, answer.headers);
  }

  /**
   * §10.3 steps 3-8 for a REGISTER whose credentials were verified: the
   * account may only bind its own address; then the bindings are updated
   * and the answer lists them all. `request` comes from readRegister(),
   * which may have run on another thread.
   */
  register(authUser: string, request: RegisterRequest, source: Binding['source']): RegisterAnswer {
    const account = this.byUsername.get(authUser);
    if (!account) return answer(403, 'Forbidden');
    const phone = account.phone;
    const key = account.kind === 'desk' ? phone.mac : phone.mac + MOBILE_KEY;
    // An account registers its own address only (its username or its phone's internal number).
    if (request.aorUser !== account.username && request.aorUser !== phone.internalNumber) return answer(403, 'Forbidden');
    if (request.problem) return request.problem;
    const now = this.clock.monotonic();
    const current = this.bindings.get(key) ?? [];
    if (request.contacts !== '*' && request.contacts.length === 0) {
      // §10.2.4: a REGISTER without Contact is a query of the current bindings.
      return answer(200, 'OK', this.contactHeaders(current, now));
    }
    const outcome = applyRegister(
      current,
      {
        callId: request.callId,
        cseq: request.cseq,
        ...(request.expiresHeader !== undefined ? { expiresHeader: request.expiresHeader } : {}),
        contacts: request.contacts,
        source,
        ...(request.userAgent !== undefined ? { userAgent: request.userAgent } : {}),
      },
      now,
      this.limits(),
    );
    switch (outcome.kind) {
      case 'interval-too-brief':
        return answer(423, 'Interval Too Brief', [['Min-Expires', String(outcome.minExpires)]]);
      case 'bad-request':
        return answer(400, outcome.reason);
      case 'out-of-order':
        return answer(500, 'Out Of Order CSeq', [['Retry-After', '1']]);
      case 'ok':
        break;
    }
    // Events and logs are per phone: a phone is registered while its desk set or its mobile app is.
    const wasRegistered = this.contactsOf(phone.mac).length > 0;
    const accountWas = current.some((b) => b.expiresAt > now);
    if (outcome.bindings.length > 0) this.bindings.set(key, outcome.bindings);
    else this.bindings.delete(key);
    const result = answer(200, 'OK', this.contactHeaders(outcome.bindings, now));
    const isRegistered = this.contactsOf(phone.mac).length > 0;
    if (account.kind === 'mobile' && accountWas !== outcome.bindings.length > 0)
      this.log.info({ phone: phone.internalNumber, username: account.username, from: `${source.host}:${source.port}` }, outcome.bindings.length > 0 ? 'mobile app registered' : 'mobile app unregistered');
    if (!wasRegistered && isRegistered) {
      this.log.info({ phone: phone.internalNumber, from: `${source.host}:${source.port}` }, 'phone registered');
      this.events.emit('phone.registered', { mac: phone.mac, internalNumber: phone.internalNumber, contacts: outcome.bindings.length });
    } else if (wasRegistered && !isRegistered) {
      this.log.info({ phone: phone.internalNumber }, 'phone unregistered');
      this.events.emit('phone.unregistered', { mac: phone.mac, internalNumber: phone.internalNumber, reason: 'removed' });
    }
    return result;
  }

  private contactHeaders(bindings: readonly Binding[], now: number): Array<[string, string]> {
    const h: Array<[string, string]> = bindings.map((b) => ['Contact', `<${b.contact}>;expires=${remainingSeconds(b, now)}`]);
    h.push(['Date', this.httpDate()]);
    return h;
  }

  /** The Date header's value (RFC 3261 §20.17, second resolution): formatted once per second, not per REGISTER. */
  private httpDate(): string {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.dateText = new Date(second * 1000).toUTCString();
    }
    return this.dateText;
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

