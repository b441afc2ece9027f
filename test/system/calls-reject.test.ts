/**
 * Issue 4: calls that never connect, driven by SIPp against the real process:
 * unknown number (404), callee not registered (480), callee that rejects
 * (486 relayed), busy callee without call waiting (486 from the PBX, FWD-6),
 * no answer (ring timeout, 480), a callee that never answers at all (Timer B,
 * RFC 3261 §17.1.1.2). After each: no call, no dialog, no RTP port left, and
 * the journal (LOG-1) says what happened.
 */
import test from 'ava';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, registerFrom, waitSip, assertCallsIdle, type SippResult } from '../support/sipp.ts';
import type { Config } from '../../firmware/config/index.ts';

const phones = makePhones(3, 0); // 601, 602, 603
const [p601, p602, p603] = phones as [(typeof phones)[0], (typeof phones)[0], (typeof phones)[0]];

/** 602 without voicemail: an unanswered call to it ends with 480 (with voicemail, test/system/voicemail.test.ts). */
function noVoicemail(c: Config): void {
  c.phones = structuredClone(c.phones);
  c.phones.find((p) => p.mac === p602.mac)!.voicemail.enabled = false;
}

async function pbxFor(t: import('ava').ExecutionContext, patch?: (c: Config) => void): Promise<{ pbx: PbxProcess; target: string }> {
  const pbx = await startPbx({ phones, ...(patch ? { patch } : {}) });
  t.teardown(() => pbx.stop());
  return { pbx, target: `127.0.0.1:${pbx.sipPort}` };
}

/** Runs call-uac-reject.xml (in the background: other tests go on): `caller` dials `dialled` and must get `status`. */
async function callExpecting(t: import('ava').ExecutionContext, target: string, caller: typeof p601, dialled: string, status: number, timeoutS = 20): Promise<SippResult> {
  const port = await freePort();
  const run = startSipp(target, 'call-uac-reject.xml', port, ['-inf', callCsv([caller.sip.username, authKeyword(caller), dialled, String(status)]), '-m', '1', '-trace_logs', '-timeout', String(timeoutS), '-timeout_error']);
  t.teardown(() => run.stop());
  return run.done;
}

test('issue 4, NUM-3, issue 5 §3: an unknown internal number gets the information tone then 404 Not Found; nothing rings, everything is released, the attempt is journaled as failed', async (t) => {
  const { pbx, target } = await pbxFor(t);
  const r = await callExpecting(t, target, p601, '699', 404);
  t.is(r.status, 0, `${r.errors}\n${r.logs}`);
  t.regex(r.logs, /final status 404/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /^\S+ \S+ {2}601 -> 699 {2}failed {2}0s {2}internal$/);
});

test('issue 4: a callee that is not registered (and has no voicemail) gets 480 Temporarily Unavailable (RFC 3261 §21.4.18), journal: missed (LOG-1)', async (t) => {
  const { pbx, target } = await pbxFor(t, noVoicemail);
  const r = await callExpecting(t, target, p601, '602', 480);
  t.is(r.status, 0, `${r.errors}\n${r.logs}`);
  t.regex(r.logs, /final status 480/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed {2}0s/);
});

test('issue 4: the callee answers 486 Busy Here: relayed to the caller, ACKed on both legs, journal: missed', async (t) => {
  const { pbx, target } = await pbxFor(t);
  const calleePort = await freePort();
  const reg = registerFrom(target, p602, calleePort);
  t.is(reg.status, 0, reg.errors);
  const uas = startSipp(target, 'call-uas-busy.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const r = await callExpecting(t, target, p601, '602', 486);
  t.is(r.status, 0, `${r.errors}\n${r.logs}\n${pbx.stderr().slice(-3000)}`);
  const u = await uas.done;
  t.is(u.status, 0, `callee (expects our ACK of its 486, §17.1.1.3):\n${u.errors}`);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed {2}0s/);
});

test('issue 4, FWD-6: a callee in a call with call waiting off is busy: a second caller gets 486 from the PBX, journal: missed', async (t) => {
  const { pbx, target } = await pbxFor(t, (c) => {
    c.phones.find((p) => p.internalNumber === '602')!.callWaiting = false;
  });
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const uas = startSipp(target, 'call-uas.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  // 601 talks to 602 for 4 s.
  const first = startSipp(target, 'call-uac-talk.xml', await freePort(), ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', '1', '-d', '4000', '-timeout', '20', '-timeout_error']);
  t.teardown(() => first.stop());
  // The call exists from the INVITE on: wait until it is answered (the console's calls view says so).
  let talking = (await waitSip(pbx, 5000, (s) => s.calls === 1)).calls;
  for (const deadline = Date.now() + 5000; !/601 -> 602 {2}answered/.test(talking) && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 100));
    talking = await pbx.command('calls');
  }
  t.regex(talking, /601 -> 602 {2}answered/);
  const r = await callExpecting(t, target, p603, '602', 486);
  t.is(r.status, 0, `${r.errors}\n${r.logs}`);
  t.regex(r.logs, /final status 486/);
  t.regex((await waitSip(pbx, 100, () => true)).calls, /601 -> 602 {2}answered/, 'the first call goes on');
  t.is((await first.done).status, 0);
  t.is((await uas.done).status, 0);
  await assertCallsIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, /603 -> 602 {2}missed {2}0s/);
  t.regex(journal, /601 -> 602 {2}answered by 602 {2}[3-5]s/);
});

test('issue 4: nobody picks up (no voicemail): after sip.ringTimeoutSeconds the callee gets CANCEL (§9.1) and the caller 480, journal: missed', async (t) => {
  const { pbx, target } = await pbxFor(t, (c) => {
    noVoicemail(c);
    c.sip.ringTimeoutSeconds = 5;
  });
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const uas = startSipp(target, 'call-uas-ring-only.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const r = await callExpecting(t, target, p601, '602', 480);
  const took = Date.now() - started;
  t.is(r.status, 0, `${r.errors}\n${r.logs}`);
  t.true(took >= 4500 && took < 9000, `480 after ${took} ms`);
  const u = await uas.done;
  t.is(u.status, 0, `callee (expects CANCEL, answers 200 + 487, expects ACK):\n${u.errors}`);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed {2}0s/);
});

test('issue 4, RFC 3261 §17.1.1.2 Timer B: a registered callee that never answers the INVITE: the caller gets 480 after 64*T1, nothing left', async (t) => {
  const { pbx, target } = await pbxFor(t, (c) => {
    noVoicemail(c);
    c.sip.timers.t1 = 100; // Timer B = 6.4 s
  });
  // Registered from a port where nothing will listen: the phone is gone.
  t.is(registerFrom(target, p602, await freePort()).status, 0);
  const started = Date.now();
  const r = await callExpecting(t, target, p601, '602', 480);
  const took = Date.now() - started;
  t.is(r.status, 0, `${r.errors}\n${r.logs}`);
  // Not before Timer B; the upper bound also holds SIPp's start and the digest challenge round, slow on a loaded CI machine.
  t.true(took >= 6000 && took < 15_000, `final response after ${took} ms`);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}missed {2}0s/);
  // The B-leg INVITE client transaction is gone with Timer B; the A-leg server one after Timer H/I.
  const drained = await waitSip(pbx, 10_000, (s) => s.transactions !== null && s.transactions.client === 0 && s.transactions.server === 0);
  t.deepEqual(drained.sip.transactions && { client: drained.sip.transactions.client, server: drained.sip.transactions.server }, { client: 0, server: 0 });
});
