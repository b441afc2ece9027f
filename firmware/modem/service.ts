import { PbxError, type Clock, type EventPublisher, type Logger, type Service, type ServiceContext, type TimerHandle, type Unsubscribe } from '../core/index.ts';
import type { SerialLine } from '../hal/index.ts';
import { ModemDriver, type DriverOptions, type DriverStats } from './driver.ts';
import { AT, PAIR_SECONDS_MAX, PAIR_SECONDS_MIN, type InfoLine, type Urc } from './protocol.ts';
import {
  DEFAULT_SUPERVISOR_CONFIG,
  initialSupervisorState,
  supervise,
  type DslState,
  type SupervisorAction,
  type SupervisorConfig,
  type SupervisorEvent,
  type SupervisorState,
} from './supervisor.ts';

/** Domain events of the modem, for the LEDs, the web and the logs. */
export interface ModemEvents {
  'modem.dsl': { state: 'unknown' | 'idle' | 'handshake' | 'training' | 'showtime' | 'down'; alarm: boolean; downKbps: number; upKbps: number };
  'modem.plc': { adapters: number; pairing: boolean };
}

export interface ModemServiceOptions {
  /** Period of the AT+DSL? / AT+PLC? poll. */
  pollIntervalMs: number;
  /** Period of the supervisor tick (retrain due, training deadline, pairing end). */
  tickMs: number;
  /** At most one "garbage on the modem line" warning per this period. */
  garbageLogIntervalMs: number;
  /** Pairing window of the pairing button (GW-5: 2 minutes). */
  pairingSeconds: number;
  supervisor: SupervisorConfig;
  driver: Partial<DriverOptions>;
}

export const DEFAULT_MODEM_OPTIONS: ModemServiceOptions = {
  pollIntervalMs: 10_000,
  tickMs: 1_000,
  garbageLogIntervalMs: 60_000,
  pairingSeconds: 120,
  supervisor: DEFAULT_SUPERVISOR_CONFIG,
  driver: {},
};

export interface ModemServiceDeps {
  /** Opens the modem serial line (board.openSerial('modem') in main.ts); called again after the line goes away. */
  open(): Promise<SerialLine>;
  clock: Clock;
  log: Logger;
  events: EventPublisher<ModemEvents>;
  options?: Partial<Omit<ModemServiceOptions, 'supervisor'>> & { supervisor?: Partial<SupervisorConfig> };
}

export interface ModemSnapshot {
  /** Whether the serial line to the modem is open. */
  line: 'open' | 'closed';
  version: { firmware: string; hardware: string } | null;
  dsl: {
    state: DslState;
    /** Wall-clock ISO time of the last state change. */
    since: string;
    downKbps: number;
    upKbps: number;
    snrMarginDb: number | null;
    attenuationDb: number | null;
    crcErrors: number | null;
    retrains: number;
    failedRetrains: number;
    alarm: boolean;
    /** Wall-clock ISO time of the next automatic retrain, when one is planned. */
    nextRetrainAt: string | null;
  };
  plc: {
    adapters: Array<{ mac: string; rateMbps: number; since: string }>;
    pairing: boolean;
    pairingUntil: string | null;
  };
  serial: DriverStats;
}

/** What the console commands need of the modem (ModemService, or a fake in tests). */
export interface ModemControl {
  snapshot(): ModemSnapshot;
  retrain(): Promise<void>;
  startPairing(seconds?: number): Promise<{ seconds: number }>;
}

/**
 * Ties the driver (the line) and the supervisor (the policy): polls the
 * modem, feeds URCs and poll results to the supervisor, performs its actions
 * and publishes modem.dsl / modem.plc when what they carry changes. A modem
 * that never answers leaves the state 'unknown' and the service running.
 */
export class ModemService implements Service, ModemControl {
  readonly name = 'modem';
  private readonly opts: ModemServiceOptions;
  private driver: ModemDriver | undefined;
  private state: SupervisorState;
  private timers: TimerHandle[] = [];
  private subs: Unsubscribe[] = [];
  private version: { firmware: string; hardware: string } | null = null;
  private lastDsl = '';
  private lastPlc = '';
  private polling = false;
  private pollAgain = false;
  private garbage = { lastLogAt: -Infinity, suppressed: 0 };

  constructor(private readonly deps: ModemServiceDeps) {
    const o = deps.options ?? {};
    this.opts = { ...DEFAULT_MODEM_OPTIONS, ...o, supervisor: { ...DEFAULT_SUPERVISOR_CONFIG, ...o.supervisor } };
    this.state = initialSupervisorState(0);
  }

