/**
 * WEB-7, the mobile application: the commands (enable, show, list, revoke),
 * the one-time Linphone provisioning link, and the registrar side (the mobile
 * account authenticates with its own credentials, binds as a contact of its
 * phone, and is dropped at once on revocation).
 */
import test, { type ExecutionContext } from 'ava';
import QRCode from 'qrcode';
import { FakeClock } from '../../firmware/core/clock.ts';
import { EventBus } from '../../firmware/core/events.ts';
import { ConfigStore, configSchema } from '../../firmware/config/index.ts';
import { CommandRegistry } from '../../firmware/api/index.ts';
import { MobileApp, TOKEN_LIFETIME_MS, type MobileAccountView } from '../../firmware/pbx/mobile-app.ts';
import { Registrar } from '../../firmware/pbx/registrar/registrar.ts';
import type { PbxEvents } from '../../firmware/pbx/events.ts';
import type { SipRequest } from '../../firmware/sip/message/index.ts';
import { ProvisioningHandler } from '../../firmware/provisioning/index.ts';
import { makePhone } from '../helpers/config.ts';
import { captureLogs } from '../helpers/logs.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { parseRequest } from '../fixtures/sip/dialog-messages.ts';

const SERVER = { sipHost: '192.168.1.1', sipPort: 5060, httpBase: 'http://192.168.1.1:8080' };
const ADMIN = { role: 'admin' as const };

function setup(t: ExecutionContext) {
  const dir = tmpDir(t);
  const clock = new FakeClock();
  const { logs, records } = captureLogs('debug');
  const config = new ConfigStore(dir, clock, logs.get('config'));
  config.load();
  const r = config.update((c) => {
    c.phones = [makePhone(1, { firstName: 'Alice', lastName: 'Martin' }), makePhone(2)];
  });
  if (!r.ok) throw r.error;
  const events = new EventBus<PbxEvents>();
  const seen: string[] = [];
  events.on('phone.registered', (e) => void seen.push(`registered ${e.internalNumber}`));
  events.on('phone.unregistered', (e) => void seen.push(`unregistered ${e.internalNumber} ${e.reason}`));
  const registrar = new Registrar(config.get(), clock, events, logs.get('registrar'));
  config.onChange((changed, c) => {
    if (changed.includes('phones') || changed.includes('sip')) registrar.reconfigure(c);
  });
  const mobile = new MobileApp({
    config,
    clock,
    log: logs.get('mobile'),
    server: () => SERVER,
    mobileContacts: (mac) => registrar.mobileContactsOf(mac).length,
    dropBindings: (mac) => void registrar.dropMobile(mac),
  });
  const registry = new CommandRegistry();
  mobile.register(registry);
  const handler = new ProvisioningHandler({
    config,
    clock,
    log: logs.get('provisioning'),
    server: () => ({ ...SERVER, ntpServer: 'fr.pool.ntp.org' }),
    mobileFile: (token, remote) => mobile.provisioningFile(token, remote),
  });
  const invoke = async <T>(name: string, args: unknown): Promise<T> => {
    const out = await registry.invoke(name, args, ADMIN);
    if (!out.ok) throw new Error(`${name}: ${out.code} ${out.message}`);
    return out.result as T;
  };
  return { clock, config, registrar, mobile, registry, handler, invoke, records, seen };
}

function register(user: string, contact: string, opts: { callId?: string; cseq?: number; expires?: number; contactHeader?: string } = {}): SipRequest {
  return parseRequest([
    'REGISTER sip:192.168.1.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.50:5062;branch=z9hG4bK-' + Math.random().toString(36).slice(2),
    'Max-Forwards: 70',
    `From: <sip:${user}@192.168.1.1>;tag=abc`,
    `To: <sip:${user}@192.168.1.1>`,
    `Call-ID: ${opts.callId ?? `reg-${user}`}`,
    `CSeq: ${opts.cseq ?? 1} REGISTER`,
    `Contact: ${opts.contactHeader ?? `<${contact}>`}`,
    `Expires: ${opts.expires ?? 600}`,
  ]);
}

function doRegister(registrar: Registrar, authUser: string, req: SipRequest): number {
  let status = 0;
  registrar.handleRegister({ request: req, authUser, source: { transport: 'udp', host: '192.168.1.50', port: 5062 }, respond: (s) => void (status = s) });
  return status;
}

