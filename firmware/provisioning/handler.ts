import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { phoneSchema, type ConfigStore, type Phone } from '../config/index.ts';
import { allocateInternalNumber } from '../pbx/numbering.ts';
import {
  aastraDirectoryPages,
  aastraGlobalConfig,
  aastraPhoneConfig,
  directoryXml,
  yealinkCommonConfig,
  yealinkPhoneConfig,
  type ProvisioningServer,
} from './generators.ts';
import { parseUserAgent } from './models.ts';
import { ProvisioningValueError } from './text.ts';

export interface ProvisioningResponse {
  status: number;
  contentType: string;
  body: string;
  /** Extra response headers (Cache-Control, Allow). */
  headers: Record<string, string>;
}

export interface ProvisioningDeps {
  config: ConfigStore;
  clock: Clock;
  log: Logger;
  /** Where the phones reach the box, read on every request (ports are known once the servers listen). */
  server: () => ProvisioningServer;
  /** New phones created per rolling minute before 429 (default 10): a MAC scan cannot fill the config. */
  maxNewPhonesPerMinute?: number;
  /** Who may fetch files (default: loopback, RFC 1918, link-local and IPv6 ULA addresses: the LAN). */
  allowRemote?: (remoteAddress: string) => boolean;
  /** Directory holding vendor files served as is (the Aastra language pack lang_fr.txt); none by default. */
  assetsDir?: string;
  /** Told after a phone was created by its first boot (KEY-2), e.g. to publish an event. */
  onPhoneCreated?: (phone: Readonly<Phone>) => void;
  /** SIP password of a new phone; default 12 random bytes as base64url (16 characters, within Aastra's 20). */
  newPassword?: () => string;
  /**
   * WEB-7: GET /mobile/<token>.xml, a mobile app's one-time Linphone
   * configuration (firmware/pbx/mobile-app.ts); undefined answers 404.
   */
  mobileFile?: (token: string, remoteAddress: string) => string | undefined;
}

/** URLs longer than this are refused before any parsing. */
export const MAX_URL_LENGTH = 256;
const WINDOW_MS = 60_000;
/** Vendor files that may be served from assetsDir: an allow-list, never a path from the request. */
const ASSETS = new Set(['lang_fr.txt']);

const TEXT = 'text/plain; charset=utf-8';
const XML = 'text/xml; charset=utf-8';
const NO_STORE = { 'Cache-Control': 'no-store' };

/** Loopback, RFC 1918, link-local, IPv6 ULA / link-local, also as IPv4-mapped IPv6. */
export function isLanAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(a);
  if (v4) {
    const [x, y] = [Number(v4[1]), Number(v4[2])];
    return x === 127 || x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 169 && y === 254);
  }
  return a === '::1' || /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a);
}

/**
 * The phones' provisioning files over HTTP (KEY-2, NUM-3, NUM-9, DIR-1). It
 * has no server of its own: the box's HTTP server calls handle() first and
 * serves its own pages when it answers undefined (not a provisioning path).
 *
 *   GET /aastra.cfg              common Aastra/Mitel settings
 *   GET /<MAC>.cfg               a phone's own file; format from the User-Agent
 *   GET /y000000000NNN.cfg       common Yealink settings
 *   GET /phonebook/aastra.xml[?page=N], /phonebook/yealink.xml   company directory
 *   GET /lang_fr.txt             Aastra language pack, when assetsDir holds it
 *   GET /mobile/<token>.xml      a mobile app's one-time Linphone configuration (WEB-7)
 *
 * An unknown well-formed MAC asked by a recognised phone is a new phone: it is
 * stored with the next free 601-620 number and no name. Everything else that
 * looks like a provisioning request but is not exactly one of these gets 404.
 */
export class ProvisioningHandler {
  private readonly maxPerMinute: number;
  private readonly allowRemote: (remoteAddress: string) => boolean;
  private readonly newPassword: () => string;
  private created: number[] = [];
  private limitedLogged = false;

  constructor(private readonly deps: ProvisioningDeps) {
    this.maxPerMinute = deps.maxNewPhonesPerMinute ?? 10;
    this.allowRemote = deps.allowRemote ?? isLanAddress;
    this.newPassword = deps.newPassword ?? (() => randomBytes(12).toString('base64url'));
  }

