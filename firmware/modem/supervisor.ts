import type { DslLineState, DslStatus, PlcAdapter } from './protocol.ts';

/**
 * The modem supervisor: a pure state machine, (state, event, config) ->
 * { state, actions }. It never touches the line or the clock; ModemService
 * feeds it events (URCs, poll results, ticks) and performs its actions.
 * docs/modem.md §"Supervisor policy" states the policy in prose.
 */
export type DslState = 'unknown' | DslLineState;

export interface SupervisorConfig {
  /** Delay before the first retrain after showtime is lost; doubled per failed retrain (GW-2). */
  retrainBaseMs: number;
  /** Ceiling of the retrain back-off. */
  retrainMaxMs: number;
  /** Consecutive failed retrains that raise the DSL alarm (GW-2). */
  alarmAfterFailures: number;
  /** A retrain (ours or the modem's own training) that has not reached showtime by then has failed. */
  trainingTimeoutMs: number;
}

export const DEFAULT_SUPERVISOR_CONFIG: SupervisorConfig = {
  retrainBaseMs: 5_000,
  retrainMaxMs: 300_000,
  alarmAfterFailures: 3,
  trainingTimeoutMs: 60_000,
};

export interface TrackedAdapter extends PlcAdapter {
  /** Monotonic ms when it was first seen. */
  since: number;
}

export interface SupervisorState {
  dsl: {
    state: DslState;
    /** Monotonic ms of the last state change. */
    since: number;
    downKbps: number;
    upKbps: number;
    snrMarginDb: number | null;
    attenuationDb: number | null;
    crcErrors: number | null;
    /** Retrains sent (automatic and manual) since start. */
    retrains: number;
    /** Retrains that failed in a row (reset by showtime). */
    failedRetrains: number;
    alarm: boolean;
    /** Monotonic ms when the next automatic retrain is due; null when none is planned. */
    retrainDueAt: number | null;
    /** Monotonic ms by which the running training must reach showtime; null when none runs. */
    trainingDeadline: number | null;
  };
  plc: {
    adapters: Record<string, TrackedAdapter>;
    /** Monotonic ms when pairing mode ends; null when not pairing. */
    pairingUntil: number | null;
  };
}

export type SupervisorEvent =
  | { type: 'dsl-state'; state: DslLineState; at: number }
  | { type: 'dsl-poll'; status: DslStatus; at: number }
  | { type: 'crc'; count: number; at: number }
  /** The modem did not answer (timeout) or the line is gone: what we knew is stale. */
  | { type: 'modem-lost'; at: number }
  | { type: 'retrain-sent'; manual: boolean; at: number }
  /** The modem refused AT+DSLRETRAIN or did not answer it. */
  | { type: 'retrain-failed'; at: number }
  | { type: 'plc-poll'; adapters: readonly PlcAdapter[]; at: number }
  | { type: 'plc-join'; adapter: PlcAdapter; at: number }
  | { type: 'plc-leave'; mac: string; at: number }
  | { type: 'pairing-started'; seconds: number; at: number }
  | { type: 'pairing-ended'; at: number }
  | { type: 'tick'; at: number };

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export type SupervisorAction =
  | { type: 'send-retrain' }
  | { type: 'raise-alarm'; failedRetrains: number }
  | { type: 'clear-alarm' }
  | { type: 'log'; level: LogLevelName; msg: string };

export interface Step {
  state: SupervisorState;
  actions: SupervisorAction[];
}

export function initialSupervisorState(at = 0): SupervisorState {
  return {
    dsl: {
      state: 'unknown',
      since: at,
      downKbps: 0,
      upKbps: 0,
      snrMarginDb: null,
      attenuationDb: null,
      crcErrors: null,
      retrains: 0,
      failedRetrains: 0,
      alarm: false,
      retrainDueAt: null,
      trainingDeadline: null,
    },
    plc: { adapters: {}, pairingUntil: null },
  };
}

/** Wait before retrain number failures+1: base, 2*base, 4*base ... capped at max. */
export function retrainDelay(failures: number, config: SupervisorConfig): number {
  return Math.min(config.retrainBaseMs * 2 ** failures, config.retrainMaxMs);
}

