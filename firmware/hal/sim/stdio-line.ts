import type { Unsubscribe } from '../../core/events.ts';
import type { SerialLine } from '../board.ts';
import type { SerialRole } from '../definition.ts';

/** The console line of the simulated board: the process's stdin and stdout. */
export class StdioSerialLine implements SerialLine {
  readonly path = 'stdio';
  private readonly unsubs: Array<() => void> = [];
  constructor(readonly role: SerialRole) {}

  async write(data: Buffer | string): Promise<void> {
    process.stdout.write(data);
  }
  onData(handler: (chunk: Buffer) => void): Unsubscribe {
    const h = (chunk: Buffer | string): void => handler(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    process.stdin.on('data', h);
    const off = (): void => {
      process.stdin.off('data', h);
    };
    this.unsubs.push(off);
    return off;
  }
  onClose(handler: (err?: Error) => void): Unsubscribe {
    const h = (): void => handler();
    process.stdin.on('end', h);
    const off = (): void => {
      process.stdin.off('end', h);
    };
    this.unsubs.push(off);
    return off;
  }
  async close(): Promise<void> {
    for (const off of this.unsubs.splice(0)) off();
    process.stdin.pause();
  }
}
