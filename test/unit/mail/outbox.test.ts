import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, LogRegistry } from '../../../firmware/core/index.ts';
import { Outbox, type MailJobInput } from '../../../firmware/mail/index.ts';

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

function setup(limits: { maxJobs?: number; maxBytes?: number } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-outbox-'));
  const dir = join(root, 'outbox');
  const lines: Line[] = [];
  const log = new LogRegistry({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } }).get('mail');
  const clock = new FakeClock();
  const make = () => new Outbox({ dir, clock, log, ...limits });
  return { root, dir, lines, clock, make };
}

const wav = (root: string, name = 'msg.wav'): string => {
  const p = join(root, name);
  writeFileSync(p, Buffer.from('RIFF....WAVEfmt '));
  return p;
};

const mail = (to: string, extra: Partial<MailJobInput> = {}): MailJobInput => ({ to, subject: `pour ${to}`, text: 'bonjour', ...extra });

test('enqueue writes one job file that references the WAV by path', (t) => {
  const { root, dir, make } = setup();
  const p = wav(root);
  const box = make();
  const job = box.enqueue(mail('alice@example.fr', { attachments: [{ filename: 'm.wav', path: p, contentType: 'audio/wav' }], meta: { kind: 'voicemail', mailbox: '401' } }));
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  t.deepEqual(files, [`${job.id}.json`]);
  const stored = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
  t.deepEqual(stored.attachments, [{ filename: 'm.wav', path: p, contentType: 'audio/wav' }]);
  t.is(stored.state, 'queued');
  t.deepEqual(stored.meta, { kind: 'voicemail', mailbox: '401' });
  box.remove(job.id);
  t.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('.')), []);
  t.true(existsSync(p), 'the WAV belongs to voicemail and stays');
  rmSync(root, { recursive: true, force: true });
});

test('jobs survive a restart, in order, with their state', (t) => {
  const { root, make } = setup();
  const a = make();
  const j1 = a.enqueue(mail('a@example.fr'));
  const j2 = a.enqueue(mail('b@example.fr', { attachments: [{ filename: 'note.txt', content: 'héllo' }] }));
  const j3 = a.enqueue(mail('c@example.fr'));
  a.update(j2.id, { state: 'failed', attempts: 1, lastError: '550 no such user (RCPT TO)' });
  a.update(j2.id, { attempts: 2 });
  a.remove(j1.id);
  const b = make();
  t.deepEqual(b.load(), { loaded: 2, setAside: 0 });
  const list = b.list();
  t.deepEqual(list.map((j) => j.id), [j2.id, j3.id]);
  t.is(list[0]!.state, 'failed');
  t.is(list[0]!.attempts, 2);
  t.is(list[0]!.lastError, '550 no such user (RCPT TO)');
  t.is(Buffer.from(list[0]!.attachments[0]!.contentBase64!, 'base64').toString(), 'héllo');
  // New jobs come after the reloaded ones.
  const j4 = b.enqueue(mail('d@example.fr'));
  t.deepEqual(b.list().map((j) => j.id), [j2.id, j3.id, j4.id]);
  rmSync(root, { recursive: true, force: true });
});

test('a corrupt job file is set aside with an error log, the others load', (t) => {
  const { root, dir, lines, make } = setup();
  const a = make();
  const good = a.enqueue(mail('a@example.fr'));
  const bad = a.enqueue(mail('b@example.fr'));
  writeFileSync(join(dir, `${bad.id}.json`), '{"v":1,"id":"trunc');
  writeFileSync(join(dir, 'job-0000000099-deadbeef.json'), JSON.stringify({ v: 1, hello: 'world' }));
  writeFileSync(join(dir, `${good.id}.json.tmp`), 'half a write');
  const b = make();
  t.deepEqual(b.load(), { loaded: 1, setAside: 2 });
  t.deepEqual(b.list().map((j) => j.id), [good.id]);
  const aside = readdirSync(join(dir, 'corrupt'));
  t.is(aside.length, 2);
  t.true(aside.some((f) => f.startsWith(`${bad.id}.json`)));
  t.false(existsSync(join(dir, `${good.id}.json.tmp`)), 'leftover temp file removed');
  const errors = lines.filter((l) => l.level === 50 && l.msg.includes('corrupt job file set aside'));
  t.is(errors.length, 2);
  rmSync(root, { recursive: true, force: true });
});

test('a corrupt job falls back to its previous version when there is one', (t) => {
  const { root, dir, make } = setup();
  const a = make();
  const j = a.enqueue(mail('a@example.fr'));
  a.update(j.id, { state: 'failed', attempts: 1, lastError: 'x' }); // leaves <id>.json.prev
  writeFileSync(join(dir, `${j.id}.json`), 'garbage');
  const b = make();
  t.deepEqual(b.load(), { loaded: 1, setAside: 0 });
  t.is(b.list()[0]!.id, j.id);
  rmSync(root, { recursive: true, force: true });
});

test('bounded: the oldest e-mails are dropped (refused ones first), attachments are kept', (t) => {
  const { root, lines, make } = setup({ maxJobs: 3 });
  const p = wav(root);
  const box = make();
  const ids = ['a', 'b', 'c'].map((n) => box.enqueue(mail(`${n}@example.fr`, { attachments: [{ filename: 'm.wav', path: p }] })).id);
  box.update(ids[1]!, { state: 'failed', attempts: 1 });
  const d = box.enqueue(mail('d@example.fr')).id;
  t.deepEqual(box.list().map((j) => j.id), [ids[0], ids[2], d]);
  const e = box.enqueue(mail('e@example.fr')).id;
  t.deepEqual(box.list().map((j) => j.id), [ids[2], d, e]);
  t.true(existsSync(p));
  const dropped = lines.filter((l) => l.level === 50 && l.msg.startsWith('mail outbox full'));
  t.deepEqual(dropped.map((l) => l['to']), ['b@example.fr', 'a@example.fr']);
  rmSync(root, { recursive: true, force: true });
});

test('bounded in bytes too; an e-mail larger than the whole outbox is refused', (t) => {
  const { root, make } = setup({ maxBytes: 4096 });
  const box = make();
  const big = 'x'.repeat(1500);
  box.enqueue(mail('a@example.fr', { text: big }));
  box.enqueue(mail('b@example.fr', { text: big }));
  box.enqueue(mail('c@example.fr', { text: big }));
  t.true(box.stats().bytes <= 4096);
  t.deepEqual(box.list().map((j) => j.to), ['b@example.fr', 'c@example.fr']);
  const err = t.throws(() => box.enqueue(mail('d@example.fr', { text: 'y'.repeat(5000) })));
  t.regex(err!.message, /too large/);
  t.is(box.stats().jobs, 2);
  rmSync(root, { recursive: true, force: true });
});

test('bad input is refused with a clear message', (t) => {
  const { root, make } = setup();
  const box = make();
  t.throws(() => box.enqueue(mail('not-an-address')), { message: /not an e-mail address/ });
  t.throws(() => box.enqueue(mail('a@example.fr', { attachments: [{ filename: 'm.wav', path: 'relative/m.wav' }] })), { message: /absolute/ });
  t.throws(() => box.enqueue(mail('a@example.fr', { attachments: [{ filename: 'm.wav' }] })), { message: /exactly one/ });
  t.is(box.stats().jobs, 0);
  const j = box.enqueue(mail('a@example.fr', { subject: 'a\r\nBcc: x@y.z' }));
  t.is(j.subject, 'a Bcc: x@y.z');
  rmSync(root, { recursive: true, force: true });
});
