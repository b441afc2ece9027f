import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Config, ConfigStore, Phone } from '../config/index.ts';
import { defineCommand, fail, noArgs, type CommandRegistry, type Role } from '../api/index.ts';
import { cleanText, xmlText } from '../provisioning/text.ts';

/**
 * WEB-7, the mobile application (docs/mobile-app.md): the admin gives a
 * user a SIP softphone on their mobile. It is a second SIP account of the
 * phone (phone.mobile: its own username and strong random password, the
 * same internal number), registered with the box's registrar as a contact
 * of that phone, so a call to the internal number rings the desk set and the
 * mobile together, and a call from the mobile is a call of the phone.
 *
 * `mobile show` gives a QR code for Linphone's remote provisioning: the QR
 * holds a one-time URL on the box (`/mobile/<token>.xml`) that serves a
 * Linphone XML configuration with the account. The token is 128 random bits,
 * valid 24 h, served once, and forgotten when the account is revoked.
 * Tokens live in memory only: a reboot forgets them (show the QR again).
 */

/** How long a provisioning link stays valid. */
export const TOKEN_LIFETIME_MS = 24 * 3600 * 1000;
/** `mobile show` reuses the live link while it has at least this long left (the page can be reloaded). */
const REUSE_MIN_LEFT_MS = 3600 * 1000;
/** Token text: 16 random bytes as base64url (22 characters). */
export const TOKEN_RE = /^[A-Za-z0-9_-]{22}$/;
/** The path of a provisioning link, the token in group 1 (the provisioning handler routes it). */
export const MOBILE_PATH_RE = /^\/mobile\/([A-Za-z0-9_-]{22})\.xml$/;

/** Where a mobile reaches the box. */
export interface MobileServer {
  /** SIP address (the box's advertised LAN address) and port. */
  sipHost: string;
  sipPort: number;
  /** Base URL of the box's HTTP server, without trailing slash: http://192.168.1.1:8080 */
  httpBase: string;
}

export interface MobileAppDeps {
  config: ConfigStore;
  clock: Clock;
  log: Logger;
  server: () => MobileServer;
  /** Live registrations of a phone's mobile app (the registrar's); none when SIP is not running. */
  mobileContacts?: (mac: string) => number;
  /** Revocation: the registrar drops the mobile's bindings now (the config change does it too). */
  dropBindings?: (mac: string) => void;
  /** Random bytes (tests inject a deterministic source); default node:crypto. */
  randomBytes?: (n: number) => Buffer;
  /** Who may run the commands (default admin and technician). */
  roles?: readonly Role[];
}

export interface MobileAccountView {
  internalNumber: string;
  name: string;
  mac: string;
  username: string;
  password: string;
  /** SIP domain of the identity sip:username@domain (the box's LAN address). */
  domain: string;
  /** SIP server (proxy/registrar) address, port and transport for manual entry. */
  server: string;
  port: number;
  transport: 'udp';
  realm: string;
  enabledAt: string;
  /** The one-time Linphone remote provisioning URL: what the QR code encodes. */
  provisioningUrl: string;
  provisioningExpiresAt: string;
  qrText: string;
  /** The QR code as an SVG document (for the web page). */
  qrSvg: string;
}

interface Token {
  mac: string;
  username: string;
  enabledAt: string;
  expiresAt: number; // monotonic ms
}

const phoneArg = z.strictObject({ phone: z.string().min(3).max(17) });

/** A phone by internal number or MAC (any case, ':' or '-'). */
function findPhone(config: Readonly<Config>, key: string): Phone | undefined {
  const k = key.toLowerCase().replace(/-/g, ':');
  return config.phones.find((p) => p.mac === k || p.internalNumber === k);
}

/** Every SIP username in use (desk sets and mobiles). */
function usernames(config: Readonly<Config>): Set<string> {
  const s = new Set<string>();
  for (const p of config.phones) {
    s.add(p.sip.username);
    if (p.mobile) s.add(p.mobile.username);
  }
  return s;
}

