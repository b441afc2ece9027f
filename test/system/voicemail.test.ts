/**
 * Issue 7, VOX-1 / NUM-7 over loopback with the real program: a phone
 * leaves a message in another phone's voicemail (SIPp speaking the G.711
 * audio it ships), the box's phone gets its message lamp (RFC 3842 NOTIFY),
 * listens with 888 and deletes the message with the 3 key (RFC 4733), and
 * the lamp goes off. Serial: runSipp blocks this event loop.
 */
import test, { type ExecutionContext } from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPbx, makePhones, freePort, logMatching, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, registerFrom, assertCallsIdle } from '../support/sipp.ts';
import { readWav } from '../../firmware/media/wav.ts';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

const phones = makePhones(2, 0); // 601, 602
const [p601, p602] = phones as [(typeof phones)[0], (typeof phones)[0]];

/** The runtime with 602 forwarding every call to its voicemail (FWD-1): its registered port only takes the NOTIFYs. */
async function pbxWith602OnVoicemail(t: ExecutionContext): Promise<PbxProcess> {
  const pbx = await startPbx({
    phones,
    patch: (c) => {
      c.phones = structuredClone(c.phones);
      c.phones[1]!.forwards.unconditional = { enabled: true, destination: 'voicemail' };
    },
  });
  t.teardown(() => pbx.stop());
  return pbx;
}

test.serial('VOX-1, NUM-7: 601 leaves 602 a spoken message; 602 gets the message lamp, listens with 888, deletes it with 3, and the lamp goes off', async (t) => {
  const pbx = await pbxWith602OnVoicemail(t);
  const target = `127.0.0.1:${pbx.sipPort}`;
  // 601 speaks for 9 s: the spoken greeting (about 4 s), the beep, then the message. 602 presses 3 after 7 s of
  // 888: after the welcome and the count, while the message plays.
  // 602 registers (its box is empty: no NOTIFY yet), then its port answers the two message-summary NOTIFYs.
  const phonePort = await freePort();
  t.is(registerFrom(target, p602, phonePort).status, 0);
  const lamp = startSipp(target, 'phone-mwi.xml', phonePort, ['-m', '2', '-trace_logs', '-timeout', '40', '-timeout_error']);
  t.teardown(() => lamp.stop());
  await new Promise((r) => setTimeout(r, 300));

  const deposit = runSipp(target, 'call-uac-voice.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-d', '9000', '-timeout', '30', '-timeout_error']);
  t.is(deposit.status, 0, `601 leaves a message:\n${deposit.errors}\n${pbx.stderr().slice(-4000)}`);
  await logMatching(pbx, /voicemail: message stored/, 5000);
  t.regex(await pbx.command('voicemail 602'), /^602 {2}1 new, 0 saved\n {2}\S+ \S+ {2}from 601 {2}0:0[1-8] {2}new$/);
  // The message is what 601 said: the G.711 audio of g711a.pcap, not silence.
  const box = join(pbx.dataDir, 'voicemail', p602.mac.replace(/:/g, ''));
  const file = readdirSync(box).find((f) => f.endsWith('.wav'));
  if (!file) return t.fail('no message file');
  const wav = readWav(readFileSync(join(box, file)));
  t.is(wav.sampleRate, 8000);
  const rms = Math.sqrt(wav.samples.reduce((s, x) => s + x * x, 0) / wav.samples.length);
  t.true(rms > 100, `the message holds speech (rms ${rms.toFixed(0)})`);

  const listen = runSipp(target, 'call-uac-888-delete.xml', await freePort(), ['-inf', callCsv([p602.sip.username, authKeyword(p602), '888']), '-m', '1', '-d', '7000', '-timeout', '30', '-timeout_error']);
  t.is(listen.status, 0, `602 listens and deletes:\n${listen.errors}\n${pbx.stderr().slice(-4000)}`);
  await logMatching(pbx, /voicemail: message deleted/, 5000);
  t.regex(await pbx.command('voicemail 602'), /^602 {2}0 new, 0 saved$/);
  const mwi = await lamp.done;
  t.is(mwi.status, 0, `602's lamp:\n${mwi.errors}`);
  t.regex(mwi.logs, /MWI yes 1\/0[\s\S]*MWI no 0\/0/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal 602'), /601 -> 602 {2}missed/);
});

