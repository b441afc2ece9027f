import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { EventPublisher } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { Service, ServiceContext } from '../core/service.ts';
import type { Config, ConfigStore } from '../config/index.ts';
import type { BoardDefinition } from '../hal/index.ts';
import { defineCommand, fail, noArgs, type CommandRegistry, type StatusSection } from '../api/index.ts';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createRequest, createResponse, newBranch, newCallId, newTag, topVia, type SipMessage, type SipRequest } from '../sip/message/index.ts';
import { SipTransport, type Endpoint } from '../sip/transport/index.ts';
import {
  TransactionLayer,
  responseDestination,
  type ClientTransactionUser,
  type Destination,
  type ServerTransactionHandle,
  type TransactionUser,
} from '../sip/transaction/index.ts';
import { DigestAuthenticator, type VerifyResult } from '../sip/auth/index.ts';
import { Registrar, readRegister } from './registrar/registrar.ts';
import { BanList } from './registrar/ban-list.ts';
import { answerBytes, challengeResponse, registerKey } from './registrar/stateless.ts';
import { RegistrarThreads, registrarThreadCount, type RegistrarThreadsPort } from './registrar/threads.ts';
import type { FromThread } from './registrar/thread-protocol.ts';
import type { RegisterAnswer } from './registrar/registrar.ts';
import type { PbxEvents } from './events.ts';
import { formatUptime } from '../api/index.ts';
import type { CallJournal } from '../config/index.ts';
import type { MediaEngine } from '../media/types.ts';
import { CallManager } from './calls/call-manager.ts';
import type { SdpPort } from './calls/sdp-port.ts';
import type { Routing } from './calls/call-manager.ts';
import { messageSummary, type VoicemailPort } from './voicemail/index.ts';
import { Subscriptions } from './presence/subscriptions.ts';
import { TrunkRegistration } from './trunk/registration.ts';
import type { Phone } from '../config/index.ts';
import type { NumberingPlan } from './frenchplan/index.ts';

/** Methods a phone must authenticate for (RFC 3261 §22); the rest are answered without credentials. */
const AUTHENTICATED_METHODS = new Set(['REGISTER', 'INVITE', 'SUBSCRIBE', 'PUBLISH', 'MESSAGE', 'REFER', 'NOTIFY', 'INFO', 'UPDATE']);
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE';
/**
 * Option tags we implement (Require/Supported, RFC 3261 §19.2). None yet:
 * session timers (RFC 4028) are left to the phones, and Replaces (RFC 3891)
 * is not handled, so a request that requires either gets 420.
 */
const SUPPORTED_OPTION_TAGS: ReadonlySet<string> = new Set<string>();
/** Auth results that count towards a ban (a missing header or a stale nonce do not: phones do that normally). */
const FAILURES: ReadonlySet<VerifyResult> = new Set(['bad-credentials', 'unknown-user', 'replay', 'malformed']);

export interface SipServiceDeps {
  board: BoardDefinition;
  config: ConfigStore;
  clock: Clock;
  events: EventPublisher<PbxEvents>;
  log: Logger;
  registry: CommandRegistry;
  addStatusSection(s: StatusSection): void;
  /** Live transactions allowed (503 beyond); a registrar benchmark needs many. */
  maxTransactions?: number;
  /** Voicemail boxes (VOX-1), for the B2BUA's voicemail steps and 888. */
  voicemail?: VoicemailPort;
  /** A phone's voicemail counts, for message-summary subscriptions (RFC 3842). */
  mwiCounts?: (mac: string) => { fresh: number; saved: number };
  /** Music on hold (VOX-2). */
  holdMusic?: () => Int16Array;
  /** A phone recorded an announcement with *35*2 (VOX-5). */
  onAnnouncementRecorded?: (mac: string, what: 'pre-answer', samples: Int16Array) => void;
  /** Makes the media relay for calls (a factory from main.ts: it binds sockets; one per service start). */
  media?: () => MediaEngine;
  sdp?: SdpPort;
  journal?: CallJournal;
  /** Host name -> address for the trunk's registrar (node's DNS in main.ts). */
  resolve?: (host: string) => Promise<string>;
  /** The outgoing-call decisions (dial plan, restrictions, capacity): main.ts builds it. */
  route?: (caller: Phone, dialled: string, externalCallsInProgress: number) => Routing;
  /** The numbering plan in force (forwards outside are checked against restriction profiles with it). */
  numbering?: () => NumberingPlan;
  /** Registrar threads (docs/sip-registrar.md "threads"): main.ts gives how to start them; none without it. */
  registrarThreads?: RegistrarThreadsPort;
}

