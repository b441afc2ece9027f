import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock, Logger } from '../core/index.ts';
import { PbxError } from '../core/index.ts';
import { writeFileAtomic } from '../config/index.ts';

/**
 * Durable outbox on flash: one JSON file per e-mail in `<dataDir>/outbox/`,
 * written with tmp + fsync + rename so a power loss leaves the job whole or
 * absent. Attachments given by path (the voicemail WAV) are referenced, never
 * copied, and never deleted here: the voicemail store owns them.
 */

export const OUTBOX_DIR = 'outbox';
/** Corrupt job files are moved here, never deleted, never fatal. */
export const OUTBOX_CORRUPT_DIR = 'corrupt';
export const DEFAULT_MAX_JOBS = 500;
/** Sum of the job files' sizes (inline attachments count, attachments by path do not). */
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export type MetaValue = string | number | boolean;

export interface MailAttachmentInput {
  filename: string;
  /** Absolute path of a file that stays where it is (the voicemail WAV). */
  path?: string;
  /** Inline content (small attachments only: it is stored in the job file). */
  content?: string | Buffer;
  contentType?: string;
}

export interface MailJobInput {
  to: string;
  subject: string;
  text: string;
  attachments?: readonly MailAttachmentInput[];
  /** Free-form facts for logs and status ("kind": "voicemail", "mailbox": "401"...). */
  meta?: Readonly<Record<string, MetaValue>>;
}

export interface StoredAttachment {
  filename: string;
  path?: string;
  contentBase64?: string;
  contentType?: string;
}

export type MailJobState = 'queued' | 'failed';

export interface MailJob {
  readonly id: string;
  /** Enqueue order; survives restarts (the wall clock of a box without RTC may not). */
  readonly seq: number;
  /** Wall-clock ms at enqueue, for people. */
  readonly createdAt: number;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly attachments: readonly StoredAttachment[];
  readonly meta: Readonly<Record<string, MetaValue>>;
  /** 'failed': the server refused this message permanently (5xx); it is kept and retried less often. */
  state: MailJobState;
  attempts: number;
  lastError?: string;
}

const JOB_FILE = /^(job-\d{10}-[0-9a-f]{8})\.json$/;

const storedAttachment = z
  .strictObject({
    filename: z.string().min(1).max(255),
    path: z.string().min(1).optional(),
    contentBase64: z.string().optional(),
    contentType: z.string().max(255).optional(),
  })
  .refine((a) => (a.path === undefined) !== (a.contentBase64 === undefined), 'exactly one of path and contentBase64');

const storedJob = z.strictObject({
  v: z.literal(1),
  id: z.string().regex(/^job-\d{10}-[0-9a-f]{8}$/),
  seq: z.int().nonnegative(),
  createdAt: z.number(),
  to: z.string().min(3).max(320),
  subject: z.string().max(998),
  text: z.string(),
  attachments: z.array(storedAttachment).max(20),
  meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  state: z.enum(['queued', 'failed']),
  attempts: z.int().nonnegative(),
  lastError: z.string().optional(),
});

const address = z.email();

export interface OutboxOptions {
  /** The outbox directory itself (`<dataDir>/outbox`). */
  dir: string;
  clock: Clock;
  log: Logger;
  maxJobs?: number;
  maxBytes?: number;
}

export interface LoadResult {
  loaded: number;
  setAside: number;
}

