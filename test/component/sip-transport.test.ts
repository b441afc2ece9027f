import test from 'ava';
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { FakeClock } from '../../firmware/core/clock.ts';
import { LogRegistry } from '../../firmware/core/logger.ts';
import { SipTransport, type Endpoint } from '../../firmware/sip/transport/index.ts';
import { topVia, type SipMessage } from '../../firmware/sip/message/index.ts';

const logs = new LogRegistry({ level: 'silent' });

async function started(options: { maxConnections?: number; tcpIdleTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const received: Array<{ msg: SipMessage; source: Endpoint }> = [];
  const closed: string[] = [];
  const transport = new SipTransport(
    { listen: ['127.0.0.1'], port: 0, advertise: '127.0.0.1', ...options },
    { onMessage: (msg, source) => received.push({ msg, source }), onConnectionClosed: (id) => closed.push(id) },
    clock,
    logs.get('test'),
  );
  await transport.start();
  return { clock, transport, received, closed };
}

function options(branch: string, viaHost = '127.0.0.1:5099', extraVia = ''): string {
  return [
    'OPTIONS sip:pbx@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP ${viaHost};branch=z9hG4bK${branch}${extraVia}`,
    'Max-Forwards: 70',
    'From: <sip:a@127.0.0.1>;tag=1',
    'To: <sip:pbx@127.0.0.1>',
    `Call-ID: ${branch}@test`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function tcp(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  return s;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('RFC 3261 §18.3: TCP messages are framed by Content-Length, split or coalesced', async (t) => {
  const { transport, received } = await started();
  t.teardown(() => transport.stop());
  const s = await tcp(transport.port);
  t.teardown(() => s.destroy());
  const two = options('a1') + options('a2');
  s.write(two.slice(0, 37));
  await new Promise((r) => setTimeout(r, 20));
  s.write(two.slice(37));
  await until(() => received.length === 2);
  t.deepEqual(
    received.map((r) => (r.msg.kind === 'request' ? r.msg.headers.get('call-id') : '')),
    ['a1@test', 'a2@test'],
  );
  t.is(received[0]!.source.transport, 'TCP');
  t.truthy(received[0]!.source.connectionId);
});

test('RFC 3261 §18.2.1: the transport adds received when the Via host is not the source', async (t) => {
  const { transport, received } = await started();
  t.teardown(() => transport.stop());
  const s = await tcp(transport.port);
  t.teardown(() => s.destroy());
  s.write(options('b1', '192.0.2.33:5060', ';rport'));
  await until(() => received.length === 1);
  const via = topVia(received[0]!.msg.headers)!;
  t.is(via.params.get('received'), '127.0.0.1');
  t.is(via.params.get('rport'), String(s.localPort));
});

test('RFC 5626 §4.4.1: a double-CRLF ping on TCP is answered with a single CRLF pong', async (t) => {
  const { transport } = await started();
  t.teardown(() => transport.stop());
  const s = await tcp(transport.port);
  t.teardown(() => s.destroy());
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  s.write('\r\n\r\n');
  await until(() => Buffer.concat(got).length >= 2);
  t.is(Buffer.concat(got).toString('latin1'), '\r\n');
});

test('issue 3: an idle TCP connection is closed after the idle timeout (injected clock)', async (t) => {
  const { transport, clock, closed } = await started({ tcpIdleTimeoutMs: 60_000 });
  t.teardown(() => transport.stop());
  const s = await tcp(transport.port);
  t.teardown(() => s.destroy());
  await until(() => transport.connectionCount() === 1);
  clock.advance(30_000);
  s.write('\r\n\r\n'); // traffic refreshes the idle timer
  await new Promise((r) => setTimeout(r, 30));
  clock.advance(45_000);
  t.is(transport.connectionCount(), 1, 'still open: traffic 45 s ago');
  s.on('error', () => {});
  s.resume(); // read, so the server's close is seen
  const ended = new Promise((r) => s.once('close', r));
  clock.advance(16_000);
  await ended;
  t.is(transport.connectionCount(), 0);
  t.is(closed.length, 1);
});

test('issue 3: connections beyond the bound are refused, the others keep working', async (t) => {
  const { transport, received } = await started({ maxConnections: 2 });
  t.teardown(() => transport.stop());
  const a = await tcp(transport.port);
  const b = await tcp(transport.port);
  t.teardown(() => {
    a.destroy();
    b.destroy();
  });
  await until(() => transport.connectionCount() === 2);
  const c = connect(transport.port, '127.0.0.1');
  c.on('error', () => {});
  await new Promise((r) => c.once('close', r));
  t.is(transport.connectionCount(), 2);
  t.true(transport.stats.connectionsRefused >= 1);
  a.write(options('c1'));
  await until(() => received.length === 1);
  t.pass();
});

test('issue 3: a header section over the size limit closes that TCP connection only', async (t) => {
  const { transport, received } = await started();
  t.teardown(() => transport.stop());
  const bad = await tcp(transport.port);
  const good = await tcp(transport.port);
  t.teardown(() => good.destroy());
  bad.on('error', () => {}); // the server resets it: expected
  const closedBad = new Promise((r) => bad.once('close', r));
  bad.write(`OPTIONS sip:x@y SIP/2.0\r\nX-Filler: ${'x'.repeat(70_000)}\r\n`);
  await closedBad;
  good.write(options('d1'));
  await until(() => received.length === 1);
  t.is(transport.connectionCount(), 1);
});

test('RFC 3261 §18.1.1: an unparseable UDP request with a readable Via gets a 400 naming the problem', async (t) => {
  const { transport, received } = await started();
  t.teardown(() => transport.stop());
  const u = createSocket('udp4');
  t.teardown(() => u.close());
  await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
  const reply = once(u, 'message');
  const msg = options('e1').replace('Via: SIP/2.0/TCP 127.0.0.1:5099', `Via: SIP/2.0/UDP 127.0.0.1:${u.address().port}`).replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS');
  u.send(msg, transport.port, '127.0.0.1');
  const [data] = (await reply) as [Buffer];
  t.regex(data.toString('latin1'), /^SIP\/2\.0 400 [^\r]*CSeq/);
  t.is(received.length, 0);
  t.is(transport.stats.rejected, 1);
});