export interface SipCounters {
  challenged: number;
  authFailures: number;
  droppedBanned: number;
  requests: number;
}

/**
 * The SIP side of the PBX: transport + transaction layer + digest
 * authentication + the registrar, and the request dispatch between them
 * (the UA core of RFC 3261 §8.2). Unauthenticated requests are challenged
 * statelessly (no transaction is created for them, so a flood of
 * unauthenticated REGISTERs holds no memory); banned sources are ignored.
 */
export class SipService implements Service, TransactionUser {
  readonly name = 'sip';
  readonly dependsOn = ['config'] as const;
  private transport: SipTransport | undefined;
  private layer: TransactionLayer | undefined;
  private auth: DigestAuthenticator | undefined;
  registrar: Registrar | undefined;
  calls: CallManager | undefined;
  /** SUBSCRIBE/NOTIFY for busy lamps and message waiting (issue 9). */
  subscriptions: Subscriptions | undefined;
  trunk: TrunkRegistration | undefined;
  private mediaEngine: MediaEngine | undefined;
  readonly bans: BanList;
  private readonly authedUser = new WeakMap<SipRequest, string>();
  /** New INVITEs that came from the operator trunk's address (not challenged: the operator does not authenticate to us). */
  private readonly fromTrunk = new WeakSet<SipRequest>();
  private readonly statelessTag = newTag();
  private unsubscribeConfig: (() => void) | undefined;
  private threads: RegistrarThreads | undefined;
  readonly counters: SipCounters = { challenged: 0, authFailures: 0, droppedBanned: 0, requests: 0 };

  constructor(private readonly deps: SipServiceDeps) {
    this.bans = new BanList({ maxFailures: 10, windowMs: 60_000, banMs: 900_000 });
    this.registerCommands();
    deps.addStatusSection({
      name: 'phones',
      render: () => {
        const r = this.registrar;
        const total = this.deps.config.get().phones.length;
        return r ? `${r.registeredCount()} registered of ${total} configured` : `SIP not running (${total} configured)`;
      },
    });
    deps.addStatusSection({
      name: 'trunk',
      render: () => {
        const t = this.trunk?.status();
        return t ? `${t.state} (${t.detail})` : 'SIP not running';
      },
    });
  }

  private sendToPhone: ((req: SipRequest, dest: Destination) => void) | undefined;
  private advertised: { host: string; port: number } | undefined;

  /**
   * RFC 3842 message-waiting indication, unsolicited (phones here do not
   * subscribe until issue 9): a NOTIFY with the box's counts to every
   * registered contact of the phone. Sent when the counts change and when
   * the phone registers, so a phone that restarts gets its lamp back.
   */
  notifyMessageWaiting(mac: string, counts: { fresh: number; saved: number }): void {
    // A phone that subscribed to its box hears it there (RFC 3842); the unsolicited NOTIFY is for the others.
    if (this.subscriptions?.countsChanged(mac)) return;
    const phone = this.deps.config.get().phones.find((p) => p.mac === mac);
    const adv = this.advertised;
    if (!phone || !adv) return;
    if (!this.notifyPhone(phone, 'message-summary', 'application/simple-message-summary', messageSummary(`sip:${phone.internalNumber}@${adv.host}`, counts))) return;
    this.deps.log.info({ phone: phone.internalNumber, new: counts.fresh, saved: counts.saved }, 'message-waiting NOTIFY sent');
  }

  /**
   * An unsolicited NOTIFY to every registered contact of a phone (message
   * waiting, check-sync); false when the phone has none or SIP is not running.
   */
  private notifyPhone(phone: Phone, event: string, contentType: string | undefined, body: string): boolean {
    const send = this.sendToPhone;
    const adv = this.advertised;
    if (!send || !adv || !this.registrar) return false;
    const contacts = this.registrar.contactsOf(phone.mac);
    const account = `sip:${phone.internalNumber}@${adv.host}`;
    for (const b of contacts) {
      const transport = b.source.transport.toUpperCase();
      const req = createRequest({
        method: 'NOTIFY',
        uri: b.contact,
        headers: [
          ['Via', `SIP/2.0/${transport} ${adv.host}:${adv.port};branch=${newBranch()};rport`],
          ['Max-Forwards', '70'],
          ['From', `<${account}>;tag=${newTag()}`],
          ['To', `<${account}>`],
          ['Call-ID', newCallId()],
          ['CSeq', '1 NOTIFY'],
          ['Event', event],
          ['Subscription-State', 'active'],
          ...(contentType ? ([['Content-Type', contentType]] as Array<[string, string]>) : []),
        ],
        body: Buffer.from(body),
      });
      send(req, { ...b.source });
    }
    return contacts.length > 0;
  }