  async start(_ctx: ServiceContext): Promise<void> {
    const { clock } = this.deps;
    this.state = initialSupervisorState(clock.monotonic());
    this.lastDsl = '';
    this.lastPlc = '';
    const driver = new ModemDriver({ open: this.deps.open, clock, options: this.opts.driver });
    this.driver = driver;
    this.subs = [
      driver.onUrc((u) => this.onUrc(u)),
      driver.onUnknown((u) => this.onGarbage(u.line, u.reason)),
      driver.onLine((e) => {
        if (e.type === 'open') {
          this.deps.log.info('modem line open');
          void this.poll();
        } else if (e.type === 'closed') {
          this.deps.log.warn({ err: e.error?.message }, 'modem line closed, reopening');
          this.feed({ type: 'modem-lost', at: clock.monotonic() });
        } else {
          this.deps.log.warn({ err: e.error.message, retryInMs: e.retryInMs }, 'cannot open the modem line');
        }
      }),
    ];
    this.timers = [
      clock.setInterval(() => void this.poll(), this.opts.pollIntervalMs),
      clock.setInterval(() => this.feed({ type: 'tick', at: clock.monotonic() }), this.opts.tickMs),
    ];
    this.publish();
    // The line opens in the background: start() never waits for a modem that may not be there.
    driver.start();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    for (const u of this.subs) u();
    this.subs = [];
    const d = this.driver;
    this.driver = undefined;
    await d?.stop();
  }

  snapshot(): ModemSnapshot {
    const { clock } = this.deps;
    const wall = (mono: number): string => new Date(clock.now() - (clock.monotonic() - mono)).toISOString();
    const d = this.state.dsl;
    const p = this.state.plc;
    return {
      line: this.driver?.isOpen() ? 'open' : 'closed',
      version: this.version,
      dsl: {
        state: d.state,
        since: wall(d.since),
        downKbps: d.downKbps,
        upKbps: d.upKbps,
        snrMarginDb: d.snrMarginDb,
        attenuationDb: d.attenuationDb,
        crcErrors: d.crcErrors,
        retrains: d.retrains,
        failedRetrains: d.failedRetrains,
        alarm: d.alarm,
        nextRetrainAt: d.retrainDueAt === null ? null : wall(d.retrainDueAt),
      },
      plc: {
        adapters: Object.values(p.adapters)
          .sort((a, b) => a.mac.localeCompare(b.mac))
          .map((a) => ({ mac: a.mac, rateMbps: a.rateMbps, since: wall(a.since) })),
        pairing: p.pairingUntil !== null,
        pairingUntil: p.pairingUntil === null ? null : wall(p.pairingUntil),
      },
      serial: this.driver?.stats() ?? { lines: 0, garbageBytes: 0, overlong: 0, unknownLines: 0, strayLines: 0, timeouts: 0, reopens: 0 },
    };
  }

  /** Technician retrain: the modem drops sync and trains again. */
  async retrain(): Promise<void> {
    await this.live().request(AT.retrain);
    this.feed({ type: 'retrain-sent', manual: true, at: this.deps.clock.monotonic() });
  }

  /** Opens the powerline pairing window (pairing button, GW-5: 120 s). */
  async startPairing(seconds = this.opts.pairingSeconds): Promise<{ seconds: number }> {
    if (!Number.isInteger(seconds) || seconds < PAIR_SECONDS_MIN || seconds > PAIR_SECONDS_MAX)
      throw new PbxError('E_BAD_ARGUMENTS', `pairing lasts ${PAIR_SECONDS_MIN} to ${PAIR_SECONDS_MAX} seconds`);
    await this.live().request(AT.pair(seconds));
    this.feed({ type: 'pairing-started', seconds, at: this.deps.clock.monotonic() });
    return { seconds };
  }