export function supervise(prev: SupervisorState, event: SupervisorEvent, config: SupervisorConfig = DEFAULT_SUPERVISOR_CONFIG): Step {
  // Copy-on-write of the two small records: callers may keep the old state (tests compare them).
  const s: SupervisorState = { dsl: { ...prev.dsl }, plc: { adapters: { ...prev.plc.adapters }, pairingUntil: prev.plc.pairingUntil } };
  const actions: SupervisorAction[] = [];
  const log = (level: LogLevelName, msg: string): void => void actions.push({ type: 'log', level, msg });

  const failTraining = (at: number): void => {
    s.dsl.trainingDeadline = null;
    s.dsl.failedRetrains++;
    const wait = retrainDelay(s.dsl.failedRetrains, config);
    s.dsl.retrainDueAt = at + wait;
    log('warn', `DSL retrain failed (${s.dsl.failedRetrains} in a row), next in ${Math.round(wait / 1000)} s`);
    if (s.dsl.failedRetrains >= config.alarmAfterFailures && !s.dsl.alarm) {
      s.dsl.alarm = true;
      actions.push({ type: 'raise-alarm', failedRetrains: s.dsl.failedRetrains });
    }
  };

  const setDslState = (state: DslLineState, at: number): void => {
    const was = s.dsl.state;
    if (state !== was) {
      s.dsl.state = state;
      s.dsl.since = at;
      log(state === 'down' ? 'warn' : 'info', `DSL ${was} -> ${state}`);
    }
    if (state === 'showtime') {
      s.dsl.trainingDeadline = null;
      s.dsl.retrainDueAt = null;
      s.dsl.failedRetrains = 0;
      if (s.dsl.alarm) {
        s.dsl.alarm = false;
        actions.push({ type: 'clear-alarm' });
      }
      return;
    }
    // Out of showtime there is no rate, whatever the last poll said.
    s.dsl.downKbps = 0;
    s.dsl.upKbps = 0;
    if (state === 'handshake' || state === 'training') {
      // A training is under way (ours or the modem's own): give it its time, send nothing.
      s.dsl.retrainDueAt = null;
      if (s.dsl.trainingDeadline === null) s.dsl.trainingDeadline = at + config.trainingTimeoutMs;
      return;
    }
    // idle or down: no sync.
    if (s.dsl.trainingDeadline !== null) failTraining(at);
    else if (s.dsl.retrainDueAt === null) s.dsl.retrainDueAt = at + retrainDelay(s.dsl.failedRetrains, config);
  };

  switch (event.type) {
    case 'dsl-state':
      setDslState(event.state, event.at);
      break;
    case 'dsl-poll': {
      const st = event.status;
      s.dsl.downKbps = st.downKbps;
      s.dsl.upKbps = st.upKbps;
      s.dsl.snrMarginDb = st.snrMarginDb;
      s.dsl.attenuationDb = st.attenuationDb;
      s.dsl.crcErrors = st.crcErrors;
      setDslState(st.state, event.at);
      break;
    }
    case 'crc':
      if (s.dsl.crcErrors !== null && event.count > s.dsl.crcErrors) log('info', `DSL CRC errors ${s.dsl.crcErrors} -> ${event.count}`);
      s.dsl.crcErrors = event.count;
      break;
    case 'modem-lost':
      if (s.dsl.state !== 'unknown') {
        log('warn', `modem not answering: DSL state ${s.dsl.state} -> unknown`);
        s.dsl.state = 'unknown';
        s.dsl.since = event.at;
      }
      // Nothing can be sent; plans resume from the first state the modem reports again.
      s.dsl.retrainDueAt = null;
      s.dsl.trainingDeadline = null;
      s.dsl.downKbps = 0;
      s.dsl.upKbps = 0;
      break;
    case 'retrain-sent':
      s.dsl.retrains++;
      s.dsl.retrainDueAt = null;
      s.dsl.trainingDeadline = event.at + config.trainingTimeoutMs;
      log('info', `DSL retrain sent (${event.manual ? 'technician' : 'automatic'}, #${s.dsl.retrains})`);
      break;
    case 'retrain-failed':
      failTraining(event.at);
      break;
    case 'plc-poll': {
      const seen = new Set<string>();
      for (const a of event.adapters) {
        seen.add(a.mac);
        const old = s.plc.adapters[a.mac];
        if (!old) log('info', `powerline adapter ${a.mac} joined (${a.rateMbps} Mbps)`);
        s.plc.adapters[a.mac] = { ...a, since: old?.since ?? event.at };
      }
      for (const m of Object.keys(s.plc.adapters)) {
        if (!seen.has(m)) {
          delete s.plc.adapters[m];
          log('info', `powerline adapter ${m} left`);
        }
      }
      break;
    }
    case 'plc-join': {
      const old = s.plc.adapters[event.adapter.mac];
      if (!old) log('info', `powerline adapter ${event.adapter.mac} joined (${event.adapter.rateMbps} Mbps)`);
      s.plc.adapters[event.adapter.mac] = { ...event.adapter, since: old?.since ?? event.at };
      break;
    }
    case 'plc-leave':
      if (s.plc.adapters[event.mac]) {
        delete s.plc.adapters[event.mac];
        log('info', `powerline adapter ${event.mac} left`);
      }
      break;
    case 'pairing-started':
      s.plc.pairingUntil = event.at + event.seconds * 1000;
      log('info', `powerline pairing open for ${event.seconds} s`);
      break;
    case 'pairing-ended':
      if (s.plc.pairingUntil !== null) log('info', 'powerline pairing ended');
      s.plc.pairingUntil = null;
      break;
    case 'tick': {
      const at = event.at;
      if (s.dsl.trainingDeadline !== null && at >= s.dsl.trainingDeadline) failTraining(at);
      if (s.dsl.retrainDueAt !== null && at >= s.dsl.retrainDueAt && s.dsl.state !== 'showtime' && s.dsl.state !== 'unknown') {
        s.dsl.retrainDueAt = null;
        actions.push({ type: 'send-retrain' });
      }
      // The modem says +PLCPAIR: ENDED; if that line was lost, the window still closes.
      if (s.plc.pairingUntil !== null && at >= s.plc.pairingUntil) {
        s.plc.pairingUntil = null;
        log('info', 'powerline pairing ended');
      }
      break;
    }
  }
  return { state: s, actions };
}
