import type { Clock, TimerHandle } from '../core/index.ts';
import { LineFramer } from './framer.ts';
import { PAIR_SECONDS_MAX, PAIR_SECONDS_MIN, type DslLineState } from './protocol.ts';

/**
 * A scriptable DSL/powerline coprocessor speaking docs/modem-protocol.md on
 * any byte duplex: the far end of the simulated board's modem line
 * (SimBoard.peerOf('modem')), a socket or a pseudo-terminal (scripts/modem-sim.ts).
 * Every delay goes through the injected clock.
 */
export interface ByteDuplex {
  write(data: Buffer | string): unknown;
  onData(handler: (chunk: Buffer) => void): unknown;
}

export interface SimulatorOptions {
  /** Time in handshake before training starts. */
  handshakeMs: number;
  /** Time in training before showtime (or down, when the line is cut). */
  trainingMs: number;
  /** Rates and line figures reported in showtime. */
  downKbps: number;
  upKbps: number;
  snrMarginTenths: number;
  attenuationTenths: number;
  firmware: string;
  hardware: string;
}

export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  handshakeMs: 500,
  trainingMs: 2000,
  downKbps: 17_984,
  upKbps: 1_023,
  snrMarginTenths: 72,
  attenuationTenths: 215,
  firmware: 'SIM-1.0',
  hardware: 'pbxgate-sim',
};

export interface SimulatorState {
  dsl: DslLineState;
  lineCut: boolean;
  crcErrors: number;
  muted: boolean;
  slowMs: number;
  pairing: boolean;
  adapters: Array<{ mac: string; rateMbps: number }>;
  waitingForPairing: Array<{ mac: string; rateMbps: number }>;
  requests: number;
}

const MAX_HOST_LINE = 128;

export class ModemSimulator {
  private readonly opts: SimulatorOptions;
  private readonly framer = new LineFramer(MAX_HOST_LINE);
  private duplex: ByteDuplex | undefined;
  private dsl: DslLineState = 'idle';
  private lineCut = false;
  private crc = 0;
  private muted = false;
  private slowMs = 0;
  private readonly adapters = new Map<string, number>();
  private readonly unpaired = new Map<string, number>();
  private pairTimer: TimerHandle | undefined;
  private trainTimer: TimerHandle | undefined;
  private readonly answerTimers = new Set<TimerHandle>();
  private requests = 0;
  private started = false;
  private overlongPending = false;