  /** One poll round: DSL status, then adapters (and the version once). */
  async poll(): Promise<void> {
    const driver = this.driver;
    if (!driver || !driver.isOpen()) return;
    if (this.polling) {
      // Asked during a round (showtime came): one more round right after, with fresh figures.
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.pollAgain = false;
    const now = (): number => this.deps.clock.monotonic();
    try {
      const dsl = await this.ask(AT.dsl);
      if (!dsl) return;
      const st = dsl.find((l) => l.type === 'dsl');
      if (st?.type === 'dsl') this.feed({ type: 'dsl-poll', status: st.status, at: now() });
      else this.deps.log.warn('modem answered AT+DSL? without a +DSL line');
      const plc = await this.ask(AT.plc);
      if (!plc) return;
      this.feed({ type: 'plc-poll', adapters: plc.flatMap((l) => (l.type === 'plc' ? [l.adapter] : [])), at: now() });
      if (!this.version) {
        const v = (await this.ask(AT.version))?.find((l) => l.type === 'ver');
        if (v?.type === 'ver') {
          this.version = { firmware: v.firmware, hardware: v.hardware };
          this.deps.log.info(this.version, 'modem version');
        }
      }
    } finally {
      this.polling = false;
      if (this.pollAgain) void this.poll();
    }
  }

  /** A poll request; undefined (and the state goes 'unknown' on timeout) when it fails. */
  private async ask(command: string): Promise<InfoLine[] | undefined> {
    const driver = this.driver;
    if (!driver) return undefined;
    try {
      return await driver.request(command);
    } catch (err) {
      const code = err instanceof PbxError ? err.code : 'E_INTERNAL';
      this.deps.log.debug({ code, err: (err as Error).message }, 'modem poll failed');
      if (code === 'E_MODEM_TIMEOUT' || code === 'E_MODEM_UNAVAILABLE') this.feed({ type: 'modem-lost', at: this.deps.clock.monotonic() });
      return undefined;
    }
  }

  private live(): ModemDriver {
    if (!this.driver) throw new PbxError('E_MODEM_UNAVAILABLE', 'modem service not running');
    return this.driver;
  }

  private onUrc(u: Urc): void {
    const at = this.deps.clock.monotonic();
    switch (u.type) {
      case 'ready':
        this.deps.log.info('modem restarted (+READY)');
        this.version = null;
        void this.poll();
        return;
      case 'dsl-state':
        this.feed({ type: 'dsl-state', state: u.state, at });
        // Rates, SNR and attenuation are only known from a poll: take them now rather than in 10 s.
        if (u.state === 'showtime') void this.poll();
        return;
      case 'crc':
        return this.feed({ type: 'crc', count: u.count, at });
      case 'plc-join':
        return this.feed({ type: 'plc-join', adapter: u.adapter, at });
      case 'plc-leave':
        return this.feed({ type: 'plc-leave', mac: u.mac, at });
      case 'plc-pair':
        if (u.event === 'ended') return this.feed({ type: 'pairing-ended', at });
        return this.feed({ type: 'pairing-started', seconds: u.seconds, at });
    }
  }

  private onGarbage(line: string, reason: string): void {
    const now = this.deps.clock.monotonic();
    if (now - this.garbage.lastLogAt < this.opts.garbageLogIntervalMs) {
      this.garbage.suppressed++;
      return;
    }
    const stats = this.driver?.stats();
    this.deps.log.warn(
      { line: line.slice(0, 80), reason, suppressed: this.garbage.suppressed, garbageBytes: stats?.garbageBytes, overlong: stats?.overlong },
      'unexpected line from the modem, skipped',
    );
    this.garbage = { lastLogAt: now, suppressed: 0 };
  }

  private feed(event: SupervisorEvent): void {
    const step = supervise(this.state, event, this.opts.supervisor);
    this.state = step.state;
    for (const a of step.actions) this.perform(a);
    this.publish();
  }

  private perform(a: SupervisorAction): void {
    const { log, clock } = this.deps;
    switch (a.type) {
      case 'log':
        log[a.level](a.msg);
        return;
      case 'raise-alarm':
        log.error({ failedRetrains: a.failedRetrains }, 'DSL alarm: the line does not come back');
        return;
      case 'clear-alarm':
        log.info('DSL alarm cleared: showtime');
        return;
      case 'send-retrain': {
        const driver = this.driver;
        if (!driver) return;
        driver.request(AT.retrain).then(
          () => this.feed({ type: 'retrain-sent', manual: false, at: clock.monotonic() }),
          (err: unknown) => {
            log.warn({ err: (err as Error).message }, 'modem refused the retrain');
            this.feed({ type: 'retrain-failed', at: clock.monotonic() });
          },
        );
        return;
      }
    }
  }

  /** Emits modem.dsl / modem.plc when their payload changed. */
  private publish(): void {
    const d = this.state.dsl;
    const dsl: ModemEvents['modem.dsl'] = { state: d.state, alarm: d.alarm, downKbps: d.downKbps, upKbps: d.upKbps };
    const dk = JSON.stringify(dsl);
    if (dk !== this.lastDsl) {
      this.lastDsl = dk;
      this.deps.events.emit('modem.dsl', dsl);
    }
    const plc: ModemEvents['modem.plc'] = { adapters: Object.keys(this.state.plc.adapters).length, pairing: this.state.plc.pairingUntil !== null };
    const pk = JSON.stringify(plc);
    if (pk !== this.lastPlc) {
      this.lastPlc = pk;
      this.deps.events.emit('modem.plc', plc);
    }
  }
}