  /** The screen keys each phone was last told about (KEY-1), to push only real changes. */
  private readonly keysSent = new Map<string, string>();

  /**
   * KEY-1 (better than the guide): when a phone's screen keys change, it is
   * told to fetch its configuration again (NOTIFY Event: check-sync, the
   * Aastra/Yealink convention), so no one has to reboot it.
   */
  private pushKeyChanges(config: Readonly<Config>): void {
    for (const phone of config.phones) {
      const keys = JSON.stringify(phone.screenKeys);
      const before = this.keysSent.get(phone.mac);
      this.keysSent.set(phone.mac, keys);
      if (before === undefined || before === keys) continue;
      if (this.notifyPhone(phone, 'check-sync;reboot=false', undefined, '')) this.deps.log.info({ phone: phone.internalNumber }, 'screen keys changed: check-sync NOTIFY sent');
    }
  }

  get port(): number {
    return this.transport?.port ?? 0;
  }

  async start(ctx: ServiceContext): Promise<void> {
    const cfg = this.deps.config.get();
    this.applyBanPolicy(cfg);
    const registrar = new Registrar(cfg, this.deps.clock, this.deps.events, this.deps.log.child({ part: 'registrar' }));
    this.registrar = registrar;
    // The nonce key: shared with the registrar threads, so that a nonce issued by one checks in any.
    const secret = randomBytes(32);
    const nonceLifetimeMs = cfg.sip.nonceLifetimeSeconds * 1000;
    this.auth = new DigestAuthenticator({
      clock: this.deps.clock,
      secret,
      realm: cfg.sip.realm,
      algorithms: cfg.sip.digestAlgorithms,
      nonceLifetimeMs,
      maxTrackedNonces: 50_000,
      credentials: (username, realm) => {
        if (realm !== cfg.sip.realm) return undefined;
        const password = registrar.passwordOf(username);
        return password === undefined ? undefined : { password };
      },
    });
    const transport = new SipTransport(
      {
        listen: this.deps.board.network.listen,
        port: this.deps.board.sip.port,
        advertise: this.deps.board.network.advertise,
      },
      {
        onMessage: (msg, source) => this.onMessage(msg, source),
        onConnectionClosed: (id) => this.layer?.connectionFailed(id),
      },
      this.deps.clock,
      this.deps.log.child({ part: 'transport' }),
    );
    this.layer = new TransactionLayer({
      transport,
      tu: this,
      clock: this.deps.clock,
      timers: { t1: cfg.sip.timers.t1, t2: cfg.sip.timers.t2, t4: cfg.sip.timers.t4 },
      maxTransactions: this.deps.maxTransactions ?? 200_000,
    });
    await transport.start();
    this.transport = transport;
    registrar.start();
    this.startThreads(cfg, transport, { secret, nonceLifetimeMs });
    const layer = this.layer;
    const { sdp, journal } = this.deps;
    /** The B2BUA's INVITE client transactions by request, for abandon() (§9.1). */
    const invites = new WeakMap<SipRequest, { terminate(): void }>();
    const sendRequest = (req: SipRequest, dest: Destination, user: ClientTransactionUser): boolean => {
      const tx = layer.sendRequest(req, dest, user);
      if (tx && req.method === 'INVITE') invites.set(req, tx);
      return tx !== undefined;
    };
    const advertise = { host: this.deps.board.network.advertise, port: transport.port };
    this.sendToPhone = (req, dest) => void sendRequest(req, dest, { onResponse: () => {}, onTimeout: () => {}, onTransportError: () => {} });
    this.advertised = advertise;
    const trunk = new TrunkRegistration(
      {
        clock: this.deps.clock,
        log: this.deps.log.child({ part: 'trunk' }),
        events: this.deps.events,
        sip: { sendRequest, advertise },
        resolve: this.deps.resolve ?? (async (host) => host),
      },
      cfg.trunk,
    );
    this.trunk = trunk;
    trunk.start();
    if (this.deps.media && sdp && journal) {
      const media = this.deps.media();
      this.mediaEngine = media;
      this.calls = new CallManager({
        clock: this.deps.clock,
        log: this.deps.log.child({ part: 'calls' }),
        media,
        sdp,
        journal,
        config: () => this.deps.config.get(),
        contactsOf: (mac) => registrar.contactsOf(mac),
        trunk,
        ...(this.deps.route ? { route: this.deps.route } : {}),
        ...(this.deps.numbering ? { numbering: this.deps.numbering } : {}),
        onCallsChanged: (counts) => {
          this.deps.events.emit('calls.changed', counts);
          this.subscriptions?.phonesChanged();
        },
        ...(this.deps.voicemail ? { voicemail: this.deps.voicemail } : {}),
        ...(this.deps.holdMusic ? { holdMusic: this.deps.holdMusic } : {}),
        ...(this.deps.onAnnouncementRecorded ? { onAnnouncementRecorded: this.deps.onAnnouncementRecorded } : {}),
        sip: {
          sendRequest,
          abandon: (req) => invites.get(req)?.terminate(),
          sendStateless: (msg, dest) => void layer.sendStateless(msg, dest),
          findInviteForCancel: (cancel) => layer.findInviteServerTransactionForCancel(cancel),
          advertise,
          t1: layer.timers.t1,
          t2: layer.timers.t2,
        },
      });
    }
    const calls = this.calls;
    if (calls) {
      this.subscriptions = new Subscriptions({
        clock: this.deps.clock,
        log: this.deps.log.child({ part: 'subscriptions' }),
        config: () => this.deps.config.get(),
        sip: { sendRequest, advertise },
        viaFor: calls.viaFor,
        contact: (t) => calls.contact(t),
        watchedState: (mac) => calls.watchedState(mac),
        mwiCounts: (mac) => this.deps.mwiCounts?.(mac) ?? { fresh: 0, saved: 0 },
      });
    }
    for (const p of cfg.phones) this.keysSent.set(p.mac, JSON.stringify(p.screenKeys));
    this.unsubscribeConfig = this.deps.config.onChange((changed, config) => {
      if (changed.includes('phones') || changed.includes('sip')) {
        registrar.reconfigure(config);
        this.threads?.credentials(registrar.credentials());
      }
      if (changed.includes('phones')) this.pushKeyChanges(config);
      if (changed.includes('sip')) this.applyBanPolicy(config);
      if (changed.includes('trunk')) trunk.reconfigure(config.trunk);
    });
    void ctx;
    this.deps.log.info({ port: transport.port, listen: this.deps.board.network.listen }, 'SIP listening on UDP and TCP');
  }

