/**
 * Issue 6 over loopback: SIPp plays the operator calling our numbers (a
 * static trunk: its INVITEs come from the trunk's address and port) and
 * the phones (each registered, then a SIPp UAS that answers or only rings);
 * pbxgate runs as the real program. What the operator got is read from its
 * SIPp log, the order of the ring steps from pbxgate's log, and the journal
 * from the console. Serial: runSipp blocks this event loop.
 */
import test, { type ExecutionContext } from 'ava';
import { startPbx, makePhones, freePort, logMatching, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, registerFrom, assertCallsIdle, ringSteps, OPERATOR_IP, type BackgroundSipp, type SippResult } from '../support/sipp.ts';
import type { Config, Phone } from '../../firmware/config/index.ts';

const MAIN = '0577110000';
const CALLER = '0612345678';

// 410 (DID 0577110010) is the reception; 411 (DID 0577110011); 601 and 602 have no DID.
const phones = makePhones(4, 2);
const [p410, p411, p601, p602] = phones as [Phone, Phone, Phone, Phone];

function office(opPort: number, then?: (c: Config) => void): (c: Config) => void {
  return (c) => {
    c.trunk = { ...c.trunk, enabled: true, registrar: OPERATOR_IP, port: opPort, domain: 'operator.test', username: MAIN, password: 'trunk-secret-1', register: false };
    c.company.mainNumber = MAIN;
    c.company.dids = [MAIN, '0577110010', '0577110011'];
    c.reception.phone = p410.mac;
    c.reception.ringsBeforeOverflow = 2;
    c.sip.ringCycleSeconds = 1;
    c.groups[0]!.ringSecondsPerMember = 5;
    then?.(c);
  };
}

/** Registers `phone` from a fresh port and runs `scenario` there as its UAS. */
async function phoneUas(t: ExecutionContext, pbx: PbxProcess, phone: Phone, scenario: string): Promise<BackgroundSipp> {
  const target = `127.0.0.1:${pbx.sipPort}`;
  const port = await freePort();
  const reg = registerFrom(target, phone, port);
  t.is(reg.status, 0, `${phone.internalNumber} registers:\n${reg.errors}`);
  const uas = startSipp(target, scenario, port, ['-m', '1', '-timeout', '30', '-timeout_error']);
  t.teardown(() => uas.stop());
  return uas;
}

/** The operator calls `called` from `caller` (from its address, any port); the call is held `holdMs` if answered. */
async function operatorCalls(pbx: PbxProcess, caller: string, called: string, holdMs = 500): Promise<SippResult> {
  const port = await freePort();
  return runSipp(`127.0.0.1:${pbx.sipPort}`, 'operator-uac.xml', port, ['-i', OPERATOR_IP, '-inf', callCsv([caller, called]), '-m', '1', '-d', String(holdMs), '-timeout', '40', '-timeout_error', '-trace_logs']);
}

/** The operator's side of calls pbxgate places through the trunk (mobiles, forwards outside), at the trunk's address. */
function operatorAnswers(opPort: number, scenario: 'operator-uas.xml' | 'operator-uas-ring-only.xml'): BackgroundSipp {
  return startSipp('127.0.0.1:5060', scenario, opPort, ['-i', OPERATOR_IP, '-m', '1', '-trace_logs', '-timeout', '40', '-timeout_error']);
}



