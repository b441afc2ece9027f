import test from 'ava';
import { FakeClock, PbxError } from '../../../firmware/core/index.ts';
import { MemorySerialLine } from '../../../firmware/hal/index.ts';
import { ModemDriver, type LineEvent, type Urc, type UnknownLine } from '../../../firmware/modem/index.ts';
import { flush } from '../../helpers/tmp.ts';

// Issue 8 §2c: one request in flight, per-request timeout on the injected clock,
// info lines until the final response, URCs at any time, reopen with back-off.

function rig(options: { failOpens?: number } = {}) {
  const clock = new FakeClock();
  const peers: MemorySerialLine[] = [];
  let opens = 0;
  let failOpens = options.failOpens ?? 0;
  const driver = new ModemDriver({
    clock,
    open: async () => {
      opens++;
      if (failOpens > 0) {
        failOpens--;
        throw new Error('ENOENT /dev/ttyS1');
      }
      const [ours, theirs] = MemorySerialLine.pair('modem');
      peers.push(theirs);
      return ours;
    },
  });
  const received: string[] = [];
  const urcs: Urc[] = [];
  const unknown: UnknownLine[] = [];
  const lineEvents: LineEvent['type'][] = [];
  driver.onUrc((u) => urcs.push(u));
  driver.onUnknown((u) => unknown.push(u));
  driver.onLine((e) => lineEvents.push(e.type));
  const peer = (): MemorySerialLine => peers[peers.length - 1]!;
  const watch = (p: MemorySerialLine): void => {
    p.onData((c) => received.push(...c.toString('latin1').split('\r').filter((x) => x !== '')));
  };
  return {
    clock,
    driver,
    received,
    urcs,
    unknown,
    lineEvents,
    opens: () => opens,
    peer,
    async started(): Promise<MemorySerialLine> {
      driver.start();
      await flush();
      watch(peer());
      return peer();
    },
    watch,
    async modemSays(text: string): Promise<void> {
      await peer().write(Buffer.from(text, 'latin1'));
      await flush();
    },
  };
}

async function rigStarted() {
  const r = rig();
  await r.started();
  return r;
}

test('issue 8 §2c: one request in flight, the next sent only after the final response', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+DSL?');
  const b = r.driver.request('AT+PLC?');
  await flush();
  t.deepEqual(r.received, ['AT+DSL?']);
  await r.modemSays('+DSL: showtime,17984,1023,72,215,0\r\nOK\r\n');
  t.is((await a).length, 1);
  await flush();
  t.deepEqual(r.received, ['AT+DSL?', 'AT+PLC?']);
  await r.modemSays('+PLC: 00:0b:3b:11:22:33,200\r\n+PLC: 00:0b:3b:44:55:66,150\r\nOK\r\n');
  t.deepEqual(
    (await b).map((l) => (l.type === 'plc' ? l.adapter.mac : '?')),
    ['00:0b:3b:11:22:33', '00:0b:3b:44:55:66'],
  );
});

test('issue 8 §2c: ERROR and +CME ERROR reject with E_MODEM_ERROR naming the command', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+FOO');
  await flush();
  await r.modemSays('ERROR\r\n');
  const e1 = await t.throwsAsync(a);
  t.is((e1 as PbxError).code, 'E_MODEM_ERROR');
  t.regex(e1!.message, /AT\+FOO: ERROR/);
  const b = r.driver.request('AT+PLCPAIR=9999');
  await flush();
  await r.modemSays('+CME ERROR: 50\r\n');
  const e2 = await t.throwsAsync(b);
  t.regex(e2!.message, /AT\+PLCPAIR=9999: \+CME ERROR: 50 \(invalid parameter\)/);
});

test('issue 8 §2c: a URC in the middle of a response is dispatched and not mixed into it', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+PLC?');
  await flush();
  await r.modemSays('+PLC: 00:0b:3b:11:22:33,200\r\n+DSLSTATE: down\r\n+PLCJOIN: 00:0b:3b:44:55:66,150\r\n+PLC: 00:0b:3b:44:55:66,150\r\nOK\r\n');
  t.is((await a).length, 2);
  t.deepEqual(
    r.urcs.map((u) => u.type),
    ['dsl-state', 'plc-join'],
  );
});

