/**
 * Issue 6 over loopback, internal calls: groups (GRP-1, GRP-4, GRP-5,
 * NUM-6, INB-4) and forwards (FWD-1, FWD-2, FWD-5, FWD-6). The phones are
 * SIPp: each registers from a port and then runs a UAS scenario there (it
 * answers, or only rings and expects CANCEL); callers and feature codes are
 * SIPp UACs, which authenticate per request and need no registration.
 * pbxgate runs as the real program; the order of its ring steps is read from
 * its log, the stored settings from `config show`, the journal from the
 * console. Serial: runSipp blocks this event loop.
 */
import test, { type ExecutionContext } from 'ava';
import { startPbx, makePhones, freePort, logMatching, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, registerFrom, waitSip, assertCallsIdle, ringSteps, type BackgroundSipp, type SippResult } from '../support/sipp.ts';
import type { Config, Phone } from '../../firmware/config/index.ts';

// 410 and 411 have DIDs; 601 and 602 have none. 601 is the caller throughout.
const phones = makePhones(4, 2);
const [p410, p411, p601, p602] = phones as [Phone, Phone, Phone, Phone];

type Patch = (c: Config) => void;

/** One ring is 1 s (counted settings short), the Standard group rings 5 s; then the test's own changes. */
function office(then?: Patch): Patch {
  return (c) => {
    // seedConfig puts the shared Phone objects in the draft: copy them, so one test's changes stay in its own PBX.
    c.phones = structuredClone(c.phones);
    c.sip.ringCycleSeconds = 1;
    c.groups[0]!.ringSecondsPerMember = 5;
    then?.(c);
  };
}

function addGroup(c: Config, internalNumber: string, ringMode: 'simultaneous' | 'sequential', members: Phone[]): void {
  c.groups.push({ internalNumber, name: `Group ${internalNumber}`, ringMode, members: members.map((m) => m.mac), enabled: true, ringSecondsPerMember: 5 });
}

/** The phone's record in a config being patched. */
function rec(c: Config, phone: Phone): Phone {
  return c.phones.find((p) => p.mac === phone.mac)!;
}

async function start(t: ExecutionContext, patch: Patch): Promise<PbxProcess> {
  const pbx = await startPbx({ phones, patch: office(patch) });
  t.teardown(() => pbx.stop());
  return pbx;
}

/** Registers `phone` from a fresh port and runs `scenario` there as its UAS (`calls` calls). */
async function phoneUas(t: ExecutionContext, pbx: PbxProcess, phone: Phone, scenario: string, calls = 1, extra: string[] = []): Promise<BackgroundSipp> {
  const target = `127.0.0.1:${pbx.sipPort}`;
  const port = await freePort();
  const reg = registerFrom(target, phone, port);
  t.is(reg.status, 0, `${phone.internalNumber} registers:\n${reg.errors}`);
  const uas = startSipp(target, scenario, port, ['-m', String(calls), '-timeout', '30', '-timeout_error', ...extra]);
  t.teardown(() => uas.stop());
  // Let SIPp bind its port before anything is sent there (an INVITE to a closed port fails the leg at once).
  await new Promise((r) => setTimeout(r, 300));
  return uas;
}

/** `phone` dials `number` (call-uac.xml: answered, 500 ms, BYE; a feature code is answered too). */
async function dial(pbx: PbxProcess, phone: Phone, number: string): Promise<SippResult> {
  const port = await freePort();
  return runSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac.xml', port, ['-inf', callCsv([phone.sip.username, authKeyword(phone), number]), '-m', '1', '-timeout', '20', '-timeout_error', '-trace_logs']);
}

/** `phone` dials `number` and must get the final `status` (call-uac-reject.xml). */
async function dialRejected(pbx: PbxProcess, phone: Phone, number: string, status: number): Promise<SippResult> {
  const port = await freePort();
  return runSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac-reject.xml', port, ['-inf', callCsv([phone.sip.username, authKeyword(phone), number, String(status)]), '-m', '1', '-timeout', '20', '-timeout_error', '-trace_logs']);
}