/** `<internal>m` ("601m"), or `<internal>m2`, m3... if taken; within the schema's username pattern. */
export function mobileUsername(config: Readonly<Config>, phone: Readonly<Phone>): string {
  const taken = usernames(config);
  const base = `${phone.internalNumber}m`;
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

/**
 * Linphone remote provisioning XML (lpconfig.xsd): one account (proxy_0) and
 * its credentials (auth_info_0); `transient_provisioning` asks Linphone to
 * forget the URL once applied (it would fetch it again at each start, and the
 * link is single-use).
 */
export function linphoneXml(a: { username: string; password: string; displayName: string; domain: string; server: string; port: number; realm: string }): string {
  const host = a.server.includes(':') && !a.server.startsWith('[') ? `[${a.server}]` : a.server;
  const domain = a.domain.includes(':') && !a.domain.startsWith('[') ? `[${a.domain}]` : a.domain;
  const e = (s: string): string => xmlText(s, 256);
  const entry = (name: string, value: string): string => `    <entry name="${name}" overwrite="true">${value}</entry>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<config xmlns="http://www.linphone.org/xsds/lpconfig.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.linphone.org/xsds/lpconfig.xsd lpconfig.xsd">',
    '  <section name="misc">',
    entry('transient_provisioning', '1'),
    '  </section>',
    '  <section name="proxy_0" overwrite="true">',
    entry('reg_proxy', e(`<sip:${host}:${a.port};transport=udp>`)),
    entry('reg_identity', e(`"${a.displayName.replace(/["\\]/g, '')}" <sip:${a.username}@${domain}>`)),
    entry('reg_expires', '600'),
    entry('reg_sendregister', '1'),
    entry('realm', e(a.realm)),
    entry('publish', '0'),
    entry('avpf', '0'),
    '  </section>',
    '  <section name="auth_info_0" overwrite="true">',
    entry('username', e(a.username)),
    entry('userid', e(a.username)),
    entry('passwd', e(a.password)),
    entry('realm', e(a.realm)),
    entry('domain', e(domain)),
    '  </section>',
    '</config>',
    '',
  ].join('\n');
}

export class MobileApp {
  private readonly tokens = new Map<string, Token>();
  private readonly random: (n: number) => Buffer;

  constructor(private readonly deps: MobileAppDeps) {
    this.random = deps.randomBytes ?? randomBytes;
    // A revoked account, a new password or a removed phone invalidates its links whatever made the change.
    deps.config.onChange((changed, config) => {
      if (changed.includes('phones')) this.forgetStale(config);
    });
  }

  register(registry: CommandRegistry): void {
    const roles = this.deps.roles ?? ['admin', 'technician'];
    registry.register(
      defineCommand({
        name: 'mobile list',
        summary: 'phones with a mobile app account (WEB-7) and whether it is registered',
        args: noArgs,
        roles,
        readOnly: true,
        run: () => this.list(),
        format: (rows) =>
          rows.length === 0
            ? 'no mobile app accounts'
            : rows.map((r) => `${r.internalNumber}  ${(r.name || '(no name)').padEnd(20)} ${r.username.padEnd(10)} ${r.registered ? 'registered' : 'not registered'}  since ${r.enabledAt}`).join('\n'),
      }),
      defineCommand({
        name: 'mobile enable',
        summary: 'create a mobile app SIP account for a phone (by internal number or MAC): same number, its own credentials',
        positional: ['phone'],
        args: phoneArg,
        roles,
        run: ({ phone }) => this.enable(phone),
        format: formatAccount,
      }),
      defineCommand({
        name: 'mobile show',
        summary: "a phone's mobile app account: credentials and the QR code (Linphone remote provisioning, one-time link)",
        positional: ['phone'],
        args: phoneArg,
        roles,
        readOnly: true,
        run: ({ phone }) => this.show(phone),
        format: formatAccount,
      }),
      defineCommand({
        name: 'mobile revoke',
        summary: "revoke a phone's mobile app account: its registration ends now, its credentials stop working",
        positional: ['phone'],
        args: phoneArg.extend({ confirm: z.boolean().optional() }),
        roles,
        confirm: 'The mobile app account will be deleted: the app is unregistered at once and its credentials and QR code stop working.',
        run: ({ phone }) => this.revoke(phone),
        format: (x) => `mobile app account ${x.username} of ${x.internalNumber} revoked`,
      }),
    );
  }

