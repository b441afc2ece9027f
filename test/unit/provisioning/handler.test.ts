import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { FakeClock } from '../../../firmware/core/clock.ts';
import { ConfigStore, type Phone } from '../../../firmware/config/index.ts';
import { isLanAddress, ProvisioningHandler, type ProvisioningDeps, type ProvisioningServer } from '../../../firmware/provisioning/index.ts';
import { makePhone } from '../../helpers/config.ts';
import { captureLogs } from '../../helpers/logs.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const SERVER: ProvisioningServer = { sipHost: '192.168.1.1', sipPort: 5060, httpBase: 'http://192.168.1.1:8080', ntpServer: 'fr.pool.ntp.org' };
const LAN = '192.168.1.50';
const AASTRA = (mac: string) => `Aastra6731i MAC:${mac.toUpperCase().replace(/:/g, '-')} V:3.3.1.4322-SIP`;
const YEALINK = (mac: string) => `Yealink SIP-T46U 108.86.0.45 ${mac}`;
const hex = (mac: string) => mac.replace(/:/g, '');

function setup(t: ExecutionContext, extra: Partial<ProvisioningDeps> = {}) {
  const dir = tmpDir(t);
  const clock = new FakeClock();
  const { logs, records } = captureLogs('debug');
  const config = new ConfigStore(dir, clock, logs.get('config'));
  config.load();
  const created: Phone[] = [];
  const handler = new ProvisioningHandler({ config, clock, log: logs.get('provisioning'), server: () => SERVER, onPhoneCreated: (p) => void created.push(p), ...extra });
  const get = (url: string, ua?: string, remote = LAN) => handler.handle('GET', url, ua, remote);
  return { dir, clock, config, handler, get, records, created };
}

function value(body: string, key: string): string | undefined {
  return body.split('\n').find((l) => l.startsWith(`${key}: `) || l.startsWith(`${key} = `))?.replace(/^[^:=]+(: | = )/, '');
}

test('an Aastra 6731i fetches aastra.cfg then its <MAC>.cfg: a new phone gets 601, no name, a strong password (NUM-3, KEY-2, WEB-3)', (t) => {
  const { get, config, clock, created } = setup(t);
  const mac = '00:08:5d:23:74:29';
  const common = get('/aastra.cfg', AASTRA(mac))!;
  t.is(common.status, 200);
  t.is(value(common.body, 'sip registrar ip'), '192.168.1.1');
  const r = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac))!;
  t.is(r.status, 200);
  t.is(r.contentType, 'text/plain; charset=utf-8');
  t.is(r.headers['Cache-Control'], 'no-store');
  const p = config.get().phones.find((x) => x.mac === mac)!;
  t.like(p, { internalNumber: '601', firstName: '', lastName: '', model: 'Aastra 6731i', restrictionProfile: 1, presentedIdentity: 'main' });
  t.is(p.installedAt, new Date(clock.now()).toISOString());
  t.regex(p.sip.password, /^[A-Za-z0-9_-]{16,}$/);
  t.is(value(r.body, 'sip line1 user name'), '601');
  t.is(value(r.body, 'sip line1 auth name'), p.sip.username);
  t.is(value(r.body, 'sip line1 password'), p.sip.password);
  t.is(value(r.body, 'sip line1 screen name'), '"601"');
  t.is(created.length, 1);
});

test('the next new phone gets 602; the same MAC again gets the same file and no new number', (t) => {
  const { get, config } = setup(t);
  const a = '00:08:5d:00:00:0a';
  const b = '80:5e:c0:00:00:0b';
  const first = get(`/${hex(a).toUpperCase()}.cfg`, AASTRA(a))!;
  const second = get(`/${hex(b)}.cfg`, YEALINK(b))!;
  t.is(second.status, 200);
  t.deepEqual(config.get().phones.map((p) => [p.mac, p.internalNumber, p.model]), [
    [a, '601', 'Aastra 6731i'],
    [b, '602', 'Yealink T46U'],
  ]);
  t.is(get(`/${hex(a).toUpperCase()}.cfg`, AASTRA(a))!.body, first.body);
  t.is(get(`/${hex(a)}.cfg`, AASTRA(a))!.body, first.body, 'lower-case MAC in the path: the same phone');
  t.is(config.get().phones.length, 2);
});

