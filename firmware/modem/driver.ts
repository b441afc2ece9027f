import { PbxError, type Clock, type TimerHandle, type Unsubscribe } from '../core/index.ts';
import type { SerialLine } from '../hal/index.ts';
import { LineFramer, type FramerStats } from './framer.ts';
import { describeFinal, parseModemLine, type InfoLine, type Urc, type UnknownLine } from './protocol.ts';

/**
 * The modem driver: one request in flight, the others queued; each request
 * timed through the injected clock; info lines collected until the final
 * response; URCs dispatched whenever they come (also in the middle of a
 * response); the serial line reopened with back-off when it goes away.
 * docs/modem-protocol.md is the contract.
 */
export interface DriverOptions {
  /** Per-request timeout when the caller gives none (protocol §4, §7). */
  defaultTimeoutMs: number;
  /** After a timeout, the next request waits this long so a late answer is not taken for its own (§7). */
  guardMs: number;
  /** Reopen back-off: first delay, doubled per failure up to max (protocol §7). */
  reopenBaseMs: number;
  reopenMaxMs: number;
  /** Requests waiting beyond this are refused (a modem that never answers must not grow memory). */
  maxQueue: number;
}

export const DEFAULT_DRIVER_OPTIONS: DriverOptions = {
  defaultTimeoutMs: 2000,
  guardMs: 500,
  reopenBaseMs: 500,
  reopenMaxMs: 30_000,
  maxQueue: 16,
};

/** Timeouts of the requests that differ from the default (protocol §4). */
export function timeoutFor(command: string): number | undefined {
  if (command === 'AT+DSLRETRAIN') return 5000;
  if (command === 'AT') return 1000;
  return undefined;
}

export interface DriverDeps {
  open(): Promise<SerialLine>;
  clock: Clock;
  options?: Partial<DriverOptions>;
}

export interface DriverStats extends FramerStats {
  /** Lines that parsed to nothing known, and info/final lines with no request to belong to. */
  unknownLines: number;
  strayLines: number;
  timeouts: number;
  reopens: number;
}

interface Pending {
  command: string;
  timeoutMs: number;
  info: InfoLine[];
  resolve(info: InfoLine[]): void;
  reject(err: Error): void;
  timer?: TimerHandle;
}

export type LineEvent = { type: 'open' } | { type: 'closed'; error?: Error } | { type: 'open-failed'; error: Error; retryInMs: number };

export class ModemDriver {
  private readonly opts: DriverOptions;
  private line: SerialLine | undefined;
  private lineSubs: Unsubscribe[] = [];
  private framer = new LineFramer();
  private readonly queue: Pending[] = [];
  private inFlight: Pending | undefined;
  private guardUntil = 0;
  private guardTimer: TimerHandle | undefined;
  private reopenTimer: TimerHandle | undefined;
  private reopenFailures = 0;
  private running = false;
  private opening = false;
  private readonly urcHandlers = new Set<(u: Urc) => void>();
  private readonly unknownHandlers = new Set<(u: UnknownLine) => void>();
  private readonly lineHandlers = new Set<(e: LineEvent) => void>();
  private counters = { unknownLines: 0, strayLines: 0, timeouts: 0, reopens: 0 };

  constructor(private readonly deps: DriverDeps) {
    this.opts = { ...DEFAULT_DRIVER_OPTIONS, ...deps.options };
  }

  /** Opens the line (in the background: a missing modem never blocks the caller). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.reopenFailures = 0;
    void this.openLine();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reopenTimer?.cancel();
    this.reopenTimer = undefined;
    this.guardTimer?.cancel();
    this.guardTimer = undefined;
    this.failAll(new PbxError('E_MODEM_UNAVAILABLE', 'modem driver stopped'));
    const line = this.detach();
    await line?.close().catch(() => {});
  }

  isOpen(): boolean {
    return this.line !== undefined;
  }

  stats(): DriverStats {
    return { ...this.framer.stats, ...this.counters };
  }

  onUrc(h: (u: Urc) => void): Unsubscribe {
    this.urcHandlers.add(h);
    return () => this.urcHandlers.delete(h);
  }
  /** Lines the driver could not use (garbage that framed as a line, stray answers). */
  onUnknown(h: (u: UnknownLine) => void): Unsubscribe {
    this.unknownHandlers.add(h);
    return () => this.unknownHandlers.delete(h);
  }
  onLine(h: (e: LineEvent) => void): Unsubscribe {
    this.lineHandlers.add(h);
    return () => this.lineHandlers.delete(h);
  }

