import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { isIP } from 'node:net';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { UdpSender, ipLiteralLookup } from './udp-sender.ts';
import {
  createResponse,
  formatVia,
  parseMessage,
  serialize,
  StreamFramer,
  topVia,
  type ParseResult,
  type SipMessage,
  type SipRequest,
} from '../message/index.ts';

/** Where a message came from or goes to (same shape as the transaction layer's Destination). */
export interface Endpoint {
  transport: string; // 'UDP' | 'TCP'
  host: string;
  port: number;
  connectionId?: string;
}

export interface TransportOptions {
  /** Addresses to listen on ("127.0.0.1", "0.0.0.0", "::1"). */
  listen: readonly string[];
  port: number;
  /** Host written in our Via sent-by and Contact when listening on a wildcard. */
  advertise: string;
  udp?: boolean;
  tcp?: boolean;
  /** Largest accepted message, both transports (RFC 3261 §18.1.1 allows 64 KiB over UDP). */
  maxMessageSize?: number;
  /** Open TCP connections at most; new ones beyond it are refused at accept. */
  maxConnections?: number;
  /** A TCP connection with no traffic for this long is closed. */
  tcpIdleTimeoutMs?: number;
  /** Bytes a TCP connection may hold pending (a partial message) before it is closed. */
  maxConnectionBuffer?: number;
}

export interface TransportEvents {
  /** A well-formed message (requests already carry received/rport, §18.2.1, RFC 3581). */
  onMessage(msg: SipMessage, source: Endpoint): void;
  /** A TCP connection closed or failed: transactions using it fail over (§17.1.4). */
  onConnectionClosed?(connectionId: string, error?: Error): void;
}

export interface TransportStats {
  udpReceived: number;
  tcpReceived: number;
  rejected: number;
  sent: number;
  sendErrors: number;
  connections: number;
  connectionsRefused: number;
}

interface Connection {
  id: string;
  socket: Socket;
  framer: StreamFramer;
  remote: string; // host:port key
  idle?: TimerHandle;
  lastActivity: number;
}

function hostKey(host: string, port: number): string {
  return `${host.startsWith('[') ? host.slice(1, -1) : host}:${port}`;
}

/**
 * SIP transports (RFC 3261 §18) over UDP and TCP. Receives datagrams and
 * streams, frames and parses them, stamps received/rport on requests, answers
 * unparseable requests with 400 statelessly, and sends messages, reusing a
 * TCP connection to the same peer when one is open. Bounded in connections
 * and per-connection buffer.
 */
export class SipTransport {
  private readonly udp: UdpSocket[] = [];
  /** Whether udp[i] is an IPv6 socket. */
  private readonly udpV6: boolean[] = [];
  private readonly servers: Server[] = [];
  private readonly connections = new Map<string, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private nextConnId = 1;
  private boundPort = 0;
  private readonly maxSize: number;
  private readonly maxConnections: number;
  private readonly idleMs: number;
  private readonly maxBuffer: number;
  private readonly udpSender = new UdpSender((err, host, port) => {
    this.stats.sendErrors++;
    this.log.debug({ err: err.message, host, port }, 'udp send failed');
  });
  readonly stats: TransportStats = { udpReceived: 0, tcpReceived: 0, rejected: 0, sent: 0, sendErrors: 0, connections: 0, connectionsRefused: 0 };

  constructor(
    private readonly options: TransportOptions,
    private readonly events: TransportEvents,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.maxSize = options.maxMessageSize ?? 65535;
    this.maxConnections = options.maxConnections ?? 512;
    this.idleMs = options.tcpIdleTimeoutMs ?? 600_000;
    this.maxBuffer = options.maxConnectionBuffer ?? 2 * this.maxSize;
  }

  /** The port actually bound (differs from options.port when that was 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Largest accepted message (bytes). */
  get maxMessageSize(): number {
    return this.maxSize;
  }

  get advertise(): string {
    return this.options.advertise;
  }

  async start(): Promise<void> {
    let port = this.options.port;
    for (const address of this.options.listen) {
      if (this.options.udp !== false) {
        const sock = await this.bindUdp(address, port);
        const bound = sock.address();
        port = bound.port; // a port 0 request binds every listener to the first port chosen
        this.udp.push(sock);
        this.udpV6.push(bound.family === 'IPv6');
      }
      if (this.options.tcp !== false) {
        const server = await this.listenTcp(address, port);
        const a = server.address();
        if (a && typeof a === 'object') port = a.port;
        this.servers.push(server);
      }
    }
    this.boundPort = port;
  }