test('a Yealink T46U gets the Yealink format with its account, keys and phonebook', (t) => {
  const { get, config } = setup(t);
  const mac = '80:5e:c0:11:22:33';
  config.update((c) => {
    c.phones.push(makePhone(5, { mac, internalNumber: '605', sip: { username: '605', password: 'Yy-secret-12345' }, screenKeys: [{ position: 1, kind: 'supervision', target: '601', label: 'Accueil' }] }));
  });
  const r = get(`/${hex(mac)}.cfg`, YEALINK(mac))!;
  t.is(r.status, 200);
  t.is(r.body.split('\n')[0], '#!version:1.0.0.1');
  t.is(value(r.body, 'account.1.user_name'), '605');
  t.is(value(r.body, 'account.1.password'), 'Yy-secret-12345');
  t.is(value(r.body, 'linekey.2.type'), '16');
  t.is(value(r.body, 'linekey.2.label'), 'Accueil');
  t.is(value(r.body, 'remote_phonebook.data.1.url'), 'http://192.168.1.1:8080/phonebook/yealink.xml');
  const common = get('/y000000000108.cfg', YEALINK(mac))!;
  t.is(common.status, 200);
  t.notRegex(common.body, /password/);
});

test('NUM-9: the file follows the MAC, whatever the address or port the phone asks from', (t) => {
  const { get } = setup(t);
  const mac = '00:08:5d:00:00:0c';
  const here = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac), '192.168.1.50')!;
  const there = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac), '10.0.3.7')!;
  t.is(there.body, here.body);
});

test('the allocation survives a restart: a new store on the same directory serves the same number and password', (t) => {
  const { get, dir, config } = setup(t);
  const mac = '00:08:5d:00:00:0d';
  const before = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac))!.body;
  const again = new ConfigStore(dir, new FakeClock(), captureLogs().logs.get('config'));
  again.load();
  t.deepEqual(again.get().phones, config.get().phones);
  const h2 = new ProvisioningHandler({ config: again, clock: new FakeClock(), log: captureLogs().logs.get('p'), server: () => SERVER });
  t.is(h2.handle('GET', `/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac), LAN)!.body, before);
});

test('malformed MACs, traversal, junk queries and other files get 404 and create nothing', (t) => {
  const { get, config } = setup(t);
  const ua = AASTRA('00:08:5d:00:00:01');
  for (const url of [
    '/00085D00001.cfg',
    '/00085D0000011.cfg',
    '/00085D00000G.cfg',
    '/00-08-5D-00-00-01.cfg',
    '/../00085D000001.cfg',
    '/a/../00085D000001.cfg',
    '/%2e%2e/00085D000001.cfg',
    '/00085D000001.cfg?x=1',
    '/00085D000001.cfg/',
    '//00085D000001.cfg',
    '/6731i.cfg',
    '/startup.cfg',
    '/00085d000001.boot',
    `/${'A'.repeat(300)}.cfg`,
    '/phonebook/../aastra.cfg',
    '/phonebook/snom.xml',
    '/phonebook/aastra.xml?page=0',
    '/phonebook/aastra.xml?page=2',
    '/phonebook/aastra.xml?page=1&x=2',
    '/phonebook/yealink.xml?page=1',
    '/aastra.cfg?debug',
    '/lang_fr.txt',
    '/lang_..%2f..%2fetc%2fpasswd.txt',
  ]) {
    const r = get(url, ua);
    t.is(r?.status, 404, url);
    t.is(r?.body, 'not found\n', url);
  }
  t.is(config.get().phones.length, 0);
});

test('paths that are not provisioning files are left to the HTTP server (undefined)', (t) => {
  const { get } = setup(t);
  t.is(get('/healthz'), undefined);
  t.is(get('/'), undefined);
  t.is(get('/admin/index.html'), undefined);
  t.is(get('/lang_../../etc/passwd.txt'), undefined, 'not a file name of ours: the server answers its own 404');
});

test('other methods get 405 and nothing is created', (t) => {
  const { handler, config } = setup(t);
  const mac = '00:08:5d:00:00:01';
  for (const m of ['POST', 'PUT', 'DELETE', 'HEAD']) {
    const r = handler.handle(m, `/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac), LAN)!;
    t.is(r.status, 405, m);
    t.is(r.headers['Allow'], 'GET');
  }
  t.is(config.get().phones.length, 0);
});