  constructor(
    private readonly clock: Clock,
    options: Partial<SimulatorOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SIMULATOR_OPTIONS, ...options };
  }

  /** Speaks on this duplex from now on (replacing any previous one). */
  attach(duplex: ByteDuplex): void {
    this.duplex = duplex;
    this.framer.reset();
    duplex.onData((chunk) => {
      // Bytes from a duplex we left (a reconnect replaced it) are not ours to answer.
      if (this.duplex === duplex) this.onBytes(chunk);
    });
  }

  detach(): void {
    this.duplex = undefined;
  }

  /** Powers the modem on: +READY, then it trains the DSL line by itself. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.send('+READY');
    this.beginTraining();
  }

  stop(): void {
    this.started = false;
    this.trainTimer?.cancel();
    this.pairTimer?.cancel();
    for (const t of this.answerTimers) t.cancel();
    this.answerTimers.clear();
    this.trainTimer = this.pairTimer = undefined;
  }

  // ---- script ----

  /** The copper is cut: sync is lost and no training succeeds until recover(). */
  dropLine(): void {
    this.lineCut = true;
    this.trainTimer?.cancel();
    this.trainTimer = undefined;
    this.setDsl('down');
  }

  /** The copper is back: the modem trains again by itself (when it is not in sync). */
  recover(): void {
    this.lineCut = false;
    if (this.dsl === 'down' || this.dsl === 'idle') this.beginTraining();
  }

  /** A burst of line noise: CRC errors counted and announced (+CRC). */
  noisy(crcBurst: number): void {
    this.crc += Math.max(0, Math.floor(crcBurst));
    this.send(`+CRC: ${this.crc}`);
  }

  /** Raw bytes on the line (default: NULs, 0xFF, control codes, an overlong line, an unknown code). */
  garbage(bytes?: Buffer): void {
    const b =
      bytes ??
      Buffer.concat([
        Buffer.from([0x00, 0xff, 0x1b, 0x07, 0x00, 0xfe]),
        Buffer.from(`${'#'.repeat(400)}\r\n`),
        Buffer.from('+BOGUS: 1\r\n\x00\x00'),
      ]);
    this.write(b);
  }

  /** Mute: requests are ignored, no answer and no effect (URCs still go out). */
  mute(on: boolean): void {
    this.muted = on;
  }

  /** Answers every request after ms (0: at once). */
  slow(ms: number): void {
    this.slowMs = Math.max(0, ms);
  }

  /**
   * An adapter is plugged in. An already paired one joins at once; an
   * unpaired one (paired=false) joins during the next pairing window.
   */
  plugAdapter(mac: string, rateMbps: number, paired = true): void {
    const m = mac.toLowerCase();
    if (!paired && !this.pairTimer) {
      this.unpaired.set(m, rateMbps);
      return;
    }
    this.join(m, rateMbps);
  }

  unplugAdapter(mac: string): void {
    const m = mac.toLowerCase();
    this.unpaired.delete(m);
    if (this.adapters.delete(m)) this.send(`+PLCLEAVE: ${m}`);
  }

  state(): SimulatorState {
    return {
      dsl: this.dsl,
      lineCut: this.lineCut,
      crcErrors: this.crc,
      muted: this.muted,
      slowMs: this.slowMs,
      pairing: this.pairTimer !== undefined,
      adapters: [...this.adapters].map(([mac, rateMbps]) => ({ mac, rateMbps })),
      waitingForPairing: [...this.unpaired].map(([mac, rateMbps]) => ({ mac, rateMbps })),
      requests: this.requests,
    };
  }

  // ---- protocol ----

  private onBytes(chunk: Buffer): void {
    const before = this.framer.stats.overlong;
    const lines = this.framer.push(chunk);
    for (const l of lines) this.onRequest(l.trim());
    // An overlong request is answered ERROR (protocol §2) once its terminator has come.
    if (this.framer.stats.overlong > before) this.overlongPending = true;
    if (this.overlongPending && !this.framer.isDiscarding()) {
      this.overlongPending = false;
      this.answer(['ERROR']);
    }
  }

  private onRequest(req: string): void {
    this.requests++;
    if (req === '') return;
    this.answer(this.respond(req));
  }

  /** The answer lines, and what the modem does right after sending them. */
  private respond(req: string): string[] | { lines: string[]; then: () => void } {
    const r = req.toUpperCase();
    if (r === 'AT') return ['OK'];
    if (r === 'AT+VER?') return [`+VER: ${this.opts.firmware},${this.opts.hardware}`, 'OK'];
    if (r === 'AT+DSL?') {
      const up = this.dsl === 'showtime';
      const o = this.opts;
      return [`+DSL: ${this.dsl},${up ? o.downKbps : 0},${up ? o.upKbps : 0},${up ? o.snrMarginTenths : 0},${o.attenuationTenths},${this.crc}`, 'OK'];
    }
    if (r === 'AT+DSLRETRAIN') {
      if (this.dsl === 'handshake' || this.dsl === 'training') return ['+CME ERROR: 3'];
      // OK first, then at once the state URCs (protocol §4: after OK the modem is in handshake).
      return { lines: ['OK'], then: () => this.beginTraining() };
    }
    if (r === 'AT+PLC?') return [...[...this.adapters].map(([m, rate]) => `+PLC: ${m},${rate}`), 'OK'];
    const pair = /^AT\+PLCPAIR=(\d{1,5})$/.exec(r);
    if (pair) {
      const s = Number(pair[1]);
      if (s < PAIR_SECONDS_MIN || s > PAIR_SECONDS_MAX) return ['+CME ERROR: 50'];
      return { lines: ['OK'], then: () => this.openPairing(s) };
    }
    if (r.startsWith('AT+PLCPAIR')) return ['+CME ERROR: 50'];
    return ['ERROR'];
  }

  private answer(answer: string[] | { lines: string[]; then: () => void }): void {
    const { lines, then } = Array.isArray(answer) ? { lines: answer, then: undefined } : answer;
    // Muted: a hung command interpreter, the request has neither answer nor effect.
    if (this.muted) return;
    const out = (): void => {
      for (const l of lines) this.send(l);
      then?.();
    };
    if (this.slowMs === 0) return out();
    const t = this.clock.setTimeout(() => {
      this.answerTimers.delete(t);
      out();
    }, this.slowMs);
    this.answerTimers.add(t);
  }

  private beginTraining(): void {
    this.trainTimer?.cancel();
    this.setDsl('handshake');
    this.trainTimer = this.clock.setTimeout(() => {
      this.setDsl('training');
      this.trainTimer = this.clock.setTimeout(() => {
        this.trainTimer = undefined;
        this.setDsl(this.lineCut ? 'down' : 'showtime');
      }, this.opts.trainingMs);
    }, this.opts.handshakeMs);
  }

  private openPairing(seconds: number): void {
    this.pairTimer?.cancel();
    this.send(`+PLCPAIR: STARTED,${seconds}`);
    this.pairTimer = this.clock.setTimeout(() => {
      this.pairTimer = undefined;
      this.send('+PLCPAIR: ENDED');
    }, seconds * 1000);
    // Adapters waiting for a pairing window join a moment after it opens.
    for (const [m, rate] of this.unpaired) {
      this.clock.setTimeout(() => {
        if (this.unpaired.delete(m)) this.join(m, rate);
      }, 1000);
    }
  }

  private join(mac: string, rateMbps: number): void {
    this.adapters.set(mac, rateMbps);
    this.send(`+PLCJOIN: ${mac},${rateMbps}`);
  }

  private setDsl(state: DslLineState): void {
    if (state === this.dsl) return;
    this.dsl = state;
    this.send(`+DSLSTATE: ${state}`);
  }

  private send(line: string): void {
    this.write(`${line}\r\n`);
  }

  private write(data: Buffer | string): void {
    const d = this.duplex;
    if (!d) return;
    try {
      const r = d.write(data);
      // A MemorySerialLine rejects once closed; a lost line is not the simulator's failure.
      if (r instanceof Promise) r.catch(() => {});
    } catch {
      // the duplex went away between two lines
    }
  }
}
