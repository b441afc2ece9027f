import { isIP } from 'node:net';
import type { Socket as UdpSocket, SocketOptions } from 'node:dgram';

/**
 * Outgoing UDP datagrams, sent in one burst per event-loop turn.
 *
 * Why: on loopback and on a LAN the cost of a send is mostly waking the
 * peer's thread (an interrupt to another CPU; under a hypervisor a VM exit,
 * tens of µs). A thread answering a burst of requests one send at a time,
 * with ~100 µs of work between sends, wakes a peer that has gone back to
 * sleep every time; the same answers sent back to back find it awake. The
 * answers of one turn's datagrams (libuv reads up to 32 per turn) leave
 * together at the end of the turn (setImmediate: after the I/O callbacks),
 * so a message waits at most for the rest of its turn's work. Measured with
 * bench/register: see bench/README.md.
 */
export class UdpSender {
  private readonly queue: Array<{ socket: UdpSocket; data: Buffer; port: number; host: string }> = [];
  private scheduled = false;

  constructor(private readonly onError: (err: Error, host: string, port: number) => void) {}

  /** Queues a datagram to an IP address (no name resolution here). */
  send(socket: UdpSocket, data: Buffer, port: number, host: string): void {
    this.queue.push({ socket, data, port, host });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** Sends what is queued now (also called by the timer). */
  readonly flush = (): void => {
    this.scheduled = false;
    // splice: a send's error callback may queue more; those go in the next turn.
    for (const d of this.queue.splice(0)) {
      try {
        d.socket.send(d.data, d.port, d.host, (err) => {
          if (err) this.onError(err, d.host, d.port);
        });
      } catch (err) {
        // a socket closed meanwhile (service stopping): the datagram is lost, as UDP allows
        this.onError(err as Error, d.host, d.port);
      }
    }
  };
}

/**
 * dgram's `lookup` option for sockets that only ever send to IP addresses:
 * the answer is given at once, where node's default (dns.lookup) defers
 * even an address literal to the next tick, one more callback per datagram.
 */
export const ipLiteralLookup: NonNullable<SocketOptions['lookup']> = (hostname, _options, callback) => {
  const family = isIP(hostname);
  if (family === 0) {
    callback(Object.assign(new Error(`not an IP address: ${hostname}`), { code: 'EINVAL' }), '', 0);
    return;
  }
  callback(null, hostname, family);
};
