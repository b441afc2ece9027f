import test from 'ava';
import { EventBus, FakeClock } from '../../firmware/core/index.ts';
import { loadBoardDefinition, MemorySerialLine, SimBoard } from '../../firmware/hal/index.ts';
import { dslStatusLine, ModemService, ModemSimulator, plcStatusLine, registerModemCommands, type ModemEvents } from '../../firmware/modem/index.ts';
import { consoleHarness, PROMPT } from '../helpers/console-harness.ts';
import { captureLogs } from '../helpers/logs.ts';
import { flush } from '../helpers/tmp.ts';

// Issue 8 §2e/§3 (GW-2, GW-5): ModemService against the real ModemSimulator over an in-process serial line.

function rig(clock = new FakeClock()) {
  const sim = new ModemSimulator(clock);
  const bus = new EventBus<ModemEvents>();
  const dsl: Array<ModemEvents['modem.dsl']> = [];
  const plc: Array<ModemEvents['modem.plc']> = [];
  bus.on('modem.dsl', (e) => dsl.push(e));
  bus.on('modem.plc', (e) => plc.push(e));
  const { logs, records } = captureLogs('info');
  const lines: MemorySerialLine[] = [];
  const service = new ModemService({
    clock,
    log: logs.get('modem'),
    events: bus,
    open: async () => {
      const [ours, theirs] = MemorySerialLine.pair('modem');
      // The simulator keeps running across line losses; it speaks on the newest line.
      sim.attach(theirs);
      lines.push(theirs);
      return ours;
    },
  });
  /** Advances the fake clock in 100 ms steps, letting the in-process line deliver in between. */
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      await flush();
    }
  };
  const boot = async (): Promise<void> => {
    sim.start();
    await service.start({ signal: new AbortController().signal, fail: () => {} });
    await run(3000);
  };
  return { clock, sim, service, dsl, plc, records, lines, run, boot };
}

test('GW-2 / issue 8 §2e: the service follows the modem to showtime and reports rates, SNR, attenuation and version', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  await r.run(10_000); // one poll after showtime
  const s = r.service.snapshot();
  t.is(s.line, 'open');
  t.is(s.dsl.state, 'showtime');
  t.is(s.dsl.downKbps, 17_984);
  t.is(s.dsl.upKbps, 1_023);
  t.is(s.dsl.snrMarginDb, 7.2);
  t.is(s.dsl.attenuationDb, 21.5);
  t.false(s.dsl.alarm);
  t.deepEqual(s.version, { firmware: 'SIM-1.0', hardware: 'pbxgate-sim' });
  t.deepEqual(
    r.dsl.map((e) => e.state),
    ['unknown', 'handshake', 'training', 'showtime', 'showtime'],
    'published on change only (the second showtime carries the polled rates)',
  );
  t.deepEqual(r.dsl.at(-1), { state: 'showtime', alarm: false, downKbps: 17_984, upKbps: 1_023 });
});

test('GW-2 / issue 8 §2d-e: line drop -> retrains with back-off -> alarm after 3 failures -> recovery clears it', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  const requestsBefore = r.sim.state().requests;
  r.sim.dropLine();
  await r.run(1000);
  t.is(r.service.snapshot().dsl.state, 'down');
  // Retrains at +5 s, then each failure (2.5 s of handshake + training) waits 10 s, 20 s.
  // (+ up to 1 s per step: the supervisor ticks once a second)
  await r.run(4_000 + 2_500 + 10_000 + 2_500 + 20_000 + 2_500 + 3_000);
  const s = r.service.snapshot();
  t.is(s.dsl.retrains, 3);
  t.is(s.dsl.failedRetrains, 3);
  t.true(s.dsl.alarm);
  t.true(r.dsl.some((e) => e.alarm && e.state === 'down'));
  t.true(r.records().some((l) => l.msg === 'DSL alarm: the line does not come back'));
  t.true(r.sim.state().requests > requestsBefore);
  r.sim.recover();
  await r.run(3_000);
  const after = r.service.snapshot();
  t.is(after.dsl.state, 'showtime');
  t.false(after.dsl.alarm);
  t.is(after.dsl.failedRetrains, 0);
  t.deepEqual(r.dsl.at(-1)?.alarm, false);
});

test('issue 8 §2e: a muted modem leaves the state unknown and the service running; it comes back on the next poll', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  r.sim.mute(true);
  await r.run(12_500);
  t.is(r.service.snapshot().dsl.state, 'unknown');
  t.is(r.dsl.at(-1)?.state, 'unknown');
  t.true(r.service.snapshot().serial.timeouts >= 1);
  r.sim.mute(false);
  await r.run(10_000);
  t.is(r.service.snapshot().dsl.state, 'showtime');
});

test('issue 8 §2e: a slow modem (answers after the timeout) is survived', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  r.sim.slow(2500);
  await r.run(20_000);
  t.is(r.service.snapshot().dsl.state, 'unknown');
  r.sim.slow(100);
  await r.run(20_000);
  t.is(r.service.snapshot().dsl.state, 'showtime');
});

test('issue 8 §2e: garbage on the line is skipped and logged once per minute', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  for (let i = 0; i < 5; i++) {
    r.sim.garbage();
    await r.run(1000);
  }
  r.sim.noisy(40);
  await r.run(10_000);
  const s = r.service.snapshot();
  t.is(s.dsl.state, 'showtime');
  t.is(s.dsl.crcErrors, 40);
  t.is(s.serial.overlong, 5);
  t.true(s.serial.garbageBytes >= 5 * 8);
  t.is(r.records().filter((l) => l.msg === 'unexpected line from the modem, skipped').length, 1);
});

