// Pattern engine (GW-3, issue 8 §4): blink timing, phase, no timer when steady, stop.
import test from 'ava';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { SimLed, type LedRole } from '../../../firmware/hal/index.ts';
import { PatternEngine } from '../../../firmware/indicators/index.ts';

function setup(roles: LedRole[] = ['power', 'internet', 'telephony', 'powerline']) {
  const clock = new FakeClock();
  const leds = new Map(roles.map((r) => [r, new SimLed(r)]));
  const engine = new PatternEngine(leds, clock);
  /** Samples one LED every `step` ms for `ms` ms: the levels seen just after each step. */
  const sample = (role: LedRole, ms: number, step: number): boolean[] => {
    const out: boolean[] = [];
    for (let at = 0; at < ms; at += step) {
      out.push(leds.get(role)!.isOn());
      clock.advance(step);
    }
    return out;
  };
  /** Every change of one LED, with the time it happened. */
  const record = (role: LedRole) => {
    const changes: Array<[number, boolean]> = [];
    leds.get(role)!.watch((on) => changes.push([clock.monotonic(), on]));
    return changes;
  };
  return { clock, leds, engine, sample, record };
}

test('GW-3: steady patterns set the LED and arm no timer', (t) => {
  const { clock, leds, engine } = setup();
  engine.setPattern('power', 'on');
  engine.setPattern('internet', 'off');
  t.true(leds.get('power')!.isOn());
  t.false(leds.get('internet')!.isOn());
  t.false(engine.ticking());
  t.is(clock.pending(), 0);
});

test('GW-3: slow blink is 1 Hz, 500 ms on then 500 ms off, starting lit', (t) => {
  const { clock, engine, record } = setup();
  const changes = record('internet');
  engine.setPattern('internet', 'slow');
  clock.advance(2000);
  t.deepEqual(changes, [
    [0, true],
    [500, false],
    [1000, true],
    [1500, false],
    [2000, true],
  ]);
});

test('GW-3: fast blink is 4 Hz, 125 ms on then 125 ms off', (t) => {
  const { clock, engine, record } = setup();
  const changes = record('powerline');
  engine.setPattern('powerline', 'fast');
  clock.advance(500);
  t.deepEqual(changes, [
    [0, true],
    [125, false],
    [250, true],
    [375, false],
    [500, true],
  ]);
});

test('GW-3: one shared tick: every blinking LED lights together, even one that starts later', (t) => {
  const { clock, engine, sample, leds } = setup();
  engine.setPattern('internet', 'slow');
  engine.setPattern('powerline', 'fast');
  t.is(clock.pending(), 1, 'one timer for all blinking LEDs');
  clock.advance(300);
  // Joins the running phase: at 300 ms a slow LED is in its lit half.
  engine.setPattern('telephony', 'slow');
  t.true(leds.get('telephony')!.isOn());
  t.is(clock.pending(), 1);
  clock.advance(200); // 500 ms: a new slow period and a new fast period begin together
  t.deepEqual(sample('internet', 1000, 125), [false, false, false, false, true, true, true, true]);
  t.is(leds.get('internet')!.isOn(), leds.get('telephony')!.isOn(), 'both slow LEDs in phase');
  // At every slow period start the fast LED lights too.
  t.true(leds.get('powerline')!.isOn());
});

test('GW-3: the timer goes when nothing blinks any more, and a new blink starts lit', (t) => {
  const { clock, engine, leds } = setup();
  engine.setPattern('power', 'fast');
  clock.advance(130); // in an off half
  t.false(leds.get('power')!.isOn());
  engine.setPattern('power', 'on');
  t.false(engine.ticking());
  t.is(clock.pending(), 0);
  t.true(leds.get('power')!.isOn());
  engine.setPattern('power', 'off');
  clock.advance(1000);
  engine.setPattern('power', 'slow');
  t.true(leds.get('power')!.isOn(), 'a fresh blink period starts lit');
  t.is(clock.pending(), 1);
});

test('GW-3: stop() turns every LED off, cancels the timer and resets the patterns', (t) => {
  const { clock, engine, leds } = setup();
  engine.apply({ power: 'on', internet: 'slow', telephony: 'fast', powerline: 'on' });
  engine.stop();
  t.is(clock.pending(), 0);
  for (const led of leds.values()) t.false(led.isOn());
  t.deepEqual(engine.patterns(), { power: 'off', internet: 'off', telephony: 'off', powerline: 'off' });
  clock.advance(5000);
  for (const led of leds.values()) t.false(led.isOn(), 'nothing relights after stop');
});

test('GW-3, GW-6: patterns() lists the LEDs the board has, in role order; other roles are ignored', (t) => {
  const { engine, clock } = setup(['powerline', 'power']);
  engine.setPattern('internet', 'fast');
  t.is(clock.pending(), 0, 'a missing LED does not blink');
  engine.setPattern('powerline', 'slow');
  t.deepEqual(Object.entries(engine.patterns()), [
    ['power', 'off'],
    ['powerline', 'slow'],
  ]);
});

test('GW-3: a LED is written only when its level changes', (t) => {
  const clock = new FakeClock();
  let writes = 0;
  const counting = { role: 'power' as const, on: false, set(on: boolean) { writes++; this.on = on; }, isOn() { return this.on; } };
  const engine = new PatternEngine(new Map([['power', counting]]), clock);
  engine.setPattern('power', 'on');
  engine.setPattern('power', 'on');
  engine.apply({ power: 'on' });
  t.is(writes, 1);
  engine.setPattern('power', 'slow');
  clock.advance(1000); // lit already, then off at 500, on at 1000
  t.is(writes, 3);
});
