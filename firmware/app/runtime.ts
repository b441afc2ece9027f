import type { Clock } from '../core/clock.ts';
import { EventBus } from '../core/events.ts';
import type { LogRegistry } from '../core/logger.ts';
import type { Service } from '../core/service.ts';
import { ConfigStore, CallJournal, type LoadReport } from '../config/index.ts';
import type { Board } from '../hal/board.ts';
import { CommandRegistry, registerSystemCommands, type StatusSection } from '../api/index.ts';
import { TechnicianConsole } from '../console/index.ts';
import { Supervisor } from './supervisor.ts';
import type { PbxEvents } from '../pbx/events.ts';
import type { ModemEvents } from '../modem/index.ts';
import { WebService, registerAccountCommands } from '../web/index.ts';
import { IndicatorService, registerIndicatorCommands, type SystemState } from '../indicators/index.ts';

/** Domain facts shared between services. */
export interface RuntimeEvents extends PbxEvents, ModemEvents {
  'config.loaded': LoadReport;
  'system.rebooting': { reason: string };
  'system.phase': { phase: RuntimePhase };
  /** The pairing button was pressed (GW-5): the powerline pairing window opens for `seconds`. */
  'plc.pairing-requested': { seconds: number };
  /** Facts the LEDs show changed (DSL, powerline...), published by later layers. */
  'indicators.changed': Record<string, never>;
}

export type RuntimePhase = 'stopped' | 'booting' | 'running' | 'stopping';

/** What later layers (SIP, modem) know that the LEDs show; read again on every change notice. */
export type SystemFacts = Partial<Pick<SystemState, 'dsl' | 'dslAlarm' | 'trunk' | 'phonesRegistered' | 'callsRinging' | 'plcAdapters' | 'plcPairing'>>;

/** The powerline pairing window the pairing button opens (GW-5). */
export const PAIRING_SECONDS = 120;

export interface RuntimeOptions {
  version: string;
  board: Board;
  clock: Clock;
  logs: LogRegistry;
  dataDir: string;
  httpPort?: number;
  /** What a reboot does after every service stopped (restart in-process, or reboot the board). */
  onRebootRequested: (runtime: Runtime) => void;
  /** Extra services contributed by later layers (SIP, modem...), wired in main.ts. */
  extraServices?: (runtime: Runtime) => Service[];
  /** What those layers know that the LEDs show (GW-3). */
  systemFacts?: () => SystemFacts;
}

/** Loads the config; a bad file never stops the boot (it is kept aside and reported). */
class ConfigService implements Service {
  readonly name = 'config';
  lastReport: LoadReport | undefined;
  constructor(
    private readonly store: ConfigStore,
    private readonly onLoaded: (r: LoadReport) => void,
  ) {}
  async start(): Promise<void> {
    this.lastReport = this.store.load();
    this.onLoaded(this.lastReport);
  }
  async stop(): Promise<void> {}
}

class ConsoleService implements Service {
  readonly name = 'console';
  readonly dependsOn = ['config'] as const;
  console: TechnicianConsole | undefined;
  constructor(private readonly rt: Runtime) {}
  async start(): Promise<void> {
    if (!this.rt.board.definition.serial.console) return;
    const line = await this.rt.board.openSerial('console');
    const device = line.path !== 'stdio';
    this.console = new TechnicianConsole(line, this.rt.registry, this.rt.logs.get('console'), {
      echo: device,
      eol: device ? '\r\n' : '\n',
    });
    this.console.start();
  }
  async stop(): Promise<void> {
    this.console?.stop();
    this.console = undefined;
  }
}

/**
 * The service graph of the gateway: config first, then the front ends and the
 * telephony services, stopped in reverse. Built from adapters made in main.ts.
 */
export class Runtime {
  readonly registry = new CommandRegistry();
  readonly events: EventBus<RuntimeEvents>;
  readonly config: ConfigStore;
  readonly journal = new CallJournal();
  readonly board: Board;
  readonly clock: Clock;
  readonly logs: LogRegistry;
  readonly version: string;
  readonly http: WebService;
  private readonly statusSections: StatusSection[] = [];
  private readonly supervisor: Supervisor;
  private readonly consoleService: ConsoleService;
  readonly configService: ConfigService;
  private readonly startedAt: number;
  readonly indicators: IndicatorService;
  private currentPhase: RuntimePhase = 'stopped';

