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
import { HealthHttpService } from './health-http.ts';

/** Domain facts shared between services. */
export interface RuntimeEvents extends PbxEvents {
  'config.loaded': LoadReport;
  'system.rebooting': { reason: string };
}

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

/** The power LED is steady while the runtime runs (GW-3; the full policy comes with indicators/). */
class PowerLedService implements Service {
  readonly name = 'power-led';
  constructor(private readonly board: Board) {}
  async start(): Promise<void> {
    this.board.leds.get('power')?.set(true);
  }
  async stop(): Promise<void> {
    this.board.leds.get('power')?.set(false);
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
  readonly http: HealthHttpService;
  private readonly statusSections: StatusSection[] = [];
  private readonly supervisor: Supervisor;
  private readonly consoleService: ConsoleService;
  readonly configService: ConfigService;
  private readonly startedAt: number;

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
    this.http = new HealthHttpService(
      options.board.definition.network.listen[0] ?? '127.0.0.1',
      options.httpPort ?? options.board.definition.http.port,
      () => ({ version: this.version, board: this.board.definition.id, services: this.supervisor.status() }),
      options.logs.get('http'),
    );
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
    const services: Service[] = [
      this.configService,
      new PowerLedService(options.board),
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

  start(): Promise<void> {
    return this.supervisor.startAll();
  }

  stop(): Promise<void> {
    return this.supervisor.stopAll();
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
