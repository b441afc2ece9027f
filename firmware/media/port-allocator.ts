import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { MediaError } from './errors.ts';

/** One bound RTP/RTCP pair: RTP on an even port, RTCP on the next one (RFC 3550 §11). */
export interface PortPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
}

export interface PortAllocatorOptions {
  /** Address both sockets bind to ("127.0.0.1", "0.0.0.0", "::"). */
  address: string;
  /** First RTP port (rounded up to even) and last usable port (RTCP of the last pair). */
  portMin: number;
  portMax: number;
  clock: Clock;
  log: Logger;
  /** A released pair is not handed out again before this many ms (stray packets of the last call). */
  quarantineMs?: number;
}

export const DEFAULT_PORT_QUARANTINE_MS = 4000;

const FREE = 0;
const BUSY = 1;

/**
 * Hands out RTP/RTCP port pairs from a range, round-robin so that a released
 * pair is reused as late as possible, and never before its quarantine ends.
 * A pair whose bind fails (another process holds a port) is skipped for this
 * round. Exhaustion rejects with E_MEDIA_PORTS_EXHAUSTED.
 */
export class PortAllocator {
  private readonly first: number;
  private readonly state: Uint8Array;
  /** Monotonic time before which a pair may not be handed out (0 = never used). */
  private readonly quarantinedUntil: Float64Array;
  private cursor = 0;
  private busy = 0;
  private readonly quarantineMs: number;

  constructor(private readonly options: PortAllocatorOptions) {
    this.first = options.portMin + (options.portMin & 1);
    const pairs = Math.max(0, Math.floor((options.portMax - this.first + 1) / 2));
    this.state = new Uint8Array(pairs);
    this.quarantinedUntil = new Float64Array(pairs);
    this.quarantineMs = options.quarantineMs ?? DEFAULT_PORT_QUARANTINE_MS;
  }

  /** Pairs in the range. */
  get capacity(): number {
    return this.state.length;
  }

  /** Pairs held now (each is one RTP port and one RTCP port). */
  pairsInUse(): number {
    return this.busy;
  }

  async allocate(): Promise<PortPair> {
    const n = this.state.length;
    const now = this.options.clock.monotonic();
    let quarantined = 0;
    let failed = 0;
    for (let tried = 0; tried < n; tried++) {
      const i = this.cursor;
      this.cursor = (this.cursor + 1) % n;
      if (this.state[i] !== FREE) continue;
      if (this.quarantinedUntil[i]! > now) {
        quarantined++;
        continue;
      }
      this.state[i] = BUSY; // reserved across the awaits below
      this.busy++;
      const rtpPort = this.first + 2 * i;
      const pair = await this.bindPair(rtpPort);
      if (pair) return pair;
      this.state[i] = FREE;
      this.busy--;
      failed++;
    }
    throw new MediaError(
      'E_MEDIA_PORTS_EXHAUSTED',
      `no free RTP port pair in ${this.first}-${this.options.portMax} (${this.busy} in use, ${quarantined} quarantined, ${failed} failed to bind)`,
    );
  }

  /**
   * Closes both sockets and returns the pair to the pool. With `quarantine`
   * (the default) the pair rests first; a pair that never carried media can
   * go back at once. Idempotent per pair.
   */
  release(pair: PortPair, quarantine = true): void {
    const i = (pair.rtpPort - this.first) / 2;
    if (this.state[i] !== BUSY) return;
    closeQuietly(pair.rtp);
    closeQuietly(pair.rtcp);
    this.state[i] = FREE;
    this.busy--;
    this.quarantinedUntil[i] = quarantine ? this.options.clock.monotonic() + this.quarantineMs : 0;
  }

  private async bindPair(rtpPort: number): Promise<PortPair | null> {
    const rtp = await this.bindOne(rtpPort);
    if (!rtp) return null;
    const rtcp = await this.bindOne(rtpPort + 1);
    if (!rtcp) {
      closeQuietly(rtp);
      return null;
    }
    return { rtpPort, rtcpPort: rtpPort + 1, rtp, rtcp };
  }

  private bindOne(port: number): Promise<Socket | null> {
    return new Promise((resolve) => {
      const socket = createSocket({ type: isIPv6(this.options.address) ? 'udp6' : 'udp4', reuseAddr: false });
      const onError = (err: Error): void => {
        socket.removeListener('listening', onListening);
        if (this.options.log.isLevelEnabled('debug')) this.options.log.debug({ port, err: err.message }, 'rtp port skipped');
        closeQuietly(socket);
        resolve(null);
      };
      const onListening = (): void => {
        socket.removeListener('error', onError);
        resolve(socket);
      };
      socket.once('error', onError);
      socket.once('listening', onListening);
      socket.bind({ port, address: this.options.address, exclusive: true });
    });
  }
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
