import { accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { createTransport as nodemailerCreateTransport } from 'nodemailer';
import type { Clock, Logger, Service, ServiceContext, TimerHandle } from '../core/index.ts';
import { OUTBOX_DIR, Outbox, type MailJob, type MailJobInput } from './outbox.ts';

/** The `smtp` section of the configuration. */
export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  from: string;
}

/** One message as handed to a transport: the outbox job plus the sender. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  attachments: Array<{ filename: string; path?: string; content?: Buffer; contentType?: string }>;
}

export interface MailTransport {
  /** Resolves once the server accepted the message; rejects with the SMTP reason otherwise. */
  send(mail: OutgoingMail): Promise<{ response?: string; messageId?: string }>;
  close(): void;
}

export type TransportFactory = (settings: SmtpSettings) => MailTransport;

export interface RetryPolicy {
  /** First delay after a failure to reach or use the server; doubles on each further failure. */
  firstRetryMs: number;
  /** Cap of that back-off. */
  maxRetryMs: number;
  /** Delay before a message the server refused permanently (5xx on RCPT/DATA) is tried again. */
  refusedRetryMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstRetryMs: 60_000,
  maxRetryMs: 3_600_000,
  refusedRetryMs: 6 * 3_600_000,
};

export interface MailServiceDeps {
  dataDir: string;
  clock: Clock;
  log: Logger;
  /** Current smtp settings (an immutable snapshot of the config section). */
  config(): SmtpSettings;
  /** Subscribes to changes of the smtp settings; returns the unsubscribe. Called at start, undone at stop. */
  watchConfig?(onChange: () => void): () => void;
  /** Default: nodemailer's SMTP transport built from the settings. */
  createTransport?: TransportFactory;
  /** Used in the sender address when smtp.from and smtp.user are not addresses. */
  hostname?(): string;
  retry?: Partial<RetryPolicy>;
  outbox?: { maxJobs?: number; maxBytes?: number };
}

export type MailState = 'stopped' | 'not configured' | 'idle' | 'sending' | 'failing';

export interface MailStatus {
  state: MailState;
  configured: boolean;
  /** "host:port" (+ " (TLS)") of the configured server. */
  server?: string;
  /** Jobs waiting to be sent (including those in back-off). */
  queued: number;
  /** Jobs the server refused permanently; kept and retried every refusedRetryMs. */
  refused: number;
  /** Delivered since the service started. */
  sent: number;
  failing: boolean;
  /** Consecutive failures to reach or use the server. */
  failures: number;
  lastError?: string;
  lastErrorAt?: string;
  lastSentAt?: string;
  /** Time until the next attempt when waiting on a back-off. */
  nextRetryInSeconds?: number;
  outbox: { jobs: number; bytes: number; maxJobs: number; maxBytes: number };
}

/** How a failed attempt is handled. */
type FailureKind = 'server' | 'message';

interface SmtpError {
  message: string;
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

/**
 * Sends the outbox, one message at a time, oldest first. A failure to reach
 * or use the server (connection, DNS, TLS, authentication, any 4xx, a refused
 * sender) holds the whole queue with an exponential back-off (1, 2, 4 ... 60
 * min); a permanent refusal of one message (5xx on RCPT TO or DATA, or a
 * missing attachment file) marks that job 'failed', keeps it, retries it every
 * 6 h, and lets the others go. Nothing is ever deleted but on delivery (or
 * when the bounded outbox is full). A change of the smtp settings or
 * `mail retry` retries everything at once.
 */
export class MailService implements Service {
  readonly name = 'mail';
  /** Reads the smtp settings from the loaded configuration. */
  readonly dependsOn = ['config'] as const;
  readonly outbox: Outbox;
  private readonly policy: RetryPolicy;
  private running = false;
  private generation = 0;
  private timer: TimerHandle | undefined;
  private inFlight: string | undefined;
  private transport: { key: string; t: MailTransport } | undefined;
  private unwatch: (() => void) | undefined;
  private failures = 0;
  private backoffUntil = 0;
  /** Per refused job: monotonic time before which it is not tried again. */
  private readonly notBefore = new Map<string, number>();
  private sent = 0;
  private lastError: { text: string; at: number } | undefined;
  private lastSentAt: number | undefined;
  private pumpQueued = false;

