// VOX-1: voicemail boxes on flash (pbx/voicemail/mailbox.ts): messages survive restarts and a broken index loses none.
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogRegistry } from '../../../firmware/core/logger.ts';
import { MailboxStore } from '../../../firmware/pbx/voicemail/mailbox.ts';
import { readWav } from '../../../firmware/media/wav.ts';

const log = new LogRegistry({ level: 'silent' }).get('vm');
const MAC = '00:08:5d:00:00:01';

function store(t: import('ava').ExecutionContext): { root: string; make: () => MailboxStore } {
  const root = mkdtempSync(join(tmpdir(), 'pbxgate-vm-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  return { root, make: () => new MailboxStore(root, log, { maxMessages: 3, maxMessageSeconds: 60 }) };
}

const samples = (seconds: number): Int16Array => Int16Array.from({ length: seconds * 8000 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));

test('VOX-1: a stored message is an 8 kHz WAV with its caller and date; new, then saved, then deleted (file gone)', (t) => {
  const { root, make } = store(t);
  const s = make();
  const m = s.add(MAC, samples(2), '0612345678', Date.UTC(2026, 10, 27, 14, 5));
  t.like(m, { caller: '0612345678', durationMs: 2000, state: 'new' });
  const wav = readWav(readFileSync(s.wavPath(MAC, m.id)));
  t.is(wav.sampleRate, 8000);
  t.is(wav.samples.length, 16000);
  t.deepEqual(s.counts(MAC), { fresh: 1, saved: 0 });
  t.true(s.markSaved(MAC, m.id));
  t.deepEqual(s.counts(MAC), { fresh: 0, saved: 1 });
  t.true(s.delete(MAC, m.id));
  t.deepEqual(s.list(MAC), []);
  t.deepEqual(readdirSync(join(root, '00085d000001')).filter((f) => f.endsWith('.wav')), []);
});

test('VOX-1: messages and their state survive a restart; a box is full at its limit', (t) => {
  const { make } = store(t);
  const a = make();
  const first = a.add(MAC, samples(1), '401', 1_000_000_000_000);
  a.add(MAC, samples(1), 'anonymous', 1_000_000_001_000);
  a.markSaved(MAC, first.id);
  t.false(a.full(MAC));
  a.add(MAC, samples(1), '402', 1_000_000_002_000);
  t.true(a.full(MAC));
  const b = make();
  t.deepEqual(
    b.list(MAC).map((m) => [m.caller, m.state]),
    [
      ['401', 'saved'],
      ['anonymous', 'new'],
      ['402', 'new'],
    ],
  );
});

test('VOX-1: a corrupt index is rebuilt from the WAV files: every message comes back (as new), none is lost', (t) => {
  const { root, make } = store(t);
  const a = make();
  const m1 = a.add(MAC, samples(1), '401', 1_000_000_000_000);
  a.add(MAC, samples(3), '0612345678', 1_000_000_005_000);
  a.markSaved(MAC, m1.id);
  writeFileSync(join(root, '00085d000001', 'index.json'), '{"messages": [tru');
  const b = make();
  const list = b.list(MAC);
  t.deepEqual(list.map((m) => m.caller), ['401', '0612345678']);
  t.true(list.every((m) => m.state === 'new'));
  t.is(list[1]!.durationMs, 3000);
});

test('VOX-1: a caller id with odd characters is stored safely in the file name', (t) => {
  const { make } = store(t);
  const s = make();
  const m = s.add(MAC, samples(1), '../../etc/passwd', 1_000_000_000_000);
  t.regex(m.id, /^msg-\d{13}-[A-Za-z0-9+]+-[a-z0-9]{6}$/);
  t.is(m.caller, 'etcpasswd');
  t.is(make().list(MAC).length, 1);
});
