// IndicatorService (GW-3, GW-6, issue 8 §4): the simulated board's LEDs and
// buttons, a FakeClock, and a hand-made system state.
import test from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { loadBoardDefinition, SimBoard } from '../../../firmware/hal/index.ts';
import { IndicatorService, type SystemState } from '../../../firmware/indicators/index.ts';
import { captureLogs } from '../../helpers/logs.ts';

const healthy: SystemState = {
  running: true,
  booting: false,
  factoryResetPending: false,
  dsl: 'showtime',
  dslAlarm: false,
  trunk: 'registered',
  trunkEnabled: true,
  phonesRegistered: 1,
  phonesConfigured: 1,
  callsRinging: 0,
  plcAdapters: 0,
  plcPairing: false,
};

function setup(initial: Partial<SystemState> = {}) {
  const clock = new FakeClock();
  const board = new SimBoard(loadBoardDefinition('sim'));
  const { logs, records } = captureLogs('debug');
  let state: SystemState = { ...healthy, ...initial };
  const listeners = new Set<() => void>();
  const calls = { reboot: 0, factoryReset: 0, startPairing: 0 };
  const service = new IndicatorService({
    board,
    clock,
    log: logs.get('indicators'),
    snapshot: () => state,
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    actions: {
      reboot: () => void calls.reboot++,
      factoryReset: () => void calls.factoryReset++,
      startPairing: () => void calls.startPairing++,
    },
  });
  const led = (role: 'power' | 'internet' | 'telephony' | 'powerline') => board.leds.get(role)!;
  const button = (role: 'reset' | 'pairing') => board.buttons.get(role)!;
  /** The runtime changes the state and says so. */
  const change = (c: Partial<SystemState>) => {
    state = { ...state, ...c };
    for (const l of [...listeners]) l();
  };
  return { clock, board, service, calls, led, button, change, listeners, records };
}


test('GW-3: on start the LEDs show the policy; no timer while nothing blinks', async (t) => {
  const s = setup();
  await s.service.start();
  t.deepEqual(s.service.patterns(), { power: 'on', internet: 'on', telephony: 'on', powerline: 'off' });
  t.true(s.led('power').isOn());
  t.true(s.led('internet').isOn());
  t.false(s.led('powerline').isOn());
  t.is(s.clock.pending(), 0);
  await s.service.stop();
});

test('GW-3: a state change makes the LED patterns follow', async (t) => {
  const s = setup();
  await s.service.start();
  s.change({ dsl: 'training', trunk: 'failed' });
  t.like(s.service.patterns(), { internet: 'slow', telephony: 'off' });
  s.clock.advance(600);
  t.false(s.led('internet').isOn(), 'blinking: off in the second half second');
  s.change({ callsRinging: 1 });
  t.like(s.service.patterns(), { telephony: 'fast' });
  s.change({ dsl: 'showtime', trunk: 'registered', callsRinging: 0, plcAdapters: 2 });
  t.deepEqual(s.service.patterns(), { power: 'on', internet: 'on', telephony: 'on', powerline: 'on' });
  t.is(s.clock.pending(), 0, 'blink timer gone once everything is steady');
  await s.service.stop();
});

test('GW-3: reset pressed 100 ms calls reboot once', async (t) => {
  const s = setup();
  await s.service.start();
  s.button('reset').setPressed(true);
  s.clock.advance(100);
  s.button('reset').setPressed(false);
  t.is(s.calls.reboot, 0, 'not before the bounce window is over');
  s.clock.advance(30);
  t.deepEqual(s.calls, { reboot: 1, factoryReset: 0, startPairing: 0 });
  s.clock.advance(20_000);
  t.is(s.calls.reboot, 1);
  t.like(s.service.lastGesture, { role: 'reset', gesture: 'reboot', at: s.clock.now() - 20_000 });
  await s.service.stop();
});

test('GW-3: reset held 10 s arms (power LED fast), release performs the factory reset once', async (t) => {
  const s = setup();
  await s.service.start();
  s.button('reset').setPressed(true);
  s.clock.advance(9_999);
  t.is(s.service.patterns().power, 'on');
  s.clock.advance(1);
  t.is(s.service.patterns().power, 'fast', 'armed: the power LED warns');
  t.like(s.service.lastGesture, { role: 'reset', gesture: 'factory-reset-armed' });
  t.is(s.calls.factoryReset, 0, 'nothing erased while held');
  // The warning blinks at 4 Hz.
  const seen: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    seen.push(s.led('power').isOn());
    s.clock.advance(125);
  }
  t.deepEqual(seen, [true, false, true, false]);
  // A state change while armed keeps the warning.
  s.change({ plcAdapters: 1 });
  t.is(s.service.patterns().power, 'fast');
  s.clock.advance(3_000);
  s.button('reset').setPressed(false);
  s.clock.advance(30);
  t.deepEqual(s.calls, { reboot: 0, factoryReset: 1, startPairing: 0 });
  t.is(s.service.patterns().power, 'on', 'the warning ends with the release');
  await s.service.stop();
});

