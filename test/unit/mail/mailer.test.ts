import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, LogRegistry, type ServiceContext } from '../../../firmware/core/index.ts';
import { CommandRegistry } from '../../../firmware/api/index.ts';
import { MailService, registerMailCommands, classify, type OutgoingMail, type SmtpSettings } from '../../../firmware/mail/index.ts';

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

type Outcome = 'ok' | { code?: string; command?: string; responseCode?: number; response?: string; message: string };

/** A transport that answers from a script; by default it accepts. */
class ScriptedTransport {
  readonly sent: OutgoingMail[] = [];
  readonly attempts: OutgoingMail[] = [];
  script: Array<Outcome> = [];
  fallback: Outcome = 'ok';
  perRecipient = new Map<string, Outcome>();
  created = 0;
  async send(m: OutgoingMail): Promise<{ response: string }> {
    this.attempts.push(m);
    const o = this.perRecipient.get(m.to) ?? this.script.shift() ?? this.fallback;
    if (o === 'ok') {
      this.sent.push(m);
      return { response: '250 OK queued' };
    }
    throw Object.assign(new Error(o.message), o);
  }
}

const refused: Outcome = { code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:2525' };

const ctx: ServiceContext = { signal: new AbortController().signal, fail: () => {} };

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function setup(host = 'smtp.example.fr') {
  const dataDir = mkdtempSync(join(tmpdir(), 'pbxgate-mailer-'));
  const lines: Line[] = [];
  const log = new LogRegistry({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } }).get('mail');
  const clock = new FakeClock();
  const transport = new ScriptedTransport();
  let smtp: SmtpSettings = { host, port: 587, secure: false, user: 'pbx@example.fr', password: 'secret', from: 'standard@example.fr' };
  let watcher: (() => void) | undefined;
  const make = () =>
    new MailService({
      dataDir,
      clock,
      log,
      config: () => smtp,
      watchConfig: (fn) => {
        watcher = fn;
        return () => {
          watcher = undefined;
        };
      },
      createTransport: () => {
        transport.created++;
        return { send: (m) => transport.send(m), close: () => {} };
      },
    });
  const setSmtp = (s: Partial<SmtpSettings>) => {
    smtp = { ...smtp, ...s };
    watcher?.();
  };
  return { dataDir, lines, clock, transport, make, setSmtp, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

test('delivers queued e-mails one at a time, oldest first, with the configured sender', async (t) => {
  const s = setup();
  const svc = s.make();
  svc.enqueue({ to: 'a@example.fr', subject: '1', text: 'x' });
  svc.enqueue({ to: 'b@example.fr', subject: '2', text: 'x', attachments: [{ filename: 'n.txt', content: 'hi' }] });
  await svc.start(ctx);
  await settle();
  t.deepEqual(s.transport.sent.map((m) => m.subject), ['1', '2']);
  t.is(s.transport.sent[0]!.from, 'standard@example.fr');
  t.is(s.transport.sent[1]!.attachments[0]!.content!.toString(), 'hi');
  const st = svc.status();
  t.like(st, { state: 'idle', queued: 0, sent: 2, failing: false, server: 'smtp.example.fr:587 as pbx@example.fr' });
  await svc.stop();
  t.is(s.clock.pending(), 0);
  s.cleanup();
});

test('server failures back off 1, 2, 4 ... minutes capped at 1 h, logged with the reason; nothing lost', async (t) => {
  const s = setup();
  const svc = s.make();
  await svc.start(ctx);
  s.transport.fallback = refused;
  svc.enqueue({ to: 'a@example.fr', subject: 'vm', text: 'x' });
  svc.enqueue({ to: 'b@example.fr', subject: 'vm2', text: 'x' });
  await settle();
  const delays: number[] = [];
  for (let i = 0; i < 9; i++) {
    const st = svc.status();
    t.true(st.failing);
    delays.push(st.nextRetryInSeconds!);
    s.clock.advance(st.nextRetryInSeconds! * 1000);
    await settle();
  }
  t.deepEqual(delays, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  t.is(s.transport.attempts.length, 10, 'one attempt per wake-up, the queue is held');
  const warns = s.lines.filter((l) => l.level === 40 && l.msg.startsWith('mail: delivery failed'));
  t.is(warns.length, 10);
  t.true(warns[0]!.msg.includes('ECONNREFUSED'));
  t.like(warns[0], { to: 'a@example.fr', retryInS: 60, code: 'ECONNECTION' });
  t.like(svc.status(), { queued: 2, sent: 0, lastError: 'connect ECONNREFUSED 127.0.0.1:2525 (ECONNECTION)' });
  // The server comes back.
  s.transport.fallback = 'ok';
  s.clock.advance(3600_000);
  await settle();
  t.deepEqual(s.transport.sent.map((m) => m.to), ['a@example.fr', 'b@example.fr']);
  t.like(svc.status(), { queued: 0, sent: 2, failing: false, state: 'idle' });
  await svc.stop();
  s.cleanup();
});

test('a change of the smtp settings retries at once with a new transport', async (t) => {
  const s = setup();
  const svc = s.make();
  await svc.start(ctx);
  s.transport.script = [{ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535, response: '535 5.7.8 Authentication credentials invalid', message: 'Invalid login' }];
  svc.enqueue({ to: 'a@example.fr', subject: 'vm', text: 'x' });
  await settle();
  t.like(svc.status(), { failing: true, lastError: '535 5.7.8 Authentication credentials invalid (AUTH PLAIN)', nextRetryInSeconds: 60 });
  const created = s.transport.created;
  s.setSmtp({ password: 'right' });
  await settle();
  t.is(s.transport.sent.length, 1);
  t.true(s.transport.created > created);
  t.like(svc.status(), { failing: false, sent: 1 });
  await svc.stop();
  s.cleanup();
});

test('a message refused with 5xx is kept as refused, retried every 6 h, and does not hold the others', async (t) => {
  const s = setup();
  const svc = s.make();
  await svc.start(ctx);
  s.transport.perRecipient.set('nobody@example.fr', { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, response: '550 5.1.1 No such user', message: 'Recipient command failed' });
  svc.enqueue({ to: 'nobody@example.fr', subject: 'vm', text: 'x' });
  svc.enqueue({ to: 'b@example.fr', subject: 'vm2', text: 'x' });
  await settle();
  t.deepEqual(s.transport.sent.map((m) => m.to), ['b@example.fr']);
  t.like(svc.status(), { refused: 1, queued: 0, failing: false, sent: 1 });
  t.is(svc.outbox.list()[0]!.state, 'failed');
  t.true(s.lines.some((l) => l.level === 50 && l.msg.includes('550 5.1.1 No such user')));
  s.clock.advance(6 * 3600_000 - 1);
  await settle();
  t.is(s.transport.attempts.filter((m) => m.to === 'nobody@example.fr').length, 1);
  s.clock.advance(1);
  await settle();
  t.is(s.transport.attempts.filter((m) => m.to === 'nobody@example.fr').length, 2);
  // The mailbox gets fixed on the server side: `mail retry` sends it now.
  s.transport.perRecipient.clear();
  const registry = new CommandRegistry();
  registerMailCommands(registry, svc);
  const r = await registry.invoke('mail retry', {}, { role: 'technician' });
  t.like(r, { ok: true, text: 'retrying 1 e-mail(s) now' });
  await settle();
  t.like(svc.status(), { refused: 0, queued: 0, sent: 2 });
  await svc.stop();
  s.cleanup();
});

test('no SMTP host: jobs wait and status says not configured', async (t) => {
  const s = setup('');
  const svc = s.make();
  await svc.start(ctx);
  svc.enqueue({ to: 'a@example.fr', subject: 'vm', text: 'x' });
  await settle();
  s.clock.advance(24 * 3600_000);
  await settle();
  t.is(s.transport.attempts.length, 0);
  t.like(svc.status(), { state: 'not configured', configured: false, queued: 1 });
  const registry = new CommandRegistry();
  registerMailCommands(registry, svc);
  const r = await registry.invoke('mail', {}, { role: 'admin' });
  t.true(r.ok && r.text.includes('server: not configured'));
  s.setSmtp({ host: 'smtp.example.fr' });
  await settle();
  t.is(s.transport.sent.length, 1);
  await svc.stop();
  s.cleanup();
});

test('commands: mail, mail test <address>, mail retry; roles technician and admin only', async (t) => {
  const s = setup();
  const svc = s.make();
  await svc.start(ctx);
  const registry = new CommandRegistry();
  registerMailCommands(registry, svc);
  t.deepEqual(registry.resolve(['mail', 'test', 'x@y.fr'])?.rest, ['x@y.fr']);
  const bad = await registry.invoke('mail test', { address: 'nope' }, { role: 'technician' });
  t.like(bad, { ok: false, code: 'E_BAD_ARGUMENTS' });
  const user = await registry.invoke('mail', {}, { role: 'user', phone: '00:08:5d:12:34:56' });
  t.like(user, { ok: false });
  const r = await registry.invoke('mail test', { address: 'tech@example.fr' }, { role: 'technician' });
  t.true(r.ok);
  await settle();
  t.is(s.transport.sent[0]!.to, 'tech@example.fr');
  t.regex(s.transport.sent[0]!.subject, /test/);
  const st = await registry.invoke('mail', {}, { role: 'admin' });
  t.true(st.ok);
  if (st.ok) {
    t.regex(st.text, /^server: smtp\.example\.fr:587 as pbx@example\.fr$/m);
    t.regex(st.text, /^sent since start: 1$/m);
    t.regex(st.text, /^failing: no$/m);
  }
  await svc.stop();
  s.cleanup();
});

test('classification of SMTP failures', (t) => {
  t.is(classify({ message: 'x', code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 }), 'message');
  t.is(classify({ message: 'x', code: 'EMESSAGE', command: 'DATA', responseCode: 552 }), 'message');
  t.is(classify({ message: 'x', code: 'ENOENT' }), 'message');
  t.is(classify({ message: 'x', code: 'EENVELOPE', command: 'RCPT TO', responseCode: 450 }), 'server');
  t.is(classify({ message: 'x', code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553 }), 'server');
  t.is(classify({ message: 'x', code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 }), 'server');
  t.is(classify({ message: 'x', code: 'ESOCKET' }), 'server');
  t.is(classify({ message: 'x', code: 'ETIMEDOUT', command: 'CONN' }), 'server');
});

test('a WAV gone from the voicemail store refuses that e-mail only, without connecting', async (t) => {
  const s = setup();
  const svc = s.make();
  await svc.start(ctx);
  svc.enqueue({ to: 'a@example.fr', subject: 'vm', text: 'x', attachments: [{ filename: 'm.wav', path: join(s.dataDir, 'gone.wav'), contentType: 'audio/wav' }] });
  svc.enqueue({ to: 'b@example.fr', subject: 'vm2', text: 'x' });
  await settle();
  t.deepEqual(s.transport.attempts.map((m) => m.to), ['b@example.fr']);
  t.like(svc.status(), { refused: 1, sent: 1, failing: false });
  t.regex(svc.outbox.list()[0]!.lastError!, /attachment m\.wav unreadable: .*gone\.wav \(ENOENT\)/);
  await svc.stop();
  s.cleanup();
});

test('stop during a send: a late success still removes the job, nothing is rescheduled', async (t) => {
  const s = setup();
  let release!: () => void;
  const svc = new MailService({
    dataDir: s.dataDir,
    clock: s.clock,
    log: new LogRegistry({ level: 'silent' }).get('mail'),
    config: () => ({ host: 'smtp.example.fr', port: 25, secure: false, user: '', password: '', from: 'x@example.fr' }),
    createTransport: () => ({ send: () => new Promise((r) => (release = () => r({ response: '250 ok' }))), close: () => {} }),
  });
  await svc.start(ctx);
  svc.enqueue({ to: 'a@example.fr', subject: 'vm', text: 'x' });
  await settle();
  t.is(svc.status().state, 'sending');
  await svc.stop();
  release();
  await settle();
  t.is(svc.outbox.stats().jobs, 0);
  t.is(s.clock.pending(), 0);
  t.is(svc.status().state, 'stopped');
  s.cleanup();
});
