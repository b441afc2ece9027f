import test from 'ava';
import { makePhones, logMatching } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, waitSip, pbxWithCallees } from '../support/sipp.ts';

const phones = makePhones(3, 0); // 601, 602, 603

test('issue 4, RFC 3515: blind transfer: 601 calls 602, 602 REFERs 601 to 603; 602 is released by NOTIFY 200 + BYE, 601 talks to 603 and hangs up', async (t) => {
  const { pbx, target, p601, p602, p603 } = await pbxWithCallees(t, phones);
  const target603 = startSipp(target, 'call-uas.xml', p603, ['-m', '1', '-timeout', '25', '-timeout_error']);
  const transferor = startSipp(target, 'call-uas-refer.xml', p602, ['-inf', callCsv(['603']), '-m', '1', '-timeout', '25', '-timeout_error']);
  t.teardown(() => {
    target603.stop();
    transferor.stop();
  });
  await new Promise((r) => setTimeout(r, 300));
  const caller = runSipp(target, 'call-uac-talk.xml', p601, ['-inf', callCsv(['601', authKeyword(phones[0]!), '602']), '-d', '3000', '-m', '1', '-timeout', '25', '-timeout_error']);
  t.is(caller.status, 0, `caller:\n${caller.errors}`);
  const tr = await transferor.done;
  t.is(tr.status, 0, `transferor (602):\n${tr.errors}`);
  const tg = await target603.done;
  t.is(tg.status, 0, `target (603):\n${tg.errors}`);
  const idle = await waitSip(pbx, 8000);
  t.is(idle.sip.calls, 0, idle.calls);
  t.is(idle.sip.rtpPortsInUse, 0);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602/);
  t.regex(await logMatching(pbx, /blind transfer completed/), /blind transfer completed/);
});