  constructor(private readonly deps: MailServiceDeps) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    this.outbox = new Outbox({ dir: join(deps.dataDir, OUTBOX_DIR), clock: deps.clock, log: deps.log, ...deps.outbox });
  }

  async start(_ctx: ServiceContext): Promise<void> {
    const r = this.outbox.load();
    this.running = true;
    this.generation++;
    this.failures = 0;
    this.backoffUntil = 0;
    this.notBefore.clear();
    this.unwatch = this.deps.watchConfig?.(() => this.configChanged());
    const s = this.outbox.stats();
    this.deps.log.info({ jobs: r.loaded, setAside: r.setAside, refused: s.failed, server: describeServer(this.deps.config()) }, 'mail: outbox loaded');
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    this.transport?.t.close();
    this.transport = undefined;
    this.inFlight = undefined;
  }

  /** Stores an e-mail durably (see Outbox.enqueue) and sends it when it can. Works before start too. */
  enqueue(input: MailJobInput): MailJob {
    const job = this.outbox.enqueue(input);
    this.deps.log.info({ job: job.id, to: job.to, meta: job.meta }, 'mail: e-mail queued');
    this.kick();
    return job;
  }

  /** Forgets every back-off and tries the whole outbox now. Returns the number of jobs. */
  retryNow(): number {
    this.failures = 0;
    this.backoffUntil = 0;
    this.notBefore.clear();
    this.kick();
    return this.outbox.stats().jobs;
  }

  /** The smtp settings changed: a new transport, and an immediate retry of everything. */
  configChanged(): void {
    this.transport?.t.close();
    this.transport = undefined;
    this.deps.log.info({ server: describeServer(this.deps.config()) }, 'mail: smtp settings changed, retrying now');
    this.retryNow();
  }

