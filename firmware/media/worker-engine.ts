import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/logger.ts';
import { MediaError } from './errors.ts';
import type { AudioSink, AudioSource } from './leg.ts';
import { SAMPLES_PER_FRAME } from './media-clock.ts';
import type { LegId, LegRemote, LegStats, MediaEngine, RelayCall, TransportAddress } from './types.ts';
import {
  PLAYER_LEAD_FRAMES,
  readLegStats,
  readPortsInUse,
  statsBufferSize,
  type FromWorker,
  type ToWorker,
  type WorkerStartOptions,
} from './worker-protocol.ts';

export interface WorkerRelayEngineOptions {
  listen: string;
  advertise: string;
  portMin: number;
  portMax: number;
  log: Logger;
  portQuarantineMs?: number;
  relatchAfterMs?: number;
  /** How to start the worker thread (main.ts: from the executable's asset, or the .ts file under tsx). */
  spawn: (data: WorkerStartOptions) => Worker;
}

type ErrorCodeOfMedia = ConstructorParameters<typeof MediaError>[0];

/**
 * The MediaEngine of the PBX with the relay on its own thread (docs/media.md,
 * "the media thread"): the same RtpRelayEngine runs in a worker; this side
 * keeps the contract of types.ts for call control. Statistics are read from
 * a shared buffer the worker refreshes every 20 ms; players are read ahead
 * here and their frames queued there; recorded frames and digits come back
 * as messages.
 */
export class WorkerRelayEngine implements MediaEngine {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly stats: SharedArrayBuffer;
  private readonly slots: number;
  private nextReq = 1;
  private readonly pending = new Map<number, { resolve: (v: FromWorker) => void; reject: (e: Error) => void }>();
  private readonly calls = new Map<string, WorkerRelayCall>();
  private closed = false;

  constructor(private readonly o: WorkerRelayEngineOptions) {
    // One call holds two RTP/RTCP pairs (4 ports): the range bounds the calls.
    this.slots = Math.max(1, Math.min(4096, Math.floor((o.portMax - o.portMin + 1) / 4)));
    this.stats = new SharedArrayBuffer(statsBufferSize(this.slots));
  }

