// Button gestures (GW-3, GW-5 pairing, issue 8 §4): the pure recognizer, driven
// with plain press/release events and times, as the thin clock wrapper would.
import test from 'ava';
import type { ButtonRole } from '../../../firmware/hal/index.ts';
import { factoryResetArmed, initialButtonState, stepButton, type ButtonInput, type Gesture, type GestureStep } from '../../../firmware/indicators/index.ts';

/**
 * Plays a script of [time, 'press'|'release'] against the recognizer, firing
 * the timer it asks for whenever that comes due before the next event (what
 * ButtonWatcher does with the clock), then runs the timer out.
 */
function play(role: ButtonRole, script: Array<[number, 'press' | 'release']>, until = 60_000) {
  let state = initialButtonState(role);
  let due: number | undefined;
  const gestures: Array<[number, Gesture]> = [];
  const ignored: Array<NonNullable<GestureStep['ignored']>> = [];
  const feed = (input: ButtonInput, now: number) => {
    const step = stepButton(state, input, now);
    state = step.state;
    due = step.timerMs === undefined ? undefined : now + step.timerMs;
    for (const g of step.gestures) gestures.push([now, g]);
    if (step.ignored) ignored.push(step.ignored);
  };
  const runTimersUntil = (t: number) => {
    while (due !== undefined && due <= t) feed({ kind: 'timer' }, due);
  };
  for (const [at, kind] of script) {
    runTimersUntil(at);
    feed({ kind }, at);
  }
  runTimersUntil(until);
  return { gestures, ignored, state, due };
}

test('GW-3: reset short press (100 ms) reboots, once the release is past the bounce window', (t) => {
  const r = play('reset', [
    [1000, 'press'],
    [1100, 'release'],
  ]);
  t.deepEqual(r.gestures, [[1130, 'reboot']]);
  t.is(r.state.phase, 'idle');
  t.is(r.due, undefined, 'no timer left');
});

test('GW-3: reset press just under 2 s still reboots', (t) => {
  t.deepEqual(play('reset', [[0, 'press'], [1999, 'release']]).gestures, [[2029, 'reboot']]);
});

test('GW-3: reset held between 2 s and 10 s does nothing (cancelled)', (t) => {
  for (const held of [2000, 5000, 9999]) {
    const r = play('reset', [
      [0, 'press'],
      [held, 'release'],
    ]);
    t.deepEqual(r.gestures, [], `held ${held} ms`);
    t.deepEqual(r.ignored, [{ reason: 'cancelled', heldMs: held }]);
    t.is(r.state.phase, 'idle');
  }
});

test('GW-3: reset held 10 s arms the factory reset while held, and release performs it', (t) => {
  let state = initialButtonState('reset');
  let step = stepButton(state, { kind: 'press' }, 500);
  t.is(step.timerMs, 30, 'debounce first');
  step = stepButton(step.state, { kind: 'timer' }, 530);
  t.deepEqual(step.gestures, []);
  t.is(step.timerMs, 9970, 'then the armed notice, 10 s after the press');
  t.false(factoryResetArmed(step.state));
  step = stepButton(step.state, { kind: 'timer' }, 10_500);
  t.deepEqual(step.gestures, ['factory-reset-armed']);
  t.true(factoryResetArmed(step.state));
  t.is(step.timerMs, undefined, 'nothing more to wait for while held');
  step = stepButton(step.state, { kind: 'release' }, 25_000);
  t.deepEqual(step.gestures, []);
  t.true(factoryResetArmed(step.state), 'still armed during the release bounce window');
  step = stepButton(step.state, { kind: 'timer' }, 25_030);
  t.deepEqual(step.gestures, ['factory-reset']);
  t.false(factoryResetArmed(step.state));
  state = step.state;
  t.is(state.phase, 'idle');
});

test('GW-3: a late timer still reports the armed notice before the factory reset', (t) => {
  // The release arrives with the armed deadline already past and no timer run.
  let step = stepButton(initialButtonState('reset'), { kind: 'press' }, 0);
  step = stepButton(step.state, { kind: 'release' }, 12_000);
  t.deepEqual(step.gestures, ['factory-reset-armed']);
  step = stepButton(step.state, { kind: 'timer' }, 12_030);
  t.deepEqual(step.gestures, ['factory-reset']);
});

test('GW-3: exactly 10 s held is a factory reset', (t) => {
  const r = play('reset', [
    [0, 'press'],
    [10_000, 'release'],
  ]);
  t.deepEqual(r.gestures, [
    [10_000, 'factory-reset-armed'],
    [10_030, 'factory-reset'],
  ]);
});

test('GW-3: bounce: a press shorter than 30 ms is ignored, on either button', (t) => {
  for (const role of ['reset', 'pairing'] as const) {
    const r = play(role, [
      [0, 'press'],
      [12, 'release'],
    ]);
    t.deepEqual(r.gestures, [], role);
    t.deepEqual(r.ignored, [{ reason: 'bounce', heldMs: 12 }]);
  }
});

test('GW-3: chatter: releases shorter than 30 ms inside a hold do not end it', (t) => {
  // A worn contact opens for a few ms twice during a 12 s hold: still one factory reset.
  const r = play('reset', [
    [0, 'press'],
    [3000, 'release'],
    [3010, 'press'],
    [7000, 'release'],
    [7025, 'press'],
    [12_000, 'release'],
  ]);
  t.deepEqual(r.gestures, [
    [10_000, 'factory-reset-armed'],
    [12_030, 'factory-reset'],
  ]);
  // And a bouncy short press is one reboot, not several.
  const s = play('reset', [
    [0, 'press'],
    [5, 'release'],
    [9, 'press'],
    [300, 'release'],
    [310, 'press'],
    [320, 'release'],
  ]);
  t.deepEqual(s.gestures, [[350, 'reboot']]);
});

test('GW-3: a release with no press seen (held since before start) does nothing', (t) => {
  const r = play('reset', [[100, 'release']]);
  t.deepEqual(r.gestures, []);
  t.deepEqual(r.ignored, []);
  t.is(r.state.phase, 'idle');
});

test('GW-3, GW-5: pairing press starts pairing once, 30 ms into the press, whatever the hold', (t) => {
  t.deepEqual(play('pairing', [[0, 'press'], [100, 'release']]).gestures, [[30, 'pairing']]);
  t.deepEqual(play('pairing', [[0, 'press'], [15_000, 'release']]).gestures, [[30, 'pairing']], 'a long hold is still one pairing, no factory reset');
  const twice = play('pairing', [
    [0, 'press'],
    [100, 'release'],
    [1000, 'press'],
    [1100, 'release'],
  ]);
  t.deepEqual(twice.gestures, [
    [30, 'pairing'],
    [1030, 'pairing'],
  ]);
});

test('GW-3: two short resets in a row are two reboots (the runtime ignores the second while rebooting)', (t) => {
  const r = play('reset', [
    [0, 'press'],
    [100, 'release'],
    [500, 'press'],
    [600, 'release'],
  ]);
  t.deepEqual(r.gestures, [
    [130, 'reboot'],
    [630, 'reboot'],
  ]);
});
