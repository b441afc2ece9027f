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
import { runSipp, startSipp, callCsv, registerFrom, waitSip, type BackgroundSipp, type SippResult } from '../support/sipp.ts';
import type { Config, Phone } from '../../firmware/config/index.ts';

const MAIN = '0577110000';
const CALLER = '0612345678';

// 410 (DID 0577110010) is the reception; 411 (DID 0577110011); 601 and 602 have no DID.
const phones = makePhones(4, 2);
const [p410, p411, p601, p602] = phones as [Phone, Phone, Phone, Phone];

function office(opPort: number, then?: (c: Config) => void): (c: Config) => void {
  return (c) => {
    c.trunk = { ...c.trunk, enabled: true, registrar: '127.0.0.1', port: opPort, domain: 'operator.test', username: MAIN, password: 'trunk-secret-1', register: false };
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

/** The operator calls `called` from `caller`; the call is held `holdMs` if answered. */
function operatorCalls(pbx: PbxProcess, opPort: number, caller: string, called: string, holdMs = 500): SippResult {
  return runSipp(`127.0.0.1:${pbx.sipPort}`, 'operator-uac.xml', opPort, ['-inf', callCsv([caller, called]), '-m', '1', '-d', String(holdMs), '-timeout', '40', '-timeout_error', '-trace_logs']);
}

async function assertIdle(t: ExecutionContext, pbx: PbxProcess): Promise<void> {
  const { sip, calls } = await waitSip(pbx, 5000);
  t.is(sip.calls, 0, calls);
  t.is(sip.rtpPortsInUse, 0);
}

/** The labels of the ring steps pbxgate ran, in order (from its log). */
function ringSteps(log: string): string[] {
  return [...log.matchAll(/"step":"([^"]+)"[^\n]*"msg":"call plan: ring step"/g)].map((m) => m[1]!);
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
  const op = operatorCalls(pbx, opPort, CALLER, MAIN);
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
  await assertIdle(t, pbx);
  const journal = await pbx.command('journal');
  t.regex(journal, new RegExp(`${CALLER} -> ${MAIN} {2}answered by 601 {2}\\d+s {2}inbound`));
  // LOG-3: the call is in the journal of every phone that rang, answered or not.
  t.regex(await pbx.command('journal 602'), new RegExp(`${CALLER} -> ${MAIN}`));
});

test.serial('INB-1: nobody answers the main number: reception, Standard group, then the reception\'s voicemail (its stand-in: 480 with a Warning); missed in every journal', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({ phones, patch: office(opPort, (c) => (c.groups[0]!.ringSecondsPerMember = 5)) });
  t.teardown(() => pbx.stop());
  const uas = [await phoneUas(t, pbx, p410, 'call-uas-ring-only.xml'), await phoneUas(t, pbx, p411, 'call-uas-ring-only.xml')];
  await new Promise((r) => setTimeout(r, 300));
  const op = operatorCalls(pbx, opPort, CALLER, MAIN);
  t.is(op.status, 0, `operator:\n${op.errors}\n${op.logs}\n${op.stdout.slice(-3000)}\n${pbx.stderr().slice(-5000)}`);
  t.regex(op.logs, /FINAL 480 399 pbxgate "voicemail is not available yet \(voicemail of 410\)"/);
  for (const u of uas) t.is((await u.done).status, 0);
  await assertIdle(t, pbx);
  t.regex(await pbx.command('journal 411'), new RegExp(`${CALLER} -> ${MAIN} {2}missed {2}0s {2}inbound`));
});