/** The attachment parts of a raw MIME message: filename, content type, decoded bytes (base64 only: what nodemailer sends for binary). */
type Attachment = { filename: string; type: string; bytes: Buffer };

function attachments(raw: string): Attachment[] {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(raw)?.[1];
  if (!boundary) return [];
  return raw
    .split(`--${boundary}`)
    .map((part): Attachment | undefined => {
      const split = part.indexOf('\r\n\r\n');
      const head = part.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
      const filename = /filename="?([^";\r\n]+)"?/i.exec(head)?.[1];
      const type = /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1] ?? '';
      if (!filename || !/content-transfer-encoding:\s*base64/i.test(head)) return undefined;
      return { filename, type, bytes: Buffer.from(part.slice(split + 4).replace(/\s+/g, ''), 'base64') };
    })
    .filter((x): x is Attachment => x !== undefined);
}

test.serial('VOX-1: a message left for 602, whose voicemail e-mail is on, reaches its address by SMTP with the WAV attached', async (t) => {
  const received: Array<{ to: string[]; raw: string }> = [];
  const smtp = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('latin1') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((r) => smtp.close(() => r())));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const pbx = await startPbx({
    phones,
    patch: (c) => {
      c.phones = structuredClone(c.phones);
      const p = c.phones[1]!;
      p.forwards.unconditional = { enabled: true, destination: 'voicemail' };
      p.email = 'bob@office.test';
      p.voicemail.emailEnabled = true;
      c.smtp = { host: '127.0.0.1', port: smtpPort, secure: false, user: '', password: '', from: 'pbx@office.test' };
    },
  });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const deposit = runSipp(target, 'call-uac-voice.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-d', '8000', '-timeout', '30', '-timeout_error']);
  t.is(deposit.status, 0, deposit.errors);
  // SIPp held this event loop: the SMTP server answers now; the outbox retries if it had to.
  const deadline = Date.now() + 20_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  t.is(received.length, 1, pbx.stderr().slice(-3000));
  const mail = received[0]!;
  t.deepEqual(mail.to, ['bob@office.test']);
  t.regex(mail.raw, /^Subject: .+/m);
  const wavs = attachments(mail.raw).filter((a) => /\.wav$/.test(a.filename));
  t.is(wavs.length, 1);
  t.regex(wavs[0]!.type, /audio\/(wav|x-wav)/);
  const wav = readWav(wavs[0]!.bytes);
  t.is(wav.sampleRate, 8000);
  t.true(wav.samples.length >= 8000, 'at least a second of message');
  // The message stays in the box: e-mail is a copy.
  t.regex(await pbx.command('voicemail 602'), /^602 {2}1 new, 0 saved/);
  t.regex(await pbx.command('mail'), /^sent since start: 1$/m);
});

test.serial('issue 9 §4, RFC 3842: 602 subscribes to its box (message-summary): no message at once, then "yes, 1/0" in its subscription when 601 leaves a message', async (t) => {
  const pbx = await pbxWith602OnVoicemail(t);
  const target = `127.0.0.1:${pbx.sipPort}`;
  const lamp = startSipp(target, 'mwi-subscribe.xml', await freePort(), ['-inf', callCsv([p602.sip.username, authKeyword(p602), '602']), '-m', '1', '-timeout', '40', '-timeout_error', '-trace_logs']);
  t.teardown(() => lamp.stop());
  await logMatching(pbx, /"event":"message-summary","watched":"602".*subscription/, 5000);
  const deposit = runSipp(target, 'call-uac-voice.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-d', '8000', '-timeout', '30', '-timeout_error']);
  t.is(deposit.status, 0, deposit.errors);
  const r = await lamp.done;
  t.is(r.status, 0, `${r.errors}\n${pbx.stderr().slice(-3000)}`);
  t.regex(r.logs, /MWI NO[\s\S]*MWI YES/);
  t.notRegex(pbx.stderr(), /message-waiting NOTIFY sent/, 'no unsolicited NOTIFY for a subscribed phone');
});
