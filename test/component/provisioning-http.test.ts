import test from 'ava';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../firmware/core/clock.ts';
import { ConfigStore } from '../../firmware/config/index.ts';
import { ProvisioningHandler } from '../../firmware/provisioning/index.ts';
import { silentLogs } from '../helpers/logs.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** The wiring the box's HTTP server does: the handler first, then its own pages, else 404. */
async function start(t: import('ava').ExecutionContext) {
  const clock = new FakeClock();
  const config = new ConfigStore(tmpDir(t), clock, silentLogs().get('config'));
  config.load();
  let port = 0;
  const handler = new ProvisioningHandler({
    config,
    clock,
    log: silentLogs().get('provisioning'),
    server: () => ({ sipHost: '127.0.0.1', sipPort: 5060, httpBase: `http://127.0.0.1:${port}`, ntpServer: 'fr.pool.ntp.org' }),
  });
  const server: Server = createServer((req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const r = handler.handle(req.method ?? 'GET', req.url ?? '/', req.headers['user-agent'], req.socket.remoteAddress ?? '');
    if (r) {
      res.writeHead(r.status, { 'Content-Type': r.contentType, ...r.headers });
      res.end(r.body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${port}`;
  return { config, base };
}

/** A GET with the path sent as is (fetch would resolve "..", "%2e%2e" before sending). */
function rawGet(base: string, path: string, ua: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers: { 'User-Agent': ua } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const AASTRA = 'Aastra6731i MAC:00-08-5D-23-74-29 V:3.3.1.4322-SIP';
const YEALINK = 'Yealink SIP-T46U 108.86.0.45 80:5e:c0:11:22:33';

test('HTTP: an Aastra 6731i and a Yealink T46U boot: 601 then 602, each in its own format', async (t) => {
  const { base, config } = await start(t);
  const common = await fetch(`${base}/aastra.cfg`, { headers: { 'User-Agent': AASTRA } });
  t.is(common.status, 200);
  t.regex(await common.text(), /^language 1: lang_fr.txt$/m);

  const a = await fetch(`${base}/00085D237429.cfg`, { headers: { 'User-Agent': AASTRA } });
  t.is(a.status, 200);
  t.is(a.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.is(a.headers.get('cache-control'), 'no-store');
  const aText = await a.text();
  const aPhone = config.get().phones.find((p) => p.mac === '00:08:5d:23:74:29')!;
  t.is(aPhone.internalNumber, '601');
  t.true(aText.split('\n').includes(`sip line1 password: ${aPhone.sip.password}`));
  t.true(aText.split('\n').includes('sip line1 auth name: 601'));
  t.true(aText.split('\n').includes(`directory script: ${base}/phonebook/aastra.xml`));

  const y = await fetch(`${base}/805ec0112233.cfg`, { headers: { 'User-Agent': YEALINK } });
  t.is(y.status, 200);
  const yText = await y.text();
  t.is(yText.split('\n')[0], '#!version:1.0.0.1');
  t.true(yText.split('\n').includes('account.1.user_name = 602'));
  t.is(config.get().phones.find((p) => p.mac === '80:5e:c0:11:22:33')!.internalNumber, '602');

  const again = await fetch(`${base}/00085D237429.cfg`, { headers: { 'User-Agent': AASTRA } });
  t.is(await again.text(), aText);
  t.is(config.get().phones.length, 2);

  const book = await fetch(`${base}/phonebook/yealink.xml`, { headers: { 'User-Agent': YEALINK } });
  t.is(book.headers.get('content-type'), 'text/xml; charset=utf-8');
  t.regex(await book.text(), /<Name>Poste 601<\/Name>\n<Telephone>601<\/Telephone>/);
});

test('HTTP: malformed, traversal, foreign MAC and other methods never get a phone file', async (t) => {
  const { base, config } = await start(t);
  t.is((await fetch(`${base}/00085D237429.cfg`, { headers: { 'User-Agent': AASTRA } })).status, 200);
  const password = config.get().phones[0]!.sip.password;
  for (const path of ['/00085D23742.cfg', '/00085D23742Z.cfg', '/%2e%2e/00085D237429.cfg', '/00085D237429.cfg?a=b', '/phonebook/../00085D237429.cfg']) {
    const r = await rawGet(base, path, AASTRA);
    t.is(r.status, 404, path);
    t.false(r.body.includes(password), path);
  }
  const foreign = await fetch(`${base}/00085D237429.cfg`, { headers: { 'User-Agent': 'Aastra6731i MAC:00-08-5D-00-00-01 V:3.3.1.4322-SIP' } });
  t.is(foreign.status, 404);
  const post = await fetch(`${base}/00085D237429.cfg`, { method: 'POST', headers: { 'User-Agent': AASTRA }, body: 'x' });
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'GET');
  t.false((await post.text()).includes(password));
  t.is((await fetch(`${base}/healthz`)).status, 404, 'not ours: the server answered');
  t.is(config.get().phones.length, 1);
});