test.serial('INB-1, NUM-1: the main number rings the reception, then after its rings the Standard group (every phone); the first to answer gets the call and the others get CANCEL', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({ phones, patch: office(opPort) });
  t.teardown(() => pbx.stop());
  const reception = await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml');
  const other = await phoneUas(t, pbx, p411, 'call-uas-ring-only.xml');
  const answering = await phoneUas(t, pbx, p601, 'call-uas.xml');
  const late = await phoneUas(t, pbx, p602, 'call-uas-ring-only.xml');
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const op = await operatorCalls(pbx, CALLER, MAIN);
  t.is(op.status, 0, `operator:\n${op.errors}\n${op.logs}\n${pbx.stderr().slice(-4000)}`);
  t.regex(op.logs, /ANSWERED/);
  t.true(Date.now() - started >= 2000, 'the Standard group rang only after the reception\'s 2 rings of 1 s');
  for (const [name, uas] of [['reception 410', reception], ['411', other], ['602', late]] as const) {
    const r = await uas.done;
    t.is(r.status, 0, `${name} rang and was CANCELed:\n${r.errors}`);
  }
  t.is((await answering.done).status, 0);
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['reception 410', 'Standard group 999']);
  t.regex(log, /main number: reception 410 rings 2 times \(INB-1\)/);
  t.regex(log, /then the Standard group: 411, 601, 602/);
  await assertCallsIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, new RegExp(`${CALLER} -> ${MAIN} {2}answered by 601 {2}\\d+s {2}inbound`));
  // LOG-3: the call is in the journal of every phone that rang, answered or not.
  t.regex(await pbx.command('journal 602'), new RegExp(`${CALLER} -> ${MAIN}`));
});

test.serial('INB-1, VOX-1: nobody answers the main number: reception, Standard group, then the reception\'s voicemail answers and records the caller; missed in every journal', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({ phones, patch: office(opPort, (c) => (c.groups[0]!.ringSecondsPerMember = 5)) });
  t.teardown(() => pbx.stop());
  const uas = [await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml'), await phoneUas(t, pbx, p411, 'call-uas-ring-only.xml')];
  await new Promise((r) => setTimeout(r, 300));
  // The operator's caller stays 8 s on the line after the voicemail answers (spoken greeting, beep, then silence recorded).
  const op = await operatorCalls(pbx, CALLER, MAIN, 8000);
  t.is(op.status, 0, `operator:\n${op.errors}\n${op.logs}\n${op.stdout.slice(-3000)}\n${pbx.stderr().slice(-5000)}`);
  t.regex(op.logs, /ANSWERED/);
  for (const u of uas) t.is((await u.done).status, 0);
  const log = await logMatching(pbx, /voicemail: message stored/, 5000);
  t.regex(log, /"box":"410","mode":"deposit".*voicemail answers/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal 411'), new RegExp(`${CALLER} -> ${MAIN} {2}missed {2}\\d+s {2}inbound`));
  t.regex(await pbx.command('voicemail 410'), new RegExp(`^410  1 new, 0 saved\\n  \\S+ \\S+  from ${CALLER}  0:0[1-8]  new$`));
});

test.serial('INB-3, FWD-4, FWD-7: a DID rings its phone; unanswered after its rings it is forwarded to a mobile through the trunk, showing the first caller (per phone choice) with Diversion (RFC 5806) naming the DID', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: office(opPort, (c) => {
      const p = c.phones[1]!; // 411
      p.forwards.noAnswer = { enabled: true, destination: '0699887766', rings: 2 };
      p.forwardedCallerId = 'first-caller';
    }),
  });
  t.teardown(() => pbx.stop());
  const desk = await phoneUas(t, pbx, p411, 'call-uas-ring-only.xml');
  const mobile = operatorAnswers(opPort, 'operator-uas.xml');
  t.teardown(() => mobile.stop());
  await new Promise((r) => setTimeout(r, 300));
  const op = await operatorCalls(pbx, CALLER, '+33577110011');
  t.is(op.status, 0, `operator (caller):\n${op.errors}\n${op.logs}`);
  t.regex(op.logs, /ANSWERED/);
  t.is((await desk.done).status, 0, 'the desk phone rang and was CANCELed');
  const m = await mobile.done;
  t.is(m.status, 0, `operator (mobile):\n${m.errors}\n${m.logs}`);
  t.regex(m.logs, /CALL ruri=sip:0699887766@operator\.test from=<sip:0612345678@operator\.test>;tag=\S+ pai=<sip:0577110011@operator\.test> privacy=$/m);
  t.regex(m.logs, /DIVERSION <sip:0577110011@operator\.test>;reason=no-answer;counter=1/);
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['ring 411', 'forward to 0699887766']);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal 411'), new RegExp(`${CALLER} -> 0577110011 {2}answered by 0699887766 {2}\\d+s {2}inbound`));
});