  /** undefined: not a provisioning path (the caller serves it or answers 404 itself). */
  handle(method: string, url: string, userAgent: string | undefined, remoteAddress: string): ProvisioningResponse | undefined {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? undefined : url.slice(q + 1);
    if (!ProvisioningHandler.claims(path)) return undefined;
    const log = this.deps.log;
    if (url.length > MAX_URL_LENGTH) return this.notFound(remoteAddress, 'URL too long', url.slice(0, 64));
    if (method !== 'GET') {
      log.debug({ method, url, remote: remoteAddress }, 'provisioning: method not allowed');
      return { status: 405, contentType: TEXT, body: 'method not allowed\n', headers: { Allow: 'GET' } };
    }
    if (!this.allowRemote(remoteAddress)) {
      log.warn({ remote: remoteAddress, url }, 'provisioning: request from outside the LAN refused');
      return this.notFound(remoteAddress, 'not from the LAN', url);
    }
    try {
      return this.route(path, query, userAgent, remoteAddress) ?? this.notFound(remoteAddress, 'no such file', url);
    } catch (err) {
      if (!(err instanceof ProvisioningValueError)) throw err;
      log.error({ url, remote: remoteAddress, err: err.message }, 'provisioning: the file could not be generated');
      return { status: 500, contentType: TEXT, body: 'configuration error\n', headers: NO_STORE };
    }
  }

  /** Paths this handler answers for (with a file or a 404): configuration files, the phonebook, language packs. */
  static claims(path: string): boolean {
    return /\.(cfg|boot)(\W|$)/i.test(path) || path.startsWith('/phonebook/') || /^\/lang_[^/]*\.txt$/i.test(path) || path.startsWith('/mobile/');
  }

  private route(path: string, query: string | undefined, userAgent: string | undefined, remote: string): ProvisioningResponse | undefined {
    const { config, log } = this.deps;
    if (path === '/phonebook/aastra.xml') {
      const page = query === undefined ? 1 : /^page=([1-9]\d?)$/.exec(query)?.[1];
      if (page === undefined || Number(page) > aastraDirectoryPages(config.get())) return undefined;
      const base = `${this.deps.server().httpBase}/phonebook/aastra.xml`;
      const body = directoryXml(config.get(), 'aastra', { page: Number(page), pageUrl: (p) => (p === 1 ? base : `${base}?page=${p}`) });
      log.info({ file: path, page: Number(page), remote }, 'provisioning: phonebook served');
      return { status: 200, contentType: XML, body, headers: NO_STORE };
    }
    if (query !== undefined) return undefined;
    const mobileToken = /^\/mobile\/([A-Za-z0-9_-]{22})\.xml$/.exec(path)?.[1];
    if (mobileToken !== undefined) {
      const body = this.deps.mobileFile?.(mobileToken, remote);
      return body === undefined ? undefined : { status: 200, contentType: XML, body, headers: NO_STORE };
    }
    if (path === '/phonebook/yealink.xml') {
      log.info({ file: path, remote }, 'provisioning: phonebook served');
      return { status: 200, contentType: XML, body: directoryXml(config.get(), 'yealink'), headers: NO_STORE };
    }
    if (path === '/aastra.cfg') {
      log.info({ file: 'aastra.cfg', remote, uaMac: parseUserAgent(userAgent)?.mac }, 'provisioning: file served');
      return { status: 200, contentType: TEXT, body: aastraGlobalConfig(config.get(), this.deps.server()), headers: NO_STORE };
    }
    if (/^\/y\d{12}\.cfg$/.test(path)) {
      log.info({ file: path.slice(1), remote }, 'provisioning: file served');
      return { status: 200, contentType: TEXT, body: yealinkCommonConfig(config.get(), this.deps.server()), headers: NO_STORE };
    }
    const asset = /^\/(lang_[a-z_]+\.txt)$/.exec(path)?.[1];
    if (asset !== undefined) return this.asset(asset, remote);
    const hex = /^\/([0-9A-Fa-f]{12})\.cfg$/.exec(path)?.[1];
    if (hex !== undefined) return this.phoneFile(hex.toLowerCase().match(/../g)!.join(':'), path.slice(1), userAgent, remote);
    return undefined;
  }

