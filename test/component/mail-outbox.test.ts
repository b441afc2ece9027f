import test from 'ava';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { FakeClock, LogRegistry, type ServiceContext } from '../../firmware/core/index.ts';
import { MailService, buildVoicemailMail, type SmtpSettings } from '../../firmware/mail/index.ts';

/*
 * The mail service against a real SMTP server (npm smtp-server) on
 * 127.0.0.1, through nodemailer's real transport (the default factory).
 * Back-off delays run on a FakeClock; only the network is real.
 */

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

interface Received {
  raw: Buffer;
  from: string | undefined;
  to: string[];
  user: string | undefined;
}

const ctx: ServiceContext = { signal: new AbortController().signal, fail: () => {} };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

class TestSmtp {
  readonly received: Received[] = [];
  private server: SMTPServer | undefined;
  constructor(
    readonly port: number,
    private readonly extra: Partial<SMTPServerOptions> = {},
  ) {}
  async up(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.received.push({
            raw: Buffer.concat(chunks),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
          });
          cb();
        });
      },
      ...this.extra,
    });
    await new Promise<void>((resolve, reject) => {
      server.on('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

async function until(cond: () => boolean, what: string, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(port: number, smtpOverrides: Partial<SmtpSettings> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pbxgate-mail-'));
  const lines: Line[] = [];
  const log = new LogRegistry({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } }).get('mail');
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 13, 5, 0));
  let smtp: SmtpSettings = { host: '127.0.0.1', port, secure: false, user: '', password: '', from: 'standard@pbx.example.fr', ...smtpOverrides };
  let watcher: (() => void) | undefined;
  const services: MailService[] = [];
  const make = () => {
    const svc = new MailService({
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
    });
    services.push(svc);
    return svc;
  };
  return {
    dataDir,
    lines,
    clock,
    make,
    setSmtp: (s: Partial<SmtpSettings>) => {
      smtp = { ...smtp, ...s };
      watcher?.();
    },
    cleanup: async () => {
      for (const s of services) await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A valid 8 kHz 16-bit mono WAV of random samples (so any byte damage shows). */
function makeWav(path: string, seconds: number): Buffer {
  const data = randomBytes(8000 * 2 * seconds);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  const wav = Buffer.concat([h, data]);
  writeFileSync(path, wav);
  return wav;
}

// --- minimal MIME reading: enough for what nodemailer writes ---

interface Part {
  headers: Map<string, string>;
  body: Buffer;
  parts: Part[];
}

function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}

function decodeQp(s: string): Buffer {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'latin1'));
  }
  return Buffer.from(bytes);
}

function parseMime(raw: Buffer): Part {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const bodyText = text.slice(split + 4);
  const ct = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
  if (ct.toLowerCase().startsWith('multipart/') && boundary) {
    const pieces = bodyText.split(`--${boundary}`).slice(1);
    const parts = pieces.filter((p) => !p.startsWith('--')).map((p) => parseMime(Buffer.from(p.replace(/^\r\n/, '').replace(/\r\n$/, ''), 'latin1')));
    return { headers, body: Buffer.alloc(0), parts };
  }
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body = cte === 'base64' ? Buffer.from(bodyText.replace(/\s+/g, ''), 'base64') : cte === 'quoted-printable' ? decodeQp(bodyText) : Buffer.from(bodyText, 'latin1');
  return { headers, body, parts: [] };
}

function leaves(p: Part): Part[] {
  return p.parts.length ? p.parts.flatMap(leaves) : [p];
}

// --- tests ---

test('a voicemail e-mail is delivered with its WAV attachment intact; the WAV stays', async (t) => {
  const port = await freePort();
  const smtp = new TestSmtp(port);
  await smtp.up();
  const s = setup(port);
  const vmDir = join(s.dataDir, 'voicemail', '401');
  mkdirSync(vmDir, { recursive: true });
  const wavPath = join(vmDir, 'msg-0001.wav');
  const wav = makeWav(wavPath, 3);
  const svc = s.make();
  await svc.start(ctx);
  svc.enqueue(buildVoicemailMail({ mailbox: '401', caller: '0612345678', durationSeconds: 23, receivedAt: s.clock.now(), wavPath, messageId: 'msg-0001' }, 'alice@example.fr', 'Europe/Paris'));
  await until(() => svc.status().sent === 1, 'delivery');
  t.is(smtp.received.length, 1);
  const got = smtp.received[0]!;
  t.is(got.from, 'standard@pbx.example.fr');
  t.deepEqual(got.to, ['alice@example.fr']);
  const msg = parseMime(got.raw);
  t.is(decodeWords(msg.headers.get('subject')!), 'Nouveau message vocal de 0612345678 pour le 401, durée 0:23, reçu le 27/11/2026 à 14:05');
  t.regex(msg.headers.get('content-type')!, /^multipart\/mixed/);
  const parts = leaves(msg);
  const textPart = parts.find((p) => /^text\/plain/.test(p.headers.get('content-type') ?? ''))!;
  t.true(textPart.body.toString('utf8').includes('New voicemail message from 0612345678 for 401'));
  const att = parts.find((p) => /attachment/.test(p.headers.get('content-disposition') ?? ''))!;
  t.regex(att.headers.get('content-type')!, /^audio\/wav/);
  t.regex(att.headers.get('content-disposition')!, /filename="?message-20261127-1405-0612345678\.wav"?/);
  t.true(att.body.equals(wav), 'attachment bytes equal the WAV file');
  t.true(existsSync(wavPath));
  t.true(readFileSync(wavPath).equals(wav));
  t.is(svc.outbox.stats().jobs, 0);
  t.true(s.lines.some((l) => l.msg === 'mail: e-mail delivered' && String(l['response']).startsWith('250')));
  await s.cleanup();
  await smtp.down();
});