  /** Starts the worker now (the first call would otherwise wait for it). */
  start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const data: WorkerStartOptions = {
        listen: this.o.listen,
        advertise: this.o.advertise,
        portMin: this.o.portMin,
        portMax: this.o.portMax,
        logLevel: this.o.log.level,
        stats: this.stats,
        slots: this.slots,
        ...(this.o.portQuarantineMs !== undefined ? { portQuarantineMs: this.o.portQuarantineMs } : {}),
        ...(this.o.relatchAfterMs !== undefined ? { relatchAfterMs: this.o.relatchAfterMs } : {}),
      };
      const w = this.o.spawn(data);
      this.worker = w;
      w.on('message', (m: FromWorker) => {
        if (m.op === 'ready') resolve();
        else this.onMessage(m);
      });
      w.on('error', (err) => {
        this.o.log.error({ err: err.message, stack: err.stack }, 'media worker failed');
        reject(err);
      });
      w.on('exit', (code) => {
        if (this.worker !== w) return;
        this.worker = undefined;
        this.ready = undefined;
        for (const p of this.pending.values()) p.reject(new MediaError('E_MEDIA_CLOSED', `media worker exited (${code})`));
        this.pending.clear();
        if (!this.closed) {
          // Calls in progress lost their media; new calls start a new worker.
          this.o.log.error({ code, calls: this.calls.size }, 'media worker exited; calls in progress lose their media');
          for (const c of [...this.calls.values()]) c.lost();
        }
      });
    });
    return this.ready;
  }

  async createRelayCall(): Promise<RelayCall> {
    if (this.closed) throw new MediaError('E_MEDIA_CLOSED');
    await this.start();
    const m = await this.request({ op: 'create', req: 0 });
    if (m.op === 'failed') throw new MediaError(m.code as ErrorCodeOfMedia, m.message);
    if (m.op !== 'created') throw new MediaError('E_MEDIA_CLOSED');
    const call = new WorkerRelayCall(this, m.id, m.slot, m.local);
    if (this.closed) {
      call.close();
      throw new MediaError('E_MEDIA_CLOSED');
    }
    this.calls.set(m.id, call);
    return call;
  }

  openCalls(): number {
    return this.calls.size;
  }

  portsInUse(): number {
    return readPortsInUse(this.stats, this.slots);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.calls.values()]) c.close();
    const w = this.worker;
    if (!w) return;
    try {
      await Promise.race([this.request({ op: 'shutdown', req: 0 }), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // the worker is gone already
    }
    this.worker = undefined;
    await w.terminate();
  }

  /** @internal */
  send(m: ToWorker, transfer?: ArrayBuffer[]): void {
    this.worker?.postMessage(m, transfer ?? []);
  }

  /** @internal */
  readStats(slot: number, leg: LegId): LegStats {
    return readLegStats(this.stats, slot, leg);
  }

  /** @internal */
  forget(id: string): void {
    this.calls.delete(id);
  }

  private request(m: Extract<ToWorker, { req: number }>): Promise<FromWorker> {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      if (!this.worker) return reject(new MediaError('E_MEDIA_CLOSED'));
      this.pending.set(req, { resolve, reject });
      this.send(m.op === 'create' ? { op: 'create', req } : { op: 'shutdown', req });
    });
  }

  private onMessage(m: FromWorker): void {
    switch (m.op) {
      case 'created':
      case 'failed':
      case 'shutdownDone': {
        const p = this.pending.get(m.req);
        this.pending.delete(m.req);
        p?.resolve(m);
        return;
      }
      case 'log':
        this.o.log[m.level](m.record, m.msg);
        return;
      case 'ready':
        return;
      default:
        this.calls.get(m.id)?.onMessage(m);
    }
  }
}

interface PlayerPump {
  serial: number;
  source: AudioSource;
  onEnd: (() => void) | undefined;
  done: boolean;
}

/** The main thread's side of one relayed call. */
class WorkerRelayCall implements RelayCall {
  private closed = false;
  private serial = 0;
  private readonly players: Partial<Record<LegId, PlayerPump>> = {};
  private readonly recorders: Partial<Record<LegId, { serial: number; sink: AudioSink }>> = {};
  private readonly dtmfListeners: Array<(leg: LegId, digit: string) => void> = [];
  private final: { a: LegStats; b: LegStats } | undefined;

  constructor(
    private readonly engine: WorkerRelayEngine,
    readonly id: string,
    private readonly slot: number,
    private readonly addresses: { a: TransportAddress; b: TransportAddress },
  ) {}

  local(leg: LegId): TransportAddress {
    return this.addresses[leg];
  }

  setRemote(leg: LegId, remote: LegRemote): void {
    if (!this.closed) this.engine.send({ op: 'setRemote', id: this.id, leg, remote });
  }

  sendDtmf(leg: LegId, digits: string): void {
    if (!this.closed) this.engine.send({ op: 'sendDtmf', id: this.id, leg, digits });
  }

  stats(leg: LegId): LegStats {
    return this.final ? this.final[leg] : this.engine.readStats(this.slot, leg);
  }

  attachPlayer(leg: LegId, source: AudioSource, onEnd?: () => void): void {
    if (this.closed) return;
    const pump: PlayerPump = { serial: ++this.serial, source, onEnd, done: false };
    this.players[leg] = pump;
    const { pcm, end } = this.readAhead(pump, PLAYER_LEAD_FRAMES);
    this.engine.send({ op: 'player', id: this.id, leg, serial: pump.serial, pcm, end }, [pcm.buffer as ArrayBuffer]);
  }

  detachPlayer(leg: LegId): void {
    if (!this.players[leg]) return;
    delete this.players[leg];
    if (!this.closed) this.engine.send({ op: 'detachPlayer', id: this.id, leg });
  }