  /**
   * Sends one request line; resolves with its info lines on OK, rejects with
   * E_MODEM_ERROR (ERROR, +CME ERROR), E_MODEM_TIMEOUT or E_MODEM_UNAVAILABLE.
   */
  request(command: string, timeoutMs = timeoutFor(command) ?? this.opts.defaultTimeoutMs): Promise<InfoLine[]> {
    if (!/^AT[\x20-\x7e]{0,126}$/.test(command)) return Promise.reject(new PbxError('E_BAD_ARGUMENTS', `not a modem request: ${JSON.stringify(command)}`));
    if (!this.line) return Promise.reject(new PbxError('E_MODEM_UNAVAILABLE', `modem line not open (${command})`));
    if (this.queue.length >= this.opts.maxQueue) return Promise.reject(new PbxError('E_MODEM_UNAVAILABLE', `modem request queue full (${command})`));
    return new Promise<InfoLine[]>((resolve, reject) => {
      this.queue.push({ command, timeoutMs, info: [], resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || !this.line || this.queue.length === 0) return;
    const wait = this.guardUntil - this.deps.clock.monotonic();
    if (wait > 0) {
      if (!this.guardTimer) {
        this.guardTimer = this.deps.clock.setTimeout(() => {
          this.guardTimer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    const p = this.queue.shift()!;
    this.inFlight = p;
    p.timer = this.deps.clock.setTimeout(() => {
      if (this.inFlight !== p) return;
      this.inFlight = undefined;
      this.counters.timeouts++;
      this.guardUntil = this.deps.clock.monotonic() + this.opts.guardMs;
      p.reject(new PbxError('E_MODEM_TIMEOUT', `modem did not answer ${p.command} within ${p.timeoutMs} ms`));
      this.pump();
    }, p.timeoutMs);
    // Host lines end with CR (protocol §2).
    this.line.write(`${p.command}\r`).catch((err: unknown) => {
      if (this.inFlight !== p) return;
      this.settle(p);
      p.reject(new PbxError('E_MODEM_UNAVAILABLE', `cannot write to the modem line: ${(err as Error)?.message ?? String(err)}`));
      this.pump();
    });
  }

  private settle(p: Pending): void {
    p.timer?.cancel();
    if (this.inFlight === p) this.inFlight = undefined;
  }

  private onBytes(chunk: Buffer): void {
    for (const raw of this.framer.push(chunk)) this.onLineText(raw);
  }

  private onLineText(raw: string): void {
    const l = parseModemLine(raw);
    switch (l.kind) {
      case 'urc':
        for (const h of [...this.urcHandlers]) h(l);
        return;
      case 'unknown':
        this.counters.unknownLines++;
        for (const h of [...this.unknownHandlers]) h(l);
        return;
      case 'info': {
        if (this.inFlight) this.inFlight.info.push(l);
        else this.stray(raw);
        return;
      }
      case 'final': {
        const p = this.inFlight;
        if (!p) {
          // A late answer to a request that timed out (protocol §7): dropped.
          this.stray(raw);
          return;
        }
        this.settle(p);
        if (l.result === 'ok') p.resolve(p.info);
        else p.reject(new PbxError('E_MODEM_ERROR', `${p.command}: ${describeFinal(l)}`));
        this.pump();
        return;
      }
    }
  }

  private stray(raw: string): void {
    this.counters.strayLines++;
    for (const h of [...this.unknownHandlers]) h({ kind: 'unknown', line: raw, reason: 'no request in flight' });
  }

  private async openLine(): Promise<void> {
    if (!this.running || this.opening || this.line) return;
    this.opening = true;
    let line: SerialLine;
    try {
      line = await this.deps.open();
    } catch (err) {
      this.opening = false;
      this.scheduleReopen(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.opening = false;
    if (!this.running) {
      await line.close().catch(() => {});
      return;
    }
    this.attach(line);
  }

  private attach(line: SerialLine): void {
    this.line = line;
    this.framer.reset();
    this.reopenFailures = 0;
    this.guardUntil = 0;
    this.lineSubs = [
      line.onData((chunk) => this.onBytes(chunk)),
      line.onClose((err) => {
        if (this.line !== line) return;
        this.detach();
        this.failAll(new PbxError('E_MODEM_UNAVAILABLE', `modem line closed${err ? `: ${err.message}` : ''}`));
        this.emitLine(err ? { type: 'closed', error: err } : { type: 'closed' });
        if (this.running) this.scheduleReopen(err, true);
      }),
    ];
    this.emitLine({ type: 'open' });
    this.pump();
  }

  private detach(): SerialLine | undefined {
    const line = this.line;
    for (const u of this.lineSubs) u();
    this.lineSubs = [];
    this.line = undefined;
    return line;
  }

  private scheduleReopen(err?: Error, afterClose = false): void {
    if (!this.running || this.reopenTimer) return;
    const delay = Math.min(this.opts.reopenBaseMs * 2 ** this.reopenFailures, this.opts.reopenMaxMs);
    this.reopenFailures++;
    if (!afterClose) this.emitLine({ type: 'open-failed', error: err ?? new Error('open failed'), retryInMs: delay });
    this.reopenTimer = this.deps.clock.setTimeout(() => {
      this.reopenTimer = undefined;
      this.counters.reopens++;
      void this.openLine();
    }, delay);
  }

  private failAll(err: PbxError): void {
    const all = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    this.inFlight = undefined;
    for (const p of all) {
      p.timer?.cancel();
      p.reject(err);
    }
  }

  private emitLine(e: LineEvent): void {
    for (const h of [...this.lineHandlers]) h(e);
  }
}