  list(): Array<{ internalNumber: string; name: string; mac: string; username: string; enabledAt: string; registered: boolean; contacts: number }> {
    return this.deps.config
      .get()
      .phones.filter((p) => p.mobile)
      .map((p) => {
        const contacts = this.deps.mobileContacts?.(p.mac) ?? 0;
        return { internalNumber: p.internalNumber, name: `${p.firstName} ${p.lastName}`.trim(), mac: p.mac, username: p.mobile!.username, enabledAt: p.mobile!.enabledAt, registered: contacts > 0, contacts };
      });
  }

  async enable(key: string): Promise<MobileAccountView> {
    let mac: string | undefined;
    const r = this.deps.config.update((c) => {
      const p = findPhone(c, key);
      if (!p) fail('E_NOT_FOUND', `no phone ${key}`);
      if (p.mobile) fail('E_CONFLICT', `phone ${p.internalNumber} already has a mobile app account (${p.mobile.username}); revoke it first`);
      // 18 random bytes: 144 bits, 24 characters; a mobile app has no 20-character limit like the Aastra sets.
      p.mobile = { username: mobileUsername(c, p), password: this.random(18).toString('base64url'), enabledAt: new Date(this.deps.clock.now()).toISOString() };
      mac = p.mac;
    });
    if (!r.ok) throw r.error;
    const phone = this.deps.config.get().phones.find((p) => p.mac === mac)!;
    this.deps.log.info({ phone: phone.internalNumber, username: phone.mobile!.username }, 'mobile app account enabled');
    return this.view(phone);
  }

  async show(key: string): Promise<MobileAccountView> {
    const phone = findPhone(this.deps.config.get(), key);
    if (!phone) fail('E_NOT_FOUND', `no phone ${key}`);
    if (!phone.mobile) fail('E_NOT_FOUND', `phone ${phone.internalNumber} has no mobile app account`);
    return this.view(phone);
  }

  revoke(key: string): { internalNumber: string; username: string } {
    let revoked: { mac: string; internalNumber: string; username: string } | undefined;
    const r = this.deps.config.update((c) => {
      const p = findPhone(c, key);
      if (!p) fail('E_NOT_FOUND', `no phone ${key}`);
      if (!p.mobile) fail('E_NOT_FOUND', `phone ${p.internalNumber} has no mobile app account`);
      revoked = { mac: p.mac, internalNumber: p.internalNumber, username: p.mobile.username };
      delete p.mobile;
    });
    if (!r.ok) throw r.error;
    const x = revoked!;
    for (const [t, tok] of this.tokens) if (tok.mac === x.mac) this.tokens.delete(t);
    this.deps.dropBindings?.(x.mac);
    this.deps.log.info({ phone: x.internalNumber, username: x.username }, 'mobile app account revoked');
    return { internalNumber: x.internalNumber, username: x.username };
  }

