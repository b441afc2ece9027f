import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LowSync, type SyncAdapter } from 'lowdb';
import type { Clock } from '../core/clock.ts';
import { PbxError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { factoryDefaults, generateDevicePassword } from './defaults.ts';
import { MIGRATIONS, migrate, type Migration } from './migrations.ts';
import { configSchema, describeIssues, type Config } from './schema.ts';
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts';

export const CONFIG_FILE = 'config.json';

/** lowdb adapter writing through temp file + fsync + rename (lowdb's own JSONFile does not fsync). */
class AtomicJsonFile implements SyncAdapter<Config> {
  constructor(private readonly path: string) {}
  read(): Config | null {
    // Reading is done by ConfigStore.load(), which must see the raw text to quarantine bad files.
    return null;
  }
  write(data: Config): void {
    writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
  }
}

export type ConfigSection = keyof Config;

export interface LoadReport {
  source: 'file' | 'previous' | 'defaults';
  /** Where a bad file was moved aside. */
  quarantined?: string;
  /** Why the file was not used as is. */
  problem?: string;
  migrated?: string[];
}

export type UpdateResult = { ok: true; changed: ConfigSection[] } | { ok: false; error: PbxError };

type Candidate = { ok: true; config: Config; migrated: string[] } | { ok: false; reason: string };

/**
 * The configuration on flash. One validated, immutable snapshot is current at
 * any time; an update validates the whole new config with the same schema as
 * the load, writes it atomically, then publishes it and names the sections
 * that changed, so that only affected services reload.
 */
export class ConfigStore {
  private readonly db: LowSync<Config>;
  private readonly path: string;
  private readonly listeners = new Set<(changed: ConfigSection[], config: Readonly<Config>) => void>();
  private current: Readonly<Config> | undefined;

  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly migrations: readonly Migration[] = MIGRATIONS,
  ) {
    this.path = join(dir, CONFIG_FILE);
    // lowdb insists on default data; it is replaced by the loaded config before any write.
    this.db = new LowSync<Config>(new AtomicJsonFile(this.path), {} as Config);
  }

  get file(): string {
    return this.path;
  }

  /**
   * Loads the config: the file if it parses, migrates and validates; else the
   * bad file is moved aside as config.json.bad-<time> and the previous good
   * version (config.json.prev) or factory defaults are used and written back.
   */
  load(): LoadReport {
    mkdirSync(this.dir, { recursive: true });
    const text = readFileIfExists(this.path);
    if (text === undefined) {
      const prev = this.tryPrevious();
      if (prev) {
        this.adopt(prev.config, true);
        return { source: 'previous', problem: 'config.json missing, previous version used' };
      }
      this.adopt(factoryDefaults(), true);
      this.log.info({ file: this.path }, 'no configuration yet: factory defaults written');
      return { source: 'defaults' };
    }
    const parsed = this.validate(text);
    if (parsed.ok) {
      const migrated = parsed.migrated.length > 0;
      // A copy, not a rename: config.json must exist at every instant (power loss, GW-4).
      if (migrated) writeFileSync(`${this.path}.v${this.versionOf(text)}`, text, { mode: 0o600, flush: true });
      this.adopt(parsed.config, migrated);
      if (migrated) this.log.info({ steps: parsed.migrated }, 'configuration migrated');
      return migrated ? { source: 'file', migrated: parsed.migrated } : { source: 'file' };
    }
    const stamp = new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-');
    const quarantined = `${this.path}.bad-${stamp}`;
    renameSync(this.path, quarantined);
    const prev = this.tryPrevious();
    const report: LoadReport = { source: prev ? 'previous' : 'defaults', quarantined, problem: parsed.reason };
    this.adopt(prev ? prev.config : factoryDefaults(), true);
    this.log.error(
      { file: this.path, quarantined, problem: parsed.reason, using: report.source },
      'configuration rejected: kept aside, using the last good one',
    );
    return report;
  }

  /** The current snapshot; never mutated (updates publish a new object). */
  /** A configuration has been loaded (get() may be called). */
  get loaded(): boolean {
    return this.current !== undefined;
  }

  get(): Readonly<Config> {
    if (!this.current) throw new Error('config not loaded');
    return this.current;
  }

  onChange(listener: (changed: ConfigSection[], config: Readonly<Config>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies a change to a draft copy. Nothing is stored or published unless the
   * whole result validates and is written to flash.
   */
  update(mutate: (draft: Config) => void): UpdateResult {
    const before = this.get();
    const draft = structuredClone(before) as Config;
    try {
      mutate(draft);
    } catch (err) {
      return { ok: false, error: err instanceof PbxError ? err : new PbxError('E_BAD_ARGUMENTS', (err as Error).message) };
    }
    const r = configSchema.safeParse(draft);
    if (!r.success) return { ok: false, error: new PbxError('E_CONFIG_INVALID', describeIssues(r.error)) };
    const changed = (Object.keys(r.data) as ConfigSection[]).filter(
      (k) => JSON.stringify(r.data[k]) !== JSON.stringify(before[k]),
    );
    if (changed.length === 0) return { ok: true, changed };
    try {
      this.adopt(r.data, true);
    } catch (err) {
      return { ok: false, error: new PbxError('E_CONFIG_IO', (err as Error).message) };
    }
    this.notify(changed);
    return { ok: true, changed };
  }

  /** Factory reset (GW-3 long press, console): defaults with a new device password. */
  factoryReset(): string {
    const password = generateDevicePassword();
    const before = this.current;
    this.adopt(factoryDefaults(password), true);
    const changed = before ? (Object.keys(this.get()) as ConfigSection[]) : [];
    this.notify(changed);
    this.log.warn('factory reset: configuration back to defaults');
    return password;
  }

  /** A throwing listener is logged; it never undoes the stored change nor starves the others. */
  private notify(changed: ConfigSection[]): void {
    for (const l of [...this.listeners]) {
      try {
        l(changed, this.get());
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'config change listener failed');
      }
    }
  }

  private adopt(config: Config, write: boolean): void {
    const frozen = deepFreeze(config);
    if (write) {
      this.db.data = frozen as Config;
      this.db.write();
    }
    this.current = frozen;
  }

  private tryPrevious(): { config: Config } | undefined {
    const text = readFileIfExists(`${this.path}.prev`);
    if (text === undefined) return undefined;
    const r = this.validate(text);
    return r.ok ? { config: r.config } : undefined;
  }

  private versionOf(text: string): string {
    try {
      return String((JSON.parse(text) as { version?: unknown }).version);
    } catch {
      return 'unknown';
    }
  }

  private validate(text: string): Candidate {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
    }
    const m = migrate(raw, this.migrations);
    if (!m.ok) return { ok: false, reason: m.reason };
    const r = configSchema.safeParse(m.raw);
    if (!r.success) return { ok: false, reason: `schema: ${describeIssues(r.error)}` };
    return { ok: true, config: r.data, migrated: m.applied };
  }
}

function deepFreeze<T>(o: T): Readonly<T> {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