test('never another phone\'s file: a phone announcing another MAC, or an unknown client, gets 404', (t) => {
  const { get, config } = setup(t);
  const victim = '00:08:5d:00:00:01';
  t.is(get(`/${hex(victim).toUpperCase()}.cfg`, AASTRA(victim))!.status, 200);
  const password = config.get().phones[0]!.sip.password;
  const spy = get(`/${hex(victim).toUpperCase()}.cfg`, AASTRA('00:08:5d:00:00:99'))!;
  t.is(spy.status, 404);
  t.false(spy.body.includes(password));
  t.is(get(`/${hex(victim)}.cfg`, 'curl/8.4.0')!.status, 404);
  t.is(get(`/${hex(victim)}.cfg`, undefined)!.status, 404);
  t.is(get('/00085D000002.cfg', 'curl/8.4.0')!.status, 404, 'an unknown client never creates a phone');
  t.is(config.get().phones.length, 1);
});

test('requests from outside the LAN get 404', (t) => {
  const { get, config } = setup(t);
  const mac = '00:08:5d:00:00:01';
  t.is(get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac), '203.0.113.9')!.status, 404);
  t.is(get('/aastra.cfg', AASTRA(mac), '8.8.8.8')!.status, 404);
  t.is(config.get().phones.length, 0);
  t.true(isLanAddress('127.0.0.1'));
  t.true(isLanAddress('::ffff:192.168.1.20'));
  t.true(isLanAddress('172.16.0.1'));
  t.true(isLanAddress('fd12:3456::1'));
  t.false(isLanAddress('172.32.0.1'));
  t.false(isLanAddress('2001:db8::1'));
});

test('rate limit: at most 10 new phones a minute, then 429; known phones are still served; a minute later creation resumes', (t) => {
  const { get, config, clock, records } = setup(t);
  const mac = (i: number) => `00:08:5d:00:01:${i.toString(16).padStart(2, '0')}`;
  for (let i = 0; i < 10; i++) t.is(get(`/${hex(mac(i)).toUpperCase()}.cfg`, AASTRA(mac(i)))!.status, 200);
  const limited = get(`/${hex(mac(10)).toUpperCase()}.cfg`, AASTRA(mac(10)))!;
  t.is(limited.status, 429);
  t.is(get(`/${hex(mac(11)).toUpperCase()}.cfg`, AASTRA(mac(11)))!.status, 429);
  t.is(records().filter((r) => /too many new phones/.test(r.msg ?? '')).length, 1, 'logged once, not once per request');
  t.is(get(`/${hex(mac(3)).toUpperCase()}.cfg`, AASTRA(mac(3)))!.status, 200);
  t.is(config.get().phones.length, 10);
  clock.advance(60_000);
  t.is(get(`/${hex(mac(10)).toUpperCase()}.cfg`, AASTRA(mac(10)))!.status, 200);
  t.is(config.get().phones.at(-1)!.internalNumber, '611');
});

test('601-620 all taken: 503 with a clear log line, nothing stored', (t) => {
  const { get, config, records } = setup(t, { maxNewPhonesPerMinute: 100 });
  config.update((c) => {
    for (let i = 1; i <= 20; i++) c.phones.push(makePhone(i));
  });
  const mac = '00:08:5d:00:02:01';
  const r = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac))!;
  t.is(r.status, 503);
  t.is(config.get().phones.length, 20);
  const line = records().find((x) => x.level === 50 && /cannot be created/.test(x.msg ?? ''));
  t.truthy(line);
  t.regex(line!.msg!, /no free internal number left in 601-620/);
});

