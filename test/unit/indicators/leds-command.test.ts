// The `leds` command (GW-3, GW-5, issue 8 §4): each LED with its pattern and
// why, on the technician console and through the API for the admin.
import test from 'ava';
import { IndicatorService, registerIndicatorCommands, type SystemState } from '../../../firmware/indicators/index.ts';
import { consoleHarness, PROMPT } from '../../helpers/console-harness.ts';
import { silentLogs } from '../../helpers/logs.ts';

const state: SystemState = {
  running: true,
  booting: false,
  factoryResetPending: false,
  dsl: 'training',
  dslAlarm: false,
  trunk: 'registering',
  trunkEnabled: true,
  phonesRegistered: 0,
  phonesConfigured: 2,
  callsRinging: 0,
  plcAdapters: 1,
  plcPairing: false,
};

function setup(t: import('ava').ExecutionContext) {
  const c = consoleHarness(t);
  const service = new IndicatorService({
    board: c.board,
    clock: c.clock,
    log: silentLogs().get('indicators'),
    snapshot: () => state,
    subscribe: () => () => {},
    actions: { reboot: () => {}, factoryReset: () => {}, startPairing: () => {} },
  });
  registerIndicatorCommands(c.registry, service);
  t.teardown(() => service.stop());
  return { c, service };
}

test('GW-3, GW-5 transcript: leds shows pattern and reason per LED, then the last gesture', async (t) => {
  const { c, service } = setup(t);
  await service.start();
  t.is(
    await c.type('leds\n'),
    [
      'power: on (running)',
      'internet: slow blink (DSL training)',
      'telephony: off (0 of 2 phones registered)',
      'powerline: on (1 adapter(s))',
      'last button gesture: none',
      PROMPT,
    ].join('\n'),
  );
  c.board.buttons.get('pairing')!.setPressed(true);
  c.clock.advance(50);
  c.board.buttons.get('pairing')!.setPressed(false);
  t.is((await c.type('leds\n')).split('\n').at(-2), 'last button gesture: pairing (pairing button) at 2026-01-05 09:00:00 UTC');
});

test('GW-3: leds before the service runs says so rather than guessing', async (t) => {
  const { c } = setup(t);
  t.is((await c.type('leds\n')).split('\n')[0], 'power: off (indicators not running)');
});

test('GW-5: leds is open to the admin API with structured results, not to phone users', async (t) => {
  const { c, service } = setup(t);
  await service.start();
  const r = await c.registry.invoke('leds', {}, { role: 'admin' });
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.result, {
    leds: [
      { role: 'power', pattern: 'on', lit: true, reason: 'running' },
      { role: 'internet', pattern: 'slow', lit: true, reason: 'DSL training' },
      { role: 'telephony', pattern: 'off', lit: false, reason: '0 of 2 phones registered' },
      { role: 'powerline', pattern: 'on', lit: true, reason: '1 adapter(s)' },
    ],
  });
  t.like(await c.registry.invoke('leds', {}, { role: 'user' }), { ok: false, code: 'E_NOT_FOUND' });
});
