import test from 'ava';
import { FakeClock } from '../../firmware/core/clock.ts';
import type { Service, ServiceContext } from '../../firmware/core/service.ts';
import { Supervisor, topologicalOrder } from '../../firmware/app/supervisor.ts';
import { flush } from '../helpers/tmp.ts';
import { captureLogs, silentLogs } from '../helpers/logs.ts';

/** A scriptable service that records its lifecycle into a shared journal. */
class FakeService implements Service {
  readonly dependsOn: readonly string[];
  ctx: ServiceContext | undefined;
  starts = 0;
  stops = 0;
  /** Remaining start attempts that must fail. */
  failStarts = 0;

  constructor(
    readonly name: string,
    private readonly journal: string[],
    deps: readonly string[] = [],
  ) {
    this.dependsOn = deps;
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.starts++;
    if (this.failStarts > 0) {
      this.failStarts--;
      this.journal.push(`start-failed ${this.name}`);
      throw new Error(`${this.name} cannot start`);
    }
    this.ctx = ctx;
    this.journal.push(`start ${this.name}`);
  }

  async stop(): Promise<void> {
    this.stops++;
    this.journal.push(`stop ${this.name}`);
  }
}

function setup(specs: Array<[string, string[]?]>, options = {}) {
  const journal: string[] = [];
  const clock = new FakeClock();
  const services = specs.map(([name, deps]) => new FakeService(name, journal, deps));
  const byName = new Map(services.map((s) => [s.name, s]));
  const supervisor = new Supervisor(services, clock, silentLogs().get('app'), options);
  const svc = (name: string): FakeService => {
    const s = byName.get(name);
    if (!s) throw new Error(name);
    return s;
  };
  const stateOf = (name: string) => supervisor.status().find((s) => s.name === name);
  return { journal, clock, supervisor, svc, stateOf };
}