  status(): MailStatus {
    const settings = this.deps.config();
    const configured = settings.host.trim() !== '';
    const s = this.outbox.stats();
    const now = this.deps.clock.monotonic();
    const failing = this.failures > 0;
    const state: MailState = !this.running
      ? 'stopped'
      : !configured
        ? 'not configured'
        : this.inFlight !== undefined
          ? 'sending'
          : failing
            ? 'failing'
            : 'idle';
    return {
      state,
      configured,
      ...(configured ? { server: describeServer(settings) } : {}),
      queued: s.queued,
      refused: s.failed,
      sent: this.sent,
      failing,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError.text, lastErrorAt: new Date(this.lastError.at).toISOString() } : {}),
      ...(this.lastSentAt !== undefined ? { lastSentAt: new Date(this.lastSentAt).toISOString() } : {}),
      ...(failing && this.backoffUntil > now ? { nextRetryInSeconds: Math.ceil((this.backoffUntil - now) / 1000) } : {}),
      outbox: { jobs: s.jobs, bytes: s.bytes, ...this.outbox.limits },
    };
  }

  /** Runs the pump soon (a microtask: not a timer, so tests need not move the clock). */
  private kick(): void {
    if (!this.running || this.pumpQueued) return;
    this.pumpQueued = true;
    const gen = this.generation;
    queueMicrotask(() => {
      this.pumpQueued = false;
      if (gen === this.generation) this.pump();
    });
  }

  private wakeIn(ms: number): void {
    this.timer?.cancel();
    const gen = this.generation;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation) this.pump();
    }, Math.max(0, ms));
  }

  private pump(): void {
    if (!this.running || this.inFlight !== undefined) return;
    this.timer?.cancel();
    this.timer = undefined;
    const settings = this.deps.config();
    // Not configured: jobs wait; a config change (watchConfig) or `mail retry` wakes the pump.
    if (settings.host.trim() === '') return;
    const now = this.deps.clock.monotonic();
    if (this.backoffUntil > now) {
      this.wakeIn(this.backoffUntil - now);
      return;
    }
    let next: MailJob | undefined;
    let earliestRefused = Infinity;
    for (const job of this.outbox.list()) {
      const nb = this.notBefore.get(job.id) ?? 0;
      if (nb <= now) {
        next = job;
        break;
      }
      earliestRefused = Math.min(earliestRefused, nb);
    }
    if (!next) {
      if (earliestRefused !== Infinity) this.wakeIn(earliestRefused - now);
      return;
    }
    void this.send(next, settings);
  }

  private async send(job: MailJob, settings: SmtpSettings): Promise<void> {
    const gen = this.generation;
    this.inFlight = job.id;
    let transport: MailTransport;
    try {
      checkAttachments(job);
      transport = this.transportFor(settings);
    } catch (err) {
      this.inFlight = undefined;
      this.onFailure(job, err, gen);
      return;
    }
    const mail: OutgoingMail = {
      from: senderOf(settings, this.deps.hostname?.() ?? 'pbxgate'),
      to: job.to,
      subject: job.subject,
      text: job.text,
      attachments: job.attachments.map((a) => ({
        filename: a.filename,
        ...(a.path !== undefined ? { path: a.path } : {}),
        ...(a.contentBase64 !== undefined ? { content: Buffer.from(a.contentBase64, 'base64') } : {}),
        ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
      })),
    };
    const attempt = job.attempts + 1;
    this.deps.log.debug({ job: job.id, to: job.to, attempt }, 'mail: sending');
    let result: { response?: string; messageId?: string };
    try {
      result = await transport.send(mail);
    } catch (err) {
      if (gen === this.generation) this.inFlight = undefined;
      this.onFailure(job, err, gen);
      return;
    }
    // Delivered: the job goes even if the service was stopped meanwhile (its file must not be sent twice).
    this.outbox.remove(job.id);
    this.notBefore.delete(job.id);
    if (gen !== this.generation) return;
    this.inFlight = undefined;
    this.sent++;
    this.lastSentAt = this.deps.clock.now();
    if (this.failures > 0) this.deps.log.info({ failures: this.failures }, 'mail: server reachable again');
    this.failures = 0;
    this.deps.log.info({ job: job.id, to: job.to, attempt, meta: job.meta, response: result.response, messageId: result.messageId }, 'mail: e-mail delivered');
    this.kick();
  }

  private onFailure(job: MailJob, err: unknown, gen: number): void {
    if (gen !== this.generation) return;
    const e = asSmtpError(err);
    const reason = describeError(e);
    const kind = classify(e);
    const attempt = job.attempts + 1;
    this.lastError = { text: reason, at: this.deps.clock.now() };
    const fields = { job: job.id, to: job.to, attempt, meta: job.meta, code: e.code, command: e.command, responseCode: e.responseCode, reason };
    if (kind === 'message') {
      // Permanent refusal of this message: keep it (never lost), try it again later, let the others go.
      if (this.outbox.has(job.id)) this.outbox.update(job.id, { state: 'failed', attempts: attempt, lastError: reason });
      this.notBefore.set(job.id, this.deps.clock.monotonic() + this.policy.refusedRetryMs);
      this.deps.log.error({ ...fields, retryInS: this.policy.refusedRetryMs / 1000 }, `mail: e-mail refused by the server, kept and retried later: ${reason}`);
      this.kick();
      return;
    }
    job.attempts = attempt;
    job.lastError = reason;
    this.failures++;
    const delay = Math.min(this.policy.firstRetryMs * 2 ** Math.min(this.failures - 1, 30), this.policy.maxRetryMs);
    this.backoffUntil = this.deps.clock.monotonic() + delay;
    // The transport may hold a broken connection: the next attempt builds a new one.
    this.transport?.t.close();
    this.transport = undefined;
    this.deps.log.warn({ ...fields, failures: this.failures, retryInS: delay / 1000 }, `mail: delivery failed, retrying later: ${reason}`);
    this.wakeIn(delay);
  }

  private transportFor(settings: SmtpSettings): MailTransport {
    const key = JSON.stringify(settings);
    if (this.transport?.key === key) return this.transport.t;
    this.transport?.t.close();
    const t = (this.deps.createTransport ?? nodemailerTransport)(settings);
    this.transport = { key, t };
    return t;
  }
}

