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