export class Outbox {
  private readonly jobs = new Map<string, { job: MailJob; bytes: number }>();
  private loaded = false;
  private nextSeq = 1;
  private readonly maxJobs: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: OutboxOptions) {
    this.maxJobs = opts.maxJobs ?? DEFAULT_MAX_JOBS;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  get dir(): string {
    return this.opts.dir;
  }

  /**
   * Reads every job file. Leftover temp files (a write cut by a power loss)
   * are removed; a corrupt job falls back to its previous version or is
   * moved to `corrupt/` with an error log. Never throws for a bad file.
   */
  load(): LoadResult {
    this.jobs.clear();
    mkdirSync(this.opts.dir, { recursive: true });
    let setAside = 0;
    const names = readdirSync(this.opts.dir);
    const present = new Set(names);
    for (const name of names) {
      const full = join(this.opts.dir, name);
      if (name.endsWith('.tmp')) {
        tryUnlink(full);
        continue;
      }
      if (name.endsWith('.json.prev')) {
        // Orphan previous version of a job already delivered (cut between the two unlinks).
        if (!present.has(name.slice(0, -'.prev'.length))) tryUnlink(full);
        continue;
      }
      const m = JOB_FILE.exec(name);
      if (!m) continue;
      const parsed = this.readJob(full, m[1]!);
      if (parsed.ok) {
        this.jobs.set(parsed.job.id, { job: parsed.job, bytes: parsed.bytes });
        continue;
      }
      const prev = present.has(`${name}.prev`) ? this.readJob(`${full}.prev`, m[1]!) : undefined;
      if (prev?.ok) {
        this.opts.log.warn({ file: name, reason: parsed.reason }, 'mail outbox: job file corrupt, its previous version is used');
        this.jobs.set(prev.job.id, { job: prev.job, bytes: prev.bytes });
        this.persist(prev.job);
        continue;
      }
      setAside++;
      this.setAside(name, parsed.reason);
    }
    this.nextSeq = Math.max(0, ...[...this.jobs.values()].map((e) => e.job.seq)) + 1;
    this.loaded = true;
    return { loaded: this.jobs.size, setAside };
  }

  /**
   * Stores one e-mail durably and returns its job. When the outbox is full
   * (jobs or bytes), the oldest e-mails are dropped (permanently refused ones
   * first) with an error log; files referenced by path are never touched.
   */
  enqueue(input: MailJobInput): MailJob {
    this.ensureLoaded();
    if (!address.safeParse(input.to).success) throw new PbxError('E_BAD_ARGUMENTS', `not an e-mail address: ${input.to}`);
    const attachments = (input.attachments ?? []).map(toStored);
    const seq = this.nextSeq++;
    const id = `job-${String(seq).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
    const job: MailJob = {
      id,
      seq,
      createdAt: this.opts.clock.now(),
      to: input.to,
      subject: input.subject.replace(/[\r\n]+/g, ' '),
      text: input.text,
      attachments,
      meta: { ...(input.meta ?? {}) },
      state: 'queued',
      attempts: 0,
    };
    const bytes = Buffer.byteLength(serialize(job));
    if (bytes > this.maxBytes) throw new PbxError('E_BAD_ARGUMENTS', `e-mail too large for the outbox (${bytes} bytes, at most ${this.maxBytes})`);
    while (this.jobs.size > 0 && (this.jobs.size + 1 > this.maxJobs || this.totalBytes() + bytes > this.maxBytes)) this.dropOldest();
    this.persist(job);
    this.jobs.set(id, { job, bytes });
    return job;
  }

  /** Jobs in enqueue order. */
  list(): MailJob[] {
    this.ensureLoaded();
    return [...this.jobs.values()].map((e) => e.job).sort((a, b) => a.seq - b.seq);
  }

  get(id: string): MailJob | undefined {
    return this.jobs.get(id)?.job;
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /** Persists a change of state (queued/failed), attempts or last error. */
  update(id: string, patch: Partial<Pick<MailJob, 'state' | 'attempts' | 'lastError'>>): void {
    const e = this.jobs.get(id);
    if (!e) return;
    Object.assign(e.job, patch);
    this.persist(e.job);
    e.bytes = Buffer.byteLength(serialize(e.job));
  }

  /** Forgets a delivered (or dropped) job: its file goes, the attachments stay. */
  remove(id: string): void {
    this.jobs.delete(id);
    const file = join(this.opts.dir, `${id}.json`);
    tryUnlink(file);
    tryUnlink(`${file}.prev`);
  }

  stats(): { jobs: number; bytes: number; queued: number; failed: number } {
    let queued = 0;
    let failed = 0;
    for (const { job } of this.jobs.values()) {
      if (job.state === 'failed') failed++;
      else queued++;
    }
    return { jobs: this.jobs.size, bytes: this.totalBytes(), queued, failed };
  }

  get limits(): { maxJobs: number; maxBytes: number } {
    return { maxJobs: this.maxJobs, maxBytes: this.maxBytes };
  }

  private ensureLoaded(): void {
    if (!this.loaded) this.load();
  }

  private totalBytes(): number {
    let n = 0;
    for (const e of this.jobs.values()) n += e.bytes;
    return n;
  }

  private dropOldest(): void {
    const jobs = this.list();
    const victim = jobs.find((j) => j.state === 'failed') ?? jobs[0];
    if (!victim) return;
    this.opts.log.error(
      { job: victim.id, to: victim.to, subject: victim.subject, meta: victim.meta, state: victim.state, limits: this.limits },
      'mail outbox full: oldest e-mail dropped (its attachments, such as the voicemail message, are kept)',
    );
    this.remove(victim.id);
  }

  private persist(job: MailJob): void {
    mkdirSync(this.opts.dir, { recursive: true });
    try {
      writeFileAtomic(join(this.opts.dir, `${job.id}.json`), serialize(job));
    } catch (err) {
      throw new PbxError('E_INTERNAL', `mail outbox: cannot write ${job.id}: ${(err as Error).message}`);
    }
  }

  private readJob(file: string, expectedId: string): { ok: true; job: MailJob; bytes: number } | { ok: false; reason: string } {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not JSON: ${(err as Error).message}` };
    }
    const r = storedJob.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0];
      return { ok: false, reason: `${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}` };
    }
    if (r.data.id !== expectedId) return { ok: false, reason: `id ${r.data.id} does not match the file name` };
    const { v: _v, ...rest } = r.data;
    const job: MailJob = { ...rest };
    return { ok: true, job, bytes: Buffer.byteLength(text) };
  }

  private setAside(name: string, reason: string): void {
    const dir = join(this.opts.dir, OUTBOX_CORRUPT_DIR);
    try {
      mkdirSync(dir, { recursive: true });
      renameSync(join(this.opts.dir, name), join(dir, `${name}.${this.opts.clock.now()}`));
      tryUnlink(join(this.opts.dir, `${name}.prev`));
      this.opts.log.error({ file: name, reason, movedTo: `${OUTBOX_CORRUPT_DIR}/` }, 'mail outbox: corrupt job file set aside');
    } catch (err) {
      this.opts.log.error({ file: name, reason, err: (err as Error).message }, 'mail outbox: corrupt job file could not be set aside; ignored');
    }
  }
}

function toStored(a: MailAttachmentInput): StoredAttachment {
  const base = { filename: a.filename, ...(a.contentType !== undefined ? { contentType: a.contentType } : {}) };
  if (a.path !== undefined && a.content === undefined) {
    if (!isAbsolute(a.path)) throw new PbxError('E_BAD_ARGUMENTS', `attachment path must be absolute: ${a.path}`);
    return { ...base, path: a.path };
  }
  if (a.content !== undefined && a.path === undefined) {
    const buf = typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : a.content;
    return { ...base, contentBase64: buf.toString('base64') };
  }
  throw new PbxError('E_BAD_ARGUMENTS', `attachment ${a.filename}: give exactly one of path and content`);
}

function serialize(job: MailJob): string {
  const { id, seq, createdAt, to, subject, text, attachments, meta, state, attempts, lastError } = job;
  return JSON.stringify({ v: 1, id, seq, createdAt, to, subject, text, attachments, meta, state, attempts, ...(lastError !== undefined ? { lastError } : {}) });
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