/** nodemailer's SMTP transport, one connection per message, with timeouts fit for a small box. */
export function nodemailerTransport(settings: SmtpSettings): MailTransport {
  const t = nodemailerCreateTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user !== '' ? { auth: { user: settings.user, pass: settings.password } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 120_000,
    // Attachments come from our own files only.
    disableUrlAccess: true,
  });
  return {
    send: async (mail) => {
      const info = await t.sendMail(mail);
      return { response: info.response, messageId: info.messageId };
    },
    close: () => t.close(),
  };
}

export function describeServer(s: SmtpSettings): string {
  if (s.host.trim() === '') return 'not configured';
  return `${s.host}:${s.port}${s.secure ? ' (TLS)' : ''}${s.user !== '' ? ` as ${s.user}` : ''}`;
}

function senderOf(s: SmtpSettings, hostname: string): string {
  if (s.from.trim() !== '') return s.from;
  if (s.user.includes('@')) return s.user;
  return `pbxgate@${hostname}`;
}

/** A WAV removed from the voicemail store before its e-mail left refuses that e-mail only, without a connection. */
function checkAttachments(job: MailJob): void {
  for (const a of job.attachments) {
    if (a.path === undefined) continue;
    try {
      accessSync(a.path, fsConstants.R_OK);
    } catch (err) {
      throw Object.assign(new Error(`attachment ${a.filename} unreadable: ${a.path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`), {
        code: (err as NodeJS.ErrnoException).code ?? 'ENOENT',
      });
    }
  }
}

function asSmtpError(err: unknown): SmtpError {
  if (err && typeof err === 'object') {
    const o = err as Record<string, unknown>;
    return {
      message: typeof o['message'] === 'string' ? o['message'] : String(err),
      ...(typeof o['code'] === 'string' ? { code: o['code'] } : {}),
      ...(typeof o['command'] === 'string' ? { command: o['command'] } : {}),
      ...(typeof o['responseCode'] === 'number' ? { responseCode: o['responseCode'] } : {}),
      ...(typeof o['response'] === 'string' ? { response: o['response'] } : {}),
    };
  }
  return { message: String(err) };
}

/** "535 5.7.8 Authentication failed (AUTH PLAIN)" or "connect ECONNREFUSED 127.0.0.1:25 (ESOCKET)". */
export function describeError(e: SmtpError): string {
  const text = (e.response ?? e.message).replace(/\s+/g, ' ').trim().slice(0, 300);
  const tag = e.command !== undefined && e.command !== 'CONN' ? e.command : e.code;
  return tag !== undefined && !text.includes(tag) ? `${text} (${tag})` : text;
}

/**
 * A 5xx on RCPT TO or DATA refuses this message only (unknown recipient,
 * message too big, content refused); so does a missing attachment file.
 * Everything else, 5xx on MAIL FROM and AUTH included, is about the server
 * or our settings and holds the whole queue.
 */
export function classify(e: SmtpError): FailureKind {
  if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') return 'message';
  // nodemailer reports a file that vanished while streaming as ESTREAM with the fs reason.
  if (e.code === 'ESTREAM' && /\b(ENOENT|EACCES|EISDIR)\b/.test(e.message)) return 'message';
  const cmd = (e.command ?? '').toUpperCase();
  const permanent = e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode < 600;
  if (permanent && (cmd.startsWith('RCPT') || cmd.startsWith('DATA') || e.code === 'EMESSAGE')) return 'message';
  if (permanent && e.code === 'EENVELOPE' && !cmd.startsWith('MAIL')) return 'message';
  return 'server';
}