  async stop(): Promise<void> {
    this.unsubscribeConfig?.();
    this.unsubscribeConfig = undefined;
    this.subscriptions?.stop();
    this.subscriptions = undefined;
    this.calls?.shutdown();
    this.calls = undefined;
    this.trunk?.stop();
    this.trunk = undefined;
    await this.mediaEngine?.close();
    this.mediaEngine = undefined;
    this.registrar?.stop();
    this.layer?.stop();
    // The threads read the socket through their own descriptors: they stop first.
    await this.threads?.stop();
    this.threads = undefined;
    await this.transport?.stop();
    this.transport = undefined;
    this.layer = undefined;
    this.registrar = undefined;
  }

  private applyBanPolicy(cfg: Readonly<Config>): void {
    const b = cfg.sip.ban;
    this.bans.setPolicy({ maxFailures: b.maxFailures, windowMs: b.windowSeconds * 1000, banMs: b.banSeconds * 1000 });
  }

  private onMessage(msg: SipMessage, source: Endpoint): void {
    const layer = this.layer;
    if (!layer) return;
    const now = this.deps.clock.monotonic();
    if (this.bans.isBanned(source.host, now)) {
      this.counters.droppedBanned++;
      return;
    }
    if (msg.kind === 'request') {
      this.counters.requests++;
      if (this.rejectUnsupportedExtensions(msg, source)) return;
      if (msg.method === 'REGISTER' && source.transport === 'UDP' && this.registerStateless(msg, source, now)) return;
      // In-dialog requests (To tag) are matched against dialogs with unguessable tags and not challenged.
      if (AUTHENTICATED_METHODS.has(msg.method) && !hasToTag(msg) && !layer.findServerTransaction(msg)) {
        if (msg.method === 'INVITE' && this.isTrunk(source)) this.fromTrunk.add(msg);
        else if (!this.authenticate(msg, source, now)) return;
      }
    }
    layer.receive(msg, source);
  }

