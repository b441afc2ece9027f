import { closeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../core/logger.ts';
import type { RegisterAnswer } from './registrar.ts';
import { THREAD_COUNTERS, type FromThread, type RegisterThreadStart, type ThreadCounter, type ToThread } from './thread-protocol.ts';

/** The key of the registrar thread's bundle among the executable's SEA assets (scripts/build.mjs). */
export const REGISTER_WORKER_ASSET = 'register-worker.cjs';

/** What main.ts gives the SIP service to run registrar threads: how to start one, how to duplicate a descriptor. */
export interface RegistrarThreadsPort {
  spawn(data: RegisterThreadStart): Worker;
  dup(fd: number): number;
}

/** What the threads need from the SIP service when they start (see RegisterThreadStart). */
export type ThreadSetup = Omit<RegisterThreadStart, 'index' | 'sockets' | 'stats'> & {
  sockets: Array<{ fd: number; ipv6: boolean }>;
};

export interface ThreadHandlers {
  /** A datagram the thread passed on: handle it as if the main thread had read it. */
  datagram(data: Buffer, host: string, port: number): void;
  /**
   * A REGISTER with good credentials: the answer to send; null when nothing
   * is to be sent (banned); 'judge' when the main thread wants the datagram
   * to handle it whole (its nonce-count was refused).
   */
  register(m: Extract<FromThread, { op: 'register' }>): RegisterAnswer | null | 'judge';
}

interface Thread {
  worker: Worker;
  stats: Float64Array;
  ready: boolean;
  /** This thread's duplicates of the sockets: closed here only if it never took them (exit before ready). */
  fds: number[];
}

/**
 * How many registrar threads: `auto` is one when there is more than one
 * core (measured: two on a 2-core machine did worse than one; nothing was
 * measured on more cores, and each thread costs an isolate's memory on a
 * small board); a number is taken as is, 0 turns them off.
 */
export function registrarThreadCount(setting: number | 'auto', cores: number): number {
  if (setting !== 'auto') return setting;
  return cores > 1 ? 1 : 0;
}

/**
 * The registrar's threads (docs/sip-registrar.md "threads"), seen from the
 * main thread: it starts them on duplicates of the UDP SIP sockets, answers
 * their REGISTERs through the handlers (the state stays here), handles the
 * datagrams they pass on, and keeps their credentials and bans current.
 * A thread that fails is logged and not replaced: the main thread reads the
 * same sockets and goes on alone.
 */
export class RegistrarThreads {
  private readonly threads: Thread[] = [];
  private stopped = false;

  constructor(
    private readonly port: RegistrarThreadsPort,
    private readonly log: Logger,
  ) {}

  start(count: number, setup: ThreadSetup, handlers: ThreadHandlers): void {
    for (let index = 0; index < count; index++) {
      const fds: number[] = [];
      try {
        for (const s of setup.sockets) fds.push(this.port.dup(s.fd));
      } catch (err) {
        for (const fd of fds) closeQuietly(fd);
        this.log.warn({ err: (err as Error).message }, 'registrar threads off: cannot duplicate the SIP socket; the main thread reads it alone');
        return;
      }
      const stats = new SharedArrayBuffer(THREAD_COUNTERS.length * Float64Array.BYTES_PER_ELEMENT);
      const data: RegisterThreadStart = { ...setup, index, sockets: setup.sockets.map((s, i) => ({ fd: fds[i]!, ipv6: s.ipv6 })), stats };
      let worker: Worker;
      try {
        worker = this.port.spawn(data);
      } catch (err) {
        for (const fd of fds) closeQuietly(fd);
        this.log.warn({ err: (err as Error).message }, 'registrar thread did not start');
        return;
      }
      const thread: Thread = { worker, stats: new Float64Array(stats), ready: false, fds };
      this.threads.push(thread);
      worker.on('message', (m: FromThread) => this.onMessage(thread, m, handlers));
      worker.on('error', (err) => this.log.error({ err: err.message, stack: err.stack, thread: index }, 'registrar thread failed'));
      worker.on('exit', (code) => {
        const i = this.threads.indexOf(thread);
        if (i >= 0) this.threads.splice(i, 1);
        // Before `ready` the thread had not taken its descriptors: they are still ours to close.
        if (!thread.ready) for (const fd of fds) closeQuietly(fd);
        if (!this.stopped) this.log.error({ code, thread: index }, 'registrar thread exited; the main thread reads the SIP socket without it');
      });
    }
  }

  private onMessage(thread: Thread, m: FromThread, handlers: ThreadHandlers): void {
    switch (m.op) {
      case 'ready':
        thread.ready = true;
        return;
      case 'log':
        this.log[m.level](m.record, m.msg);
        return;
      case 'datagram':
        handlers.datagram(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), m.host, m.port);
        return;
      case 'register': {
        let answer: RegisterAnswer | null | 'judge' = null;
        try {
          answer = handlers.register(m);
        } finally {
          // Always answered: the thread holds the request until then.
          this.post(thread, answer === 'judge' ? { op: 'answer', id: m.id, answer: null, judge: true } : { op: 'answer', id: m.id, answer });
        }
        return;
      }
    }
  }

  private post(thread: Thread, m: ToThread): void {
    thread.worker.postMessage(m);
  }

  /** Phones' SIP credentials changed. */
  credentials(entries: Array<[string, string]>): void {
    for (const t of this.threads) this.post(t, { op: 'credentials', entries });
  }

  /** The banned sources changed (a new ban, a lift). */
  bans(entries: Array<[string, number]>): void {
    for (const t of this.threads) this.post(t, { op: 'bans', entries });
  }

  /** Each running thread's counters, and whether it reads the socket yet (a thread takes a moment to start). */
  stats(): Array<Record<ThreadCounter, number> & { ready: boolean }> {
    return this.threads.map((t) => ({ ready: t.ready, ...(Object.fromEntries(THREAD_COUNTERS.map((name, i) => [name, t.stats[i] ?? 0])) as Record<ThreadCounter, number>) }));
  }

  get running(): number {
    return this.threads.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }
}

const REGISTER = Buffer.from('REGISTER ');

/** A request line starting "REGISTER " (the thread's parser decides the rest). */
export function isRegister(data: Buffer): boolean {
  return data.length >= REGISTER.length && data.compare(REGISTER, 0, REGISTER.length, 0, REGISTER.length) === 0;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