/** A feature code: answered (200, tone), ended by the phone's BYE. */
async function feature(t: ExecutionContext, pbx: PbxProcess, phone: Phone, code: string): Promise<void> {
  const r = await dial(pbx, phone, code);
  t.is(r.status, 0, `${phone.internalNumber} dials ${code}: answered:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  // Wait for the config store (the code is applied before the 200) and the call's end.
  await waitSip(pbx, 5000);
}

/** The UAS is still waiting for its INVITE (it has not exited): it was never called. */
async function stillWaiting(uas: BackgroundSipp): Promise<boolean> {
  const r = await Promise.race([uas.done.then(() => 'exited' as const), new Promise<'waiting'>((res) => setTimeout(() => res('waiting'), 300))]);
  return r === 'waiting';
}

async function uasOk(t: ExecutionContext, name: string, uas: BackgroundSipp, pbx: PbxProcess): Promise<void> {
  const r = await uas.done;
  t.is(r.status, 0, `${name}:\n${r.errors}\n${r.stdout.slice(-1500)}\n${pbx.stderr().slice(-3000)}`);
}



/** The log written since `mark` (a length of pbx.stderr()). */
const since = (pbx: PbxProcess, mark: number): string => pbx.stderr().slice(mark);

/** The log since `mark` once it matches `re` (polled: the log pipe is read by this event loop, which runSipp blocks). */
async function logSince(pbx: PbxProcess, mark: number, re: RegExp, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(since(pbx, mark)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return since(pbx, mark);
}

test.serial('GRP-1: a sequential group rings its members one after the other: 410 for its 5 s (then CANCEL), then 411, who answers', async (t) => {
  const pbx = await start(t, (c) => addGroup(c, '621', 'sequential', [p410, p411]));
  const first = await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml');
  const second = await phoneUas(t, pbx, p411, 'call-uas.xml');
  const started = Date.now();
  const r = await dial(pbx, p601, '621');
  t.is(r.status, 0, `601 -> 621:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  t.true(Date.now() - started >= 5000, '411 rang only after the 5 s of 410');
  await uasOk(t, '410 rang and was CANCELed', first, pbx);
  await uasOk(t, '411 answered', second, pbx);
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['group 621: 410', 'group 621: 411']);
  t.regex(log, /group 621 \\"Group 621\\": 410 then 411, 5 s each \(GRP-1\)/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 621 {2}answered by 411/);
});

