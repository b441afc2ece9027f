import test from 'ava';
import fc from 'fast-check';
import { describeFinal, parseModemLine } from '../../../firmware/modem/index.ts';

// Issue 8 §2b: lines parse into typed finals, info lines and URCs; unknown lines are reported, never thrown.

const cases: Array<[string, unknown]> = [
  ['OK', { kind: 'final', result: 'ok' }],
  ['ERROR', { kind: 'final', result: 'error' }],
  ['+CME ERROR: 50', { kind: 'final', result: 'cme', code: 50 }],
  ['+READY', { kind: 'urc', type: 'ready' }],
  [
    '+DSL: showtime,17984,1023,72,215,3',
    { kind: 'info', type: 'dsl', status: { state: 'showtime', downKbps: 17984, upKbps: 1023, snrMarginDb: 7.2, attenuationDb: 21.5, crcErrors: 3 } },
  ],
  ['+PLC: 00:0B:3B:11:22:33,200', { kind: 'info', type: 'plc', adapter: { mac: '00:0b:3b:11:22:33', rateMbps: 200 } }],
  ['+VER: SIM-1.0,pbxgate-sim', { kind: 'info', type: 'ver', firmware: 'SIM-1.0', hardware: 'pbxgate-sim' }],
  ['+DSLSTATE: down', { kind: 'urc', type: 'dsl-state', state: 'down' }],
  ['+PLCJOIN: 00:0b:3b:11:22:33,150', { kind: 'urc', type: 'plc-join', adapter: { mac: '00:0b:3b:11:22:33', rateMbps: 150 } }],
  ['+PLCLEAVE: 00:0b:3b:11:22:33', { kind: 'urc', type: 'plc-leave', mac: '00:0b:3b:11:22:33' }],
  ['+CRC: 42', { kind: 'urc', type: 'crc', count: 42 }],
  ['+PLCPAIR: STARTED,120', { kind: 'urc', type: 'plc-pair', event: 'started', seconds: 120 }],
  ['+PLCPAIR: ENDED', { kind: 'urc', type: 'plc-pair', event: 'ended' }],
];

for (const [line, expected] of cases) {
  test(`issue 8 §2b: parses ${JSON.stringify(line)}`, (t) => {
    t.deepEqual(parseModemLine(line), expected as ReturnType<typeof parseModemLine>);
  });
}

const bad = [
  'ok',
  '+DSL: showtime,1,2,3,4',
  '+DSL: asleep,1,2,3,4,5',
  '+DSL: showtime,-1,2,3,4,5',
  '+PLC: 00:0b:3b:11:22,200',
  '+PLC: 00:0b:3b:11:22:33,fast',
  '+DSLSTATE: up',
  '+CRC: lots',
  '+PLCPAIR: MAYBE',
  '+BOGUS: 1',
  '#####',
  '+CME ERROR: x',
];
for (const line of bad) {
  test(`issue 8 §2b: reports ${JSON.stringify(line)} as unknown with a reason`, (t) => {
    const r = parseModemLine(line);
    t.is(r.kind, 'unknown');
    if (r.kind === 'unknown') t.true(r.reason.length > 0);
  });
}

test('issue 8 §2b property: parseModemLine never throws', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.constantFrom('+DSL: ', '+PLC:', '+CME ERROR: ', '+PLCPAIR: STARTED,')).chain((p) => fc.string().map((s) => p + s)), (s) => {
      parseModemLine(s);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('issue 8 §2b: finals are described for error messages', (t) => {
  t.is(describeFinal({ kind: 'final', result: 'cme', code: 50 }), '+CME ERROR: 50 (invalid parameter)');
  t.is(describeFinal({ kind: 'final', result: 'cme', code: 999 }), '+CME ERROR: 999');
  t.is(describeFinal({ kind: 'final', result: 'error' }), 'ERROR');
});
