// LED policy (GW-3, issue 8 §4): every row of the table in docs/indicators.md.
import test from 'ava';
import { explainLeds, ledPatterns, type LedPattern, type SystemState } from '../../../firmware/indicators/index.ts';

/** A healthy running box: DSL up, trunk registered, two of three phones registered, one adapter. */
const base: SystemState = {
  running: true,
  booting: false,
  factoryResetPending: false,
  dsl: 'showtime',
  dslAlarm: false,
  trunk: 'registered',
  trunkEnabled: true,
  phonesRegistered: 2,
  phonesConfigured: 3,
  callsRinging: 0,
  plcAdapters: 1,
  plcPairing: false,
};

type Row = [label: string, change: Partial<SystemState>, expected: LedPattern];

const power: Row[] = [
  ['running', {}, 'on'],
  ['booting', { running: false, booting: true }, 'slow'],
  ['factory reset armed while running', { factoryResetPending: true }, 'fast'],
  ['factory reset armed while booting', { running: false, booting: true, factoryResetPending: true }, 'fast'],
  ['factory reset armed while stopped', { running: false, factoryResetPending: true }, 'fast'],
  ['stopped', { running: false }, 'off'],
];

const internet: Row[] = [
  ['showtime, trunk registered', {}, 'on'],
  ['showtime, static (IP-authenticated) trunk', { trunk: 'static' }, 'on'],
  ['showtime, no trunk configured: DSL alone decides', { trunkEnabled: false, trunk: 'disabled' }, 'on'],
  ['showtime, trunk registering', { trunk: 'registering' }, 'slow'],
  ['showtime, trunk failed', { trunk: 'failed' }, 'slow'],
  ['handshake', { dsl: 'handshake', trunk: 'failed' }, 'slow'],
  ['training', { dsl: 'training', trunk: 'failed' }, 'slow'],
  ['training, no trunk configured', { dsl: 'training', trunkEnabled: false }, 'slow'],
  ['DSL alarm during showtime', { dslAlarm: true }, 'fast'],
  ['DSL alarm while down', { dsl: 'down', dslAlarm: true }, 'fast'],
  ['down', { dsl: 'down' }, 'off'],
  ['idle', { dsl: 'idle' }, 'off'],
  ['unknown (no word from the modem yet)', { dsl: 'unknown' }, 'off'],
  ['booting, DSL training', { running: false, booting: true, dsl: 'training' }, 'slow'],
  ['stopped', { running: false }, 'off'],
];

const telephony: Row[] = [
  ['trunk registered, phones registered', {}, 'on'],
  ['static trunk, one phone registered', { trunk: 'static', phonesRegistered: 1 }, 'on'],
  ['no trunk configured, one phone registered (internal calls)', { trunkEnabled: false, trunk: 'disabled', phonesRegistered: 1 }, 'on'],
  ['trunk registered, no phone registered', { phonesRegistered: 0 }, 'off'],
  ['no trunk configured, no phone registered', { trunkEnabled: false, phonesRegistered: 0 }, 'off'],
  ['trunk enabled but failed, phones registered', { trunk: 'failed' }, 'off'],
  ['trunk registering, phones registered', { trunk: 'registering' }, 'off'],
  ['a call rings', { callsRinging: 1 }, 'fast'],
  ['a call rings without trunk (internal call)', { callsRinging: 2, trunkEnabled: false, trunk: 'disabled' }, 'fast'],
  ['stopped, a call ringing', { running: false, callsRinging: 1 }, 'off'],
];

const powerline: Row[] = [
  ['one adapter', {}, 'on'],
  ['three adapters', { plcAdapters: 3 }, 'on'],
  ['no adapter', { plcAdapters: 0 }, 'off'],
  ['pairing, no adapter yet', { plcAdapters: 0, plcPairing: true }, 'fast'],
  ['pairing with adapters', { plcPairing: true }, 'fast'],
  ['stopped', { running: false }, 'off'],
];

for (const [role, rows] of [
  ['power', power],
  ['internet', internet],
  ['telephony', telephony],
  ['powerline', powerline],
] as const) {
  for (const [label, change, expected] of rows) {
    test(`GW-3, issue 8 §4: ${role} LED is ${expected} when ${label}`, (t) => {
      const state = { ...base, ...change };
      t.is(ledPatterns(state)[role], expected);
      t.is(explainLeds(state)[role].pattern, expected, 'explainLeds agrees with ledPatterns');
      t.true(explainLeds(state)[role].reason.length > 0);
    });
  }
}

test('GW-3: a new box without trunk, DSL up and one phone does not look broken', (t) => {
  t.deepEqual(ledPatterns({ ...base, trunkEnabled: false, trunk: 'disabled', phonesRegistered: 1, plcAdapters: 0 }), {
    power: 'on',
    internet: 'on',
    telephony: 'on',
    powerline: 'off',
  });
});

test('GW-3: reasons name the facts (for the leds command)', (t) => {
  const e = explainLeds({ ...base, phonesRegistered: 0, dsl: 'training', trunk: 'failed' });
  t.is(e.telephony.reason, '0 of 3 phones registered');
  t.is(e.internet.reason, 'DSL training');
  t.is(e.power.reason, 'running');
});
