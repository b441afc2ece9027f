import type { Clock, TimerHandle } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { Service, ServiceContext, ServiceStatus, ServiceState } from '../core/service.ts';

export interface SupervisorOptions {
  /** First restart delay; doubles on each consecutive failure. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A service that stays up this long has its back-off reset. */
  stableAfterMs?: number;
}

interface Entry {
  service: Service;
  state: ServiceState;
  restarts: number;
  consecutiveFailures: number;
  lastError?: string;
  startedAt: number;
  abort?: AbortController;
  retry?: TimerHandle;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Starts services in dependency order, stops them in reverse, and restarts a
 * failed one with exponential back-off (stopping and restarting the services
 * that depend on it too, since they hold references into it).
 */
export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private order: string[] = [];
  private stopping = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stableAfterMs: number;

  constructor(
    services: readonly Service[],
    private readonly clock: Clock,
    private readonly log: Logger,
    options: SupervisorOptions = {},
  ) {
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.stableAfterMs = options.stableAfterMs ?? 30_000;
    for (const s of services) {
      if (this.entries.has(s.name)) throw new Error(`duplicate service name: ${s.name}`);
      this.entries.set(s.name, { service: s, state: 'stopped', restarts: 0, consecutiveFailures: 0, startedAt: 0 });
    }
    this.order = topologicalOrder(services);
  }

  /** The start order (dependencies first). */
  startOrder(): readonly string[] {
    return this.order;
  }

  async startAll(): Promise<void> {
    this.stopping = false;
    for (const name of this.order) {
      const e = this.entry(name);
      // A service whose dependency failed to start waits for it: restart() starts it with it.
      if (this.dependenciesRunning(e)) await this.startOne(e);
    }
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const name of [...this.order].reverse()) {
      await this.stopOne(this.entry(name));
    }
  }

  status(): ServiceStatus[] {
    return this.order.map((name) => {
      const e = this.entry(name);
      const s: ServiceStatus = { name, state: e.state, restarts: e.restarts };
      if (e.lastError !== undefined) s.lastError = e.lastError;
      return s;
    });
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`unknown service: ${name}`);
    return e;
  }

  private async startOne(e: Entry): Promise<void> {
    const abort = new AbortController();
    e.abort = abort;
    e.state = 'starting';
    const ctx: ServiceContext = {
      signal: abort.signal,
      fail: (err) => {
        if (e.abort !== abort || abort.signal.aborted) return; // stale report from a stopped instance
        void this.handleFailure(e, err);
      },
    };
    try {
      await e.service.start(ctx);
    } catch (err) {
      e.state = 'failed';
      e.lastError = describe(err);
      this.log.error({ service: e.service.name, err: e.lastError }, 'service failed to start');
      if (!this.stopping) this.scheduleRestart(e);
      return;
    }
    e.state = 'running';
    e.startedAt = this.clock.monotonic();
    this.log.info({ service: e.service.name }, 'service started');
  }

  private async stopOne(e: Entry): Promise<void> {
    // A pending retry must not start the service behind the back of whoever stopped it.
    e.retry?.cancel();
    e.retry = undefined;
    if (e.state === 'stopped') return;
    e.state = 'stopping';
    e.abort?.abort();
    try {
      await e.service.stop();
    } catch (err) {
      this.log.warn({ service: e.service.name, err: describe(err) }, 'service stop failed');
    }
    e.state = 'stopped';
  }

  private dependenciesRunning(e: Entry): boolean {
    return (e.service.dependsOn ?? []).every((d) => this.entry(d).state === 'running');
  }

  private dependents(name: string): Entry[] {
    // Transitive dependents, in start order.
    const hit = new Set<string>([name]);
    for (const n of this.order) {
      const deps = this.entry(n).service.dependsOn ?? [];
      if (deps.some((d) => hit.has(d))) hit.add(n);
    }
    hit.delete(name);
    return this.order.filter((n) => hit.has(n)).map((n) => this.entry(n));
  }

  private async handleFailure(e: Entry, err: unknown): Promise<void> {
    if (this.stopping || e.state === 'backoff') return;
    e.lastError = describe(err);
    if (this.clock.monotonic() - e.startedAt >= this.stableAfterMs) e.consecutiveFailures = 0;
    this.log.error({ service: e.service.name, err: e.lastError }, 'service failed, restarting');
    for (const d of [...this.dependents(e.service.name)].reverse()) await this.stopOne(d);
    await this.stopOne(e);
    e.state = 'failed';
    this.scheduleRestart(e);
  }

  private scheduleRestart(e: Entry): void {
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** e.consecutiveFailures);
    e.consecutiveFailures++;
    e.state = 'backoff';
    this.log.info({ service: e.service.name, delayMs: delay }, 'service restart scheduled');
    e.retry = this.clock.setTimeout(() => {
      e.retry = undefined;
      void this.restart(e);
    }, delay);
  }

  private async restart(e: Entry): Promise<void> {
    if (this.stopping) return;
    e.restarts++;
    await this.startOne(e);
    if (e.state !== 'running') return;
    for (const d of this.dependents(e.service.name)) {
      if (d.state === 'stopped' && this.dependenciesRunning(d)) await this.startOne(d);
    }
  }
}

/** Dependencies first; throws on unknown dependency or cycle, naming them. */
export function topologicalOrder(services: readonly Service[]): string[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const order: string[] = [];
  const mark = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const m = mark.get(name);
    if (m === 'done') return;
    if (m === 'visiting') throw new Error(`service dependency cycle: ${[...path, name].join(' -> ')}`);
    const s = byName.get(name);
    if (!s) throw new Error(`service ${path[path.length - 1] ?? '?'} depends on unknown service ${name}`);
    mark.set(name, 'visiting');
    for (const d of s.dependsOn ?? []) visit(d, [...path, name]);
    mark.set(name, 'done');
    order.push(name);
  };
  for (const s of services) visit(s.name, []);
  return order;
}