  /**
   * GET /mobile/<token>.xml (through the provisioning handler): the Linphone
   * configuration once, then never again; undefined (404) for an unknown,
   * used, expired or revoked token.
   */
  provisioningFile(token: string, remote: string): string | undefined {
    this.purgeExpired();
    const tok = TOKEN_RE.test(token) ? this.tokens.get(token) : undefined;
    if (!tok) {
      this.deps.log.info({ remote }, 'mobile app: unknown, used or expired provisioning link');
      return undefined;
    }
    this.tokens.delete(token); // single use, whatever happens next
    const phone = this.deps.config.get().phones.find((p) => p.mac === tok.mac);
    if (!phone?.mobile || phone.mobile.username !== tok.username || phone.mobile.enabledAt !== tok.enabledAt) return undefined;
    const s = this.deps.server();
    this.deps.log.info({ phone: phone.internalNumber, username: phone.mobile.username, remote }, 'mobile app: provisioning file served (link used)');
    return linphoneXml({
      username: phone.mobile.username,
      password: phone.mobile.password,
      displayName: displayName(phone),
      domain: s.sipHost,
      server: s.sipHost,
      port: s.sipPort,
      realm: this.deps.config.get().sip.realm,
    });
  }

  /** Live links (tests, diagnostics). */
  liveTokens(): number {
    this.purgeExpired();
    return this.tokens.size;
  }

  private async view(phone: Readonly<Phone>): Promise<MobileAccountView> {
    const m = phone.mobile!;
    const s = this.deps.server();
    const { token, expiresAt } = this.linkFor(phone);
    const provisioningUrl = `${s.httpBase}/mobile/${token}.xml`;
    const qrSvg = await QRCode.toString(provisioningUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return {
      internalNumber: phone.internalNumber,
      name: `${phone.firstName} ${phone.lastName}`.trim(),
      mac: phone.mac,
      username: m.username,
      password: m.password,
      domain: s.sipHost,
      server: s.sipHost,
      port: s.sipPort,
      transport: 'udp',
      realm: this.deps.config.get().sip.realm,
      enabledAt: m.enabledAt,
      provisioningUrl,
      provisioningExpiresAt: new Date(this.deps.clock.now() + (expiresAt - this.deps.clock.monotonic())).toISOString(),
      qrText: provisioningUrl,
      qrSvg,
    };
  }

  /** The phone's live link if it has a while left, else a new one (the older one is dropped: one link per phone). */
  private linkFor(phone: Readonly<Phone>): { token: string; expiresAt: number } {
    this.purgeExpired();
    const now = this.deps.clock.monotonic();
    for (const [t, tok] of this.tokens) {
      if (tok.mac !== phone.mac) continue;
      if (tok.username === phone.mobile!.username && tok.enabledAt === phone.mobile!.enabledAt && tok.expiresAt - now >= REUSE_MIN_LEFT_MS) return { token: t, expiresAt: tok.expiresAt };
      this.tokens.delete(t);
    }
    const token = this.random(16).toString('base64url');
    const expiresAt = now + TOKEN_LIFETIME_MS;
    this.tokens.set(token, { mac: phone.mac, username: phone.mobile!.username, enabledAt: phone.mobile!.enabledAt, expiresAt });
    return { token, expiresAt };
  }

  private purgeExpired(): void {
    const now = this.deps.clock.monotonic();
    for (const [t, tok] of this.tokens) if (tok.expiresAt <= now) this.tokens.delete(t);
  }

  private forgetStale(config: Readonly<Config>): void {
    for (const [t, tok] of this.tokens) {
      const m = config.phones.find((p) => p.mac === tok.mac)?.mobile;
      if (!m || m.username !== tok.username || m.enabledAt !== tok.enabledAt) this.tokens.delete(t);
    }
  }
}

function displayName(phone: Readonly<Phone>): string {
  const name = cleanText(`${phone.firstName} ${phone.lastName}`, 64);
  return name === '' ? phone.internalNumber : name;
}

function formatAccount(a: MobileAccountView): string {
  return [
    `mobile app account of ${a.internalNumber}${a.name ? ` (${a.name})` : ''}`,
    `  SIP username: ${a.username}`,
    `  SIP password: ${a.password}`,
    `  domain:       ${a.domain}`,
    `  server:       ${a.server}:${a.port} (${a.transport}; tcp also)`,
    `  realm:        ${a.realm}`,
    `  QR code (Linphone remote provisioning, one use, until ${a.provisioningExpiresAt}):`,
    `    ${a.qrText}`,
  ].join('\n');
}
