import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { SystemClock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { threadLogger } from '../../core/thread-log.ts';
import { DigestAuthenticator } from '../../sip/auth/index.ts';
import { parseMessage, serialize, type SipRequest } from '../../sip/message/index.ts';
import { stampReceived, stripBrackets } from '../../sip/transport/index.ts';
import { UdpSender, ipLiteralLookup } from '../../sip/transport/udp-sender.ts';
import { responseDestination, type Destination } from '../../sip/transaction/index.ts';
import { readRegister } from './registrar.ts';
import { answerBytes, challengeResponse, registerKey } from './stateless.ts';
import { isRegister } from './threads.ts';
import { THREAD_COUNTERS, type FromThread, type RegisterThreadStart, type ThreadCounter, type ToThread } from './thread-protocol.ts';

/**
 * A registrar thread (docs/sip-registrar.md "threads"): it reads the SIP UDP
 * socket beside the main thread (a duplicate descriptor of the same socket,
 * so the kernel hands each datagram to whichever thread reads first) and
 * does the stateless, CPU-bound part of a REGISTER: parsing, the challenge,
 * the digest check, reading the contacts, building and sending the answer.
 * What needs state goes to the main thread: the nonce-count (replays), the
 * bindings, bans and their counting. Anything that is not
 * a REGISTER, or that the main thread must judge (a failed authentication,
 * a Require, a malformed message), is passed on as the datagram itself and
 * handled there exactly as if the main thread had read it.
 */

const port = parentPort;
if (!port) throw new Error('register-worker.ts runs as a worker thread');
const start = workerData as RegisterThreadStart;
const post = (m: FromThread): void => port.postMessage(m);

// Logs go to the main thread's logger, which owns the destination and the levels.
const log: Logger = threadLogger(start.logLevel, { thread: `registrar-${start.index}` }, post);

/** The main thread's monotonic clock: nonces carry its times. */
class MainThreadClock extends SystemClock {
  private readonly offset = performance.timeOrigin - start.mainTimeOrigin;
  override monotonic(): number {
    return performance.now() + this.offset;
  }
}
const clock = new MainThreadClock();

const counters = new Float64Array(start.stats);
const count = (name: ThreadCounter): void => {
  counters[THREAD_COUNTERS.indexOf(name)]! += 1;
};

let credentials = new Map(start.credentials);
const auth = new DigestAuthenticator({
  clock,
  secret: Buffer.from(start.secret),
  realm: start.realm,
  algorithms: start.algorithms,
  nonceLifetimeMs: start.nonceLifetimeMs,
  credentials: (username, realm) => {
    if (realm !== start.realm) return undefined;
    const password = credentials.get(username);
    return password === undefined ? undefined : { password };
  },
});

/** Banned source -> until (this thread's clock). */
let bans = new Map<string, number>();

/** REGISTERs waiting for the main thread's answer, by id. */
const pending = new Map<number, { req: SipRequest; socket: UdpSocket; dest: Destination; data: Buffer; host: string; port: number }>();
let nextId = 1;

const sender = new UdpSender((err, host, sourcePort) => {
  count('sendErrors');
  log.debug({ err: err.message, host, port: sourcePort }, 'udp send failed');
});

function send(socket: UdpSocket, data: Buffer, dest: Destination): void {
  sender.send(socket, data, dest.port, stripBrackets(dest.host));
}

function forward(data: Buffer, host: string, sourcePort: number): void {
  count('forwarded');
  post({ op: 'datagram', data, host, port: sourcePort });
}

function onDatagram(socket: UdpSocket, data: Buffer, host: string, sourcePort: number): void {
  count('received');
  const until = bans.get(host);
  if (until !== undefined) {
    if (until > clock.monotonic()) {
      count('droppedBanned');
      return;
    }
    bans.delete(host);
  }
  // Not a REGISTER (by its first bytes; the parser decides the rest): the main thread's.
  if (!isRegister(data)) {
    forward(data, host, sourcePort);
    return;
  }
  const parsed = parseMessage(data, { maxSize: start.maxMessageSize });
  if (!parsed.ok || parsed.message.kind !== 'request' || parsed.message.method !== 'REGISTER') {
    forward(data, host, sourcePort);
    return;
  }
  const req = parsed.message;
  const source = { transport: 'UDP', host, port: sourcePort };
  stampReceived(req, source);
  const keyed = registerKey(req);
  if (!keyed || req.headers.has('require')) {
    forward(data, host, sourcePort);
    return;
  }
  const dest = responseDestination(keyed.via, source);
  const authorization = req.headers.get('authorization');
  const checked = authorization === undefined ? undefined : auth.checkCredentials('REGISTER', authorization, req.body);
  if (checked === undefined || checked.result === 'stale') {
    // No credentials, or an old nonce: a new challenge, as the main thread would give (nothing to count).
    count('challenged');
    send(socket, serialize(challengeResponse(req, auth, checked !== undefined, start.toTag)), dest);
    return;
  }
  if (checked.result !== 'ok' || checked.use === undefined || checked.username === undefined) {
    // A failure counts towards a ban, which the main thread keeps: it answers (or not).
    forward(data, host, sourcePort);
    return;
  }
  count('registers');
  const id = nextId++;
  pending.set(id, { req, socket, dest, data, host, port: sourcePort });
  post({ op: 'register', id, host, port: sourcePort, user: checked.username, use: { ...checked.use, key: keyed.key }, request: readRegister(req) });
}

const sockets = start.sockets.map(({ fd, ipv6 }) => {
  const socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4', lookup: ipLiteralLookup });
  socket.on('message', (data, rinfo) => {
    try {
      onDatagram(socket, data, rinfo.address, rinfo.port);
    } catch (err) {
      log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'registrar thread failed on a datagram');
    }
  });
  socket.on('error', (err) => log.warn({ err: err.message }, 'udp socket error'));
  socket.bind({ fd });
  return socket;
});

port.on('message', (m: ToThread) => {
  switch (m.op) {
    case 'answer': {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.judge) forward(p.data, p.host, p.port);
      else if (m.answer) send(p.socket, answerBytes(p.req, m.answer, start.toTag), p.dest);
      return;
    }
    case 'credentials':
      credentials = new Map(m.entries);
      return;
    case 'bans': {
      const now = clock.monotonic();
      bans = new Map(m.entries.map(([address, remaining]) => [address, now + remaining]));
      return;
    }
  }
});

log.debug({ sockets: sockets.length }, 'registrar thread reading the SIP sockets');
post({ op: 'ready' });