/** Dark modules of an SVG drawn by qrcode's svg renderer (one horizontal stroke per run of dark modules). */
function svgModules(svg: string, margin: number): Set<string> {
  const d = /<path stroke="[^"]*" d="([^"]*)"/.exec(svg)?.[1] ?? '';
  const dark = new Set<string>();
  let x = 0;
  let y = 0;
  for (const m of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    const a = Number(m[2]);
    if (m[1] === 'M') {
      x = a;
      y = Number(m[3]);
    } else if (m[1] === 'm') {
      x += a;
      y += Number(m[3] ?? 0);
    } else {
      for (let i = 0; i < a; i++) dark.add(`${x + i - margin},${Math.floor(y) - margin}`);
      x += a;
    }
  }
  return dark;
}

test('WEB-7: mobile enable creates a separate SIP account (own username <internal>m, strong random password), distinct per phone and schema-valid', async (t) => {
  const { invoke, config } = setup(t);
  const a = await invoke<MobileAccountView>('mobile enable', { phone: '601' });
  const b = await invoke<MobileAccountView>('mobile enable', { phone: '00-08-5D-00-00-02' });
  t.is(a.username, '601m');
  t.is(b.username, '602m');
  t.is(a.internalNumber, '601');
  t.not(a.password, b.password);
  t.true(a.password.length >= 24, 'at least 144 random bits');
  t.regex(a.password, /^[A-Za-z0-9_-]+$/);
  const p = config.get().phones[0]!;
  t.like(p.mobile, { username: '601m', password: a.password });
  t.not(p.mobile!.password, p.sip.password, 'not the desk set password');
  t.true(configSchema.safeParse(config.get()).success);
});

test('WEB-7: a mobile username already taken by another account gets a suffix; unknown phones are E_NOT_FOUND', async (t) => {
  const { config, registry, invoke } = setup(t);
  const r = config.update((c) => {
    c.phones[1]!.sip.username = '601m';
  });
  t.true(r.ok);
  const a = await invoke<MobileAccountView>('mobile enable', { phone: '601' });
  t.is(a.username, '601m2');
  t.like(await registry.invoke('mobile enable', { phone: '699' }, ADMIN), { ok: false, code: 'E_NOT_FOUND' });
  t.like(await registry.invoke('mobile show', { phone: '602' }, ADMIN), { ok: false, code: 'E_NOT_FOUND' });
  t.like(await registry.invoke('mobile list', {}, { role: 'user', phone: '00:08:5d:00:00:01' }), { ok: false }, 'admin and technician only');
});

test('WEB-7: mobile enable on an enabled phone is E_CONFLICT and changes nothing', async (t) => {
  const { registry, invoke, config } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  const before = config.get().phones[0]!.mobile;
  t.like(await registry.invoke('mobile enable', { phone: '601' }, ADMIN), { ok: false, code: 'E_CONFLICT' });
  t.deepEqual(config.get().phones[0]!.mobile, before);
});

test('WEB-7: mobile show gives the plain credentials, server and a QR code (SVG) of the one-time Linphone provisioning URL', async (t) => {
  const { invoke } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  const s = await invoke<MobileAccountView>('mobile show', { phone: '601' });
  t.like(s, { username: '601m', domain: '192.168.1.1', server: '192.168.1.1', port: 5060, transport: 'udp', realm: 'pbxgate' });
  t.regex(s.provisioningUrl, /^http:\/\/192\.168\.1\.1:8080\/mobile\/[A-Za-z0-9_-]{22}\.xml$/);
  t.is(s.qrText, s.provisioningUrl);
  t.regex(s.qrSvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  // The SVG's modules are exactly those of the URL's QR code (same error correction).
  const qr = QRCode.create(s.qrText, { errorCorrectionLevel: 'M' });
  const expected = new Set<string>();
  for (let i = 0; i < qr.modules.data.length; i++) if (qr.modules.data[i]) expected.add(`${i % qr.modules.size},${Math.floor(i / qr.modules.size)}`);
  t.deepEqual(svgModules(s.qrSvg, 2), expected);
  // Shown again (the page reloaded): the same live link, not a new one.
  const again = await invoke<MobileAccountView>('mobile show', { phone: '00:08:5d:00:00:01' });
  t.is(again.provisioningUrl, s.provisioningUrl);
  t.is(again.password, s.password);
});

test('WEB-7: the provisioning link serves a Linphone XML config once (a second fetch is 404)', async (t) => {
  const { invoke, handler, mobile } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  const s = await invoke<MobileAccountView>('mobile show', { phone: '601' });
  const path = new URL(s.provisioningUrl).pathname;
  const first = handler.handle('GET', path, 'Linphone/5.2 (Android)', '192.168.1.60')!;
  t.is(first.status, 200);
  t.regex(first.contentType, /xml/);
  t.is(first.headers['Cache-Control'], 'no-store');
  t.true(first.body.includes('<config xmlns="http://www.linphone.org/xsds/lpconfig.xsd"'));
  t.true(first.body.includes('<entry name="reg_proxy" overwrite="true">&lt;sip:192.168.1.1:5060;transport=udp&gt;</entry>'));
  t.true(first.body.includes('&lt;sip:601m@192.168.1.1&gt;'));
  t.true(first.body.includes('"Alice Martin"') || first.body.includes('&quot;Alice Martin&quot;'));
  t.true(first.body.includes(`<entry name="passwd" overwrite="true">${s.password}</entry>`));
  t.true(first.body.includes('<entry name="username" overwrite="true">601m</entry>'));
  t.true(first.body.includes('<entry name="transient_provisioning" overwrite="true">1</entry>'));
  t.is(handler.handle('GET', path, 'Linphone/5.2 (Android)', '192.168.1.60')!.status, 404, 'single use');
  t.is(mobile.liveTokens(), 0);
  // A new show makes a new link.
  const next = await invoke<MobileAccountView>('mobile show', { phone: '601' });
  t.not(next.provisioningUrl, s.provisioningUrl);
  // Guessed or malformed tokens: 404; from outside the LAN: 404.
  t.is(handler.handle('GET', '/mobile/AAAAAAAAAAAAAAAAAAAAAA.xml', undefined, '192.168.1.60')!.status, 404);
  t.is(handler.handle('GET', '/mobile/../config.json', undefined, '192.168.1.60')!.status, 404);
  t.is(handler.handle('GET', new URL(next.provisioningUrl).pathname, undefined, '203.0.113.9')!.status, 404);
  t.is(handler.handle('GET', new URL(next.provisioningUrl).pathname, undefined, '192.168.1.60')!.status, 200, 'the refused outside fetch did not use it');
});

test('WEB-7: the provisioning link expires after 24 h (fake clock); a link with under an hour left is replaced on show', async (t) => {
  const { invoke, handler, clock } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  const s = await invoke<MobileAccountView>('mobile show', { phone: '601' });
  t.is(Date.parse(s.provisioningExpiresAt) - clock.now(), TOKEN_LIFETIME_MS);
  clock.advance(TOKEN_LIFETIME_MS - 1000);
  const late = await invoke<MobileAccountView>('mobile show', { phone: '601' });
  t.not(late.provisioningUrl, s.provisioningUrl, 'under an hour left: a fresh link');
  t.is(handler.handle('GET', new URL(s.provisioningUrl).pathname, undefined, '192.168.1.60')!.status, 404, 'the replaced link is dead');
  clock.advance(TOKEN_LIFETIME_MS);
  t.is(handler.handle('GET', new URL(late.provisioningUrl).pathname, undefined, '192.168.1.60')!.status, 404, 'expired');
});

test('WEB-7: mobile revoke needs confirmation, removes the account and kills its provisioning link', async (t) => {
  const { invoke, registry, handler, config } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  const s = await invoke<MobileAccountView>('mobile show', { phone: '601' });
  t.like(await registry.invoke('mobile revoke', { phone: '601' }, ADMIN), { ok: false, code: 'E_CONFIRMATION_REQUIRED' });
  t.truthy(config.get().phones[0]!.mobile);
  const out = await registry.invoke('mobile revoke', { phone: '601', confirm: true }, ADMIN);
  t.true(out.ok);
  t.is(config.get().phones[0]!.mobile, undefined);
  t.is(handler.handle('GET', new URL(s.provisioningUrl).pathname, undefined, '192.168.1.60')!.status, 404);
  t.like(await registry.invoke('mobile revoke', { phone: '601', confirm: true }, ADMIN), { ok: false, code: 'E_NOT_FOUND' });
  t.deepEqual(await invoke('mobile list', {}), []);
  // Enabled again: new password, the old one is gone.
  const again = await invoke<MobileAccountView>('mobile enable', { phone: '601' });
  t.not(again.password, s.password);
});

test('WEB-7: the mobile account authenticates with its own password and binds as a contact of its phone (calls fork to desk set and mobile)', async (t) => {
  const { invoke, registrar, seen } = setup(t);
  const a = await invoke<MobileAccountView>('mobile enable', { phone: '601' });
  const desk = makePhone(1);
  t.is(registrar.passwordOf('601m'), a.password);
  t.is(registrar.passwordOf(desk.sip.username), desk.sip.password);
  t.is(registrar.phoneUsernameOf('601m'), desk.sip.username, 'calls from the mobile are calls of the phone');
  t.is(registrar.phoneUsernameOf(desk.sip.username), desk.sip.username);
  t.like(registrar.accountOf('601m'), { kind: 'mobile' });

  t.is(doRegister(registrar, desk.sip.username, register(desk.sip.username, 'sip:phone1@192.168.1.50:5062')), 200);
  t.is(doRegister(registrar, '601m', register('601m', 'sip:601m@192.168.1.70:40000')), 200);
  t.is(doRegister(registrar, '601m', register('601', 'sip:601m@192.168.1.70:40001', { callId: 'other' })), 200, 'the internal number is its AOR too');
  t.is(doRegister(registrar, '601m', register('602', 'sip:x@192.168.1.70:40000', { callId: 'x' })), 403, "another phone's AOR");
  t.deepEqual(
    registrar.contactsOf(desk.mac).map((b) => b.contact),
    ['sip:phone1@192.168.1.50:5062', 'sip:601m@192.168.1.70:40000', 'sip:601m@192.168.1.70:40001'],
  );
  t.is(registrar.mobileContactsOf(desk.mac).length, 2);
  t.like(await invoke<Array<{ registered: boolean }>>('mobile list', {}), [{ internalNumber: '601', username: '601m', registered: true, contacts: 2 }]);
  // The mobile's Contact: * removes its own bindings only, never the desk set's.
  t.is(doRegister(registrar, '601m', register('601m', '', { contactHeader: '*', expires: 0, cseq: 2 })), 200);
  t.deepEqual(registrar.contactsOf(desk.mac).map((b) => b.contact), ['sip:phone1@192.168.1.50:5062']);
  t.is(registrar.mobileContactsOf(desk.mac).length, 0);
  t.deepEqual(seen, ['registered 601'], 'one phone-level registration event');
});

test('WEB-7: revocation drops the mobile bindings at once; its credentials are unknown from then on; the desk set stays registered', async (t) => {
  const { invoke, registry, registrar, seen } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  const desk = makePhone(1);
  t.is(doRegister(registrar, desk.sip.username, register(desk.sip.username, 'sip:phone1@192.168.1.50:5062')), 200);
  t.is(doRegister(registrar, '601m', register('601m', 'sip:601m@192.168.1.70:40000')), 200);
  t.true((await registry.invoke('mobile revoke', { phone: '601', confirm: true }, ADMIN)).ok);
  t.deepEqual(registrar.contactsOf(desk.mac).map((b) => b.contact), ['sip:phone1@192.168.1.50:5062']);
  t.is(registrar.mobileContactsOf(desk.mac).length, 0);
  t.is(registrar.passwordOf('601m'), undefined, 'the digest check treats it as an unknown user (401)');
  t.is(registrar.accountOf('601m'), undefined);
  t.is(doRegister(registrar, '601m', register('601m', 'sip:601m@192.168.1.70:40000', { cseq: 3 })), 403);
  t.deepEqual(seen, ['registered 601'], 'the phone is still registered (desk set)');
  // A phone whose only binding was its mobile is unregistered by the revocation.
  await invoke('mobile enable', { phone: '602' });
  t.is(doRegister(registrar, '602m', register('602m', 'sip:602m@192.168.1.71:40000')), 200);
  t.true((await registry.invoke('mobile revoke', { phone: '602', confirm: true }, ADMIN)).ok);
  t.deepEqual(seen, ['registered 601', 'registered 602', 'unregistered 602 removed']);
});

test('WEB-7: mobile bindings expire like any other (sweep), and mobile list shows it unregistered', async (t) => {
  const { invoke, registrar, clock } = setup(t);
  await invoke('mobile enable', { phone: '601' });
  t.is(doRegister(registrar, '601m', register('601m', 'sip:601m@192.168.1.70:40000', { expires: 120 })), 200);
  clock.advance(121_000);
  registrar.sweep();
  t.like(await invoke<Array<{ registered: boolean }>>('mobile list', {}), [{ registered: false, contacts: 0 }]);
});
