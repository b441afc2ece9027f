import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { PbxError } from '../core/errors.ts';
import type { Config, Phone } from '../config/schema.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Who may use the web, and for how long (issue 10 §6, WEB-1, WEB-5).
 *
 * - admin: login `admin`, the per-device password until the admin chose one
 *   (then its scrypt hash);
 * - user: login `Firstname.Lastname` (or `Firstname.Lastname.601` when two
 *   phones carry the same name), the internal number as first password, to be
 *   changed before anything else.
 *
 * Sessions live in RAM (a reboot logs everyone out, like the journal) and
 * carry a stamp of the credential they were opened with: when the password
 * changes elsewhere (reset by the admin, changed on the console), the old
 * sessions end at their next request.
 */

export interface WebSession {
  id: string;
  role: 'admin' | 'user';
  /** For a user: the phone's MAC (its identity, NUM-9). */
  phone?: string;
  login: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** The credential the session was opened with; a change ends the session. */
  stamp: string;
  mustChangePassword: boolean;
}

export interface LockoutPolicy {
  /** Failures from one address for one login within the window before that pair is locked. */
  perLoginFailures: number;
  /** Failures from one address, all logins together, before the address is locked. */
  perAddressFailures: number;
  windowMs: number;
  lockMs: number;
}

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
  maxSessions: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { perLoginFailures: 5, perAddressFailures: 20, windowMs: 10 * 60_000, lockMs: 5 * 60_000 };
export const DEFAULT_SESSIONS: SessionPolicy = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000, maxSessions: 64 };

/** "Élodie", "Le Gall" -> "elodie", "le-gall": what people type, whatever the accents and spaces. */
export function loginPart(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-');
}

/** The user web login of a phone (WEB-5), or undefined for a phone without a name (no user web). */
export function userLogin(phone: Pick<Phone, 'firstName' | 'lastName'>): string | undefined {
  const first = loginPart(phone.firstName);
  const last = loginPart(phone.lastName);
  if (first === '' || last === '') return undefined;
  return `${first}.${last}`;
}

/** The phone a login names: `first.last` when only one phone has that name, `first.last.601` always. */
export function findUserPhone(config: Readonly<Config>, login: string): Phone | undefined {
  const wanted = loginPart(login);
  const m = /^(.+)\.(\d{3})$/.exec(wanted);
  if (m) return config.phones.find((p) => userLogin(p) === m[1] && p.internalNumber === m[2]);
  const matches = config.phones.filter((p) => userLogin(p) === wanted);
  return matches.length === 1 ? matches[0] : undefined;
}

function stampOfAdmin(c: Readonly<Config>): string {
  return c.admin.passwordHash ?? `device:${c.admin.devicePassword}`;
}

