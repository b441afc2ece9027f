import test from 'ava';
import { buildVoicemailMail, formatDuration, voicemailAttachmentName, voicemailMailFor, voicemailMailForStored, type VoicemailMessageInfo } from '../../../firmware/mail/index.ts';

// 27/11/2026 13:05 UTC = 14:05 in Paris (CET, UTC+1).
const NOV = Date.UTC(2026, 10, 27, 13, 5, 30);
// 14/07/2026 12:00 UTC = 14:00 in Paris (CEST, UTC+2).
const JUL = Date.UTC(2026, 6, 14, 12, 0, 0);

const msg: VoicemailMessageInfo = { mailbox: '401', caller: '0612345678', durationSeconds: 23, receivedAt: NOV, wavPath: '/data/voicemail/401/msg-0001.wav', messageId: 'msg-0001' };

test('subject and body in French, English below, Paris time', (t) => {
  const m = buildVoicemailMail(msg, 'alice@example.fr', 'Europe/Paris');
  t.is(m.to, 'alice@example.fr');
  t.is(m.subject, 'Nouveau message vocal de 0612345678 pour le 401, durée 0:23, reçu le 27/11/2026 à 14:05');
  const [fr, en] = m.text.split('\n--\n');
  t.true(fr!.startsWith('Nouveau message vocal de 0612345678 pour le 401, durée 0:23, reçu le 27/11/2026 à 14:05.'));
  t.true(fr!.includes('888'));
  t.true(en!.includes('New voicemail message from 0612345678 for 401, duration 0:23, received on 27/11/2026 at 14:05.'));
  t.deepEqual(m.meta, { kind: 'voicemail', mailbox: '401', caller: '0612345678', message: 'msg-0001' });
});

test('the WAV is attached by path as audio/wav with a dated name', (t) => {
  const m = buildVoicemailMail(msg, 'alice@example.fr', 'Europe/Paris');
  t.deepEqual(m.attachments, [{ filename: 'message-20261127-1405-0612345678.wav', path: '/data/voicemail/401/msg-0001.wav', contentType: 'audio/wav' }]);
});

test('summer time and other zones follow system.timezone', (t) => {
  t.true(buildVoicemailMail({ ...msg, receivedAt: JUL }, 'a@b.fr', 'Europe/Paris').subject.endsWith('reçu le 14/07/2026 à 14:00'));
  t.true(buildVoicemailMail({ ...msg, receivedAt: JUL }, 'a@b.fr', 'America/Cayenne').subject.endsWith('reçu le 14/07/2026 à 09:00'));
  t.true(buildVoicemailMail({ ...msg, receivedAt: JUL }, 'a@b.fr', 'Indian/Reunion').subject.endsWith('reçu le 14/07/2026 à 16:00'));
  // Across midnight: the local date is the one shown.
  t.is(voicemailAttachmentName({ caller: '0612345678', receivedAt: Date.UTC(2026, 11, 31, 23, 30) }, 'Europe/Paris'), 'message-20270101-0030-0612345678.wav');
});

test('an unknown timezone falls back to UTC and says so', (t) => {
  const m = buildVoicemailMail(msg, 'a@b.fr', 'Mars/Olympus');
  t.true(m.subject.endsWith('reçu le 27/11/2026 à 13:05 (UTC)'));
});

test('withheld caller, caller name and international numbers', (t) => {
  const anon = buildVoicemailMail({ ...msg, caller: 'anonymous' }, 'a@b.fr', 'Europe/Paris');
  t.true(anon.subject.startsWith("Nouveau message vocal d'un numéro masqué pour le 401"));
  t.true(anon.text.includes('New voicemail message from a withheld number for 401'));
  t.is(anon.attachments![0]!.filename, 'message-20261127-1405-masque.wav');
  t.is(anon.meta!['caller'], 'withheld');
  const none = buildVoicemailMail({ ...msg, caller: undefined }, 'a@b.fr', 'Europe/Paris');
  t.true(none.subject.startsWith("Nouveau message vocal d'un numéro masqué"));
  const named = buildVoicemailMail({ ...msg, callerName: 'Jean Dupont' }, 'a@b.fr', 'Europe/Paris');
  t.true(named.subject.startsWith('Nouveau message vocal de Jean Dupont (0612345678) pour le 401'));
  const intl = buildVoicemailMail({ ...msg, caller: '+32 2 123 45 67' }, 'a@b.fr', 'Europe/Paris');
  t.is(intl.attachments![0]!.filename, 'message-20261127-1405-003221234567.wav');
  const evil = buildVoicemailMail({ ...msg, callerName: 'X\r\nBcc: victim@example.com' }, 'a@b.fr', 'Europe/Paris');
  t.false(evil.subject.includes('\n'));
});

test('durations', (t) => {
  t.is(formatDuration(0), '0:00');
  t.is(formatDuration(23), '0:23');
  t.is(formatDuration(125.4), '2:05');
  t.is(formatDuration(3725), '1:02:05');
});

test('voicemailMailFor follows the phone email settings', (t) => {
  const phone = (email: string | undefined, emailEnabled: boolean) => ({ internalNumber: '401', ...(email ? { email } : {}), voicemail: { enabled: true, emailEnabled } });
  const cfg = (p: ReturnType<typeof phone>) => ({ phones: [p], system: { hostname: 'pbxgate', timezone: 'Europe/Paris', logLevel: 'info' } }) as unknown as Parameters<typeof voicemailMailFor>[0];
  t.is(voicemailMailFor(cfg(phone('alice@example.fr', false)), msg), undefined);
  t.is(voicemailMailFor(cfg(phone(undefined, true)), msg), undefined);
  t.is(voicemailMailFor(cfg(phone('alice@example.fr', true)), { ...msg, mailbox: '402' }), undefined);
  t.is(voicemailMailFor(cfg(phone('alice@example.fr', true)), msg)?.to, 'alice@example.fr');
});

test('voicemailMailForStored takes the voicemail store shape (by MAC)', (t) => {
  const cfg = {
    phones: [{ mac: '00:08:5d:12:34:56', internalNumber: '401', email: 'alice@example.fr', voicemail: { enabled: true, emailEnabled: true } }],
    system: { hostname: 'pbxgate', timezone: 'Europe/Paris', logLevel: 'info' },
  } as unknown as Parameters<typeof voicemailMailForStored>[0];
  const stored = { id: 'msg-1', caller: 'anonymous', receivedAt: NOV, durationMs: 23_400 };
  const m = voicemailMailForStored(cfg, '00:08:5D:12:34:56', stored, '/data/voicemail/00085d123456/msg-1.wav');
  t.is(m?.to, 'alice@example.fr');
  t.is(m?.subject, "Nouveau message vocal d'un numéro masqué pour le 401, durée 0:23, reçu le 27/11/2026 à 14:05");
  t.is(m?.attachments?.[0]?.path, '/data/voicemail/00085d123456/msg-1.wav');
  t.is(voicemailMailForStored(cfg, '00:08:5d:00:00:00', stored, '/x.wav'), undefined);
});