/** Advances the fake clock, then lets the restart (an async chain) run to completion. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  await settle(); // a ctx.fail() just reported finishes stopping before time moves
  clock.advance(ms);
  await settle();
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await flush();
}

test('Supervisor: starts services in dependency order, whatever the list order', async (t) => {
  const { supervisor, journal } = setup([['console', ['config', 'http']], ['http', ['config']], ['power-led'], ['config']]);
  t.deepEqual(supervisor.startOrder(), ['config', 'http', 'console', 'power-led']);
  await supervisor.startAll();
  t.deepEqual(journal, ['start config', 'start http', 'start console', 'start power-led']);
  t.true(supervisor.status().every((s) => s.state === 'running' && s.restarts === 0));
});

test('Supervisor: stops in reverse start order', async (t) => {
  const { supervisor, journal } = setup([['config'], ['http', ['config']], ['console', ['http']]]);
  await supervisor.startAll();
  journal.length = 0;
  await supervisor.stopAll();
  t.deepEqual(journal, ['stop console', 'stop http', 'stop config']);
  t.true(supervisor.status().every((s) => s.state === 'stopped'));
});

test('Supervisor: ctx.signal is aborted when the service is stopped', async (t) => {
  const { supervisor, svc } = setup([['config']]);
  await supervisor.startAll();
  const signal = svc('config').ctx?.signal;
  t.false(signal?.aborted);
  await supervisor.stopAll();
  t.true(signal?.aborted);
});

test('topologicalOrder: an unknown dependency is an error naming both services', (t) => {
  const err = t.throws(() => setup([['config'], ['http', ['confg']]]));
  t.is(err?.message, 'service http depends on unknown service confg');
});

test('topologicalOrder: a dependency cycle is an error showing the cycle', (t) => {
  const svc = (name: string, dependsOn: string[]): Service => ({ name, dependsOn, start: async () => {}, stop: async () => {} });
  const err = t.throws(() => topologicalOrder([svc('a', ['b']), svc('b', ['c']), svc('c', ['a'])]));
  t.is(err?.message, 'service dependency cycle: a -> b -> c -> a');
  t.throws(() => topologicalOrder([svc('self', ['self'])]), { message: 'service dependency cycle: self -> self' });
});

test('Supervisor: two services with one name are refused', (t) => {
  t.throws(() => setup([['config'], ['config']]), { message: 'duplicate service name: config' });
});

test('Supervisor: a service failing at start is retried with doubling back-off (1 s, 2 s, 4 s)', async (t) => {
  const { supervisor, svc, clock, stateOf } = setup([['modem']], { initialBackoffMs: 1000, maxBackoffMs: 60_000 });
  svc('modem').failStarts = 3;
  await supervisor.startAll();
  t.is(svc('modem').starts, 1);
  t.like(stateOf('modem'), { state: 'backoff', restarts: 0, lastError: 'modem cannot start' });

  await advance(clock, 999);
  t.is(svc('modem').starts, 1, 'not before 1 s');
  await advance(clock, 1);
  t.is(svc('modem').starts, 2);

  await advance(clock, 1999);
  t.is(svc('modem').starts, 2, 'second retry waits 2 s');
  await advance(clock, 1);
  t.is(svc('modem').starts, 3);

  await advance(clock, 3999);
  t.is(svc('modem').starts, 3, 'third retry waits 4 s');
  await advance(clock, 1);
  t.is(svc('modem').starts, 4);
  t.like(stateOf('modem'), { state: 'running', restarts: 3 });
  t.is(clock.pending(), 0, 'no retry left armed');
});

test('Supervisor: the back-off is capped at maxBackoffMs', async (t) => {
  const { supervisor, svc, clock } = setup([['modem']], { initialBackoffMs: 1000, maxBackoffMs: 3000 });
  svc('modem').failStarts = 10;
  await supervisor.startAll();
  await advance(clock, 1000); // 2nd attempt
  await advance(clock, 2000); // 3rd attempt
  await advance(clock, 3000); // 4th attempt (4 s capped to 3 s)
  t.is(svc('modem').starts, 4);
  await advance(clock, 3000); // 5th attempt (8 s capped to 3 s)
  t.is(svc('modem').starts, 5);
});

test('Supervisor: ctx.fail() stops the service and its dependents, then restarts them after the back-off', async (t) => {
  const { supervisor, svc, clock, journal, stateOf } = setup([['config'], ['sip', ['config']], ['calls', ['sip']], ['console', ['config']]], {
    initialBackoffMs: 500,
  });
  await supervisor.startAll();
  journal.length = 0;
  svc('sip').ctx?.fail(new Error('socket closed'));
  await flush();
  await flush();
  t.deepEqual(journal, ['stop calls', 'stop sip']);
  t.like(stateOf('sip'), { state: 'backoff', lastError: 'socket closed', restarts: 0 });
  t.like(stateOf('calls'), { state: 'stopped' });
  t.like(stateOf('console'), { state: 'running' }, 'unrelated services keep running');
  t.like(stateOf('config'), { state: 'running' });

  await advance(clock, 500);
  t.deepEqual(journal, ['stop calls', 'stop sip', 'start sip', 'start calls']);
  t.like(stateOf('sip'), { state: 'running', restarts: 1 });
  t.like(stateOf('calls'), { state: 'running', restarts: 0 });
});

test('Supervisor: a stale ctx.fail() from a stopped instance is ignored', async (t) => {
  const { supervisor, svc, clock, journal } = setup([['sip']], { initialBackoffMs: 100 });
  await supervisor.startAll();
  const oldCtx = svc('sip').ctx;
  oldCtx?.fail(new Error('first'));
  await advance(clock, 100);
  t.is(svc('sip').starts, 2);
  journal.length = 0;
  oldCtx?.fail(new Error('late report from the old socket'));
  await flush();
  t.deepEqual(journal, []);
  t.is(supervisor.status()[0]?.state, 'running');
});

test('Supervisor: consecutive failures double the delay; a service stable for stableAfterMs starts again from the first delay', async (t) => {
  const { supervisor, svc, clock } = setup([['sip']], { initialBackoffMs: 100, stableAfterMs: 10_000 });
  await supervisor.startAll();
  svc('sip').ctx?.fail(new Error('1'));
  await advance(clock, 100);
  t.is(svc('sip').starts, 2);
  svc('sip').ctx?.fail(new Error('2'));
  await advance(clock, 199);
  t.is(svc('sip').starts, 2, 'second consecutive failure waits 200 ms');
  await advance(clock, 1);
  t.is(svc('sip').starts, 3);
  await advance(clock, 10_000); // stays up long enough
  svc('sip').ctx?.fail(new Error('3'));
  await advance(clock, 100);
  t.is(svc('sip').starts, 4, 'back to the first delay');
  t.is(supervisor.status()[0]?.restarts, 3);
});

test('Supervisor: dependents of a service that failed to start wait for it, then start with it', async (t) => {
  const { supervisor, svc, clock, stateOf } = setup([['config'], ['http', ['config']], ['console', ['http']], ['power-led']], {
    initialBackoffMs: 1000,
  });
  svc('config').failStarts = 1;
  await supervisor.startAll();
  t.is(svc('http').starts, 0, 'http must not start without config');
  t.is(svc('console').starts, 0);
  t.like(stateOf('config'), { state: 'backoff' });
  t.like(stateOf('http'), { state: 'stopped' });
  t.like(stateOf('power-led'), { state: 'running' });
  await advance(clock, 1000);
  t.like(stateOf('config'), { state: 'running', restarts: 1 });
  t.like(stateOf('http'), { state: 'running' });
  t.like(stateOf('console'), { state: 'running' });
  t.is(svc('http').starts, 1);
});

test('Supervisor: a dependent in back-off is not started before the dependency it waits for', async (t) => {
  const { supervisor, svc, clock, stateOf } = setup([['config'], ['sip', ['config']]], { initialBackoffMs: 1000 });
  await supervisor.startAll();
  svc('sip').failStarts = 5;
  svc('sip').ctx?.fail(new Error('sip broke')); // sip in back-off: retry armed at 1 s
  await flush();
  await flush();
  svc('config').failStarts = 1;
  svc('config').ctx?.fail(new Error('config broke')); // stops sip, config retries at 1 s, then 2 s
  await flush();
  await flush();
  const sipStarts = svc('sip').starts;
  await advance(clock, 1000); // config's first retry fails; sip's old retry must not fire alone
  t.like(stateOf('config'), { state: 'backoff' });
  t.is(svc('sip').starts, sipStarts, 'sip must not start while config is down');
  svc('sip').failStarts = 0;
  await advance(clock, 2000);
  t.like(stateOf('config'), { state: 'running' });
  t.like(stateOf('sip'), { state: 'running' });
});

test('Supervisor: stopAll cancels pending restarts', async (t) => {
  const { supervisor, svc, clock } = setup([['modem']], { initialBackoffMs: 1000 });
  svc('modem').failStarts = 1;
  await supervisor.startAll();
  t.is(clock.pending(), 1);
  await supervisor.stopAll();
  t.is(clock.pending(), 0);
  await advance(clock, 5000);
  t.is(svc('modem').starts, 1);
});

test('Supervisor: failures are logged with the service name and the reason', async (t) => {
  const { logs, records } = captureLogs('info');
  const journal: string[] = [];
  const s = new FakeService('modem', journal);
  s.failStarts = 1;
  const supervisor = new Supervisor([s], new FakeClock(), logs.get('app'));
  await supervisor.startAll();
  const rec = records().find((r) => r.msg === 'service failed to start');
  t.like(rec, { ns: 'app', service: 'modem', err: 'modem cannot start', level: 50 });
});
