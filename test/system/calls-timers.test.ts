/**
 * Issue 4: a leg that stops answering, with T1 = 100 ms so that 64*T1 is
 * 6.4 s (RFC 3261 §17.1.1.2 Timer B, §17.1.2.2 Timer F, §13.3.1.4 the 2xx
 * retransmitted until the ACK, §9.1 the INVITE given up 64*T1 after an
 * unanswered CANCEL). The call ends, and every transaction, dialog and RTP
 * port of it is released. (Timer B on a callee that never answers the
 * INVITE at all is in calls-reject.test.ts.)
 */
import test, { type ExecutionContext } from 'ava';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, registerFrom, waitSip, type SippResult } from '../support/sipp.ts';
import type { Config } from '../../firmware/config/index.ts';

const phones = makePhones(2, 0); // 601, 602
const [p601, p602] = phones as [(typeof phones)[0], (typeof phones)[0]];
const fastTimers = (c: Config): void => {
  c.sip.timers.t1 = 100;
  c.sip.timers.t2 = 1000;
  c.sip.timers.t4 = 1000;
};

async function call(
  t: ExecutionContext,
  callerScenario: string,
  calleeScenario: string,
  patch: (c: Config) => void = fastTimers,
  callerExtra: string[] = [],
): Promise<{ pbx: PbxProcess; caller: SippResult; callee: SippResult }> {
  const pbx = await startPbx({ phones, patch });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const uas = startSipp(target, calleeScenario, calleePort, ['-m', '1', '-timeout', '25', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = startSipp(target, callerScenario, await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602', ...callerExtra]), '-m', '1', '-trace_logs', '-timeout', '25', '-timeout_error']);
  t.teardown(() => uac.stop());
  const [caller, callee] = await Promise.all([uac.done, uas.done]);
  return { pbx, caller, callee };
}

/** No call, dialog or RTP port at once; then (bounded wait) no transaction either: every timer ended them. */
async function assertDrained(t: ExecutionContext, pbx: PbxProcess, transactionsWithinMs: number): Promise<void> {
  const idle = await waitSip(pbx, 5000);
  t.is(idle.calls, 'no calls in progress');
  t.is(idle.sip.dialogs, 0);
  t.is(idle.sip.rtpPortsInUse, 0);
  const drained = await waitSip(pbx, transactionsWithinMs, (s) => s.transactions !== null && s.transactions.client === 0 && s.transactions.server === 0);
  t.deepEqual(drained.sip.transactions && { client: drained.sip.transactions.client, server: drained.sip.transactions.server }, { client: 0, server: 0 }, 'every transaction has ended');
}

test('issue 4, RFC 3261 §17.1.2.2 Timer F: the callee is gone when the caller hangs up: 200 to the caller at once, the unanswered BYE to the callee times out, nothing left', async (t) => {
  const { pbx, caller, callee } = await call(t, 'call-uac.xml', 'call-uas-answer-only.xml');
  t.is(callee.status, 0, callee.errors);
  t.is(caller.status, 0, `caller (BYE answered 200 by the PBX):\n${caller.errors}\n${pbx.stderr().slice(-3000)}`);
  await assertDrained(t, pbx, 10_000);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602 {2}\d+s/);
});

test('issue 4, RFC 3261 §13.3.1.4: the caller never ACKs the 200: after 64*T1 of 2xx retransmissions the PBX ends the call with BYE on both legs', async (t) => {
  const started = Date.now();
  const { pbx, caller, callee } = await call(t, 'call-uac-no-ack.xml', 'call-uas.xml');
  t.is(caller.status, 0, caller.errors);
  t.is(callee.status, 0, `callee (expects the PBX's BYE):\n${callee.errors}\n${pbx.stderr().slice(-3000)}`);
  t.true(Date.now() - started >= 6000, 'the BYE came after 64*T1');
  await assertDrained(t, pbx, 10_000);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602 {2}\d+s/);
});

test('issue 4, RFC 3261 §9.1: the callee rings then disappears: at the ring timeout the caller gets 480, the CANCEL goes unanswered, and the INVITE transaction is given up 64*T1 later', async (t) => {
  const { pbx, caller, callee } = await call(
    t,
    'call-uac-reject.xml',
    'call-uas-ring-then-gone.xml',
    (c) => {
      fastTimers(c);
      c.sip.ringTimeoutSeconds = 5;
      // No voicemail behind 602: the caller gets the 480 itself.
      c.phones = structuredClone(c.phones);
      c.phones[1]!.voicemail.enabled = false;
    },
    ['480'],
  );
  t.is(callee.status, 0, callee.errors);
  t.is(caller.status, 0, `${caller.errors}\n${caller.logs}`);
  t.regex(caller.logs, /final status 480/);
  await assertDrained(t, pbx, 12_000);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed {2}0s/);
});
