import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

/**
 * Structured logs (pino), namespaced per module with child loggers so a
 * technician can turn one namespace up at run time (`log level sip debug`).
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type Logger = PinoLogger;

export class LogRegistry {
  readonly root: Logger;
  private readonly children = new Map<string, Logger>();

  constructor(options: { level?: LogLevel; destination?: DestinationStream } = {}) {
    this.root = pino(
      { level: options.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
      options.destination ?? pino.destination({ dest: 2, sync: true }),
    );
  }

  /** The logger of one namespace ("sip", "config", ...), created once. */
  get(namespace: string): Logger {
    let child = this.children.get(namespace);
    if (!child) {
      child = this.root.child({ ns: namespace });
      this.children.set(namespace, child);
    }
    return child;
  }

  namespaces(): string[] {
    return [...this.children.keys()].sort();
  }

  /** Sets the level of one namespace, or of all when namespace is undefined. */
  setLevel(level: LogLevel, namespace?: string): void {
    if (namespace === undefined) {
      this.root.level = level;
      for (const c of this.children.values()) c.level = level;
      return;
    }
    this.get(namespace).level = level;
  }
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}