test.serial('GRP-1: a simultaneous group rings every member at once (one step); 411 answers, 410 gets CANCEL', async (t) => {
  const pbx = await start(t, (c) => addGroup(c, '622', 'simultaneous', [p410, p411]));
  const ringing = await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml');
  const answering = await phoneUas(t, pbx, p411, 'call-uas.xml');
  const r = await dial(pbx, p601, '622');
  t.is(r.status, 0, `601 -> 622:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '410 rang and was CANCELed', ringing, pbx);
  await uasOk(t, '411 answered', answering, pbx);
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['group 622']);
  t.regex(log, /"step":"group 622"[^\n]*"ringing":2/, 'both phones were called in the one step');
  t.regex(log, /group 622 \\"Group 622\\": 410, 411 at once for 5 s \(GRP-1\)/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 622 {2}answered by 411/);
  // LOG-3: the phone that rang unanswered has the call too.
  t.regex(await pbx.command('journal 410'), /601 -> 622/);
});

test.serial('GRP-4: *30*621 leaves the group (stored in groupsLeft): only 410 rings; *31*621 rejoins and 411 rings again', async (t) => {
  const pbx = await start(t, (c) => addGroup(c, '621', 'simultaneous', [p410, p411]));
  const answering = await phoneUas(t, pbx, p410, 'call-uas.xml', 2);
  const left = await phoneUas(t, pbx, p411, 'call-uas-ring-only.xml');
  await feature(t, pbx, p411, '*30*621');
  t.regex(await pbx.command('config show phones'), /"groupsLeft": \[\s*"621"\s*\]/);

  let mark = pbx.stderr().length;
  const r1 = await dial(pbx, p601, '621');
  t.is(r1.status, 0, `601 -> 621:\n${r1.errors}\n${pbx.stderr().slice(-3000)}`);
  t.regex(await logSince(pbx, mark, /call ended/), /"plan":"ring 410 \(5 s\)"/, 'only 410 is in the plan');
  t.true(await stillWaiting(left), '411 (left the group) got no INVITE');

  await feature(t, pbx, p411, '*31*621');
  t.regex(await pbx.command('config show phones'), /"groupsLeft": \[\]/);
  t.notRegex(await pbx.command('config show phones'), /"621"/);
  mark = pbx.stderr().length;
  const r2 = await dial(pbx, p601, '621');
  t.is(r2.status, 0, `601 -> 621 again:\n${r2.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '410 answered both calls', answering, pbx);
  await uasOk(t, '411 (back in the group) rang and was CANCELed', left, pbx);
  t.regex(await logSince(pbx, mark, /call ended/), /"plan":"ring 410,411 \(5 s\)"/);
  t.deepEqual(ringSteps(pbx.stderr()), ['group 621', 'group 621']);
  await assertCallsIdle(t, pbx);
});

test.serial('NUM-6, INB-4: after *30*999 (standardOverflowOptOut) 602 does not ring when 601 calls 999; 410 and 411 do', async (t) => {
  const pbx = await start(t, () => {});
  const ringing = await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml');
  const answering = await phoneUas(t, pbx, p411, 'call-uas.xml');
  const optedOut = await phoneUas(t, pbx, p602, 'call-uas-ring-only.xml');
  await feature(t, pbx, p602, '*30*999');
  const stored = JSON.parse(await pbx.command('config show phones')) as Phone[];
  t.deepEqual(
    stored.map((p) => [p.internalNumber, p.standardOverflowOptOut]),
    [['410', false], ['411', false], ['601', false], ['602', true]],
  );

  const mark = pbx.stderr().length;
  const r = await dial(pbx, p601, '999');
  t.is(r.status, 0, `601 -> 999:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '410 rang and was CANCELed', ringing, pbx);
  await uasOk(t, '411 answered', answering, pbx);
  const log = await logSince(pbx, mark, /call ended/);
  t.deepEqual(ringSteps(log), ['group 999']);
  t.regex(log, /"plan":"ring 410,411 \(5 s\)"/, 'neither the caller 601 nor 602 (opted out) is called');
  t.regex(log, /"step":"group 999"[^\n]*"ringing":2/);
  t.true(await stillWaiting(optedOut), '602 got no INVITE');
  await assertCallsIdle(t, pbx);
});

test.serial('GRP-5: *40*621 forces night service: a call to group 621 goes to its night destination 602; *42*621 back to automatic (day) rings the group', async (t) => {
  const pbx = await start(t, (c) => {
    addGroup(c, '621', 'simultaneous', [p410, p411]);
    // Day all week, all day (to == from: 24 h), holidays included: only the override makes it night.
    c.schedules.push({ target: '621', enabled: true, daySlots: [{ days: [0, 1, 2, 3, 4, 5, 6], from: '00:00', to: '00:00' }], nightDestination: '602', holidaysAreNight: false, override: 'auto' });
  });
  const member = await phoneUas(t, pbx, p410, 'call-uas.xml');
  const night = await phoneUas(t, pbx, p602, 'call-uas.xml');
  await feature(t, pbx, p410, '*40*621');
  t.regex(await pbx.command('config show schedules'), /"override": "night"/);

  const r1 = await dial(pbx, p601, '621');
  t.is(r1.status, 0, `601 -> 621 (night):\n${r1.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '602 (night destination) answered', night, pbx);
  t.true(await stillWaiting(member), 'the group member 410 got no INVITE at night');
  t.regex(pbx.stderr(), /group 621: night: override, night service to 602 \(GRP-5\)/);

  await feature(t, pbx, p410, '*42*621');
  t.regex(await pbx.command('config show schedules'), /"override": "auto"/);
  const r2 = await dial(pbx, p601, '621');
  t.is(r2.status, 0, `601 -> 621 (day):\n${r2.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '410 (day: the group) answered', member, pbx);
  const log = await logMatching(pbx, /call ended[\s\S]*call ended[\s\S]*call ended[\s\S]*call ended/);
  t.deepEqual(ringSteps(log), ['ring 602', 'group 621']);
  await assertCallsIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, /601 -> 621 {2}answered by 602/);
  t.regex(journal, /601 -> 621 {2}answered by 410/);
});

test.serial('FWD-1, FWD-5: 410 forwards unconditionally to 411, who answers; after *89*1 on 411 the forward is ignored and 410 rings itself', async (t) => {
  const pbx = await start(t, (c) => {
    rec(c, p410).forwards.unconditional = { enabled: true, destination: '411' };
  });
  const forwarder = await phoneUas(t, pbx, p410, 'call-uas.xml');
  const target = await phoneUas(t, pbx, p411, 'call-uas.xml');
  const r1 = await dial(pbx, p601, '410');
  t.is(r1.status, 0, `601 -> 410 (forwarded):\n${r1.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '411 answered the forwarded call', target, pbx);
  t.true(await stillWaiting(forwarder), '410 got no INVITE');
  t.regex(pbx.stderr(), /410: unconditional forward to 411 \(FWD-1\)/);

  await feature(t, pbx, p411, '*89*1');
  t.regex(await pbx.command('config show phones'), /"forwardProtection": true/);
  const mark = pbx.stderr().length;
  const r2 = await dial(pbx, p601, '410');
  t.is(r2.status, 0, `601 -> 410 (protected):\n${r2.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '410 answered', forwarder, pbx);
  t.regex(await logSince(pbx, mark, /call ended/), /411 has forward protection on: 410 is not forwarded to it \(FWD-5\)/);
  t.deepEqual(ringSteps(pbx.stderr()), ['ring 411', 'ring 410']);
  await assertCallsIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, /601 -> 410 {2}answered by 411/);
  t.regex(journal, /601 -> 410 {2}answered by 410/);
});

test.serial('FWD-2: unregistered 602 dials *24*411; 601 calling 602 reaches 411; **24 answers the query with confirmation', async (t) => {
  const pbx = await start(t, () => {});
  const target = await phoneUas(t, pbx, p411, 'call-uas.xml');
  await feature(t, pbx, p602, '*24*411');
  const stored = (JSON.parse(await pbx.command('config show phones')) as Phone[]).find((p) => p.internalNumber === '602')!;
  t.like(stored.forwards.disconnect, { enabled: true, destination: '411' });

  const r = await dial(pbx, p601, '602');
  t.is(r.status, 0, `601 -> 602:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '411 answered', target, pbx);
  const log = await logMatching(pbx, /call ended[\s\S]*call ended/);
  t.deepEqual(ringSteps(log), ['ring 411']);
  t.regex(log, /602 is not registered: forward on disconnect \*24 to 411 \(FWD-2\)/);

  const mark = pbx.stderr().length;
  await feature(t, pbx, p602, '**24');
  t.regex(await logSince(pbx, mark, /answered on/), /\*\*24: forward on disconnect to 411 \(answered on\)/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 411/);
});

test.serial('FWD-6: 410 -> 411 -> 410 unconditional with successive forwarding: the loop is cut, only 411 rings and answers', async (t) => {
  const pbx = await start(t, (c) => {
    for (const [from, to] of [[p410, '411'], [p411, '410']] as const) {
      rec(c, from).forwards.unconditional = { enabled: true, destination: to };
      rec(c, from).successiveForwarding = true;
    }
  });
  const first = await phoneUas(t, pbx, p410, 'call-uas.xml');
  const second = await phoneUas(t, pbx, p411, 'call-uas.xml');
  const r = await dial(pbx, p601, '410');
  t.is(r.status, 0, `601 -> 410:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  await uasOk(t, '411 answered', second, pbx);
  t.true(await stillWaiting(first), '410 got no INVITE');
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['ring 411']);
  t.regex(log, /"plan":"ring 411 \(\d+ s\)/);
  t.regex(log, /forward loop: 411 -> 410 was already on the way; the chain stops at 411 \(FWD-6\)/);
  await assertCallsIdle(t, pbx);
});

test.serial('FWD-1: no-answer forward after 1 ring: 410 rings ~1 s, gets CANCEL, then 411 rings and answers', async (t) => {
  const pbx = await start(t, (c) => {
    rec(c, p410).forwards.noAnswer = { enabled: true, destination: '411', rings: 1 };
  });
  const first = await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml');
  const second = await phoneUas(t, pbx, p411, 'call-uas.xml');
  const started = Date.now();
  const r = await dial(pbx, p601, '410');
  const took = Date.now() - started;
  t.is(r.status, 0, `601 -> 410:\n${r.errors}\n${pbx.stderr().slice(-3000)}`);
  t.true(took >= 1000 && took < 5000, `411 rang after 410's one ring of 1 s (call took ${took} ms)`);
  await uasOk(t, '410 rang and was CANCELed', first, pbx);
  await uasOk(t, '411 answered', second, pbx);
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['ring 410', 'ring 411']);
  t.regex(log, /"plan":"ring 410 \(1 s\) -> ring 411 \(\d+ s\) -> voicemail 411"/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 410 {2}answered by 411/);
});

test.serial('FWD-6: 410 without call waiting, in a call with 411: 601 calling 410 gets 486 Busy Here', async (t) => {
  const pbx = await start(t, (c) => {
    rec(c, p410).callWaiting = false;
  });
  const busy = await phoneUas(t, pbx, p410, 'call-uas.xml');
  const talkPort = await freePort();
  const talk = startSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac-talk.xml', talkPort, ['-inf', callCsv([p411.sip.username, authKeyword(p411), '410']), '-m', '1', '-d', '5000', '-timeout', '30', '-timeout_error']);
  t.teardown(() => talk.stop());
  // Wait until 410 has answered: `calls` shows "411 -> 410  answered".
  const deadline = Date.now() + 5000;
  let calls = await pbx.command('calls');
  while (!/411 -> 410 {2}answered/.test(calls) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
    calls = await pbx.command('calls');
  }
  t.regex(calls, /411 -> 410 {2}answered/, `${calls}\n${pbx.stderr().slice(-4000)}`);

  const mark = pbx.stderr().length;
  const r = await dialRejected(pbx, p601, '410', 486);
  t.is(r.status, 0, `601 -> 410 should get 486:\n${r.errors}\n${r.logs}\n${pbx.stderr().slice(-3000)}`);
  t.regex(r.logs, /final status 486, expected 486/);
  const log = await logSince(pbx, mark, /no call waiting/);
  t.regex(log, /410 is busy and has no call waiting \(FWD-6\)/);
  t.deepEqual(ringSteps(log), [], 'nothing rang for the busy call');
  await uasOk(t, '411 -> 410 talked and hung up', talk, pbx);
  await uasOk(t, '410 answered 411 only', busy, pbx);
  await assertCallsIdle(t, pbx);
  // LOG-1 as pbxgate reads it: the callee could have answered (busy), so "missed", in 410's journal too.
  t.regex(await pbx.command('journal 410'), /601 -> 410 {2}missed {2}0s {2}internal/);
});

test.serial('FWD-6 automatic callback: 601 (option on) finds 410 busy and dials *37; when 410 hangs up, the PBX rings 601, then 410, and joins them', async (t) => {
  const pbx = await start(t, (c) => {
    rec(c, p410).callWaiting = false;
    rec(c, p601).automaticCallback = true;
  });
  // 410 answers the call that makes it busy, then the callback; 601 answers the callback and hangs up 2 s later.
  const callee = await phoneUas(t, pbx, p410, 'call-uas.xml', 2);
  const requester = await phoneUas(t, pbx, p601, 'call-uas-bye-after.xml', 1, ['-d', '2000']);
  const talk = startSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac-talk.xml', await freePort(), ['-inf', callCsv([p411.sip.username, authKeyword(p411), '410']), '-m', '1', '-d', '6000', '-timeout', '30', '-timeout_error']);
  t.teardown(() => talk.stop());
  const deadline = Date.now() + 5000;
  let calls = await pbx.command('calls');
  while (!/411 -> 410 {2}answered/.test(calls) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
    calls = await pbx.command('calls');
  }
  t.regex(calls, /411 -> 410 {2}answered/, `${calls}\n${pbx.stderr().slice(-4000)}`);

  const busy = await dialRejected(pbx, p601, '410', 486);
  t.is(busy.status, 0, `601 -> 410 should get 486:\n${busy.errors}\n${pbx.stderr().slice(-3000)}`);
  const mark = pbx.stderr().length;
  await feature(t, pbx, p601, '*37');
  t.regex(await logSince(pbx, mark, /callback from 410 when it is free/), /\*37: callback from 410 when it is free/);
  t.regex(await pbx.command('callbacks'), /601 waits for 410/);

  await uasOk(t, '411 -> 410 talked and hung up', talk, pbx);
  const log = await logSince(pbx, mark, /automatic callback: the requester answered, ringing the callee/, 10_000);
  t.regex(log, /automatic callback: ringing the requester/);
  await uasOk(t, '601 answered the callback and hung up', requester, pbx);
  await uasOk(t, '410 answered 411, then the callback', callee, pbx);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('callbacks'), /no callback requests/);
  // The callback is a call between the two phones, in both journals.
  t.regex(await pbx.command('journal 601'), /601 -> 410 {2}answered by 410 {2}\d+s {2}internal/);
  t.regex(await pbx.command('journal 410'), /601 -> 410 {2}answered by 410/);
});
