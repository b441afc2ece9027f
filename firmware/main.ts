/**
 * Composition root: the only place that builds concrete adapters
 * (board, clock, logs, sockets) and wires the services together.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import pkg from '../package.json' with { type: 'json' };
import { SystemClock } from './core/clock.ts';
import { LogRegistry, isLogLevel } from './core/logger.ts';
import { isPbxError } from './core/errors.ts';
import { loadBoardDefinition, SimBoard, type Board, type BoardDefinition } from './hal/index.ts';
import { LinuxBoard } from './hal/linux/linux-board.ts';
import { checkNativeAddons } from './hal/linux/native-check.ts';
import { Runtime } from './app/index.ts';
import type { Service } from './core/service.ts';
import { SipService } from './pbx/sip-service.ts';
import { registerPhoneCommands } from './pbx/phone-commands.ts';
import { registerAdminCommands } from './web/admin-commands.ts';
import { registerUserCommands, greetingImporter, messageWavPath } from './web/user-commands.ts';
import { MobileApp } from './pbx/mobile-app.ts';
import { sdpAdapter } from './pbx/calls/sdp-adapter.ts';
import { WorkerRelayEngine } from './media/worker-engine.ts';
import { mediaWorkerSpawner } from './media/worker-spawn.ts';
import { workerSpawner } from './core/worker-spawn.ts';
import { REGISTER_WORKER_ASSET } from './pbx/registrar/threads.ts';
import type { RegisterThreadStart } from './pbx/registrar/thread-protocol.ts';
import fdutil from '../native/fdutil/index.cjs';
import { lookup as dnsLookup } from 'node:dns/promises';
import { OutgoingRouter } from './pbx/outgoing.ts';
import { applyConfigChanges } from './pbx/features.ts';
import { loadNumberingPlan } from './pbx/numbering-plan-file.ts';
import { VoicemailService, registerVoicemailCommands } from './pbx/voicemail/index.ts';
import { MailService, registerMailCommands, voicemailMailForStored } from './mail/index.ts';
import { PreloadedPrompts, findPromptDir } from './voice/index.ts';
import { Announcements } from './pbx/announcements.ts';
import { registerAnnouncementCommands } from './pbx/announcement-commands.ts';
import { decodeG729 } from './media/g729.ts';
import { ProvisioningHandler } from './provisioning/index.ts';
import { join } from 'node:path';
import { ModemService, ModemSimulator, registerModemCommands, registerSimulatorCommands, dslStatusLine, plcStatusLine } from './modem/index.ts';

const VERSION: string = pkg.version;

const USAGE = `usage: pbxgate [--board <id|file.json>] [--data-dir <dir>] [--sip-port <n>] [--http-port <n>] [--log-level <level>]
       pbxgate --check-native | --version | --help`;

function fatal(message: string): never {
  process.stderr.write(`pbxgate: ${message}\n`);
  process.exit(2);
}

function portArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fatal(`--${name} must be a port number (0-65535), got "${v}"`);
  return n;
}

function makeBoard(def: BoardDefinition): Board {
  return def.kind === 'sim' ? new SimBoard(def) : new LinuxBoard(def);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        board: { type: 'string', default: 'sim' },
        'data-dir': { type: 'string' },
        'sip-port': { type: 'string' },
        'http-port': { type: 'string' },
        'log-level': { type: 'string' },
        'check-native': { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    fatal(`${(err as Error).message}\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (args.version) {
    process.stdout.write(`pbxgate ${VERSION}\n`);
    return;
  }
  if (args['check-native']) {
    const check = checkNativeAddons();
    process.stdout.write(`${JSON.stringify(check)}\n`);
    // A board script can rely on the exit code.
    if (!check.serialport || !check.epoll) process.exitCode = 1;
    return;
  }
  const level = args['log-level'] ?? 'info';
  if (!isLogLevel(level)) fatal(`--log-level: unknown level "${level}"`);

  let definition: BoardDefinition;
  try {
    definition = loadBoardDefinition(args.board);
  } catch (err) {
    fatal(isPbxError(err) ? err.message : String(err));
  }
  const sipPort = portArg(args['sip-port'], 'sip-port');
  const httpPort = portArg(args['http-port'], 'http-port');
  if (sipPort !== undefined) definition = { ...definition, sip: { port: sipPort } };
  const dataDir = resolve(args['data-dir'] ?? definition.dataDir);

  const logs = new LogRegistry({ level });
  const clock = new SystemClock();
  const board = makeBoard(definition);
  const log = logs.get('main');

  let sip: SipService | undefined;
  let modem: ModemService | undefined;
  const spawnMediaWorker = await mediaWorkerSpawner();
  const spawnRegistrarThread = await workerSpawner<RegisterThreadStart>(REGISTER_WORKER_ASSET, new URL('./pbx/registrar/register-worker.ts', import.meta.url), 'registrar');
  const runtime = new Runtime({
    version: VERSION,
    board,
    clock,
    logs,
    dataDir,
    ...(httpPort !== undefined ? { httpPort } : {}),
    extraServices: (rt) => {
      const plan = loadNumberingPlan(dataDir, logs.get('dialplan'));
      const router = new OutgoingRouter({
        config: () => rt.config.get(),
        plan: () => plan,
        monotonic: () => rt.clock.monotonic(),
        log: logs.get('dialplan'),
        applyChanges: (changes) => {
          // One update: a feature code's changes are stored together or not at all.
          const r = rt.config.update((draft) => applyConfigChanges(draft, changes));
          if (!r.ok) logs.get('dialplan').error({ changes, err: r.error.message }, 'feature code: the change could not be stored');
        },
        // The callback queue (FWD-6) is the B2BUA's; sip is assigned below, before any call can be routed.
        callbacks: {
          context: (mac) => sip?.calls?.callbackContext(mac) ?? {},
          apply: (change) => sip?.calls?.applyCallback(change),
        },
      });
      const mail = new MailService({
        dataDir,
        clock: rt.clock,
        log: logs.get('mail'),
        config: () => rt.config.get().smtp,
        watchConfig: (on) => rt.config.onChange((changed) => (changed.includes('smtp') ? on() : undefined)),
        hostname: () => rt.config.get().system.hostname,
      });
      registerMailCommands(rt.registry, mail);
      const prompts = new PreloadedPrompts(findPromptDir(process.execPath, process.cwd(), process.env), logs.get('voice'));
      // One reader of uploaded audio for hold music, greetings, pre-answer and the attendant (cached until replaced).
      const announcements = new Announcements(dataDir, () => rt.config.get(), logs.get('announcements'));
      const voicemail = new VoicemailService({
        dataDir,
        announcements,
        prompts,
        log: logs.get('voicemail'),
        config: () => rt.config.get(),
        onCountsChanged: (mac, counts) => sip?.notifyMessageWaiting(mac, counts),
        // VOX-1: each new message by e-mail when the phone wants it; the outbox keeps it until delivered.
        onNewMessage: (mac, message, wavPath) => {
          const email = voicemailMailForStored(rt.config.get(), mac, message, wavPath);
          if (!email) return;
          try {
            mail.enqueue(email);
          } catch (err) {
            logs.get('mail').error({ mac, id: message.id, err: (err as Error).message }, 'voicemail e-mail could not be queued');
          }
        },
      });
      // A phone that (re)registers with messages waiting gets its lamp back (RFC 3842); an empty box needs no NOTIFY.
      rt.events.on('phone.registered', ({ mac }) => {
        const counts = voicemail.counts(mac);
        if (counts.fresh + counts.saved > 0) sip?.notifyMessageWaiting(mac, counts);
      });
      const announcementDeps = { config: rt.config, announcements, decodeG729 };
      registerAnnouncementCommands(rt.registry, announcementDeps);
      // Issue 10: the user web's commands (WEB-6), each on the logged-in user's own phone only.
      const userDeps = { config: rt.config, journal: rt.journal, plan: () => plan, voicemail, importGreeting: greetingImporter(announcementDeps) };
      registerUserCommands(rt.registry, userDeps);
      rt.http.setVoicemailWav((mac, id) => {
        const file = messageWavPath(userDeps, mac, id);
        try {
          return file === undefined ? undefined : readFileSync(file);
        } catch {
          return undefined; // deleted meanwhile
        }
      });
      sip = new SipService({
        voicemail,
        mwiCounts: (mac) => voicemail.counts(mac),
        holdMusic: () => announcements.holdMusic(),
        onAnnouncementRecorded: (mac, _what, samples) => {
          // VOX-5: the line's pre-answer announcement, recorded with *35*2; switched on and off with *35*1 / *35*0.
          const ref = `preanswer-${mac.replace(/:/g, '')}.wav`;
          try {
            announcements.store(ref, samples);
          } catch (err) {
            logs.get('announcements').error({ mac, err: (err as Error).message }, 'the recorded announcement could not be stored');
            return;
          }
          const r = rt.config.update((draft) => {
            const phone = draft.phones.find((p) => p.mac === mac);
            if (phone) phone.preAnswer = { ...phone.preAnswer, recording: ref };
          });
          if (!r.ok) logs.get('announcements').error({ mac, err: r.error.message }, 'the recorded announcement could not be referenced');
          else logs.get('announcements').info({ mac, file: ref, seconds: Math.round(samples.length / 8000) }, 'pre-answer announcement recorded');
        },
        board: rt.board.definition,
        config: rt.config,
        clock: rt.clock,
        events: rt.events,
        log: logs.get('sip'),
        registry: rt.registry,
        addStatusSection: (s) => rt.addStatusSection(s),
        journal: rt.journal,
        sdp: sdpAdapter,
        resolve: async (host) => (await dnsLookup(host)).address,
        route: (caller, dialled, inProgress) => router.route(caller, dialled, inProgress),
        numbering: () => plan,
        // REGISTERs are also handled on threads reading the same UDP socket (docs/sip-registrar.md "threads").
        registrarThreads: { spawn: spawnRegistrarThread, dup: (fd) => fdutil.dup(fd) },
        // The RTP relay runs on its own thread (docs/media.md): packets never wait behind SIP or the web.
        media: () => {
          const engine = new WorkerRelayEngine({
            listen: rt.board.definition.network.listen[0] ?? '127.0.0.1',
            advertise: rt.board.definition.network.advertise,
            portMin: rt.board.definition.rtp.portMin,
            portMax: rt.board.definition.rtp.portMax,
            log: logs.get('media'),
            spawn: spawnMediaWorker,
          });
          engine.start().catch((err: unknown) => logs.get('media').error({ err: (err as Error).message }, 'media thread did not start'));
          return engine;
        },
      });
      registerPhoneCommands(rt.registry, rt.config, rt.clock);
      // Phones fetch their files from the box's HTTP port (issue 9, docs/provisioning.md).
      const advertise = rt.board.definition.network.advertise;
      // WEB-7: mobile app accounts; their one-time Linphone links are served by the provisioning handler.
      const mobileApp = new MobileApp({
        config: rt.config,
        clock: rt.clock,
        log: logs.get('mobile'),
        server: () => ({ sipHost: advertise, sipPort: sip?.port ?? rt.board.definition.sip.port, httpBase: `http://${advertise.includes(':') ? `[${advertise}]` : advertise}:${rt.http.address.port}` }),
        mobileContacts: (mac) => sip?.registrar?.mobileContactsOf(mac).length ?? 0,
        dropBindings: (mac) => sip?.registrar?.dropMobile(mac),
      });
      mobileApp.register(rt.registry);
      const provisioning = new ProvisioningHandler({
        config: rt.config,
        clock: rt.clock,
        log: logs.get('provisioning'),
        server: () => ({
          sipHost: advertise,
          sipPort: sip?.port ?? rt.board.definition.sip.port,
          httpBase: `http://${advertise.includes(':') ? `[${advertise}]` : advertise}:${rt.http.address.port}`,
          ntpServer: 'fr.pool.ntp.org',
        }),
        assetsDir: join(dataDir, 'phone-files'),
        mobileFile: (token, remote) => mobileApp.provisioningFile(token, remote),
      });
      rt.http.setPreHandler((method, url, userAgent, remote) => provisioning.handle(method, url, userAgent, remote));
      registerVoicemailCommands(rt.registry, () => rt.config.get(), voicemail);
      // Issue 10: the admin web's commands; the dashboard reads the same live state as the console.
      registerAdminCommands(rt.registry, {
        config: rt.config,
        clock: rt.clock,
        journal: rt.journal,
        live: {
          registeredMacs: () => (sip?.registrar?.registrations() ?? []).filter((r) => r.bindings.length > 0).map((r) => r.phone.mac),
          trunk: () => ({ ...(sip?.trunk?.status() ?? { state: 'disabled' }), externalCalls: sip?.calls?.externalCalls() ?? 0 }),
          dsl: () => modem?.snapshot().dsl ?? null,
          plc: () => modem?.snapshot().plc ?? null,
          calls: () => sip?.calls?.activeCalls() ?? [],
          leds: () => rt.indicators.report(),
        },
      });
      const services: Service[] = [prompts, sip, mail];
      if (rt.board.definition.serial.modem) {
        // The simulated board's modem line is in-process: a simulated coprocessor answers on its far end.
        const simBoard = rt.board instanceof SimBoard && rt.board.definition.serial.modem.path === 'sim' ? rt.board : undefined;
        const modemSim = simBoard ? new ModemSimulator(rt.clock) : undefined;
        modemSim?.start();
        if (modemSim) registerSimulatorCommands(rt.registry, modemSim);
        const m = new ModemService({
          clock: rt.clock,
          log: logs.get('modem'),
          events: rt.events,
          open: async () => {
            const line = await rt.board.openSerial('modem');
            // Each open makes a new in-process pair: the simulator moves to the new far end.
            const peer = simBoard?.peerOf('modem');
            if (peer) modemSim?.attach(peer);
            return line;
          },
        });
        modem = m;
        registerModemCommands(rt.registry, m);
        rt.addStatusSection({ name: 'dsl', render: () => dslStatusLine(m.snapshot()) });
        rt.addStatusSection({ name: 'powerline', render: () => plcStatusLine(m.snapshot()) });
        // GW-5: the pairing button opens the powerline pairing window.
        rt.events.on('plc.pairing-requested', ({ seconds }) => {
          m.startPairing(seconds).catch((err: unknown) => logs.get('modem').warn({ err: (err as Error).message }, 'powerline pairing refused'));
        });
        services.push(m);
      }
      return services;
    },
    systemFacts: () => ({
      ...(modem ? modemFacts(modem) : {}),
      ...(sip?.trunk ? { trunk: sip.trunk.status().state } : {}),
      phonesRegistered: sip?.registrar?.registeredCount() ?? 0,
      // A count kept by the call manager: this runs on every call state change, it must not walk the calls.
      callsRinging: sip?.calls?.ringingCount() ?? 0,
    }),
    onRebootRequested: (rt) => {
      if (definition.kind === 'sim') {
        // The simulated board "reboots" in-process: every service starts again from the stored config.
        void rt.start().then(() => announce(rt, 'rebooted'));
        return;
      }
      void board.close().then(() => {
        const child = spawn('reboot', [], { stdio: 'ignore' });
        child.on('error', () => process.exit(0));
        child.on('exit', () => process.exit(0));
      });
    },
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void runtime
      .stop()
      .then(() => board.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err: err.message, stack: err.stack }, 'uncaught exception');
    shutdown('uncaughtException');
  });

  await runtime.start();
  sipPortInUse = () => sip?.port ?? definition.sip.port;
  announce(runtime, 'ready');
}

let sipPortInUse = (): number => 0;

/** What the LEDs show of the modem (GW-3). */
function modemFacts(modem: ModemService) {
  const s = modem.snapshot();
  return { dsl: s.dsl.state, dslAlarm: s.dsl.alarm, plcAdapters: s.plc.adapters.length, plcPairing: s.plc.pairing };
}

function announce(runtime: Runtime, what: string): void {
  const def = runtime.board.definition;
  const http = runtime.http.address;
  const cfg = runtime.config.get();
  const report = runtime.configService.lastReport;
  const lines = [
    `pbxgate ${VERSION} ${what} on board ${def.id} (${def.name})`,
    `  data:      ${runtime.config.file}`,
    `  admin web: http://${def.network.advertise}:${http.port}/  (login admin)`,
    `  SIP:       udp+tcp ${def.network.advertise}:${sipPortInUse()}`,
    `  console:   ${def.serial.console?.path === 'stdio' ? 'this terminal (type help)' : (def.serial.console?.path ?? 'none')}`,
  ];
  // Factory defaults (first boot, or a bad file with no good copy): the new password must be seen.
  if (report?.source === 'defaults') lines.push(`  admin password (factory defaults): ${cfg.admin.devicePassword}`);
  if (report?.quarantined) lines.push(`  WARNING: configuration was invalid (${report.problem}); kept aside as ${report.quarantined}, using ${report.source}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  runtime.console?.showPrompt();
}

main().catch((err: unknown) => {
  process.stderr.write(`pbxgate: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
