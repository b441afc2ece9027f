import type { ThreadLogLine } from '../../core/thread-log.ts';
import type { NonceUse, ServerDigestAlgorithm } from '../../sip/auth/index.ts';
import type { RegisterAnswer, RegisterRequest } from './registrar.ts';

/**
 * Messages between the main thread and the registrar's threads
 * (threads.ts, register-worker.ts; docs/sip-registrar.md "threads").
 */


export interface RegisterThreadStart {
  index: number;
  /** Duplicates of the main thread's UDP SIP sockets (native/fdutil), this thread's to close. */
  sockets: Array<{ fd: number; ipv6: boolean }>;
  /**
   * The main thread's performance.timeOrigin: nonces carry the main clock's
   * monotonic time, and a thread's own performance.now() starts at its start.
   */
  mainTimeOrigin: number;
  /** The nonce key, shared with the main thread's authenticator: a nonce from either checks in either. */
  secret: Uint8Array;
  realm: string;
  algorithms: ServerDigestAlgorithm[];
  nonceLifetimeMs: number;
  /** The To tag of stateless answers (the main thread's, so a retransmission's answer is the same). */
  toTag: string;
  maxMessageSize: number;
  logLevel: string;
  credentials: Array<[username: string, password: string]>;
  /** Counters (THREAD_COUNTERS), written by the thread, read by `sip` on the console. */
  stats: SharedArrayBuffer;
}

/** Index of each counter in the stats array. */
export const THREAD_COUNTERS = ['received', 'registers', 'challenged', 'forwarded', 'droppedBanned', 'sendErrors'] as const;
export type ThreadCounter = (typeof THREAD_COUNTERS)[number];

export type ToThread =
  /** New phone credentials (config change). */
  | { op: 'credentials'; entries: Array<[string, string]> }
  /** The banned sources, with the ban's remaining time (each thread has its own clock). */
  | { op: 'bans'; entries: Array<[address: string, remainingMs: number]> }
  /**
   * The answer to a `register`; null when there is nothing to send
   * (banned). `judge`: the main thread refused the nonce-count (a replay, an
   * evicted nonce) and wants the datagram, to handle it whole.
   */
  | { op: 'answer'; id: number; answer: RegisterAnswer | null; judge?: boolean };

export type FromThread =
  | { op: 'ready' }
  /** A datagram for the main thread to handle as if it had read it (not a REGISTER, or one it must judge). */
  | { op: 'datagram'; data: Uint8Array; host: string; port: number }
  /**
   * A REGISTER whose credentials checked out: the main thread accepts the
   * nonce-count (`use`, with the request's transaction key: a
   * retransmission is not a replay), applies the bindings and answers
   * with `answer`.
   */
  | {
      op: 'register';
      id: number;
      host: string;
      port: number;
      user: string;
      use: NonceUse;
      request: RegisterRequest;
    }
  | ThreadLogLine;