test('server down: retried with back-off, delivered when it comes up, nothing lost', async (t) => {
  const port = await freePort();
  const smtp = new TestSmtp(port);
  const s = setup(port);
  const svc = s.make();
  await svc.start(ctx);
  for (const n of ['a', 'b', 'c']) svc.enqueue({ to: `${n}@example.fr`, subject: `message ${n}`, text: 'x' });
  await until(() => svc.status().failures === 1, 'first failure');
  t.is(svc.status().nextRetryInSeconds, 60);
  s.clock.advance(60_000);
  await until(() => svc.status().failures === 2, 'second failure');
  t.is(svc.status().nextRetryInSeconds, 120);
  s.clock.advance(119_000);
  await new Promise((r) => setTimeout(r, 50));
  t.is(svc.status().failures, 2, 'no attempt before the back-off ends');
  const warns = s.lines.filter((l) => l.level === 40 && l.msg.startsWith('mail: delivery failed'));
  t.is(warns.length, 2);
  t.regex(warns[0]!.msg, /ECONNREFUSED/);
  t.like(svc.status(), { state: 'failing', queued: 3, sent: 0 });
  await smtp.up();
  s.clock.advance(1_000);
  await until(() => svc.status().sent === 3, 'delivery of all three');
  t.deepEqual(
    smtp.received.map((r) => r.to[0]),
    ['a@example.fr', 'b@example.fr', 'c@example.fr'],
  );
  t.like(svc.status(), { state: 'idle', failing: false, queued: 0 });
  t.true(s.lines.some((l) => l.msg === 'mail: server reachable again'));
  await s.cleanup();
  await smtp.down();
});

test('authentication failure is logged with the SMTP reason; fixing the password delivers at once', async (t) => {
  const port = await freePort();
  const smtp = new TestSmtp(port, {
    authOptional: false,
    onAuth: (auth, _session, cb) => {
      if (auth.username === 'pbx' && auth.password === 'good') cb(null, { user: 'pbx' });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
  });
  await smtp.up();
  const s = setup(port, { user: 'pbx', password: 'bad' });
  const svc = s.make();
  await svc.start(ctx);
  svc.enqueue({ to: 'a@example.fr', subject: 'vm', text: 'x' });
  await until(() => svc.status().failing, 'auth failure');
  const warn = s.lines.find((l) => l.level === 40 && l.msg.startsWith('mail: delivery failed'))!;
  t.like(warn, { code: 'EAUTH', responseCode: 535 });
  t.regex(warn.msg, /535 Authentication credentials invalid/);
  t.false(JSON.stringify(s.lines).includes('"bad"'), 'the password is never logged');
  t.regex(svc.status().lastError!, /535/);
  s.setSmtp({ password: 'good' });
  await until(() => svc.status().sent === 1, 'delivery after the fix');
  t.is(smtp.received[0]!.user, 'pbx');
  await s.cleanup();
  await smtp.down();
});

test('a recipient refused with 550 is kept as refused; the next e-mail still goes', async (t) => {
  const port = await freePort();
  const smtp = new TestSmtp(port, {
    onRcptTo: (addr, _session, cb) => {
      if (addr.address === 'nobody@example.fr') cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      else cb();
    },
  });
  await smtp.up();
  const s = setup(port);
  const svc = s.make();
  await svc.start(ctx);
  svc.enqueue({ to: 'nobody@example.fr', subject: 'vm', text: 'x' });
  svc.enqueue({ to: 'b@example.fr', subject: 'vm2', text: 'x' });
  await until(() => svc.status().sent === 1, 'the second e-mail');
  t.like(svc.status(), { refused: 1, queued: 0, failing: false });
  const err = s.lines.find((l) => l.level === 50 && l.msg.startsWith('mail: e-mail refused'))!;
  t.like(err, { to: 'nobody@example.fr', responseCode: 550 });
  t.regex(err.msg, /550 No such user here/);
  t.is(svc.outbox.list()[0]!.state, 'failed');
  await s.cleanup();
  await smtp.down();
});

test('a restart with queued e-mails delivers them', async (t) => {
  const port = await freePort();
  const smtp = new TestSmtp(port);
  const s = setup(port);
  const first = s.make();
  await first.start(ctx);
  for (const n of ['a', 'b']) first.enqueue({ to: `${n}@example.fr`, subject: `message ${n}`, text: 'x', attachments: [{ filename: 'n.txt', content: `note ${n}` }] });
  await until(() => first.status().failing, 'failure while the server is down');
  await first.stop();
  t.is(s.clock.pending(), 0, 'stop cancels the back-off timer');
  await smtp.up();
  const second = s.make();
  await second.start(ctx);
  await until(() => second.status().sent === 2, 'delivery after restart');
  t.deepEqual(smtp.received.map((r) => r.to[0]), ['a@example.fr', 'b@example.fr']);
  const att = leaves(parseMime(smtp.received[1]!.raw)).find((p) => /attachment/.test(p.headers.get('content-disposition') ?? ''))!;
  t.is(att.body.toString(), 'note b');
  t.is(second.outbox.stats().jobs, 0);
  await s.cleanup();
  await smtp.down();
});
