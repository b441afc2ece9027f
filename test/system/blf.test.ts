/**
 * Issue 9 §3 through the real program: a phone's busy lamp (SUBSCRIBE
 * Event: dialog, RFC 4235) follows another phone: idle at once, ringing with
 * the caller while it rings, busy while it talks, idle again.
 */
import test from 'ava';
import { startPbx, makePhones, freePort, logMatching } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, registerFrom, assertCallsIdle } from '../support/sipp.ts';

const phones = makePhones(3, 0); // 601, 602, 603
const [p601, p602, p603] = phones as [(typeof phones)[0], (typeof phones)[0], (typeof phones)[0]];

test.serial('issue 9 §3, RFC 4235: 603 watches 602; its lamp NOTIFYs go idle, ringing (early, with 601), busy (confirmed), idle', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const callee = startSipp(target, 'call-uas-answer-late.xml', calleePort, ['-m', '1', '-timeout', '30', '-timeout_error']);
  t.teardown(() => callee.stop());
  const watcher = startSipp(target, 'blf-watch.xml', await freePort(), ['-inf', callCsv([p603.sip.username, authKeyword(p603), '602']), '-m', '1', '-timeout', '30', '-timeout_error', '-trace_logs']);
  t.teardown(() => watcher.stop());
  await logMatching(pbx, /"event":"dialog","watched":"602".*subscription/, 5000);
  await new Promise((r) => setTimeout(r, 300));
  const call = runSipp(target, 'call-uac-talk.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-d', '1500', '-timeout', '20', '-timeout_error']);
  t.is(call.status, 0, call.errors);
  t.is((await callee.done).status, 0);
  const w = await watcher.done;
  t.is(w.status, 0, `${w.errors}\n${pbx.stderr().slice(-3000)}`);
  t.regex(w.logs, /NOTIFY IDLE[\s\S]*NOTIFY RINGING[\s\S]*NOTIFY BUSY[\s\S]*NOTIFY IDLEAGAIN/);
  await assertCallsIdle(t, pbx);
});

test.serial('issue 9 §3 directed pickup: 603 watches 602; 601 calls 602, which rings; 603 picks the call up from its lamp (INVITE with Replaces) and talks with 601 until 601 hangs up; 602 gets CANCEL', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const callee = startSipp(target, 'call-uas-ring-only.xml', calleePort, ['-m', '1', '-timeout', '30', '-timeout_error']);
  t.teardown(() => callee.stop());
  const picker = startSipp(target, 'blf-pickup.xml', await freePort(), ['-inf', callCsv([p603.sip.username, authKeyword(p603), '602']), '-m', '1', '-timeout', '30', '-timeout_error', '-trace_logs']);
  t.teardown(() => picker.stop());
  await logMatching(pbx, /"event":"dialog","watched":"602".*subscription/, 5000);
  await new Promise((r) => setTimeout(r, 300));
  const call = runSipp(target, 'call-uac-talk.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-d', '2000', '-timeout', '20', '-timeout_error']);
  const p = await picker.done;
  t.is(call.status, 0, `${call.errors}\npicker: ${p.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is((await callee.done).status, 0, '602 rang and was CANCELed');
  t.is(p.status, 0, `${p.errors}\n${pbx.stderr().slice(-3000)}`);
  t.regex(p.logs, /RINGING c\d+[\s\S]*PICKED UP[\s\S]*BYE RECEIVED/);
  t.regex(pbx.stderr(), /"pickedUpBy":"603".*call picked up/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 603/);
});
