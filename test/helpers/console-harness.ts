import type { ExecutionContext } from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import type { ServiceStatus } from '../../firmware/core/service.ts';
import { CallJournal, ConfigStore } from '../../firmware/config/index.ts';
import { loadBoardDefinition, MemorySerialLine, SimBoard } from '../../firmware/hal/index.ts';
import { CommandRegistry, registerSystemCommands } from '../../firmware/api/index.ts';
import { TechnicianConsole, type ConsoleOptions } from '../../firmware/console/index.ts';
import { silentLogs } from './logs.ts';
import { flush, tmpDir } from './tmp.ts';

export const PROMPT = 'pbxgate> ';

/**
 * A technician console wired as in the runtime (system commands over a
 * SimBoard and a ConfigStore in a temp dir), driven through the far end of an
 * in-process serial line: what a terminal would type and see.
 */
export function consoleHarness(t: ExecutionContext, options: ConsoleOptions = { echo: false, eol: '\n' }) {
  const clock = new FakeClock();
  const logs = silentLogs();
  const board = new SimBoard(loadBoardDefinition('sim'));
  const config = new ConfigStore(tmpDir(t, 'console'), clock, logs.get('config'));
  config.load();
  const registry = new CommandRegistry();
  const journal = new CallJournal();
  const calls = { reboot: 0, afterFactoryReset: 0 };
  const services: ServiceStatus[] = [
    { name: 'config', state: 'running', restarts: 0 },
    { name: 'http', state: 'running', restarts: 2 },
  ];
  registerSystemCommands(registry, {
    version: '9.8.7',
    clock,
    startedAt: 0,
    board,
    config,
    journal,
    logs,
    services: () => services,
    statusSections: () => [{ name: 'phones', render: () => '0 registered' }],
    reboot: () => void calls.reboot++,
    afterFactoryReset: () => void calls.afterFactoryReset++,
  });
  const [ours, terminal] = MemorySerialLine.pair('console');
  const cons = new TechnicianConsole(ours, registry, logs.get('console'), options);
  cons.start();
  let screen = '';
  terminal.onData((chunk) => {
    screen += chunk.toString('utf8');
  });
  t.teardown(() => cons.stop());

  /** Lets the line deliver, the console answer, and the answer come back. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await flush();
      await cons.idle();
    }
    await flush();
  };

  return {
    clock,
    board,
    config,
    journal,
    registry,
    calls,
    console: cons,
    /** Sends bytes as a terminal would and returns what appeared on the screen in answer. */
    async type(data: string | Buffer): Promise<string> {
      const start = screen.length;
      await terminal.write(data);
      await settle();
      return screen.slice(start);
    },
    screen: () => screen,
  };
}