  constructor(private readonly options: RuntimeOptions) {
    this.board = options.board;
    this.clock = options.clock;
    this.logs = options.logs;
    this.version = options.version;
    this.startedAt = options.clock.monotonic();
    const log = options.logs.get('app');
    this.events = new EventBus<RuntimeEvents>((event, err) => log.error({ event, err: (err as Error)?.message }, 'event subscriber failed'));
    this.config = new ConfigStore(options.dataDir, options.clock, options.logs.get('config'));
    this.configService = new ConfigService(this.config, (r) => this.events.emit('config.loaded', r));
    this.consoleService = new ConsoleService(this);
    this.http = new WebService({
      host: options.board.definition.network.listen[0] ?? '127.0.0.1',
      port: options.httpPort ?? options.board.definition.http.port,
      version: options.version,
      registry: this.registry,
      config: this.config,
      clock: options.clock,
      log: options.logs.get('http'),
      health: () => ({ version: this.version, board: this.board.definition.id, services: this.supervisor.status() }),
    });
    registerAccountCommands(this.registry, this.config);
    registerSystemCommands(this.registry, {
      version: options.version,
      clock: options.clock,
      startedAt: this.startedAt,
      board: options.board,
      config: this.config,
      journal: this.journal,
      logs: options.logs,
      services: () => this.supervisor.status(),
      statusSections: () => this.statusSections,
      reboot: () => void this.reboot('console'),
      afterFactoryReset: () => this.journal.clear(),
    });
    this.indicators = new IndicatorService({
      board: options.board,
      clock: options.clock,
      log: options.logs.get('indicators'),
      snapshot: () => this.systemState(),
      subscribe: (onChange) => {
        const offs = (
          ['system.phase', 'config.loaded', 'trunk.state', 'phone.registered', 'phone.unregistered', 'calls.changed', 'modem.dsl', 'modem.plc', 'indicators.changed'] as const
        ).map((e) => this.events.on(e, onChange));
        offs.push(this.config.onChange(() => onChange()));
        return () => {
          for (const off of offs) off();
        };
      },
      actions: {
        reboot: () => void this.reboot('reset button'),
        factoryReset: () => {
          this.logs.get('app').warn({}, 'factory reset from the reset button (held 10 s)');
          this.config.factoryReset();
          void this.reboot('factory reset (reset button)');
        },
        startPairing: () => this.events.emit('plc.pairing-requested', { seconds: PAIRING_SECONDS }),
      },
    });
    registerIndicatorCommands(this.registry, this.indicators);
    const services: Service[] = [
      // First: the power LED blinks while the others start (GW-3).
      this.indicators,
      this.configService,
      this.http,
      ...(options.extraServices?.(this) ?? []),
      this.consoleService,
    ];
    this.supervisor = new Supervisor(services, options.clock, log);
  }

  addStatusSection(section: StatusSection): void {
    this.statusSections.push(section);
  }

  get console(): TechnicianConsole | undefined {
    return this.consoleService.console;
  }

  get phase(): RuntimePhase {
    return this.currentPhase;
  }

  private setPhase(phase: RuntimePhase): void {
    this.currentPhase = phase;
    this.events.emit('system.phase', { phase });
  }

  async start(): Promise<void> {
    this.setPhase('booting');
    await this.supervisor.startAll();
    this.setPhase('running');
  }

  async stop(): Promise<void> {
    this.setPhase('stopping');
    await this.supervisor.stopAll();
    this.setPhase('stopped');
  }

  /** The facts the LEDs show (GW-3): the runtime's phase and config, and what later layers report. */
  systemState(): SystemState {
    // The LEDs start before the config is loaded (the power LED blinks through the boot).
    const cfg = this.config.loaded ? this.config.get() : undefined;
    const facts = this.currentPhase === 'running' ? (this.options.systemFacts?.() ?? {}) : {};
    return {
      running: this.currentPhase === 'running',
      booting: this.currentPhase === 'booting',
      factoryResetPending: false,
      dsl: facts.dsl ?? 'unknown',
      dslAlarm: facts.dslAlarm ?? false,
      trunk: facts.trunk ?? 'disabled',
      trunkEnabled: cfg?.trunk.enabled ?? false,
      phonesRegistered: facts.phonesRegistered ?? 0,
      phonesConfigured: cfg?.phones.length ?? 0,
      callsRinging: facts.callsRinging ?? 0,
      plcAdapters: facts.plcAdapters ?? 0,
      plcPairing: facts.plcPairing ?? false,
    };
  }

  services() {
    return this.supervisor.status();
  }

  async reboot(reason: string): Promise<void> {
    this.logs.get('app').warn({ reason }, 'reboot requested');
    this.events.emit('system.rebooting', { reason });
    await this.stop();
    this.journal.clear(); // LOG-2: the journal does not survive a reboot
    this.options.onRebootRequested(this);
  }
}