  attachRecorder(leg: LegId, sink: AudioSink): void {
    if (this.closed) return;
    const serial = ++this.serial;
    this.recorders[leg] = { serial, sink };
    this.engine.send({ op: 'recorder', id: this.id, leg, serial, on: true });
  }

  detachRecorder(leg: LegId): void {
    if (!this.recorders[leg]) return;
    delete this.recorders[leg];
    if (!this.closed) this.engine.send({ op: 'recorder', id: this.id, leg, serial: 0, on: false });
  }

  onDtmfReceived(listener: (leg: LegId, digit: string) => void): () => void {
    if (this.closed) return () => {};
    this.dtmfListeners.push(listener);
    // The in-band detector runs (in the worker) only while someone listens.
    if (this.dtmfListeners.length === 1) this.engine.send({ op: 'dtmfListen', id: this.id, on: true });
    return () => {
      const i = this.dtmfListeners.indexOf(listener);
      if (i < 0) return;
      this.dtmfListeners.splice(i, 1);
      if (this.dtmfListeners.length === 0 && !this.closed) this.engine.send({ op: 'dtmfListen', id: this.id, on: false });
    };
  }

  close(): void {
    if (this.closed) return;
    // The last figures the worker published stay readable (journal, logs) after the close.
    this.final = { a: this.engine.readStats(this.slot, 'a'), b: this.engine.readStats(this.slot, 'b') };
    this.closed = true;
    this.dtmfListeners.length = 0;
    for (const k of Object.keys(this.players) as LegId[]) delete this.players[k];
    for (const k of Object.keys(this.recorders) as LegId[]) delete this.recorders[k];
    this.engine.send({ op: 'close', id: this.id });
    this.engine.forget(this.id);
  }

  /** The worker is gone: nothing more will come or go. */
  lost(): void {
    if (this.closed) return;
    this.final = { a: this.engine.readStats(this.slot, 'a'), b: this.engine.readStats(this.slot, 'b') };
    this.closed = true;
    this.engine.forget(this.id);
  }

  onMessage(m: FromWorker): void {
    if (this.closed) return;
    switch (m.op) {
      case 'need': {
        const pump = this.players[m.leg];
        if (!pump || pump.serial !== m.serial || pump.done) return;
        const { pcm, end } = this.readAhead(pump, PLAYER_LEAD_FRAMES);
        this.engine.send({ op: 'frames', id: this.id, leg: m.leg, serial: pump.serial, pcm, end }, [pcm.buffer as ArrayBuffer]);
        return;
      }
      case 'playerEnded': {
        const pump = this.players[m.leg];
        if (!pump || pump.serial !== m.serial) return;
        delete this.players[m.leg];
        pump.onEnd?.();
        return;
      }
      case 'recorded': {
        const r = this.recorders[m.leg];
        if (r && r.serial === m.serial) r.sink.write(m.pcm);
        return;
      }
      case 'dtmf':
        for (const fn of [...this.dtmfListeners]) {
          try {
            fn(m.leg, m.digit);
          } catch {
            // a listener's failure is its own
          }
        }
        return;
    }
  }

  /** Up to `n` frames of the source, and whether it ended. */
  private readAhead(pump: PlayerPump, n: number): { pcm: Int16Array; end: boolean } {
    const pcm = new Int16Array(n * SAMPLES_PER_FRAME);
    const frame = new Int16Array(SAMPLES_PER_FRAME);
    let count = 0;
    while (count < n && !pump.done) {
      frame.fill(0);
      let more: boolean;
      try {
        more = pump.source.read(frame);
      } catch {
        more = false; // a failing source ends, as in the in-thread engine
      }
      if (!more) pump.done = true;
      else pcm.set(frame, count++ * SAMPLES_PER_FRAME);
    }
    return { pcm: count === n ? pcm : pcm.slice(0, count * SAMPLES_PER_FRAME), end: pump.done };
  }
}