test.serial('MOB-1: simultaneous ring: the desk phone rings first, the mobile right after with the caller\'s number; the desk phone answers and the mobile gets CANCEL', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: office(opPort, (c) => (c.phones[1]!.simultaneousRing = { allowed: true, enabled: true, mobile: '0699887766' })),
  });
  t.teardown(() => pbx.stop());
  const desk = await phoneUas(t, pbx, p411, 'call-uas-answer-late.xml');
  const mobile = operatorAnswers(opPort, 'operator-uas-ring-only.xml');
  t.teardown(() => mobile.stop());
  await new Promise((r) => setTimeout(r, 300));
  const op = await operatorCalls(pbx, CALLER, '0577110011');
  t.is(op.status, 0, `operator (caller):\n${op.errors}\n${op.logs}\n${(await logMatching(pbx, /call ended/)).slice(-6000)}`);
  t.regex(op.logs, /ANSWERED/);
  t.is((await desk.done).status, 0);
  const m = await mobile.done;
  t.is(m.status, 0, `the mobile rang and was CANCELed:\n${m.errors}\n${m.logs}`);
  t.regex(m.logs, /CALL ruri=sip:0699887766@operator\.test from=<sip:0612345678@operator\.test>;tag=\S+ pai=<sip:0577110011@operator\.test>/);
  t.regex(m.logs, /DIVERSION <sip:0577110011@operator\.test>;reason=follow-me/);
  t.regex(await logMatching(pbx, /call ended/), /simultaneous ring with the mobile 0699887766 \(MOB-1\)/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal 411'), /answered by 411/);
});

test.serial('MOB-3: a phone without DID takes main-number calls on a mobile: the reception rings, then the reception and that mobile, and no Standard overflow', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: office(opPort, (c) => (c.phones[2]!.mainNumberOnMobile = { enabled: true, mobile: '0611223344' })), // 601
  });
  t.teardown(() => pbx.stop());
  const reception = await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml');
  await phoneUas(t, pbx, p411, 'call-uas.xml'); // would answer at once if it rang: it must not
  const mobile = operatorAnswers(opPort, 'operator-uas.xml');
  t.teardown(() => mobile.stop());
  await new Promise((r) => setTimeout(r, 300));
  const op = await operatorCalls(pbx, CALLER, MAIN);
  t.is(op.status, 0, `operator (caller):\n${op.errors}\n${op.logs}`);
  t.is((await reception.done).status, 0, 'the reception rang and was CANCELed');
  const m = await mobile.done;
  t.is(m.status, 0, m.errors);
  t.regex(m.logs, /CALL ruri=sip:0611223344@operator\.test from=<sip:0612345678@operator\.test>/);
  const log = await logMatching(pbx, /call ended/);
  t.deepEqual(ringSteps(log), ['reception 410', 'reception and the mobile of 601']);
  t.regex(await pbx.command('journal'), new RegExp(`${CALLER} -> ${MAIN} {2}answered by 0611223344`));
});