  async stop(): Promise<void> {
    this.udpSender.flush();
    for (const c of [...this.connections.values()]) this.closeConnection(c);
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.udpV6.length = 0;
    await Promise.all(this.udp.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  isReliable(transport: string): boolean {
    return transport.toUpperCase() !== 'UDP';
  }

  /** Sends a message; false when it could not be handed to the network (§17.1.4 transport error). */
  send(msg: SipMessage, dest: Endpoint): boolean {
    let data: Buffer;
    try {
      data = serialize(msg);
    } catch (err) {
      this.stats.sendErrors++;
      this.log.error({ err: (err as Error).message }, 'cannot serialize outgoing message');
      return false;
    }
    return this.sendRaw(data, dest);
  }

  sendRaw(data: Buffer, dest: Endpoint): boolean {
    const transport = dest.transport.toUpperCase();
    if (transport === 'UDP') {
      const sock = this.pickUdp(dest.host);
      if (!sock) {
        this.stats.sendErrors++;
        return false;
      }
      const host = stripBrackets(dest.host);
      if (!isIP(host)) {
        // Name resolution (RFC 3263) is the trunk's business; phones and tests use addresses.
        this.stats.sendErrors++;
        this.log.warn({ host }, 'UDP destination is not an IP address');
        return false;
      }
      this.udpSender.send(sock, data, dest.port, host);
      this.stats.sent++;
      return true;
    }
    if (transport === 'TCP') {
      let conn = dest.connectionId !== undefined ? this.connections.get(dest.connectionId) : undefined;
      // §18.2.2: if the connection the request came on is gone, open one to the same address and port.
      conn ??= this.byRemote.get(hostKey(dest.host, dest.port));
      conn ??= this.connect(dest.host, dest.port);
      if (!conn) {
        this.stats.sendErrors++;
        return false;
      }
      conn.socket.write(data);
      this.touch(conn);
      this.stats.sent++;
      return true;
    }
    this.stats.sendErrors++;
    return false;
  }

  private pickUdp(host: string): UdpSocket | undefined {
    const v6 = host.includes(':');
    // The family of each socket is known from its bind (address() is a getsockname() call per send).
    const i = this.udpV6.indexOf(v6);
    return this.udp[i >= 0 ? i : 0];
  }

  private bindUdp(address: string, port: number): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: false, lookup: ipLiteralLookup });
      sock.once('error', reject);
      sock.on('message', (data, rinfo) => this.onDatagram(data, rinfo.address, rinfo.port));
      sock.bind(port, address, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.log.warn({ err: err.message }, 'udp socket error'));
        // Bursts of REGISTERs must not be dropped by a small kernel queue.
        try {
          sock.setRecvBufferSize(4 * 1024 * 1024);
          sock.setSendBufferSize(4 * 1024 * 1024);
        } catch {
          /* limited by net.core.rmem_max: the default stays */
        }
        resolve(sock);
      });
    });
  }

  private listenTcp(address: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.onAccept(socket));
      server.maxConnections = this.maxConnections;
      server.on('drop', () => {
        this.stats.connectionsRefused++;
      });
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.warn({ err: err.message }, 'tcp server error'));
        resolve(server);
      });
    });
  }

  /**
   * The bound UDP sockets' descriptors, for threads that read the same
   * sockets (registrar/threads.ts); undefined when node does not show them.
   * Node has no public accessor: the handle's `fd` is read where it lives.
   */
  udpDescriptors(): Array<{ fd: number; ipv6: boolean }> | undefined {
    const out: Array<{ fd: number; ipv6: boolean }> = [];
    for (const [i, sock] of this.udp.entries()) {
      const state = Object.getOwnPropertySymbols(sock).find((k) => k.description?.includes('state') === true);
      // Node's internal socket state ({ handle: UDPWrap, ... }); typed loosely on purpose, checked below.
      const handle = state === undefined ? undefined : (sock as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[state]?.handle;
      const fd = handle?.fd;
      if (typeof fd !== 'number' || fd < 0) return undefined;
      out.push({ fd, ipv6: this.udpV6[i] ?? false });
    }
    return out;
  }

  /** A datagram that another thread read from one of our UDP sockets, handled as if read here. */
  receiveDatagram(data: Buffer, address: string, port: number): void {
    this.onDatagram(data, address, port);
  }

  private onDatagram(data: Buffer, address: string, port: number): void {
    this.stats.udpReceived++;
    // RFC 5626 keep-alive over UDP is a STUN request; a bare CRLF ping is answered with nothing.
    if (data.length <= 4 && data.every((b) => b === 13 || b === 10)) return;
    this.handleParsed(parseMessage(data, { maxSize: this.maxSize }), { transport: 'UDP', host: address, port });
  }

  private onAccept(socket: Socket): void {
    if (this.connections.size >= this.maxConnections) {
      this.stats.connectionsRefused++;
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    this.register(socket, address, port);
  }

  private connect(host: string, port: number): Connection | undefined {
    if (this.connections.size >= this.maxConnections) return undefined;
    const h = stripBrackets(host);
    if (!isIP(h)) return undefined;
    const socket = createConnection({ host: h, port, noDelay: true });
    return this.register(socket, h, port);
  }

  private register(socket: Socket, address: string, port: number): Connection {
    const id = `tcp-${this.nextConnId++}`;
    const conn: Connection = {
      id,
      socket,
      remote: hostKey(address, port),
      lastActivity: this.clock.monotonic(),
      framer: new StreamFramer({
        maxSize: this.maxSize,
        maxBuffer: this.maxBuffer,
        // RFC 5626 §4.4.1: answer a double-CRLF ping with a single CRLF pong.
        onPing: () => socket.write('\r\n'),
      }),
    };
    this.connections.set(id, conn);
    this.byRemote.set(conn.remote, conn);
    this.stats.connections = this.connections.size;
    socket.on('data', (chunk) => {
      this.touch(conn);
      this.stats.tcpReceived++;
      const results = conn.framer.push(chunk);
      for (const r of results) this.handleParsed(r, { transport: 'TCP', host: address, port, connectionId: id });
      if (conn.framer.failed) {
        this.log.info({ remote: conn.remote }, 'closing TCP connection after a framing error');
        this.closeConnection(conn);
      }
    });
    socket.on('error', (err) => {
      this.log.debug({ remote: conn.remote, err: err.message }, 'tcp connection error');
      this.closeConnection(conn, err);
    });
    socket.on('close', () => this.closeConnection(conn));
    this.touch(conn);
    return conn;
  }

  private touch(conn: Connection): void {
    conn.lastActivity = this.clock.monotonic();
    if (conn.idle) return;
    const check = (): void => {
      const idleFor = this.clock.monotonic() - conn.lastActivity;
      if (idleFor >= this.idleMs) {
        this.log.debug({ remote: conn.remote }, 'closing idle TCP connection');
        this.closeConnection(conn);
        return;
      }
      conn.idle = this.clock.setTimeout(check, this.idleMs - idleFor);
    };
    conn.idle = this.clock.setTimeout(check, this.idleMs);
  }

  private closeConnection(conn: Connection, err?: Error): void {
    if (!this.connections.has(conn.id)) return;
    this.connections.delete(conn.id);
    if (this.byRemote.get(conn.remote) === conn) this.byRemote.delete(conn.remote);
    conn.idle?.cancel();
    conn.socket.destroy();
    this.stats.connections = this.connections.size;
    this.events.onConnectionClosed?.(conn.id, err);
  }

  connectionCount(): number {
    return this.connections.size;
  }

  private handleParsed(result: ParseResult, source: Endpoint): void {
    if (!result.ok) {
      this.stats.rejected++;
      const partial = result.error.partial;
      this.log.info({ from: `${source.host}:${source.port}`, code: result.error.code, reason: result.error.reason }, 'malformed SIP message');
      // §16.3/§8.2: a request we can read enough of gets a 400 naming the problem; anything else is dropped.
      if (partial && partial.method !== 'ACK') {
        // §8.2: an unsupported SIP version is 505; every other defect is 400 with the reason.
        const status = result.error.code === 'bad-version' ? 505 : 400;
        const res = createResponse(partial, status, status === 505 ? 'Version Not Supported' : result.error.reason);
        this.send(res, this.replyEndpoint(partial, source));
      }
      return;
    }
    const msg = result.message;
    if (msg.kind === 'request') {
      stampReceived(msg, source);
    } else {
      // §18.1.2: a response whose top Via sent-by is not ours is discarded.
      const via = topVia(msg.headers);
      if (!via) return;
    }
    try {
      this.events.onMessage(msg, source);
    } catch (err) {
      this.log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'SIP message handler failed');
    }
  }

  /** Where a stateless reply goes: the source, with the top Via's rules (§18.2.2). */
  private replyEndpoint(req: SipRequest, source: Endpoint): Endpoint {
    if (source.connectionId !== undefined) return source;
    const via = topVia(req.headers);
    if (!via || via.params.has('rport')) return source;
    return { transport: source.transport, host: source.host, port: via.port ?? 5060 };
  }
}

/**
 * §18.2.1: "the server transport MUST add a received parameter" when the
 * sent-by host differs from the packet's source address; RFC 3581 §4:
 * an empty rport gets the source port (and then received is always added).
 */
export function stampReceived(req: SipRequest, source: Endpoint): void {
  const via = topVia(req.headers);
  if (!via) return;
  const wantsRport = via.params.has('rport') && !via.params.get('rport');
  const sameHost = stripBrackets(via.host) === source.host;
  if (sameHost && !wantsRport) return;
  // RFC 3261 grammar: received = IPv4address / IPv6address (no brackets).
  via.params.set('received', source.host);
  if (wantsRport) via.params.set('rport', String(source.port));
  req.headers.removeFirstValue('via');
  req.headers.prepend('Via', formatVia(via));
}

/** A host without the brackets of an IPv6 reference ("[::1]" -> "::1"). */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
