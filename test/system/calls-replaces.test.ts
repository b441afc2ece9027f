import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makePhones, logMatching } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, assertCallsIdle, sippMessages, type SippResult, pbxWithCallees } from '../support/sipp.ts';

// Issue 4 §3, RFC 3891 §3 on an answered call: a phone's INVITE with Replaces naming the
// dialog between the PBX and the phone in a call takes that phone's place; the other party
// stays on its relay leg and sees nothing; the replaced phone is released with BYE.

const phones = makePhones(3, 0); // 601, 602, 603

/** The identifiers the answering phone logs once its call is confirmed (replace-uas-replaced.xml). */
async function answeredIds(dir: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const f = readdirSync(dir).find((n) => n.endsWith('_logs.log'));
    const m = f ? /ids: (\S+) (\S+) (\S+)/.exec(readFileSync(join(dir, f), 'utf8')) : null;
    if (m) return [m[1]!, m[2]!, m[3]!];
    if (Date.now() > deadline) throw new Error(`602 never answered (${dir})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.serial('issue 4, RFC 3891: 601 calls 602, who answers; 603 sends an INVITE with Replaces of the 602 dialog and takes the call; 602 gets BYE, 601 notices nothing and hangs up with 603', async (t) => {
  t.timeout(60_000);
  const { pbx, target, p601, p602, p603 } = await pbxWithCallees(t, phones);
  const opts = ['-m', '1', '-timeout', '30', '-timeout_error', '-trace_msg', '-trace_logs'];
  const replaced = startSipp(target, 'replace-uas-replaced.xml', p602, opts);
  t.teardown(() => replaced.stop());
  await new Promise((r) => setTimeout(r, 300));
  // 601 talks 4 s, then hangs up: by then 603 has the call.
  const caller = startSipp(target, 'call-uac-talk.xml', p601, ['-inf', callCsv(['601', authKeyword(phones[0]!), '602']), '-d', '4000', ...opts]);
  t.teardown(() => caller.stop());

  const [callId, pbxTag, ownTag] = await answeredIds(replaced.dir);
  t.truthy(callId && pbxTag && ownTag);
  const before = await pbx.command('calls');
  t.regex(before, /601 -> 602 {2}answered/);

  const newcomer = startSipp(target, 'replace-uac-newcomer.xml', p603, ['-inf', callCsv(['603', authKeyword(phones[2]!), '602', callId!, pbxTag!, ownTag!]), '-key', 'replaces_flags', '', ...opts]);
  t.teardown(() => newcomer.stop());
  const [r602, r601, r603] = await Promise.all([replaced.done, caller.done, newcomer.done]);
  t.is(r602.status, 0, `replaced (602):\n${r602.errors}\n${sippMessages(r602)}`);
  t.is(r601.status, 0, `caller (601):\n${r601.errors}\n${sippMessages(r601)}`);
  t.is(r603.status, 0, `newcomer (603):\n${r603.errors}\n${sippMessages(r603)}`);
  t.regex(r602.logs, /released by BYE/);
  t.regex(r603.logs, /newcomer got BYE/);
  // 601 saw no re-INVITE: the relay kept its leg, only the other side's remote changed.
  t.notRegex(sippMessages(r601), /INVITE sip:601/);
  // 603 was answered on the leg 602 had: the same relay port.
  const port = (r: SippResult, dir: 'received' | 'sent'): string | undefined => {
    const log = sippMessages(r);
    const blocks = log.split(/-{10,}/).filter((b) => b.includes(dir === 'received' ? 'message received' : 'message sent') && /SIP\/2\.0 200 OK|^INVITE/m.test(b));
    for (const b of blocks) {
      const m = /m=audio (\d+)/.exec(b);
      if (m) return m[1];
    }
    return undefined;
  };
  t.truthy(port(r603, 'received'), sippMessages(r603));

  await assertCallsIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, /601 -> 602 {2}answered by 603/);
  t.regex(await logMatching(pbx, /call taken over/), /takenOverBy":"603"/);
});

test.serial('RFC 3891 §3: a Replaces that names no dialog gets 481, and "early-only" on an answered call 486', async (t) => {
  t.timeout(60_000);
  const { pbx, target, p601, p602, p603 } = await pbxWithCallees(t, phones);
  const opts = ['-m', '1', '-timeout', '20', '-trace_msg', '-trace_logs'];
  const stray = startSipp(target, 'replace-uac-newcomer.xml', p603, ['-inf', callCsv(['603', authKeyword(phones[2]!), '602', 'no-such-call@nowhere', 'x', 'y']), '-key', 'replaces_flags', '', ...opts]);
  const r = await stray.done;
  t.not(r.status, 0);
  t.regex(sippMessages(r), /SIP\/2\.0 481 Call\/Transaction Does Not Exist/);
  // early-only on a confirmed dialog.
  const replaced = startSipp(target, 'replace-uas-replaced.xml', p602, [...opts, '-timeout_error']);
  t.teardown(() => replaced.stop());
  await new Promise((r) => setTimeout(r, 300));
  const caller = startSipp(target, 'call-uac-talk.xml', p601, ['-inf', callCsv(['601', authKeyword(phones[0]!), '602']), '-d', '2000', ...opts]);
  t.teardown(() => caller.stop());
  const [callId, pbxTag, ownTag] = await answeredIds(replaced.dir);
  const early = startSipp(target, 'replace-uac-newcomer.xml', p603, ['-inf', callCsv(['603', authKeyword(phones[2]!), '602', callId!, pbxTag!, ownTag!]), '-key', 'replaces_flags', ';early-only', ...opts]);
  const e = await early.done;
  t.regex(sippMessages(e), /SIP\/2\.0 486 Busy Here/);
  t.regex(await pbx.command('calls'), /601 -> 602 {2}answered/, 'the call goes on with 602');
  replaced.stop();
  caller.stop();
});
