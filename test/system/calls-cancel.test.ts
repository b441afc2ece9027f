/**
 * Issue 4: CANCEL and forking through the B2BUA, SIPp on both legs. The
 * caller's CANCEL (RFC 3261 §9.2) is answered 200, its INVITE 487, and the
 * ringing callee gets a CANCEL of its own; a phone registered from two
 * places rings on both, the first 200 wins and the other fork is CANCELed
 * (§13.2.2.4, §16.7-like). After each: no call, no dialog, no RTP port.
 */
import test, { type ExecutionContext } from 'ava';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, registerFrom, assertCallsIdle } from '../support/sipp.ts';

const phones = makePhones(2, 0); // 601, 602
const [p601, p602] = phones as [(typeof phones)[0], (typeof phones)[0]];


test('issue 4, RFC 3261 §9.2: the caller CANCELs while the callee rings: 200 to the CANCEL, 487 to the INVITE, the callee CANCELed too, journal: missed', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const uas = startSipp(target, 'call-uas-ring-only.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = startSipp(target, 'call-uac-cancel.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uac.stop());
  const [caller, callee] = await Promise.all([uac.done, uas.done]);
  t.is(caller.status, 0, `caller (CANCEL, expects 200 then 487):\n${caller.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is(callee.status, 0, `callee (expects CANCEL, answers 200 + 487, expects ACK):\n${callee.errors}`);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed {2}0s/);
});

test('issue 4, RFC 3261 §13.2.2.4: forking to every contact of the callee: the first 200 wins, the other fork (ringing) is CANCELed, journal: answered', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const ringingPort = await freePort();
  const answeringPort = await freePort();
  t.is(registerFrom(target, p602, ringingPort).status, 0);
  t.is(registerFrom(target, p602, answeringPort).status, 0);
  const phonesView = await pbx.command('phones');
  t.regex(phonesView, new RegExp(`via udp:127\\.0\\.0\\.1:${ringingPort}`));
  t.regex(phonesView, new RegExp(`via udp:127\\.0\\.0\\.1:${answeringPort}`));
  const ringing = startSipp(target, 'call-uas-ring-only.xml', ringingPort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => ringing.stop());
  const answering = startSipp(target, 'call-uas.xml', answeringPort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => answering.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = startSipp(target, 'call-uac.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uac.stop());
  const [caller, winner, loser] = await Promise.all([uac.done, answering.done, ringing.done]);
  t.is(caller.status, 0, `caller:\n${caller.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is(winner.status, 0, `answering fork:\n${winner.errors}`);
  t.is(loser.status, 0, `ringing fork (expects CANCEL, answers 200 + 487, expects ACK):\n${loser.errors}`);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602 {2}\d+s/);
});
