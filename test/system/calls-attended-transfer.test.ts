import test from 'ava';
import { makePhones, logMatching } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, assertCallsIdle, sippMessages, pbxWithCallees } from '../support/sipp.ts';

const phones = makePhones(3, 0); // 601, 602, 603

test('issue 4, RFC 5589 §7 / RFC 3891: attended transfer over SIP: 601 calls 602, 602 holds it, calls 603, REFERs 601 with Replaces of its call to 603; 603 is re-INVITEd, 601 resumed, 602 released on both calls, 601 and 603 talk until 601 hangs up', async (t) => {
  t.timeout(60_000);
  const { pbx, target, p601, p602, p603 } = await pbxWithCallees(t, phones);
  const opts = ['-m', '1', '-timeout', '30', '-timeout_error', '-trace_msg', '-trace_logs'];
  const tg = startSipp(target, 'xfer-603-target.xml', p603, opts);
  const tr = startSipp(target, 'xfer-602-transferor.xml', p602, ['-inf', callCsv(['602', authKeyword(phones[1]!), '603']), ...opts]);
  t.teardown(() => {
    tg.stop();
    tr.stop();
  });
  await new Promise((r) => setTimeout(r, 300));
  const tee = startSipp(target, 'xfer-601-transferee.xml', p601, ['-inf', callCsv(['601', authKeyword(phones[0]!), '602']), ...opts]);
  t.teardown(() => tee.stop());

  const [caller, transferor, target603] = await Promise.all([tee.done, tr.done, tg.done]);
  t.is(caller.status, 0, `transferee (601):\n${caller.errors}\n${sippMessages(caller)}`);
  t.is(transferor.status, 0, `transferor (602):\n${transferor.errors}\n${sippMessages(transferor)}`);
  t.is(target603.status, 0, `target (603):\n${target603.errors}\n${sippMessages(target603)}`);
  // 602 got a BYE on each of its dialogs: call 1's Call-ID (the PBX's), and call 2's ("xfer2-PID@IP///" + call 1's).
  const byes = [...transferor.logs.matchAll(/BYE Call-ID: (\S+)/g)].map((m) => m[1]!);
  const isCall2 = (callId: string): boolean => /^xfer2-\d+@127\.0\.0\.1\/\/\//.test(callId);
  t.is(byes.length, 2, transferor.logs);
  t.is(byes.filter(isCall2).length, 1, 'a BYE on call 2');
  t.is(byes.filter((c) => !isCall2(c)).length, 1, 'a BYE on call 1');
  // Nothing rings: 603's re-INVITE moves it onto call 1's relay, on the leg 602 had (the port 602 was offered),
  // in the o= session 603 already knows, version + 1 (RFC 3264 §8).
  const num = (text: string, re: RegExp): number[] => (re.exec(text) ?? []).slice(1).map(Number);
  const [call1LegB] = num(transferor.logs, /call 1 offer port: (\d+)/);
  const [call2LegB, sess2, ver2] = num(target603.logs, /call 2 offer port: (\d+) o: (\d+) (\d+)/);
  const [reinvitePort, sessRe, verRe] = num(target603.logs, /re-INVITE offer port: (\d+) o: (\d+) (\d+)/);
  t.truthy(call1LegB, transferor.logs);
  t.is(reinvitePort, call1LegB, `603 is moved to call 1's relay:\n${target603.logs}`);
  t.not(reinvitePort, call2LegB);
  t.is(sessRe, sess2);
  t.is(verRe, ver2! + 1);
  // 601 is taken off hold on the relay port it already has.
  const [answerPort] = num(caller.logs, /answer port: (\d+)/);
  const [resumePort] = num(caller.logs, /resume offer port: (\d+)/);
  t.truthy(answerPort, caller.logs);
  t.is(resumePort, answerPort);

  await assertCallsIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, /601 -> 602 {2}answered by 602/);
  t.regex(journal, /602 -> 603 {2}answered/);
  const log = await logMatching(pbx, /attended transfer completed/);
  t.regex(log, /attended transfer completed/);
  t.notRegex(log, /attended transfer failed|Replaces matches no call/);
});
