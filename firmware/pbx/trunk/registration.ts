import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { EventPublisher } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { Config } from '../../config/index.ts';
import { createRequest, getContacts, isSipUri, getExpires, newBranch, newCallId, newTag, type SipRequest, type SipResponse } from '../../sip/message/index.ts';
import { buildAuthorization, selectChallenge, type DigestChallenge } from '../../sip/auth/index.ts';
import type { ClientTransactionUser, Destination } from '../../sip/transaction/index.ts';
import type { PbxEvents } from '../events.ts';

export type TrunkConfig = Config['trunk'];

/** The part of the SIP stack the trunk client needs (the same one the B2BUA uses). */
export interface TrunkSip {
  sendRequest(request: SipRequest, destination: Destination, user: ClientTransactionUser): boolean;
  readonly advertise: { host: string; port: number };
}

export interface TrunkDeps {
  clock: Clock;
  log: Logger;
  events: EventPublisher<PbxEvents>;
  sip: TrunkSip;
  /** Host name or literal -> IP literal (DNS at the edge: main.ts / sip-service gives node's resolver). */
  resolve(host: string): Promise<string>;
}

/** 'static': an IP-authenticated trunk (trunk.register false): calls go to its address, nothing registers. */
export type TrunkState = 'disabled' | 'resolving' | 'registering' | 'registered' | 'static' | 'failed';

export interface TrunkStatus {
  state: TrunkState;
  /** What went wrong last, in words (console, web). */
  detail: string;
  registrar: string;
  /** Seconds until the binding expires (registered) or until the next attempt (failed). */
  expiresInSeconds?: number;
  retryInSeconds?: number;
  consecutiveFailures: number;
  registeredSince?: number;
}

/** Re-register this long before the binding expires (RFC 3261 §10.2.4 leaves it to the UA). */
function refreshDelaySeconds(expires: number): number {
  return expires > 60 ? expires - 30 : Math.max(1, Math.floor(expires / 2));
}

/**
 * The operator trunk's outbound registration (RFC 3261 §10.2): one REGISTER
 * binding our Contact to the trunk account, answered challenges (401 and
 * 407, digest MD5 or SHA-256), refreshed before it expires, 423 handled with
 * Min-Expires, and exponential back-off on failure (trunk.retryMinSeconds
 * doubling up to trunk.retryMaxSeconds). State changes go to the log and the
 * event bus ('trunk.state'); the same digest credentials answer challenges to
 * outgoing INVITEs (authorize()).
 */
export class TrunkRegistration {
  private cfg: TrunkConfig;
  private state: TrunkState = 'disabled';
  private detail = 'trunk disabled in the configuration';
  private destination: Destination | undefined;
  private readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 0;
  private timer: TimerHandle | undefined;
  private failures = 0;
  private expiresAt: number | undefined;
  private retryAt: number | undefined;
  private registeredSince: number | undefined;
  private expires: number;
  /**
   * The challenges answered so far, one per realm and kind (a proxy's 407 and
   * the registrar's 401 may both apply, RFC 3261 §22.3): every REGISTER
   * carries credentials for each, with the nonce-count of each nonce going up.
   */
  private readonly challenges = new Map<string, { challenge: DigestChallenge; proxy: boolean; nc: number }>();
  /** Bumped on stop/reconfigure: late answers of an older cycle are ignored. */
  private generation = 0;
  private running = false;

  constructor(
    private readonly deps: TrunkDeps,
    config: TrunkConfig,
  ) {
    this.cfg = config;
    this.expires = config.registerExpires;
  }

  start(): void {
    this.running = true;
    this.begin();
  }

  /** Unregisters (Expires: 0, best effort) and stops every timer. */
  stop(): void {
    if (this.state === 'registered' && this.destination) this.send(0, this.generation, () => {});
    this.running = false;
    this.generation++;
    // A stopped or disabled trunk takes no calls: target() is empty until the next successful start.
    this.destination = undefined;
    this.challenges.clear();
    this.timer?.cancel();
    this.timer = undefined;
    this.setState('disabled', 'stopped');
  }

  /** New trunk settings: start again from scratch when anything that matters changed. */
  reconfigure(config: TrunkConfig): void {
    if (JSON.stringify(config) === JSON.stringify(this.cfg)) return;
    const wasRunning = this.running;
    this.stop();
    this.cfg = config;
    this.expires = config.registerExpires;
    this.failures = 0;
    if (wasRunning) this.start();
  }

  /** Where calls to the operator go, once the registrar's address is known. */
  target(): Destination | undefined {
    return this.destination;
  }

