import { LogRegistry, type LogLevel } from '../../firmware/core/logger.ts';

export interface LogRecord {
  level: number;
  ns?: string;
  msg?: string;
  [key: string]: unknown;
}

/** A LogRegistry whose JSON lines are kept in memory for assertions. */
export function captureLogs(level: LogLevel = 'debug'): { logs: LogRegistry; records: () => LogRecord[] } {
  const lines: string[] = [];
  const logs = new LogRegistry({ level, destination: { write: (s: string) => void lines.push(s) } });
  return {
    logs,
    records: () =>
      lines
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as LogRecord),
  };
}

/** A logger that writes nowhere (for tests that do not look at logs). */
export function silentLogs(): LogRegistry {
  return new LogRegistry({ level: 'silent', destination: { write: () => {} } });
}