  /**
   * A REGISTER over UDP is handled as a stateless UAS (RFC 3261 §8.2.7), the
   * way registrars usually are (Kamailio's registrar answers with sl): no
   * server transaction, whose parsed request and response and timer would
   * stay in memory for 32 s (Timer J) per registration. A retransmission is
   * processed again, as a stateless UAS does: the authenticator knows it by
   * its transaction key (§17.2.3) and nonce-count, so it is not taken for a
   * replay, and the registrar applies the same Call-ID and CSeq once
   * (bindings.ts). Returns false for a request without an RFC 3261 branch
   * (RFC 2543 peer): the transaction layer matches those.
   */
  private registerStateless(req: SipRequest, source: Endpoint, now: number): boolean {
    const transport = this.transport;
    const registrar = this.registrar;
    const keyed = registerKey(req);
    if (!transport || !registrar || !keyed) return false;
    if (!this.authenticate(req, source, now, keyed.key)) return true; // challenged (or dropped: banned)
    const user = this.authedUser.get(req);
    if (user === undefined) return true;
    const answer = registrar.register(user, readRegister(req), source);
    transport.sendRaw(answerBytes(req, answer, this.statelessTag), responseDestination(keyed.via, source));
    return true;
  }

  /**
   * Registrar threads: started on duplicates of the UDP sockets when main.ts
   * gave the means and the config wants any (sip.registrar.threads). Not
   * starting them is never an error: the main thread reads the sockets anyway.
   */
  private startThreads(cfg: Readonly<Config>, transport: SipTransport, auth: { secret: Buffer; nonceLifetimeMs: number }): void {
    const port = this.deps.registrarThreads;
    const count = registrarThreadCount(cfg.sip.registrar.threads, availableParallelism());
    if (!port || count === 0 || !this.registrar) return;
    const sockets = transport.udpDescriptors();
    if (!sockets || sockets.length === 0) {
      this.deps.log.warn('registrar threads off: the UDP sockets\' descriptors are not visible in this node');
      return;
    }
    const threads = new RegistrarThreads(port, this.deps.log.child({ part: 'registrar' }));
    this.threads = threads;
    threads.start(
      count,
      {
        sockets,
        mainTimeOrigin: performance.timeOrigin,
        secret: new Uint8Array(auth.secret),
        realm: cfg.sip.realm,
        algorithms: [...cfg.sip.digestAlgorithms],
        nonceLifetimeMs: auth.nonceLifetimeMs,
        toTag: this.statelessTag,
        maxMessageSize: transport.maxMessageSize,
        logLevel: this.deps.log.level,
        credentials: this.registrar.credentials(),
      },
      {
        datagram: (data, host, port) => transport.receiveDatagram(data, host, port),
        register: (m) => this.threadRegister(m),
      },
    );
    this.deps.log.info({ threads: count }, 'registrar threads reading the SIP UDP sockets');
  }

  /**
   * A REGISTER from a registrar thread, its credentials checked there: the
   * same steps as registerStateless from there on, with the nonce-count
   * accepted here, where it is kept. A nonce-count refused (a replay, an
   * evicted nonce): the thread sends the datagram down the main path, which
   * answers and counts it as if it had read it.
   */
  private threadRegister(m: Extract<FromThread, { op: 'register' }>): RegisterAnswer | null | 'judge' {
    const now = this.deps.clock.monotonic();
    if (this.bans.isBanned(m.host, now)) {
      this.counters.droppedBanned++;
      return null;
    }
    const registrar = this.registrar;
    const auth = this.auth;
    if (!registrar || !auth) return null;
    if (auth.acceptUse(m.use) !== 'ok') return 'judge';
    this.counters.requests++;
    this.bans.recordSuccess(m.host);
    return registrar.register(m.user, m.request, { transport: 'UDP', host: m.host, port: m.port });
  }

