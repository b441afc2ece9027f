import { parentPort, workerData } from 'node:worker_threads';
import { SystemClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { threadLogger } from '../core/thread-log.ts';
import { isPbxError } from '../core/errors.ts';
import type { AudioSink, AudioSource } from './leg.ts';
import { SAMPLES_PER_FRAME } from './media-clock.ts';
import { RtpRelayEngine, type RtpRelayCall } from './relay.ts';
import type { LegId } from './types.ts';
import {
  PLAYER_LOW_WATER,
  STATS_INTERVAL_MS,
  clearSlot,
  writeLegStats,
  writePortsInUse,
  type FromWorker,
  type ToWorker,
  type WorkerStartOptions,
} from './worker-protocol.ts';

/**
 * The media thread (docs/media.md): the RTP relay engine on its own event
 * loop, so relayed packets never wait behind SIP, the web or the main
 * thread's garbage collection. The main thread drives it with messages
 * (worker-protocol.ts); players and recorders stay on the main thread, their
 * frames cross in small batches.
 */

const port = parentPort;
if (!port) throw new Error('relay-worker.ts runs as a worker thread');
const options = workerData as WorkerStartOptions;
const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer ?? []);

// Logs go to the main thread's logger, which owns the destination and the levels.
const log: Logger = threadLogger(options.logLevel, undefined, post);

const engine = new RtpRelayEngine({
  listen: options.listen,
  advertise: options.advertise,
  portMin: options.portMin,
  portMax: options.portMax,
  clock: new SystemClock(),
  log,
  ...(options.portQuarantineMs !== undefined ? { portQuarantineMs: options.portQuarantineMs } : {}),
  ...(options.relatchAfterMs !== undefined ? { relatchAfterMs: options.relatchAfterMs } : {}),
});

interface Open {
  call: RtpRelayCall;
  slot: number;
  players: Partial<Record<LegId, RemoteSource>>;
  dtmfOff: (() => void) | null;
}

const calls = new Map<string, Open>();
const freeSlots: number[] = [];
for (let i = options.slots - 1; i >= 0; i--) freeSlots.push(i);

/** A player's frames, read ahead on the main thread and queued here. */
class RemoteSource implements AudioSource {
  private readonly queue: Int16Array[] = [];
  private ended = false;
  private asked = false;

  constructor(
    private readonly id: string,
    private readonly leg: LegId,
    readonly serial: number,
  ) {}

  push(pcm: Int16Array, end: boolean): void {
    for (let i = 0; i + SAMPLES_PER_FRAME <= pcm.length; i += SAMPLES_PER_FRAME) this.queue.push(pcm.subarray(i, i + SAMPLES_PER_FRAME));
    if (end) this.ended = true;
    this.asked = false;
  }

  read(frame: Int16Array): boolean {
    const next = this.queue.shift();
    if (next) frame.set(next);
    else if (this.ended) return false;
    else frame.fill(0); // the main thread is late: silence keeps the stream going
    if (!this.ended && !this.asked && this.queue.length < PLAYER_LOW_WATER) {
      this.asked = true;
      post({ op: 'need', id: this.id, leg: this.leg, serial: this.serial });
    }
    return true;
  }
}

function handle(m: ToWorker): void {
  switch (m.op) {
    case 'create': {
      const slot = freeSlots.pop();
      if (slot === undefined) {
        post({ op: 'failed', req: m.req, code: 'E_MEDIA_PORTS_EXHAUSTED', message: 'no free media slot' });
        return;
      }
      engine.createRelayCall().then(
        (call) => {
          clearSlot(options.stats, slot);
          calls.set(call.id, { call, slot, players: {}, dtmfOff: null });
          writePortsInUse(options.stats, options.slots, engine.portsInUse());
          post({ op: 'created', req: m.req, id: call.id, slot, local: { a: call.local('a'), b: call.local('b') } });
        },
        (err: unknown) => {
          freeSlots.push(slot);
          post({ op: 'failed', req: m.req, code: isPbxError(err) ? err.code : 'E_INTERNAL', message: (err as Error)?.message ?? String(err) });
        },
      );
      return;
    }
    case 'shutdown':
      void engine.close().then(() => {
        calls.clear();
        writePortsInUse(options.stats, options.slots, engine.portsInUse());
        post({ op: 'shutdownDone', req: m.req });
      });
      return;
  }
  const open = calls.get(m.id);
  if (!open) return; // closed meanwhile: late messages are dropped
  const { call } = open;
  switch (m.op) {
    case 'setRemote':
      call.setRemote(m.leg, m.remote);
      return;
    case 'sendDtmf':
      call.sendDtmf(m.leg, m.digits);
      return;
    case 'player': {
      const source = new RemoteSource(m.id, m.leg, m.serial);
      source.push(m.pcm, m.end);
      open.players[m.leg] = source;
      call.attachPlayer(m.leg, source, () => {
        if (open.players[m.leg] === source) delete open.players[m.leg];
        post({ op: 'playerEnded', id: m.id, leg: m.leg, serial: m.serial });
      });
      return;
    }
    case 'frames': {
      const source = open.players[m.leg];
      if (source && source.serial === m.serial) source.push(m.pcm, m.end);
      return;
    }
    case 'detachPlayer':
      delete open.players[m.leg];
      call.detachPlayer(m.leg);
      return;
    case 'recorder': {
      if (!m.on) {
        call.detachRecorder(m.leg);
        return;
      }
      const sink: AudioSink = {
        write: (frame) => {
          const pcm = frame.slice();
          post({ op: 'recorded', id: m.id, leg: m.leg, serial: m.serial, pcm }, [pcm.buffer]);
        },
      };
      call.attachRecorder(m.leg, sink);
      return;
    }
    case 'dtmfListen':
      if (m.on && !open.dtmfOff) open.dtmfOff = call.onDtmfReceived((leg, digit) => post({ op: 'dtmf', id: m.id, leg, digit }));
      else if (!m.on && open.dtmfOff) {
        open.dtmfOff();
        open.dtmfOff = null;
      }
      return;
    case 'close':
      publish(open);
      call.close();
      calls.delete(m.id);
      freeSlots.push(open.slot);
      writePortsInUse(options.stats, options.slots, engine.portsInUse());
      return;
  }
}

function publish(open: Open): void {
  writeLegStats(options.stats, open.slot, 'a', open.call.stats('a'));
  writeLegStats(options.stats, open.slot, 'b', open.call.stats('b'));
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (err) {
    log.error({ op: m.op, err: (err as Error)?.message }, 'media worker: message failed');
  }
});

// The statistics the main thread reads: every open leg, STATS_INTERVAL_MS apart; released
// ports leave quarantine on their own, so the count is refreshed here too.
setInterval(() => {
  for (const open of calls.values()) publish(open);
  writePortsInUse(options.stats, options.slots, engine.portsInUse());
}, STATS_INTERVAL_MS).unref();

post({ op: 'ready' });