test('GW-3: reset held 5 s does nothing and is logged as cancelled', async (t) => {
  const s = setup();
  await s.service.start();
  s.button('reset').setPressed(true);
  s.clock.advance(5_000);
  s.button('reset').setPressed(false);
  s.clock.advance(1_000);
  t.deepEqual(s.calls, { reboot: 0, factoryReset: 0, startPairing: 0 });
  t.true(s.records().some((r) => r.msg === 'button press ignored' && r['reason'] === 'cancelled' && r['heldMs'] === 5_000));
  await s.service.stop();
});

test('GW-3: a 10 ms glitch on the reset line is ignored', async (t) => {
  const s = setup();
  await s.service.start();
  s.button('reset').setPressed(true);
  s.clock.advance(10);
  s.button('reset').setPressed(false);
  s.clock.advance(1_000);
  t.is(s.calls.reboot, 0);
  await s.service.stop();
});

test('GW-3, GW-5: the pairing button starts pairing, and the powerline LED follows the state', async (t) => {
  const s = setup();
  await s.service.start();
  s.button('pairing').setPressed(true);
  s.clock.advance(30);
  t.is(s.calls.startPairing, 1);
  s.button('pairing').setPressed(false);
  s.change({ plcPairing: true });
  t.is(s.service.patterns().powerline, 'fast');
  s.change({ plcPairing: false, plcAdapters: 1 });
  t.is(s.service.patterns().powerline, 'on');
  await s.service.stop();
});

test('GW-3: a throwing action is logged and the buttons keep working', async (t) => {
  const s = setup();
  let n = 0;
  const svc = new IndicatorService({
    board: s.board,
    clock: s.clock,
    log: captureLogs('silent').logs.get('indicators'),
    snapshot: () => healthy,
    subscribe: () => () => {},
    actions: {
      reboot: () => {
        n++;
        throw new Error('busy');
      },
      factoryReset: () => {},
      startPairing: () => {},
    },
  });
  await svc.start();
  for (let i = 0; i < 2; i++) {
    s.button('reset').setPressed(true);
    s.clock.advance(100);
    s.button('reset').setPressed(false);
    s.clock.advance(100);
  }
  t.is(n, 2);
  await svc.stop();
});

test('GW-3: stop detaches everything: LEDs off, timers cancelled, buttons and changes ignored', async (t) => {
  const s = setup({ dsl: 'training' });
  await s.service.start();
  s.button('reset').setPressed(true);
  t.true(s.clock.pending() > 0);
  t.is(s.listeners.size, 1);
  await s.service.stop();
  t.is(s.clock.pending(), 0);
  t.is(s.listeners.size, 0);
  for (const led of s.board.leds.values()) t.false(led.isOn());
  s.button('reset').setPressed(false);
  s.clock.advance(20_000);
  t.deepEqual(s.calls, { reboot: 0, factoryReset: 0, startPairing: 0 });
  for (const led of s.board.leds.values()) t.false(led.isOn());
  // And it starts again cleanly (the supervisor restarts failed services).
  await s.service.start();
  t.is(s.service.patterns().internet, 'slow');
  await s.service.stop();
  t.is(s.clock.pending(), 0);
});

test('GW-3: a reboot action that stops the service from inside the gesture leaves nothing behind', async (t) => {
  const s = setup();
  let svc!: IndicatorService;
  svc = new IndicatorService({
    board: s.board,
    clock: s.clock,
    log: captureLogs('silent').logs.get('indicators'),
    snapshot: () => healthy,
    subscribe: () => () => {},
    actions: { reboot: () => void svc.stop(), factoryReset: () => {}, startPairing: () => {} },
  });
  await svc.start();
  s.button('reset').setPressed(true);
  s.clock.advance(100);
  s.button('reset').setPressed(false);
  s.clock.advance(30);
  t.is(s.clock.pending(), 0);
  for (const led of s.board.leds.values()) t.false(led.isOn());
});

test('GW-3: a snapshot that throws keeps the last patterns and is logged', async (t) => {
  const clock = new FakeClock();
  const { logs, records } = captureLogs('debug');
  let broken = false;
  const svc = new IndicatorService({
    board: new SimBoard(loadBoardDefinition('sim')),
    clock,
    log: logs.get('indicators'),
    snapshot: () => {
      if (broken) throw new Error('registrar gone');
      return healthy;
    },
    subscribe: () => () => {},
    actions: { reboot: () => {}, factoryReset: () => {}, startPairing: () => {} },
  });
  await svc.start();
  broken = true;
  t.notThrows(() => svc.refresh());
  t.is(svc.patterns().power, 'on');
  t.true(records().some((r) => r.msg === 'indicators: system state unavailable' && r['err'] === 'registrar gone'));
  await svc.stop();
});