test('GW-5 / issue 8 §2e: adapters arrive and leave; pairing opens for 120 s and lets an unpaired adapter in', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  r.sim.plugAdapter('00:0B:3B:11:22:33', 200);
  await r.run(100);
  t.deepEqual(r.plc.at(-1), { adapters: 1, pairing: false });
  r.sim.plugAdapter('00:0b:3b:44:55:66', 150, false);
  await r.run(10_000);
  t.is(r.service.snapshot().plc.adapters.length, 1, 'an unpaired adapter waits for pairing');
  t.deepEqual(await r.service.startPairing(), { seconds: 120 });
  await r.run(100);
  t.deepEqual(r.plc.at(-1), { adapters: 1, pairing: true });
  await r.run(1_000);
  t.deepEqual(
    r.service.snapshot().plc.adapters.map((a) => [a.mac, a.rateMbps]),
    [
      ['00:0b:3b:11:22:33', 200],
      ['00:0b:3b:44:55:66', 150],
    ],
  );
  await r.run(119_000);
  t.deepEqual(r.plc.at(-1), { adapters: 2, pairing: false });
  r.sim.unplugAdapter('00:0b:3b:11:22:33');
  await r.run(100);
  t.deepEqual(r.plc.at(-1), { adapters: 1, pairing: false });
  await t.throwsAsync(r.service.startPairing(0), { message: /1 to 600 seconds/ });
});

test('issue 8 §2c/e: the serial line going away is survived: reopened, state unknown meanwhile, showtime again', async (t) => {
  const r = rig();
  t.teardown(() => r.service.stop());
  await r.boot();
  await r.lines.at(-1)!.close();
  await flush();
  t.is(r.service.snapshot().line, 'closed');
  t.is(r.service.snapshot().dsl.state, 'unknown');
  await r.run(1_000);
  t.is(r.lines.length, 2);
  t.is(r.service.snapshot().line, 'open');
  t.is(r.service.snapshot().dsl.state, 'showtime');
});

test('issue 8 §2e: stop() leaves no timer armed', async (t) => {
  const r = rig();
  await r.boot();
  r.sim.stop();
  await r.service.stop();
  t.is(r.clock.pending(), 0);
});

test('GW-5 / issue 8 §2f: console commands dsl, dsl retrain, plc, plc pair', async (t) => {
  const h = consoleHarness(t);
  const r = rig(h.clock);
  t.teardown(() => r.service.stop());
  registerModemCommands(h.registry, r.service);
  await r.boot();
  r.sim.plugAdapter('00:0b:3b:11:22:33', 200);
  await r.run(10_000);
  const dsl = await h.type('dsl\n');
  t.is(
    dsl,
    [
      'state: showtime since 2026-01-05 09:00:02',
      'rate: down 18.0 Mbit/s, up 1.0 Mbit/s',
      'SNR margin: 7.2 dB   attenuation: 21.5 dB',
      'CRC errors: 0',
      'retrains: 0 (0 failed in a row)',
      'alarm: none',
      'modem: firmware SIM-1.0, hardware pbxgate-sim',
      PROMPT,
    ].join('\n'),
  );
  t.regex(await h.type('dsl retrain\n'), /Type "yes" to confirm/);
  const retrainAnswer = h.type('yes\n');
  await r.run(100);
  t.is(await retrainAnswer, `DSL retrain started\n${PROMPT}`);
  t.is(r.service.snapshot().dsl.retrains, 1);
  await r.run(3_000);
  t.is(r.service.snapshot().dsl.state, 'showtime');
  t.is(await h.type('plc\n'), `powerline adapters: 1\n  00:0b:3b:11:22:33   200 Mbit/s  since 2026-01-05 09:00:03\n${PROMPT}`);
  const pair = h.type('plc pair 60\n');
  await r.run(100);
  t.is(await pair, `powerline pairing open for 60 s: press the pairing button of the new adapter\n${PROMPT}`);
  t.regex(await h.type('plc\n'), /^powerline adapters: 1, pairing until 2026-01-05 09:01:\d\d\n/);
  t.regex(await h.type('plc pair 0\n'), /^error E_BAD_ARGUMENTS: seconds: .*usage: plc pair <seconds>/);
  t.is(dslStatusLine(r.service.snapshot()), 'showtime 18.0 Mbit/s down / 1.0 Mbit/s up');
  t.is(plcStatusLine(r.service.snapshot()), '1 adapter, pairing');
  const admin = await h.registry.invoke('dsl', {}, { role: 'admin' });
  t.true(admin.ok);
  const user = await h.registry.invoke('dsl', {}, { role: 'user' });
  t.false(user.ok);
});

test('issue 8 §3: on the simulated board, the simulator speaks on SimBoard.peerOf(\'modem\') (the make run wiring)', async (t) => {
  const clock = new FakeClock();
  const board = new SimBoard(loadBoardDefinition('sim'));
  const sim = new ModemSimulator(clock);
  const service = new ModemService({
    clock,
    log: captureLogs('silent').logs.get('modem'),
    events: new EventBus<ModemEvents>(),
    open: async () => {
      const line = await board.openSerial('modem');
      // Each open makes a new in-process pair: the simulator moves to its far end.
      sim.attach(board.peerOf('modem')!);
      return line;
    },
  });
  t.teardown(async () => {
    sim.stop();
    await service.stop();
    await board.close();
  });
  sim.start();
  await service.start({ signal: new AbortController().signal, fail: () => {} });
  for (let i = 0; i < 40; i++) {
    clock.advance(100);
    await flush();
  }
  t.is(service.snapshot().dsl.state, 'showtime');
  t.is(service.snapshot().dsl.downKbps, 17_984);
});