  get domain(): string {
    return this.cfg.domain || this.cfg.registrar;
  }

  get config(): TrunkConfig {
    return this.cfg;
  }

  isRegistered(): boolean {
    return this.state === 'registered';
  }

  status(): TrunkStatus {
    const now = this.deps.clock.monotonic();
    const s: TrunkStatus = {
      state: this.state,
      detail: this.detail,
      registrar: this.cfg.registrar ? `${this.cfg.transport}:${this.cfg.registrar}:${this.cfg.port}` : '',
      consecutiveFailures: this.failures,
    };
    if (this.state === 'registered' && this.expiresAt !== undefined) s.expiresInSeconds = Math.max(0, Math.round((this.expiresAt - now) / 1000));
    if (this.state === 'failed' && this.retryAt !== undefined) s.retryInSeconds = Math.max(0, Math.round((this.retryAt - now) / 1000));
    if (this.registeredSince !== undefined && this.state === 'registered') s.registeredSince = this.registeredSince;
    return s;
  }

  /**
   * Credentials for a 401/407 to a request of ours (an outgoing INVITE): the
   * header to add, or undefined when the challenge cannot be answered.
   */
  authorize(challengeResponse: SipResponse, method: string, uri: string, body?: Buffer): { name: string; value: string } | undefined {
    const proxy = challengeResponse.status === 407;
    const challenge = selectChallenge(challengeResponse.headers.getFields(proxy ? 'proxy-authenticate' : 'www-authenticate'));
    if (!challenge) return undefined;
    const value = buildAuthorization(challenge, this.credentials(), method, uri, body ? { body } : {});
    return value ? { name: proxy ? 'Proxy-Authorization' : 'Authorization', value } : undefined;
  }

  private credentials(): { username: string; password: string } {
    return { username: this.cfg.authUsername || this.cfg.username, password: this.cfg.password };
  }

  private begin(): void {
    if (!this.running) return;
    const cfg = this.cfg;
    if (!cfg.enabled) {
      this.destination = undefined;
      this.setState('disabled', 'trunk disabled in the configuration');
      return;
    }
    if (!cfg.registrar || !cfg.username) {
      this.destination = undefined;
      this.setState('disabled', 'trunk enabled but its registrar or user name is missing');
      return;
    }
    const generation = this.generation;
    this.setState('resolving', `looking up ${cfg.registrar}`);
    this.deps.resolve(cfg.registrar).then(
      (address) => {
        if (generation !== this.generation) return;
        this.destination = { transport: cfg.transport.toUpperCase(), host: address, port: cfg.port };
        if (cfg.register) this.register(generation);
        else this.setState('static', `no registration: calls go to ${address}:${cfg.port}`);
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        this.fail(`cannot resolve ${cfg.registrar}: ${(err as Error).message}`);
      },
    );
  }

  private register(generation: number): void {
    this.setState(this.state === 'registered' ? 'registered' : 'registering', this.state === 'registered' ? 'refreshing' : 'registering');
    /** Realm+kind answered in this cycle: a second challenge of the same one means the credentials are wrong. */
    const answered = new Set<string>();
    const onResponse = (res: SipResponse): void => {
      if (generation !== this.generation || res.status < 200) return;
      if (res.status === 401 || res.status === 407) {
        const proxy = res.status === 407;
        const header = proxy ? 'proxy-authenticate' : 'www-authenticate';
        const challenge = selectChallenge(res.headers.getFields(header));
        if (!challenge || !buildAuthorization(challenge, this.credentials(), 'REGISTER', this.requestUri())) {
          this.fail(`the operator's challenge cannot be answered (${res.headers.get(header) ?? 'none'})`);
          return;
        }
        const key = `${proxy ? 'proxy' : 'www'}:${challenge.realm}`;
        // Challenged again for a realm we answered: wrong credentials, unless the nonce only went stale (RFC 2617 §3.2.1).
        if (answered.has(key) && !challenge.stale) {
          this.fail(`the operator refused the credentials of ${this.credentials().username} (${res.status})`);
          return;
        }
        answered.add(key);
        this.challenges.set(key, { challenge, proxy, nc: 0 });
        this.send(this.expires, generation, onResponse);
        return;
      }
      if (res.status === 423) {
        const min = Number(res.headers.get('min-expires'));
        if (Number.isInteger(min) && min > this.expires && min <= 86400) {
          this.deps.log.info({ minExpires: min }, 'trunk: the operator wants a longer registration (423)');
          this.expires = min;
          this.send(this.expires, generation, onResponse);
          return;
        }
        this.fail('423 Interval Too Brief without a usable Min-Expires');
        return;
      }
      if (res.status >= 300) {
        this.fail(`the operator answered ${res.status} ${res.reason}`);
        return;
      }
      this.registered(res);
    };
    this.send(this.expires, generation, onResponse);
  }

