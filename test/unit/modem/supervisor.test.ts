import test from 'ava';
import {
  initialSupervisorState,
  retrainDelay,
  supervise,
  type SupervisorAction,
  type SupervisorConfig,
  type SupervisorEvent,
  type SupervisorState,
} from '../../../firmware/modem/index.ts';

// Issue 8 §2d / GW-2: the supervisor is pure: (state, event, config) -> { state, actions }.

const config: SupervisorConfig = { retrainBaseMs: 5_000, retrainMaxMs: 60_000, alarmAfterFailures: 3, trainingTimeoutMs: 30_000 };

/** Runs events in order; returns the last state and every non-log action with the time it came at. */
function run(events: SupervisorEvent[], from: SupervisorState = initialSupervisorState(0)) {
  let s = from;
  const actions: Array<{ at: number; action: SupervisorAction }> = [];
  for (const e of events) {
    const step = supervise(s, e, config);
    s = step.state;
    for (const a of step.actions) if (a.type !== 'log') actions.push({ at: e.at, action: a });
  }
  return { state: s, actions };
}

/** Ticks every second from..to (inclusive). */
const ticks = (from: number, to: number): SupervisorEvent[] => Array.from({ length: Math.floor((to - from) / 1000) + 1 }, (_, i) => ({ type: 'tick' as const, at: from + i * 1000 }));

const showtime = (at: number): SupervisorEvent => ({ type: 'dsl-state', state: 'showtime', at });
const down = (at: number): SupervisorEvent => ({ type: 'dsl-state', state: 'down', at });

test('GW-2 / issue 8 §2d: back-off doubles from the base and stops at the ceiling', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 5].map((n) => retrainDelay(n, config)), [5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
});

test('GW-2 / issue 8 §2d: the state is not mutated (the caller may keep the old one)', (t) => {
  const s0 = initialSupervisorState(0);
  const frozen = JSON.stringify(s0);
  supervise(s0, down(1), config);
  supervise(s0, { type: 'plc-join', adapter: { mac: '00:0b:3b:11:22:33', rateMbps: 200 }, at: 1 }, config);
  t.is(JSON.stringify(s0), frozen);
});

test('GW-2 / issue 8 §2d: loss of showtime -> retrain 5 s later, then 10, 20, 40, 60 (ceiling) s after each failure; alarm after the 3rd failure', (t) => {
  // Each retrain is sent, the modem trains, and falls back to down (the line is cut).
  const events: SupervisorEvent[] = [showtime(0), down(1_000)];
  const sentAt: number[] = [];
  let s = run(events).state;
  const all: Array<{ at: number; action: SupervisorAction }> = [];
  for (let at = 1_000; at <= 200_000; at += 1000) {
    const step = supervise(s, { type: 'tick', at }, config);
    s = step.state;
    for (const a of step.actions) {
      if (a.type === 'log') continue;
      all.push({ at, action: a });
      if (a.type === 'send-retrain') {
        sentAt.push(at);
        // The modem accepts, handshakes, trains and fails 3 s later.
        for (const e of [
          { type: 'retrain-sent', manual: false, at } as const,
          { type: 'dsl-state', state: 'handshake', at } as const,
          { type: 'dsl-state', state: 'training', at: at + 1000 } as const,
        ])
          s = supervise(s, e, config).state;
        const f = supervise(s, down(at + 3000), config);
        s = f.state;
        for (const x of f.actions) if (x.type !== 'log') all.push({ at: at + 3000, action: x });
      }
    }
  }
  // First retrain 5 s after the loss; then each failure (3 s after its send) waits 10, 20, 40, 60, 60 s.
  t.deepEqual(sentAt, [6_000, 19_000, 42_000, 85_000, 148_000]);
  const alarms = all.filter((a) => a.action.type === 'raise-alarm');
  t.is(alarms.length, 1, 'raised once, not per failure');
  t.is(alarms[0]!.at, 45_000, 'after the third failure');
  t.true(s.dsl.alarm);
  t.is(s.dsl.retrains, sentAt.length);
});

test('GW-2 / issue 8 §2d: showtime clears the alarm and resets the back-off', (t) => {
  const s0 = initialSupervisorState(0);
  const alarmed: SupervisorState = { ...s0, dsl: { ...s0.dsl, state: 'down', alarm: true, failedRetrains: 4, retrainDueAt: 99_000 } };
  const r = run([{ type: 'dsl-state', state: 'training', at: 10_000 }, showtime(12_000)], alarmed);
  t.deepEqual(
    r.actions.map((a) => a.action),
    [{ type: 'clear-alarm' }],
  );
  t.false(r.state.dsl.alarm);
  t.is(r.state.dsl.failedRetrains, 0);
  t.is(r.state.dsl.retrainDueAt, null);
  t.is(r.state.dsl.trainingDeadline, null);
});

test('GW-2 / issue 8 §2d: a training that never reaches showtime fails at its deadline', (t) => {
  const r = run([showtime(0), { type: 'dsl-state', state: 'training', at: 1_000 }, ...ticks(1_000, 31_000)]);
  t.is(r.state.dsl.failedRetrains, 1);
  t.is(r.state.dsl.retrainDueAt, 31_000 + 10_000);
  t.is(r.state.dsl.trainingDeadline, null);
});

