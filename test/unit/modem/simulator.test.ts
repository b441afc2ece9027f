import test from 'ava';
import { FakeClock } from '../../../firmware/core/index.ts';
import { ModemSimulator } from '../../../firmware/modem/index.ts';

// Issue 8 §3: the simulator speaks docs/modem-protocol.md (its answers are the contract's examples).

function rig() {
  const clock = new FakeClock();
  const sim = new ModemSimulator(clock, { handshakeMs: 100, trainingMs: 200 });
  let out = '';
  let handler: (c: Buffer) => void = () => {};
  sim.attach({ write: (d) => void (out += d.toString()), onData: (h) => void (handler = h) });
  const host = (text: string): string => {
    const start = out.length;
    handler(Buffer.from(text, 'latin1'));
    return out.slice(start);
  };
  return { clock, sim, host, out: () => out };
}

test('issue 8 §3: boots with +READY and trains to showtime', (t) => {
  const r = rig();
  r.sim.start();
  r.clock.advance(300);
  t.is(r.out(), '+READY\r\n+DSLSTATE: handshake\r\n+DSLSTATE: training\r\n+DSLSTATE: showtime\r\n');
  t.is(r.host('AT+DSL?\r'), '+DSL: showtime,17984,1023,72,215,0\r\nOK\r\n');
});

test('issue 8 §3: answers the requests of §4, refusals of §5', (t) => {
  const r = rig();
  t.is(r.host('AT\r'), 'OK\r\n');
  t.is(r.host('at+ver?\r\n'), '+VER: SIM-1.0,pbxgate-sim\r\nOK\r\n');
  t.is(r.host('AT+PLC?\r'), 'OK\r\n');
  t.is(r.host('AT+PLCPAIR=0\r'), '+CME ERROR: 50\r\n');
  t.is(r.host('AT+PLCPAIR\r'), '+CME ERROR: 50\r\n');
  t.is(r.host('AT+FOO\r'), 'ERROR\r\n');
  t.is(r.host(`AT${'X'.repeat(200)}`), '', 'an overlong request is answered once it ends');
  t.is(r.host('\r'), 'ERROR\r\n');
  t.is(r.host('\r\r'), '', 'empty lines get no answer');
});

test('issue 8 §3: retrain OK then state URCs; refused during a training; a cut line trains to down', (t) => {
  const r = rig();
  r.sim.start();
  r.clock.advance(300);
  r.sim.dropLine();
  const before = r.out().length;
  t.is(r.host('AT+DSLRETRAIN\r'), 'OK\r\n+DSLSTATE: handshake\r\n', 'in handshake as soon as it said OK');
  t.is(r.host('AT+DSL?\r'), '+DSL: handshake,0,0,0,215,0\r\nOK\r\n');
  t.is(r.host('AT+DSLRETRAIN\r'), '+CME ERROR: 3\r\n');
  r.clock.advance(300);
  t.regex(r.out().slice(before), /\+DSLSTATE: training\r\n\+DSLSTATE: down\r\n$/);
  r.sim.recover();
  r.clock.advance(300);
  t.is(r.sim.state().dsl, 'showtime');
});

test('GW-5 / issue 8 §3: pairing window lets an unpaired adapter join and ends with +PLCPAIR: ENDED; mute and slow', (t) => {
  const r = rig();
  r.sim.plugAdapter('00:0B:3B:44:55:66', 150, false);
  t.is(r.host('AT+PLC?\r'), 'OK\r\n');
  t.is(r.host('AT+PLCPAIR=120\r'), 'OK\r\n+PLCPAIR: STARTED,120\r\n');
  const mark = r.out().length;
  r.clock.advance(120_000);
  t.is(r.out().slice(mark), '+PLCJOIN: 00:0b:3b:44:55:66,150\r\n+PLCPAIR: ENDED\r\n');
  t.is(r.host('AT+PLC?\r'), '+PLC: 00:0b:3b:44:55:66,150\r\nOK\r\n');
  r.sim.mute(true);
  t.is(r.host('AT\r'), '');
  r.sim.mute(false);
  r.sim.slow(1000);
  t.is(r.host('AT\r'), '');
  r.clock.advance(1000);
  t.true(r.out().endsWith('OK\r\n'));
  r.sim.stop();
  t.is(r.clock.pending(), 0);
});