test('issue 8 §2c: timeout on the injected clock, the next request held for the guard, a late answer dropped as stray', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+DSL?');
  const b = r.driver.request('AT');
  await flush();
  r.clock.advance(1999);
  await flush();
  t.deepEqual(r.received, ['AT+DSL?'], 'not yet timed out');
  r.clock.advance(1);
  const e = await t.throwsAsync(a);
  t.is((e as PbxError).code, 'E_MODEM_TIMEOUT');
  t.regex(e!.message, /AT\+DSL\? within 2000 ms/);
  // The late answer arrives within the guard: nothing is in flight, it is dropped.
  await r.modemSays('+DSL: showtime,1,2,3,4,5\r\nOK\r\n');
  t.is(r.unknown.filter((u) => u.reason === 'no request in flight').length, 2);
  t.deepEqual(r.received, ['AT+DSL?'], 'AT waits for the guard');
  r.clock.advance(500);
  await flush();
  t.deepEqual(r.received, ['AT+DSL?', 'AT']);
  await r.modemSays('OK\r\n');
  t.deepEqual(await b, []);
  t.is(r.driver.stats().timeouts, 1);
  t.is(r.driver.stats().strayLines, 2);
});

test('issue 8 §2c: AT times out after 1 s, AT+DSLRETRAIN after 5 s', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT');
  await flush();
  r.clock.advance(1000);
  await t.throwsAsync(a, { message: /within 1000 ms/ });
  r.clock.advance(500);
  const b = r.driver.request('AT+DSLRETRAIN');
  await flush();
  r.clock.advance(4999);
  await flush();
  r.clock.advance(1);
  await t.throwsAsync(b, { message: /within 5000 ms/ });
});

test('issue 8 §2c: garbage lines are reported, not thrown, and do not disturb the response', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+DSL?');
  await flush();
  await r.modemSays('\x00\xff#####\r\n+BOGUS: 1\r\n+DSL: showtime,1,2,3,4,5\r\n\x00OK\r\n');
  t.is((await a).length, 1);
  t.deepEqual(r.unknown.map((u) => u.line), ['#####', '+BOGUS: 1']);
  t.is(r.driver.stats().garbageBytes, 3);
});

test('issue 8 §2c: the line closing rejects the request in flight and the queued ones, then reopens after back-off', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+DSL?');
  const b = r.driver.request('AT+PLC?');
  await flush();
  await r.peer().close();
  const [ea, eb] = await Promise.all([t.throwsAsync(a), t.throwsAsync(b)]);
  t.is((ea as PbxError).code, 'E_MODEM_UNAVAILABLE');
  t.is((eb as PbxError).code, 'E_MODEM_UNAVAILABLE');
  t.regex(ea!.message, /modem line closed: peer closed the line/);
  t.false(r.driver.isOpen());
  await t.throwsAsync(r.driver.request('AT'), { message: /not open/ }, 'no queueing while closed: callers are answered at once');
  t.is(r.opens(), 1);
  r.clock.advance(499);
  await flush();
  t.is(r.opens(), 1);
  r.clock.advance(1);
  await flush();
  t.is(r.opens(), 2);
  t.true(r.driver.isOpen());
  t.deepEqual(r.lineEvents, ['open', 'closed', 'open']);
  r.watch(r.peer());
  const c = r.driver.request('AT');
  await flush();
  await r.modemSays('OK\r\n');
  t.deepEqual(await c, []);
});

test('issue 8 §2c: failed opens are retried with doubling back-off (500, 1000, 2000 ms)', async (t) => {
  const r = rig({ failOpens: 3 });
  r.driver.start();
  await flush();
  t.is(r.opens(), 1);
  const at: number[] = [];
  for (let ms = 0; ms <= 4000; ms += 100) {
    const before = r.opens();
    r.clock.advance(100);
    await flush();
    if (r.opens() > before) at.push(r.clock.monotonic());
  }
  t.deepEqual(at, [500, 1500, 3500]);
  t.true(r.driver.isOpen());
  t.deepEqual(r.lineEvents, ['open-failed', 'open-failed', 'open-failed', 'open']);
});

test('issue 8 §2c: stop() rejects what is pending, closes the line and leaves no timer armed', async (t) => {
  const r = await rigStarted();
  const a = r.driver.request('AT+DSL?');
  await flush();
  await r.driver.stop();
  await t.throwsAsync(a, { message: /stopped/ });
  t.is(r.clock.pending(), 0);
  t.false(r.driver.isOpen());
});

test('issue 8 §2c: a request that is not an AT line is refused before it reaches the wire', async (t) => {
  const r = await rigStarted();
  await t.throwsAsync(r.driver.request('AT\r\nAT+DSLRETRAIN'), { message: /not a modem request/ });
  t.deepEqual(r.received, []);
});