  private registered(res: SipResponse): void {
    const granted = this.grantedExpires(res);
    const now = this.deps.clock.monotonic();
    const first = this.state !== 'registered';
    this.failures = 0;
    this.retryAt = undefined;
    this.expiresAt = now + granted * 1000;
    if (first) this.registeredSince = this.deps.clock.now();
    this.setState('registered', `registered for ${granted} s`);
    this.timer?.cancel();
    const generation = this.generation;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) this.register(generation);
    }, refreshDelaySeconds(granted) * 1000);
  }

  /** §10.2.4: the expiry the registrar granted our Contact (its expires param, else Expires, else what we asked). */
  private grantedExpires(res: SipResponse): number {
    const contacts = getContacts(res.headers);
    const adv = this.deps.sip.advertise;
    const mine =
      contacts === '*'
        ? undefined
        : contacts.find((c) => isSipUri(c.uri) && c.uri.host.toLowerCase() === adv.host.toLowerCase() && (c.uri.port ?? 5060) === adv.port && c.uri.user === this.cfg.username);
    const fromContact = mine?.params.get('expires');
    const n = fromContact !== undefined ? Number(fromContact) : getExpires(res.headers);
    return n !== undefined && Number.isInteger(n) && n > 0 ? Math.min(n, 86400) : this.expires;
  }

  private fail(detail: string): void {
    this.failures++;
    const delay = Math.min(this.cfg.retryMinSeconds * 2 ** (this.failures - 1), this.cfg.retryMaxSeconds);
    this.retryAt = this.deps.clock.monotonic() + delay * 1000;
    this.expiresAt = undefined;
    this.setState('failed', detail);
    this.deps.log.warn({ detail, retryInSeconds: delay, failures: this.failures }, 'trunk registration failed');
    this.timer?.cancel();
    const generation = this.generation;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (generation === this.generation) this.begin();
    }, delay * 1000);
  }

  private requestUri(): string {
    return `sip:${this.domain}`;
  }

  /** Credentials for every challenge answered so far (a refresh sends them at once; a new nonce gets a new challenge). */
  private authHeaders(method: string, uri: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const c of this.challenges.values()) {
      c.nc++;
      const value = buildAuthorization(c.challenge, this.credentials(), method, uri, { nc: c.nc });
      if (value) out.push([c.proxy ? 'Proxy-Authorization' : 'Authorization', value]);
    }
    return out;
  }

  private send(expires: number, generation: number, onResponse: (res: SipResponse) => void): void {
    const destination = this.destination;
    if (!destination) return;
    const adv = this.deps.sip.advertise;
    const transport = destination.transport.toUpperCase();
    const aor = `sip:${this.cfg.username}@${this.domain}`;
    const headers: Array<[string, string]> = [
      ['Via', `SIP/2.0/${transport} ${adv.host}:${adv.port};branch=${newBranch()};rport`],
      ['Max-Forwards', '70'],
      ['From', `<${aor}>;tag=${this.fromTag}`],
      ['To', `<${aor}>`],
      ['Call-ID', this.callId],
      ['CSeq', `${++this.cseq} REGISTER`],
      ['Contact', `<sip:${this.cfg.username}@${adv.host}:${adv.port}${transport === 'UDP' ? '' : `;transport=${transport.toLowerCase()}`}>`],
      ['Expires', String(expires)],
      ['User-Agent', 'pbxgate'],
    ];
    headers.push(...this.authHeaders('REGISTER', this.requestUri()));
    const request = createRequest({ method: 'REGISTER', uri: this.requestUri(), headers });
    const sent = this.deps.sip.sendRequest(request, destination, {
      onResponse: (res) => onResponse(res),
      onTimeout: () => {
        if (generation === this.generation && expires > 0) this.fail(`no answer from ${destination.host}:${destination.port} (timeout)`);
      },
      onTransportError: () => {
        if (generation === this.generation && expires > 0) this.fail(`cannot reach ${destination.host}:${destination.port}`);
      },
    });
    if (!sent && expires > 0) this.fail('no transaction available for the REGISTER');
  }

  private setState(state: TrunkState, detail: string): void {
    const changed = state !== this.state;
    this.state = state;
    this.detail = detail;
    if (!changed) return;
    this.deps.log.info({ state, detail }, `trunk ${state}`);
    this.deps.events.emit('trunk.state', { state, detail });
  }
}