test('GW-2 / issue 8 §2d: a refused retrain counts as a failure; no retrain is sent while the modem is unknown', (t) => {
  const r1 = run([down(0), ...ticks(0, 5_000), { type: 'retrain-failed', at: 5_000 }]);
  t.deepEqual(r1.actions.map((a) => a.action.type), ['send-retrain']);
  t.is(r1.state.dsl.failedRetrains, 1);
  const r2 = run([down(0), { type: 'modem-lost', at: 1_000 }, ...ticks(1_000, 60_000)]);
  t.is(r2.state.dsl.state, 'unknown');
  t.deepEqual(r2.actions, []);
});

const table: Array<{ name: string; events: SupervisorEvent[]; check: (s: SupervisorState) => unknown; expect: unknown }> = [
  {
    name: 'poll fills rates, SNR, attenuation, CRC',
    events: [{ type: 'dsl-poll', status: { state: 'showtime', downKbps: 17984, upKbps: 1023, snrMarginDb: 7.2, attenuationDb: 21.5, crcErrors: 3 }, at: 5 }],
    check: (s) => [s.dsl.state, s.dsl.downKbps, s.dsl.upKbps, s.dsl.snrMarginDb, s.dsl.attenuationDb, s.dsl.crcErrors, s.dsl.since],
    expect: ['showtime', 17984, 1023, 7.2, 21.5, 3, 5],
  },
  {
    name: 'leaving showtime zeroes the rates',
    events: [{ type: 'dsl-poll', status: { state: 'showtime', downKbps: 17984, upKbps: 1023, snrMarginDb: 7.2, attenuationDb: 21.5, crcErrors: 3 }, at: 5 }, down(6)],
    check: (s) => [s.dsl.state, s.dsl.downKbps, s.dsl.upKbps],
    expect: ['down', 0, 0],
  },
  {
    name: '+CRC updates the counter',
    events: [{ type: 'crc', count: 12, at: 1 }],
    check: (s) => s.dsl.crcErrors,
    expect: 12,
  },
  {
    name: 'adapter arrival by URC, then departure',
    events: [
      { type: 'plc-join', adapter: { mac: '00:0b:3b:11:22:33', rateMbps: 200 }, at: 1 },
      { type: 'plc-join', adapter: { mac: '00:0b:3b:44:55:66', rateMbps: 150 }, at: 2 },
      { type: 'plc-leave', mac: '00:0b:3b:11:22:33', at: 3 },
    ],
    check: (s) => s.plc.adapters,
    expect: { '00:0b:3b:44:55:66': { mac: '00:0b:3b:44:55:66', rateMbps: 150, since: 2 } },
  },
  {
    name: 'a poll replaces the adapter list (departures missed as URCs), keeping first-seen times',
    events: [
      { type: 'plc-join', adapter: { mac: '00:0b:3b:11:22:33', rateMbps: 200 }, at: 1 },
      { type: 'plc-join', adapter: { mac: '00:0b:3b:44:55:66', rateMbps: 150 }, at: 2 },
      { type: 'plc-poll', adapters: [{ mac: '00:0b:3b:44:55:66', rateMbps: 170 }], at: 9 },
    ],
    check: (s) => s.plc.adapters,
    expect: { '00:0b:3b:44:55:66': { mac: '00:0b:3b:44:55:66', rateMbps: 170, since: 2 } },
  },
  {
    name: 'GW-5 pairing: open for 120 s, ended by +PLCPAIR: ENDED',
    events: [{ type: 'pairing-started', seconds: 120, at: 1_000 }, { type: 'pairing-ended', at: 121_000 }],
    check: (s) => s.plc.pairingUntil,
    expect: null,
  },
  {
    name: 'GW-5 pairing: the window closes at its end even when +PLCPAIR: ENDED is lost',
    events: [{ type: 'pairing-started', seconds: 120, at: 1_000 }, ...ticks(100_000, 120_000)],
    check: (s) => s.plc.pairingUntil,
    expect: 121_000,
  },
  {
    name: 'GW-5 pairing: ... and is closed on the first tick after it',
    events: [{ type: 'pairing-started', seconds: 120, at: 1_000 }, ...ticks(100_000, 121_000)],
    check: (s) => s.plc.pairingUntil,
    expect: null,
  },
  {
    name: 'a manual retrain in showtime is counted and watched',
    events: [showtime(0), { type: 'retrain-sent', manual: true, at: 10_000 }],
    check: (s) => [s.dsl.retrains, s.dsl.trainingDeadline],
    expect: [1, 40_000],
  },
  {
    name: 'modem lost: state unknown, plans dropped',
    events: [down(0), { type: 'modem-lost', at: 2_000 }],
    check: (s) => [s.dsl.state, s.dsl.since, s.dsl.retrainDueAt],
    expect: ['unknown', 2_000, null],
  },
];

for (const row of table) {
  test(`issue 8 §2d: ${row.name}`, (t) => {
    t.deepEqual(row.check(run(row.events).state), row.expect);
  });
}
