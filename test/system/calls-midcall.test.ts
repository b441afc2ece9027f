/**
 * Issue 4: what happens during an answered call, with SIPp on both legs of
 * the B2BUA: hold and resume by re-INVITE from either side (RFC 3261 §14,
 * RFC 3264 §8.4: the PBX relays the offer to the other leg and derives its
 * answer from the other side's), and BYE from the callee (§15). After each:
 * no call, no dialog, no RTP port left; journal: answered (LOG-1).
 */
import test, { type ExecutionContext } from 'ava';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, registerFrom, assertCallsIdle, type SippResult } from '../support/sipp.ts';

const phones = makePhones(2, 0); // 601, 602
const [p601, p602] = phones as [(typeof phones)[0], (typeof phones)[0]];

/** One call 601 -> 602: the callee registers and runs calleeScenario, then the caller runs callerScenario. */
async function call(t: ExecutionContext, callerScenario: string, calleeScenario: string): Promise<{ pbx: PbxProcess; caller: SippResult; callee: SippResult }> {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  const reg = registerFrom(target, p602, calleePort);
  t.is(reg.status, 0, reg.errors);
  const uas = startSipp(target, calleeScenario, calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = startSipp(target, callerScenario, await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uac.stop());
  const [caller, callee] = await Promise.all([uac.done, uas.done]);
  return { pbx, caller, callee };
}

async function assertIdleAndAnswered(t: ExecutionContext, pbx: PbxProcess): Promise<void> {
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602 {2}\d+s/);
}

test('issue 4, RFC 3264 §8.4: the caller holds (a=sendonly) and resumes (a=sendrecv): each re-INVITE is relayed to the callee (sendonly -> recvonly) and answered from its answer', async (t) => {
  const { pbx, caller, callee } = await call(t, 'call-uac-hold.xml', 'call-uas-reinvite.xml');
  t.is(caller.status, 0, `caller (expects recvonly then sendrecv in the 200s):\n${caller.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is(callee.status, 0, `callee (expects re-INVITEs offering sendonly then sendrecv):\n${callee.errors}`);
  await assertIdleAndAnswered(t, pbx);
});

test('issue 4, RFC 3261 §14 / §15: the callee holds and resumes by re-INVITE on the B leg (relayed to the caller), then hangs up: BYE relayed to the caller', async (t) => {
  const { pbx, caller, callee } = await call(t, 'call-uac-reinvite.xml', 'call-uas-hold.xml');
  t.is(callee.status, 0, `callee (sends the re-INVITEs and the BYE):\n${callee.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is(caller.status, 0, `caller (expects re-INVITEs offering sendonly then sendrecv, then BYE):\n${caller.errors}`);
  await assertIdleAndAnswered(t, pbx);
});

test('issue 4, RFC 3261 §15.1.2: BYE from the callee: 200 to it, BYE to the caller, the call ends', async (t) => {
  const { pbx, caller, callee } = await call(t, 'call-uac-recv-bye.xml', 'call-uas-bye.xml');
  t.is(callee.status, 0, `callee (sends BYE, expects 200):\n${callee.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is(caller.status, 0, `caller (expects the BYE):\n${caller.errors}`);
  await assertIdleAndAnswered(t, pbx);
});