  private phoneFile(mac: string, file: string, userAgent: string | undefined, remote: string): ProvisioningResponse | undefined {
    const { config, log } = this.deps;
    const ua = parseUserAgent(userAgent);
    if (!ua) {
      log.debug({ mac, file, remote }, 'provisioning: not an Aastra/Mitel or Yealink User-Agent, nothing served');
      return undefined;
    }
    if (ua.mac !== undefined && ua.mac !== mac) {
      log.warn({ mac, uaMac: ua.mac, file, remote }, "provisioning: a phone asked for another MAC's file, refused");
      return undefined;
    }
    let phone = config.get().phones.find((p) => p.mac === mac);
    if (!phone) {
      const created = this.createPhone(mac, ua.model, remote);
      if ('status' in created) return created;
      phone = created.phone;
    } else if (phone.model === 'unknown') {
      // Declared by hand (`phone add`) before its first boot: the phone type shows in the phone list (WEB-3).
      const r = config.update((c) => {
        const p = c.phones.find((x) => x.mac === mac);
        if (p) p.model = ua.model;
      });
      if (r.ok) phone = config.get().phones.find((p) => p.mac === mac) ?? phone;
    }
    const server = this.deps.server();
    const body = ua.family === 'aastra' ? aastraPhoneConfig(config.get(), phone, server) : yealinkPhoneConfig(config.get(), phone, server);
    log.info({ mac, file, internalNumber: phone.internalNumber, model: ua.model, remote }, 'provisioning: file served');
    return { status: 200, contentType: TEXT, body, headers: NO_STORE };
  }

  /** NUM-3, KEY-2, WEB-3: the next free 601-620 number, no name, a random strong SIP password. */
  private createPhone(mac: string, model: string, remote: string): { phone: Readonly<Phone> } | ProvisioningResponse {
    const { config, clock, log } = this.deps;
    const now = clock.monotonic();
    this.created = this.created.filter((t) => now - t < WINDOW_MS);
    if (this.created.length >= this.maxPerMinute) {
      if (!this.limitedLogged) log.warn({ mac, remote, perMinute: this.maxPerMinute }, 'provisioning: too many new phones this minute, refusing more (429)');
      this.limitedLogged = true;
      return { status: 429, contentType: TEXT, body: 'too many new phones, retry later\n', headers: { 'Retry-After': '60' } };
    }
    this.limitedLogged = false;
    let reason: string | undefined;
    const r = config.update((c) => {
      const n = allocateInternalNumber(c, undefined);
      if (!n.ok) {
        reason = n.reason;
        throw new Error(n.reason);
      }
      // Same factory settings as `phone add` without a DID (RES-3: profile 1).
      c.phones.push(
        phoneSchema.parse({
          mac,
          model,
          internalNumber: n.number,
          sip: { username: n.number, password: this.newPassword() },
          restrictionProfile: 1,
          forwardRestrictionProfile: 1,
          presentedIdentity: 'main',
          installedAt: new Date(clock.now()).toISOString(),
        }),
      );
    });
    if (!r.ok) {
      log.error({ mac, model, remote, reason: reason ?? r.error.message }, `provisioning: new phone ${mac} cannot be created: ${reason ?? r.error.message}`);
      return { status: 503, contentType: TEXT, body: 'no room for a new phone\n', headers: { 'Retry-After': '3600' } };
    }
    this.created.push(now);
    const phone = config.get().phones.find((p) => p.mac === mac)!;
    log.info({ mac, model, internalNumber: phone.internalNumber, remote }, 'provisioning: new phone created (first boot)');
    this.deps.onPhoneCreated?.(phone);
    return { phone };
  }

  private asset(name: string, remote: string): ProvisioningResponse | undefined {
    if (this.deps.assetsDir === undefined || !ASSETS.has(name)) return undefined;
    let body: string;
    try {
      body = readFileSync(join(this.deps.assetsDir, name), 'utf8');
    } catch {
      return undefined;
    }
    this.deps.log.info({ file: name, remote }, 'provisioning: file served');
    return { status: 200, contentType: TEXT, body, headers: {} };
  }

  private notFound(remote: string, why: string, url: string): ProvisioningResponse {
    this.deps.log.debug({ remote, why, url }, 'provisioning: 404');
    return { status: 404, contentType: TEXT, body: 'not found\n', headers: NO_STORE };
  }
}