  /**
   * Is this the operator? A new INVITE from the trunk's address (the
   * registrar or static peer we send to, whatever the source port: SBCs
   * often send from another one) is a call from outside and is not
   * challenged; phones never share the operator's address (docs/incoming.md).
   */
  private isTrunk(source: Endpoint): boolean {
    const t = this.trunk?.target();
    return t !== undefined && t.host === source.host;
  }

  /**
   * RFC 3261 §8.2.2.3: "If a UAS does not understand an option-tag listed in a
   * Require header field, it MUST respond by generating a response with status
   * code 420 (Bad Extension). The UAS MUST add an Unsupported header field".
   * Require is not used in CANCEL or in ACK. Answered statelessly, before any
   * authentication: nothing is processed.
   */
  private rejectUnsupportedExtensions(req: SipRequest, source: Endpoint): boolean {
    if (req.method === 'ACK' || req.method === 'CANCEL') return false;
    const required = req.headers.getAll('require').map((o) => o.trim().toLowerCase()).filter((o) => o !== '');
    const unsupported = required.filter((o) => !SUPPORTED_OPTION_TAGS.has(o));
    if (unsupported.length === 0) return false;
    const via = topVia(req.headers);
    if (via) {
      const res = createResponse(req, 420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]], undefined, { toTag: this.statelessTag });
      this.layer!.sendStateless(res, responseDestination(via, source));
    }
    return true;
  }

  /**
   * Verifies the digest (`key`: the transaction key of a request answered
   * statelessly, see registerStateless); on failure answers 401 statelessly
   * and counts towards a ban.
   */
  private authenticate(req: SipRequest, source: Endpoint, now: number, key?: string): boolean {
    const auth = this.auth!;
    const header = req.headers.get('authorization');
    const outcome = auth.verify(req.method, header, req.body, key);
    if (outcome.result === 'ok' && outcome.username !== undefined) {
      this.authedUser.set(req, outcome.username);
      this.bans.recordSuccess(source.host);
      return true;
    }
    if (header !== undefined && FAILURES.has(outcome.result)) {
      this.counters.authFailures++;
      this.deps.log.info({ from: source.host, user: outcome.username, result: outcome.result }, 'authentication failed');
      const ban = this.bans.recordFailure(source.host, now);
      if (ban) {
        this.deps.log.warn({ address: ban.address, failures: ban.failures, seconds: Math.round((ban.until - now) / 1000) }, 'source banned after repeated authentication failures');
        this.deps.events.emit('sip.banned', { address: ban.address, untilMs: ban.until, failures: ban.failures });
        this.banListChanged(now);
        return false; // from now on it gets no answer at all
      }
    }
    const res = challengeResponse(req, auth, outcome.result === 'stale', this.statelessTag);
    this.counters.challenged++;
    const via = topVia(req.headers);
    if (via) this.layer!.sendStateless(res, responseDestination(via, source));
    return false;
  }

  /** The registrar threads drop what the main thread drops: they get the ban list whenever it changes. */
  private banListChanged(now: number): void {
    this.threads?.bans(this.bans.list(now).map((b) => [b.address, b.until - now]));
  }

  // --- TransactionUser ---

  onRequest(request: SipRequest, tx: ServerTransactionHandle, source: Destination): void {
    const respond = (status: number, reason?: string, headers: Array<[string, string]> = []): void => {
      tx.respond(createResponse(request, status, reason, headers, undefined, { toTag: this.statelessTag }));
    };
    switch (request.method) {
      case 'REGISTER': {
        const user = this.authedUser.get(request);
        if (user === undefined || !this.registrar) {
          respond(500, 'Server Internal Error');
          return;
        }
        this.registrar.handleRegister({ request, authUser: user, source, respond });
        return;
      }
      case 'OPTIONS':
        respond(200, 'OK', [
          ['Allow', ALLOW],
          ['Accept', 'application/sdp'],
          ['Accept-Language', 'fr, en'],
        ]);
        return;
      case 'CANCEL':
        if (this.calls) this.calls.cancel(request, tx);
        else respond(481, 'Call/Transaction Does Not Exist');
        return;
      case 'INVITE':
        if (!hasToTag(request)) {
          const user = this.authedUser.get(request);
          if (this.calls && this.fromTrunk.has(request)) this.calls.newTrunkInvite(request, tx, source);
          else if (!this.calls || user === undefined) respond(503, 'Service Unavailable');
          // A mobile app (WEB-7) calls as its phone: same identity, same restrictions.
          else this.calls.newInvite(request, tx, source, this.registrar?.phoneUsernameOf(user) ?? user);
          return;
        }
        if (!this.calls?.inDialog(request, tx)) respond(481, 'Call/Transaction Does Not Exist');
        return;
      case 'SUBSCRIBE': {
        const user = this.authedUser.get(request);
        if (!this.subscriptions || user === undefined) respond(503, 'Service Unavailable');
        else this.subscriptions.handle(request, tx, source, this.registrar?.phoneUsernameOf(user) ?? user);
        return;
      }
      case 'BYE':
      case 'UPDATE':
      case 'INFO':
      case 'REFER':
      case 'NOTIFY':
        if (!this.calls?.inDialog(request, tx)) respond(481, 'Call/Transaction Does Not Exist');
        return;
      default:
        // §8.2.1: a method we do not handle (yet) gets 501 with our Allow list.
        respond(501, 'Not Implemented', [['Allow', ALLOW]]);
    }
  }

  onAck(ack: SipRequest): void {
    // ACKs for 2xx belong to dialogs (§13.2.2.4).
    this.calls?.ack(ack);
  }
  onStrayResponse(): void {
    // A response matching no client transaction: a B2BUA drops it (§18.1.2).
  }
  onServerTimeout(tx: ServerTransactionHandle): void {
    this.deps.log.debug({ method: tx.request.method }, 'server transaction timed out');
  }
  onServerTransportError(tx: ServerTransactionHandle): void {
    this.deps.log.debug({ method: tx.request.method, to: tx.destination }, 'could not send response');
  }

  private registerCommands(): void {
    const r = this.deps.registry;
    r.register(
      defineCommand({
        name: 'phones',
        readOnly: true,
        summary: 'configured phones and their registrations',
        args: noArgs,
        roles: ['technician', 'admin'],
        run: () => {
          const now = this.deps.clock.monotonic();
          const regs = this.registrar?.registrations() ?? this.deps.config.get().phones.map((phone) => ({ phone, bindings: [] }));
          return regs.map(({ phone, bindings }) => ({
            internalNumber: phone.internalNumber,
            name: `${phone.firstName} ${phone.lastName}`.trim(),
            mac: phone.mac,
            username: phone.sip.username,
            registered: bindings.length > 0,
            contacts: bindings.map((b) => ({
              contact: b.contact,
              from: `${b.source.transport.toLowerCase()}:${b.source.host}:${b.source.port}`,
              expiresIn: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
              userAgent: b.userAgent ?? '',
            })),
          }));
        },
        format: (rows) =>
          rows.length === 0
            ? 'no phones configured'
            : rows
                .map((p) => {
                  const head = `${p.internalNumber}  ${(p.name || '(no name)').padEnd(20)} ${p.mac}  ${p.registered ? 'registered' : 'not registered'}`;
                  return [head, ...p.contacts.map((c) => `     ${c.contact} via ${c.from}, expires in ${c.expiresIn}s ${c.userAgent}`.trimEnd())].join('\n');
                })
                .join('\n'),
      }),
      defineCommand({
        name: 'bans',
        readOnly: true,
        summary: 'source addresses ignored after repeated authentication failures',
        args: noArgs,
        roles: ['technician', 'admin'],
        run: () => {
          const now = this.deps.clock.monotonic();
          return this.bans.list(now).map((b) => ({ address: b.address, failures: b.failures, remaining: formatUptime(b.until - now) }));
        },
        format: (rows) => (rows.length === 0 ? 'no banned addresses' : rows.map((b) => `${b.address}  ${b.failures} failures, lifted in ${b.remaining}`).join('\n')),
      }),
      defineCommand({
        name: 'ban lift',
        summary: 'lift the ban of an address',
        positional: ['address'],
        args: z.strictObject({ address: z.string().min(2).max(64) }),
        roles: ['technician', 'admin'],
        run: ({ address }) => {
          if (!this.bans.lift(address)) fail('E_NOT_FOUND', `${address} is not banned`);
          this.banListChanged(this.deps.clock.monotonic());
          this.deps.log.info({ address }, 'ban lifted');
          return { address, lifted: true };
        },
        format: (x) => `${x.address}: ban lifted`,
      }),
      defineCommand({
        name: 'calls',
        readOnly: true,
        summary: 'calls in progress: legs, state, codec, media statistics',
        args: noArgs,
        roles: ['technician', 'admin'],
        run: () => this.calls?.activeCalls() ?? [],
        format: (calls) =>
          calls.length === 0
            ? 'no calls in progress'
            : calls
                .map((c) => {
                  const head = `${c.id}  ${c.caller.number} -> ${c.callee.number}  ${c.state}${c.ringing ? ` (ringing ${c.ringing.join(', ')})` : ''}${c.codec ? `  ${c.codec}` : ''}`;
                  if (!c.media) return head;
                  const leg = (name: string, m: NonNullable<typeof c.media>['a']): string =>
                    `     leg ${name}: rx ${m.packetsReceived} tx ${m.packetsSent} lost ${m.packetsLost} jitter ${m.jitterMs.toFixed(1)} ms${m.dtmfReceived ? ` dtmf ${m.dtmfReceived}` : ''}`;
                  return [head, leg('a', c.media.a), leg('b', c.media.b)].join('\n');
                })
                .join('\n'),
      }),
      defineCommand({
        name: 'callbacks',
        readOnly: true,
        summary: 'automatic callback requests (FWD-6, *37): who waits for whom',
        args: noArgs,
        roles: ['technician', 'admin'],
        run: () => {
          const cfg = this.deps.config.get();
          const number = (mac: string): string => cfg.phones.find((p) => p.mac === mac)?.internalNumber ?? mac;
          const now = this.deps.clock.monotonic();
          return (this.calls?.pendingCallbacks() ?? []).map((r) => ({
            requester: number(r.requester),
            target: number(r.target),
            waitingSeconds: Math.round((now - r.requestedAt) / 1000),
            ringing: r.ringing,
          }));
        },
        format: (rows) =>
          rows.length === 0
            ? 'no callback requests'
            : rows.map((r) => `${r.requester} waits for ${r.target}  ${r.waitingSeconds}s${r.ringing ? '  (calling back now)' : ''}`).join('\n'),
      }),
      defineCommand({
        name: 'trunk',
        readOnly: true,
        summary: "the operator trunk's registration and external calls in progress",
        args: noArgs,
        roles: ['technician', 'admin'],
        run: () => {
          const cfg = this.deps.config.get();
          const status = this.trunk?.status() ?? { state: 'disabled' as const, detail: 'SIP not running', registrar: '', consecutiveFailures: 0 };
          return { ...status, username: cfg.trunk.username, externalCalls: this.calls?.externalCalls() ?? 0, maxExternalCalls: cfg.capacity.maxExternalCalls };
        },
        format: (s) =>
          [
            `trunk ${s.state}: ${s.detail}`,
            s.registrar ? `  registrar ${s.registrar} as ${s.username}` : '  no registrar configured',
            ...(s.expiresInSeconds !== undefined ? [`  binding expires in ${s.expiresInSeconds}s`] : []),
            ...(s.retryInSeconds !== undefined ? [`  next attempt in ${s.retryInSeconds}s (${s.consecutiveFailures} failures in a row)`] : []),
            `  external calls ${s.externalCalls} of ${s.maxExternalCalls}`,
          ].join('\n'),
      }),
      defineCommand({
        name: 'sip',
        readOnly: true,
        summary: 'SIP transport and transaction counters',
        args: noArgs,
        roles: ['technician'],
        run: () => ({
          port: this.transport?.port ?? null,
          transport: this.transport?.stats ?? null,
          transactions: this.layer?.stats() ?? null,
          registrarThreads: this.threads?.stats() ?? [],
          calls: this.calls?.count() ?? 0,
          dialogs: this.calls?.dialogs.size ?? 0,
          rtpPortsInUse: this.mediaEngine?.portsInUse() ?? 0,
          // For leak checks (docs/calls.md): V8 heap in use now; garbage included unless node runs with --expose-gc.
          heapUsed: heapUsedAfterGc(),
          ...this.counters,
        }),
      }),
    );
  }
}

function hasToTag(req: SipRequest): boolean {
  const to = req.headers.get('to');
  return to !== undefined && /;\s*tag\s*=/i.test(to);
}

/** process.memoryUsage().heapUsed, after a full collection when node was started with --expose-gc (tests). */
function heapUsedAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}
