import test from 'ava';
import { FakeClock, SystemClock } from '../../firmware/core/clock.ts';

test('FakeClock: time moves only on advance(); now() is wall time, monotonic() starts at 0', (t) => {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  t.is(clock.monotonic(), 0);
  t.is(clock.now(), Date.UTC(2026, 0, 5, 9, 0, 0));
  clock.advance(1500);
  t.is(clock.monotonic(), 1500);
  t.is(clock.now(), Date.UTC(2026, 0, 5, 9, 0, 1, 500));
});

test('FakeClock: timers fire in due order, ties in arming order, at their due time', (t) => {
  const clock = new FakeClock();
  const fired: Array<[string, number]> = [];
  const mark = (name: string) => () => fired.push([name, clock.monotonic()]);
  clock.setTimeout(mark('c'), 300);
  clock.setTimeout(mark('a'), 100);
  clock.setTimeout(mark('b1'), 200);
  clock.setTimeout(mark('b2'), 200);
  clock.advance(199);
  t.deepEqual(fired, [['a', 100]]);
  clock.advance(1000);
  t.deepEqual(fired, [
    ['a', 100],
    ['b1', 200],
    ['b2', 200],
    ['c', 300],
  ]);
  t.is(clock.monotonic(), 1199);
});

test('FakeClock: a timer armed by a firing timer fires within the same advance when due', (t) => {
  const clock = new FakeClock();
  const fired: number[] = [];
  clock.setTimeout(() => {
    fired.push(clock.monotonic());
    clock.setTimeout(() => fired.push(clock.monotonic()), 50);
    clock.setTimeout(() => fired.push(clock.monotonic()), 500);
  }, 100);
  clock.advance(200);
  t.deepEqual(fired, [100, 150]);
  clock.advance(400);
  t.deepEqual(fired, [100, 150, 600]);
});

test('FakeClock: intervals repeat every period until cancelled', (t) => {
  const clock = new FakeClock();
  const ticks: number[] = [];
  const h = clock.setInterval(() => ticks.push(clock.monotonic()), 100);
  clock.advance(350);
  t.deepEqual(ticks, [100, 200, 300]);
  h.cancel();
  clock.advance(1000);
  t.deepEqual(ticks, [100, 200, 300]);
  t.is(clock.pending(), 0);
});

test('FakeClock: an interval may cancel itself from its own callback', (t) => {
  const clock = new FakeClock();
  let n = 0;
  const h = clock.setInterval(() => {
    n++;
    if (n === 2) h.cancel();
  }, 10);
  clock.advance(100);
  t.is(n, 2);
  t.is(clock.pending(), 0);
});

test('FakeClock: cancel() prevents firing, is idempotent, and a timer may cancel a later one', (t) => {
  const clock = new FakeClock();
  const fired: string[] = [];
  const late = clock.setTimeout(() => fired.push('late'), 200);
  clock.setTimeout(() => {
    fired.push('early');
    late.cancel();
  }, 100);
  const never = clock.setTimeout(() => fired.push('never'), 50);
  never.cancel();
  never.cancel();
  clock.advance(1000);
  t.deepEqual(fired, ['early']);
});

test('FakeClock: pending() counts armed timers only (fired one-shots and cancelled ones drop out)', (t) => {
  const clock = new FakeClock();
  t.is(clock.pending(), 0);
  const a = clock.setTimeout(() => {}, 100);
  clock.setTimeout(() => {}, 200);
  clock.setInterval(() => {}, 50);
  t.is(clock.pending(), 3);
  a.cancel();
  t.is(clock.pending(), 2);
  clock.advance(250);
  t.is(clock.pending(), 1, 'the interval stays armed');
  a.cancel(); // cancelling a cancelled timer changes nothing
  t.is(clock.pending(), 1);
});

test('FakeClock: a zero or negative delay fires on the next advance, not synchronously', (t) => {
  const clock = new FakeClock();
  let fired = 0;
  clock.setTimeout(() => fired++, 0);
  clock.setTimeout(() => fired++, -5);
  t.is(fired, 0);
  clock.advance(0);
  t.is(fired, 2);
});

test('SystemClock: timers fire and cancel on the real event loop (unref: they never hold the process)', async (t) => {
  const clock = new SystemClock();
  // SystemClock timers are unref'd on purpose; this one keeps the test process alive meanwhile.
  const keepAlive = setTimeout(() => {}, 5000);
  t.teardown(() => clearTimeout(keepAlive));
  const fired: string[] = [];
  const cancelled = clock.setTimeout(() => fired.push('cancelled'), 5);
  cancelled.cancel();
  await new Promise<void>((resolve) => clock.setTimeout(() => {
    fired.push('done');
    resolve();
  }, 10));
  t.deepEqual(fired, ['done']);
  t.true(clock.monotonic() > 0);
});