test.serial('GRP-6: a group with its own DID takes calls from outside; a number that is not ours is refused 404', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: office(opPort, (c) => {
      c.company.dids.push('0577110022');
      c.groups.push({ internalNumber: '622', name: 'SAV', ringMode: 'simultaneous', members: [p411.mac, p601.mac], did: '0577110022', enabled: true, ringSecondsPerMember: 10 });
    }),
  });
  t.teardown(() => pbx.stop());
  const ringing = await phoneUas(t, pbx, p411, 'call-uas-ring-only.xml');
  const answering = await phoneUas(t, pbx, p601, 'call-uas.xml');
  await new Promise((r) => setTimeout(r, 300));
  const op = await operatorCalls(pbx, CALLER, '0577110022');
  t.is(op.status, 0, `${op.errors}\n${op.logs}`);
  t.regex(op.logs, /ANSWERED/);
  t.is((await ringing.done).status, 0);
  t.is((await answering.done).status, 0);
  t.deepEqual(ringSteps(await logMatching(pbx, /call ended/)), ['group 622']);
  const stranger = await operatorCalls(pbx, CALLER, '0577119999');
  t.is(stranger.status, 0, stranger.errors);
  t.regex(stranger.logs, /FINAL 404 399 pbxgate "0577119999 is not a number of this installation"/);
  await assertCallsIdle(t, pbx);
});

test.serial('VOX-6: the auto attendant answers the main number; the caller presses 1 during the welcome and is put through to 410, who answers', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: office(opPort, (c) => {
      c.autoAttendant = { enabled: true, name: 'Standard automatique', restrictionProfile: 1, keys: [{ digit: '1', action: { kind: 'call', number: '410' } }] };
    }),
  });
  t.teardown(() => pbx.stop());
  const callee = await phoneUas(t, pbx, p410, 'call-uas.xml');
  const port = await freePort();
  const op = runSipp(`127.0.0.1:${pbx.sipPort}`, 'operator-uac-key1.xml', port, ['-i', OPERATOR_IP, '-inf', callCsv([CALLER, MAIN]), '-m', '1', '-d', '6000', '-timeout', '40', '-timeout_error', '-trace_logs']);
  t.is(op.status, 0, `operator:\n${op.errors}\n${pbx.stderr().slice(-4000)}`);
  t.is((await callee.done).status, 0, '410 answered, then got the BYE');
  const log = await logMatching(pbx, /call ended/, 5000);
  t.regex(log, /auto attendant answers/);
  t.regex(log, /"number":"410","why":"key".*auto attendant: putting the caller through/);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal 410'), new RegExp(`${CALLER} -> ${MAIN} {2}answered by 410 {2}\\d+s {2}inbound`));
});

test.serial('VOX-5: 410 records its pre-answer announcement from the handset (*35*2) and switches it on (*35*1); a call from outside to its DID hears it as early media while 410 rings', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({ phones, patch: office(opPort) });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const phoneCall = async (number: string, scenario: string, extra: string[]) =>
    runSipp(target, scenario, await freePort(), ['-inf', callCsv([p410.sip.username, authKeyword(p410), number]), '-m', '1', '-timeout', '30', '-timeout_error', ...extra]);
  // The spoken instructions take about 4 s; 410 then speaks (SIPp's G.711 audio) and hangs up.
  const rec = await phoneCall('*35*2', 'call-uac-voice.xml', ['-d', '8000']);
  t.is(rec.status, 0, `*35*2:\n${rec.errors}\n${pbx.stderr().slice(-3000)}`);
  await logMatching(pbx, /pre-answer announcement recorded/, 5000);
  const on = await phoneCall('*35*1', 'call-uac.xml', []);
  t.is(on.status, 0, `*35*1:\n${on.errors}`);
  t.regex(await pbx.command('config show phones.0.preAnswer'), /"enabled": true[\s\S]*"recording": "preanswer-00085d000000\.wav"/);

  const callee = await phoneUas(t, pbx, p410, 'call-uas.xml');
  const op = await operatorCalls(pbx, CALLER, p410.did!, 1000);
  t.is(op.status, 0, `operator:\n${op.errors}\n${pbx.stderr().slice(-4000)}`);
  t.regex(op.logs, /ANSWERED/);
  t.is((await callee.done).status, 0);
  t.regex(await logMatching(pbx, /"announcement":"line 410"/, 5000), /"announcement":"line 410","mode":"while-ringing".*pre-answer announcement/);
  await assertCallsIdle(t, pbx);
});
