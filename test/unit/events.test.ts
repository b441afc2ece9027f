import test from 'ava';
import { EventBus } from '../../firmware/core/events.ts';

interface TestEvents {
  'phone.registered': { mac: string };
  'config.changed': string[];
}

test('EventBus: subscribers receive payloads of their event only, in subscription order', (t) => {
  const bus = new EventBus<TestEvents>();
  const seen: string[] = [];
  bus.on('phone.registered', (p) => seen.push(`a:${p.mac}`));
  bus.on('phone.registered', (p) => seen.push(`b:${p.mac}`));
  bus.on('config.changed', (s) => seen.push(`c:${s.join(',')}`));
  bus.emit('phone.registered', { mac: '00:08:5d:00:00:01' });
  t.deepEqual(seen, ['a:00:08:5d:00:00:01', 'b:00:08:5d:00:00:01']);
});

test('EventBus: a throwing subscriber is isolated and reported; the others and the producer carry on', (t) => {
  const errors: Array<[string, unknown]> = [];
  const bus = new EventBus<TestEvents>((event, err) => errors.push([event, err]));
  const seen: string[] = [];
  bus.on('config.changed', () => {
    throw new Error('boom');
  });
  bus.on('config.changed', (s) => seen.push(s.join(',')));
  t.notThrows(() => bus.emit('config.changed', ['sip', 'phones']));
  t.deepEqual(seen, ['sip,phones']);
  t.is(errors.length, 1);
  t.is(errors[0]?.[0], 'config.changed');
  t.is((errors[0]?.[1] as Error).message, 'boom');
});

test('EventBus: without an error handler a throwing subscriber is still contained', (t) => {
  const bus = new EventBus<TestEvents>();
  let after = 0;
  bus.on('config.changed', () => {
    throw new Error('boom');
  });
  bus.on('config.changed', () => after++);
  t.notThrows(() => bus.emit('config.changed', []));
  t.is(after, 1);
});

test('EventBus: unsubscribe removes the handler, also from within an emit', (t) => {
  const bus = new EventBus<TestEvents>();
  const seen: string[] = [];
  const offA = bus.on('phone.registered', () => {
    seen.push('a');
    offA(); // once
  });
  bus.on('phone.registered', () => seen.push('b'));
  t.is(bus.listenerCount('phone.registered'), 2);
  bus.emit('phone.registered', { mac: 'x' });
  bus.emit('phone.registered', { mac: 'x' });
  t.deepEqual(seen, ['a', 'b', 'b']);
  t.is(bus.listenerCount('phone.registered'), 1);
  t.is(bus.listenerCount('config.changed'), 0);
  bus.emit('config.changed', []); // no subscriber: nothing happens
});