function stampOfUser(p: Phone): string {
  return p.userPasswordHash ?? `default:${p.internalNumber}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface FailureWindow {
  count: number;
  firstAt: number;
  lockedUntil: number;
}

export type LoginResult = { ok: true; session: WebSession } | { ok: false; error: PbxError; retryAfterSeconds?: number };

export class WebAuth {
  private readonly sessions = new Map<string, WebSession>();
  private readonly failures = new Map<string, FailureWindow>();

  constructor(
    private readonly config: () => Readonly<Config>,
    private readonly clock: Clock,
    private readonly lockout: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly sessionPolicy: SessionPolicy = DEFAULT_SESSIONS,
  ) {}

  async login(login: string, password: string, address: string): Promise<LoginResult> {
    const now = this.clock.monotonic();
    const loginKey = `${address}|${loginPart(login)}`;
    const locked = Math.max(this.lockedUntil(`addr|${address}`, now), this.lockedUntil(`login|${loginKey}`, now));
    if (locked > now)
      return { ok: false, error: new PbxError('E_LOCKED_OUT', 'too many failed logins, try again later'), retryAfterSeconds: Math.ceil((locked - now) / 1000) };

    const cfg = this.config();
    let session: Omit<WebSession, 'id' | 'csrfToken' | 'createdAt' | 'lastSeenAt'> | undefined;
    // Every attempt spends one scrypt: the delay tells nothing about which logins exist or still
    // have their default password.
    const check = async (hash: string | undefined, plain: string | undefined): Promise<boolean> => {
      if (hash !== undefined) return verifyPassword(password, hash);
      await verifyPassword(password, DUMMY_HASH);
      return plain !== undefined && sameText(password, plain);
    };
    if (loginPart(login) === 'admin') {
      if (await check(cfg.admin.passwordHash, cfg.admin.devicePassword))
        session = { role: 'admin', login: 'admin', stamp: stampOfAdmin(cfg), mustChangePassword: false };
    } else {
      const phone = findUserPhone(cfg, login);
      if ((await check(phone?.userPasswordHash, phone?.internalNumber)) && phone)
        session = { role: 'user', phone: phone.mac, login: userLogin(phone)!, stamp: stampOfUser(phone), mustChangePassword: phone.userPasswordHash === undefined };
    }
    if (!session) {
      this.countFailure(`addr|${address}`, now, this.lockout.perAddressFailures);
      this.countFailure(`login|${loginKey}`, now, this.lockout.perLoginFailures);
      return { ok: false, error: new PbxError('E_LOGIN_FAILED', 'wrong login or password') };
    }
    this.failures.delete(`login|${loginKey}`);
    return { ok: true, session: this.open(session, now) };
  }

  /** The live session for a cookie value, or undefined (unknown, expired, or its credential changed). */
  session(id: string | undefined): WebSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const now = this.clock.monotonic();
    if (now - s.lastSeenAt > this.sessionPolicy.idleMs || now - s.createdAt > this.sessionPolicy.absoluteMs || this.currentStamp(s) !== s.stamp) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  /** After this session changed its own password: it stays open, with the new stamp. */
  passwordChanged(s: WebSession): void {
    const stamp = this.currentStamp(s);
    if (stamp !== undefined) s.stamp = stamp;
    s.mustChangePassword = false;
  }

  logout(id: string): void {
    this.sessions.delete(id);
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  private currentStamp(s: WebSession): string | undefined {
    const cfg = this.config();
    if (s.role === 'admin') return stampOfAdmin(cfg);
    const p = cfg.phones.find((x) => x.mac === s.phone);
    return p && userLogin(p) !== undefined ? stampOfUser(p) : undefined;
  }

  private open(base: Omit<WebSession, 'id' | 'csrfToken' | 'createdAt' | 'lastSeenAt'>, now: number): WebSession {
    if (this.sessions.size >= this.sessionPolicy.maxSessions) {
      // The least recently used session makes room: a flood of logins cannot lock the admin out.
      let oldest: WebSession | undefined;
      for (const s of this.sessions.values()) if (!oldest || s.lastSeenAt < oldest.lastSeenAt) oldest = s;
      if (oldest) this.sessions.delete(oldest.id);
    }
    const s: WebSession = { ...base, id: randomBytes(32).toString('base64url'), csrfToken: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    this.sessions.set(s.id, s);
    return s;
  }

  private lockedUntil(key: string, now: number): number {
    const f = this.failures.get(key);
    if (!f) return 0;
    if (f.lockedUntil <= now && now - f.firstAt > this.lockout.windowMs) {
      this.failures.delete(key);
      return 0;
    }
    return f.lockedUntil;
  }

  private countFailure(key: string, now: number, limit: number): void {
    let f = this.failures.get(key);
    if (!f || (now - f.firstAt > this.lockout.windowMs && f.lockedUntil <= now)) {
      f = { count: 0, firstAt: now, lockedUntil: 0 };
      this.failures.set(key, f);
    }
    f.count += 1;
    if (f.count >= limit) {
      f.lockedUntil = now + this.lockout.lockMs;
      // A new window starts when the lock ends: the next failures count afresh.
      f.count = 0;
      f.firstAt = now + this.lockout.lockMs;
    }
    // Bounded memory under a spray of addresses: forget the oldest windows.
    if (this.failures.size > 4096) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }
}

/** A valid hash of a random password: unknown logins cost the same scrypt time as known ones. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