test('numbers of removed phones are reused by the next new phone (first free number)', (t) => {
  const { get, config } = setup(t);
  const a = '00:08:5d:00:03:01';
  const b = '00:08:5d:00:03:02';
  get(`/${hex(a).toUpperCase()}.cfg`, AASTRA(a));
  get(`/${hex(b).toUpperCase()}.cfg`, AASTRA(b));
  config.update((c) => void (c.phones = c.phones.filter((p) => p.mac !== a)));
  const n = '00:08:5d:00:03:03';
  get(`/${hex(n).toUpperCase()}.cfg`, AASTRA(n));
  t.is(config.get().phones.find((p) => p.mac === n)!.internalNumber, '601');
});

test('a phone declared by hand (model unknown) gets its model from its first fetch; its number is kept', (t) => {
  const { get, config } = setup(t);
  const mac = '00:08:5d:00:04:01';
  config.update((c) => void c.phones.push(makePhone(7, { mac, model: 'unknown', internalNumber: '478', did: '0577110078', restrictionProfile: 10, forwardRestrictionProfile: 10 })));
  const r = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac))!;
  t.is(value(r.body, 'sip line1 screen name 2'), '"478"');
  t.like(config.get().phones[0], { model: 'Aastra 6731i', internalNumber: '478' });
});

test('every served file is logged with MAC, file and address; the password never appears in the logs', (t) => {
  const { get, config, records } = setup(t);
  const mac = '00:08:5d:00:05:01';
  get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac));
  const password = config.get().phones[0]!.sip.password;
  const served = records().find((r) => r.msg === 'provisioning: file served' && r['mac'] === mac);
  t.like(served, { file: '00085D000501.cfg', remote: LAN, internalNumber: '601' });
  t.false(JSON.stringify(records()).includes(password));
});

test('phonebooks: Aastra pages and Yealink, from the same store as the web directory', (t) => {
  const { get, config } = setup(t);
  config.update((c) => {
    c.directory = Array.from({ length: 31 }, (_, i) => ({ name: `Client ${i}`, number: `01456789${String(i).padStart(2, '0')}`, ...(i === 0 ? { speedDial: '700' } : {}) }));
  });
  const p1 = get('/phonebook/aastra.xml', 'Aastra6731i MAC:00-08-5D-00-00-01 V:3.3.1.4322-SIP')!;
  t.is(p1.status, 200);
  t.is(p1.contentType, 'text/xml; charset=utf-8');
  t.regex(p1.body, /next="http:\/\/192.168.1.1:8080\/phonebook\/aastra.xml\?page=2"/);
  t.regex(p1.body, /<Prompt>Client 0 \(700\)<\/Prompt>\n<URI>700<\/URI>/);
  const p2 = get('/phonebook/aastra.xml?page=2')!;
  t.is(p2.status, 200);
  t.regex(p2.body, /previous="http:\/\/192.168.1.1:8080\/phonebook\/aastra.xml"/);
  const y = get('/phonebook/yealink.xml')!;
  t.is(y.status, 200);
  t.is(y.body.match(/<DirectoryEntry>/g)!.length, 31);
});

test('the Aastra language pack is served from the assets directory when present, nothing else from it', (t) => {
  const assets = tmpDir(t);
  fs.writeFileSync(path.join(assets, 'lang_fr.txt'), 'language=Français\n');
  fs.writeFileSync(path.join(assets, 'lang_de.txt'), 'x\n');
  const { get } = setup(t, { assetsDir: assets });
  t.is(get('/lang_fr.txt')!.body, 'language=Français\n');
  t.is(get('/lang_de.txt')!.status, 404);
});

test('a record that cannot be written safely answers 500, not a broken or foreign file', (t) => {
  const { get, config } = setup(t);
  const mac = '00:08:5d:00:06:01';
  config.update((c) => void c.phones.push(makePhone(8, { mac, sip: { username: 'phone8', password: 'has space # and quote"' } })));
  const r = get(`/${hex(mac).toUpperCase()}.cfg`, AASTRA(mac))!;
  t.is(r.status, 500);
  t.false(r.body.includes('has space'));
});
