import pino from 'pino';
import type { Logger } from './logger.ts';

/** Levels a worker thread's log line may carry to the main thread. */
export type ThreadLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** A log line as it crosses from a worker thread to the main thread's logger. */
export interface ThreadLogLine {
  op: 'log';
  level: ThreadLogLevel;
  record: Record<string, unknown>;
  msg: string;
}

/**
 * A worker thread's logger (the media thread, the registrar threads): its
 * lines go to the main thread as messages, because the main thread's logger
 * owns the destination and the levels. A line that cannot cross is dropped,
 * never a crash of the thread.
 */
export function threadLogger(level: string, base: Record<string, unknown> | undefined, post: (line: ThreadLogLine) => void): Logger {
  return pino(
    { level, base, timestamp: false },
    {
      write(text: string): void {
        try {
          const { level: n, msg, ...record } = JSON.parse(text) as { level: number; msg?: string } & Record<string, unknown>;
          post({ op: 'log', level: (pino.levels.labels[n] ?? 'info') as ThreadLogLevel, record, msg: msg ?? '' });
        } catch {
          // dropped
        }
      },
    },
  );
}
