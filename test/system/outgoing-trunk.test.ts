/**
 * Issue 5 over loopback: SIPp plays the operator (registrar and UAS, checking
 * our digest credentials with its own code) and the phones; pbxgate runs as
 * the real program. What the operator receives is read from SIPp's logs.
 * Serial: runSipp blocks this event loop, which would starve the console
 * polling of a test running beside it.
 */
import test from 'ava';
import { startPbx, makePhones, freePort, logMatching, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, waitSip, OPERATOR_IP, type BackgroundSipp } from '../support/sipp.ts';
import { createSocket } from 'node:dgram';
import type { Config } from '../../firmware/config/index.ts';
import { UdpSipClient, SipPhone, cseqOf, header } from '../support/sip-client.ts';
import { alawToLinear } from '../../firmware/media/g711.ts';
import { toneRatio } from '../../firmware/media/goertzel.ts';

const TRUNK_USER = '0577110000';
const TRUNK_PASSWORD = 'trunk-secret-1';

// 410 (DID 0577110010) and 411 (DID 0577110011) are DID phones (profile 10, RES-3); 601 has no DID (profile 1).
const phones = makePhones(3, 2);
const [p410, p411, p601] = phones as [(typeof phones)[0], (typeof phones)[0], (typeof phones)[0]];

interface TrunkOptions {
  password?: string;
  retrySeconds?: number;
  /** Further changes for one test. */
  then?: (c: Config) => void;
}

function trunkPatch(operatorPort: number, register: boolean, { password = TRUNK_PASSWORD, retrySeconds = 1, then }: TrunkOptions = {}): (c: Config) => void {
  return (c) => {
    c.trunk = {
      ...c.trunk,
      enabled: true,
      registrar: OPERATOR_IP,
      port: operatorPort,
      domain: 'operator.test',
      username: TRUNK_USER,
      password,
      register,
      retryMinSeconds: retrySeconds,
      retryMaxSeconds: 2 * retrySeconds,
    };
    c.company.mainNumber = '0577110000';
    c.company.dids = ['0577110000', '0577110010', '0577110011'];
    c.company.companyNumber = '0577110011';
    then?.(c);
  };
}


/** Polls `trunk` on the console until it matches (every 200 ms, at most timeoutMs). */
async function waitTrunk(pbx: PbxProcess, re: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = await pbx.command('trunk');
  while (!re.test(text) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    text = await pbx.command('trunk');
  }
  return text;
}

function operator(target: string, scenario: string, port: number, calls: number): BackgroundSipp {
  return startSipp(target, scenario, port, ['-i', OPERATOR_IP, '-m', String(calls), '-trace_logs', '-timeout', '40', '-timeout_error']);
}

function dial(pbx: PbxProcess, phone: (typeof phones)[0], number: string, scenario = 'call-uac.xml', extra: string[] = []) {
  return freePort().then((port) =>
    runSipp(`127.0.0.1:${pbx.sipPort}`, scenario, port, ['-inf', callCsv([phone.sip.username, authKeyword(phone), number]), '-m', '1', '-timeout', '20', '-timeout_error', '-trace_logs', ...extra]),
  );
}

test.serial('issue 5: the trunk registers with digest auth (checked by SIPp as the operator) and refreshes its binding before it expires', async (t) => {
  const opPort = await freePort();
  const op = startSipp('127.0.0.1:5060', 'operator-registrar.xml', opPort, ['-i', OPERATOR_IP, '-m', '1', '-trace_logs', '-timeout', '30', '-timeout_error']);
  t.teardown(() => op.stop());
  await new Promise((r) => setTimeout(r, 300));
  const pbx = await startPbx({ phones, patch: trunkPatch(opPort, true) });
  t.teardown(() => pbx.stop());
  const r = await op.done;
  t.is(r.status, 0, `operator failed:\n${r.errors}\n${r.logs}`);
  t.regex(r.logs, /AUTH OK 1 asked 600/, 'the first REGISTER asks the configured 600 s and its credentials are right');
  t.regex(r.logs, /AUTH OK 2/, 'the refresh (the operator granted only 4 s) came in time, with credentials');
  t.notRegex(r.logs, /AUTH BAD/);
  const status = await waitTrunk(pbx, /binding expires in 3\d{3}s/);
  t.regex(status, /^trunk registered: registered for 3600 s/m);
  t.regex(status, /registrar udp:127\.0\.0\.2:\d+ as 0577110000/);
  t.regex(await pbx.command('status'), /trunk: registered/);
});

test.serial('issue 5: wrong trunk credentials: the operator refuses, the console says why and when the next attempt is (back-off)', async (t) => {
  const opPort = await freePort();
  const op = startSipp('127.0.0.1:5060', 'operator-registrar.xml', opPort, ['-i', OPERATOR_IP, '-m', '1', '-trace_logs', '-timeout', '30']);
  t.teardown(() => op.stop());
  await new Promise((r) => setTimeout(r, 300));
  const pbx = await startPbx({ phones, patch: trunkPatch(opPort, true, { password: 'wrong-password', retrySeconds: 60 }) });
  t.teardown(() => pbx.stop());
  const status = await waitTrunk(pbx, /trunk failed/);
  t.regex(status, /trunk failed: the operator answered 403 Forbidden/);
  t.regex(status, /next attempt in (5\d|60)s \(1 failures in a row\)/);
  op.stop();
  t.regex((await op.done).logs, /AUTH BAD/);
});

test.serial('issue 5, CID-1..3, RES-2: outgoing calls reach the operator in national format with the identity each phone chose; *66* and *65*1 hide it (Privacy: id, PAI kept)', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: trunkPatch(opPort, false, {
      then: (c) => {
        c.phones[0]!.presentedIdentity = 'did'; // 410
        c.phones[1]!.presentedIdentity = 'company'; // 411: CID-3, the company number 0577110011
        // 601 keeps the default: the main number (CID-2)
      },
    }),
  });
  t.teardown(() => pbx.stop());
  t.regex(await waitTrunk(pbx, /trunk static/), /no registration: calls go to 127\.0\.0\.2:\d+/);
  const op = operator(`127.0.0.1:${pbx.sipPort}`, 'operator-uas.xml', opPort, 5);
  t.teardown(() => op.stop());
  await new Promise((r) => setTimeout(r, 300));

  const calls: Array<[typeof p410, string]> = [
    [p410, '0612345678'], // mobile, shows the DID
    [p411, '+33145678901'], // E.164 from the phone: sent national; shows the company number
    [p601, '3901'], // profile 1 allows operator services (RES-2); shows the main number
    [p410, '*66*0612345678'], // CLIR for this call only
  ];
  for (const [phone, number] of calls) {
    const r = await dial(pbx, phone, number);
    if (r.status !== 0) {
      op.stop();
      const o = await op.done;
      t.fail(`${phone.internalNumber} -> ${number}:\n${r.errors}\noperator:\n${o.errors}\n${o.logs}\n${pbx.stderr().slice(-3000)}`);
      return;
    }
  }
  // *65*1: hide from now on (answered, confirmation tone, BYE); the next call of 411 is anonymous.
  const feature = await dial(pbx, p411, '*65*1');
  t.is(feature.status, 0, feature.errors);
  t.regex(await pbx.command('config show phones'), /"hideIdentity": true/);
  t.is((await dial(pbx, p411, '0298765432')).status, 0);

  const r = await op.done;
  t.is(r.status, 0, r.errors);
  const lines = r.logs.split('\n').filter((l) => l.startsWith('CALL'));
  t.is(lines.length, 5, r.logs);
  t.regex(lines[0]!, /ruri=sip:0612345678@operator\.test from=<sip:0577110010@operator\.test>;tag=\S+ pai=<sip:0577110010@operator\.test> privacy=$/);
  t.regex(lines[1]!, /ruri=sip:0145678901@operator\.test from=<sip:0577110011@operator\.test>;tag=\S+ pai=<sip:0577110011@operator\.test> privacy=$/);
  t.regex(lines[2]!, /ruri=sip:3901@operator\.test from=<sip:0577110000@operator\.test>;tag=\S+ pai=<sip:0577110000@operator\.test> privacy=$/);
  t.regex(lines[3]!, /ruri=sip:0612345678@operator\.test from="Anonymous" <sip:anonymous@anonymous\.invalid>;tag=\S+ pai=<sip:0577110010@operator\.test> privacy=id$/);
  t.regex(lines[4]!, /ruri=sip:0298765432@operator\.test from="Anonymous" <sip:anonymous@anonymous\.invalid>;tag=\S+ pai=<sip:0577110011@operator\.test> privacy=id$/);
  const journal = await pbx.command('journal');
  t.regex(journal, /410 -> 0612345678 {2}answered by 0612345678/);
  t.regex(journal, /601 -> 3901 {2}answered by 3901/);
  t.notRegex(journal, /\*65/, 'a feature code is not a call');
  const idle = await waitSip(pbx);
  t.is(idle.sip.rtpPortsInUse, 0, idle.calls);
});

test.serial('issue 5 §3, RES-2, toll-fraud guard: refused calls get a tone then 403 with the reason, are journaled, and never reach the operator', async (t) => {
  const opPort = await freePort();
  // Nothing may reach the operator: SIPp listens there and must see no INVITE.
  const op = operator('127.0.0.1:5060', 'operator-uas.xml', opPort, 1);
  t.teardown(() => op.stop());
  const pbx = await startPbx({ phones, patch: trunkPatch(opPort, false) });
  t.teardown(() => pbx.stop());
  await waitTrunk(pbx, /trunk static/);
  const refusals: Array<[typeof p410, string, string]> = [
    [p601, '0612345678', '403'], // profile 1: no mobiles
    [p410, '00441632960000', '403'], // profile 10, but 44 is not in the EU allow-list
    [p601, '0712345678', '404'], // 071 is unassigned: fail closed
  ];
  // call-uac-reject.xml takes the expected status as field 3.
  for (const [phone, number, status] of refusals) {
    const port = await freePort();
    const r = runSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac-reject.xml', port, ['-inf', callCsv([phone.sip.username, authKeyword(phone), number, status]), '-m', '1', '-timeout', '20', '-timeout_error', '-trace_logs']);
    t.is(r.status, 0, `${phone.internalNumber} -> ${number} should get ${status}:\n${r.errors}\n${r.logs}`);
  }
  const log = await logMatching(pbx, /0712345678 \(unknown/);
  t.regex(log, /call refused: 0612345678 \(mobile, rule [^)]+\): refused, French mobile numbers \(rule [^)]+\) are not allowed by profile 1/);
  t.regex(log, /country code 44 is not in the international allow-list/);
  t.regex(log, /0712345678 \(unknown, rule fail-closed\)/);
  const journal = await pbx.command('journal');
  t.regex(journal, /601 -> 0612345678 {2}failed/);
  t.regex(journal, /410 -> 00441632960000 {2}failed/);
  op.stop();
  const r = await op.done;
  t.notRegex(r.logs, /CALL/, 'no refused call reached the operator');
});

test.serial('NUM-8: with every external line in use the next call hears busy and gets 486; an emergency call still goes out, over capacity and never anonymous (RES-4)', async (t) => {
  const opPort = await freePort();
  const pbx = await startPbx({
    phones,
    patch: trunkPatch(opPort, false, {
      then: (c) => {
        c.capacity.maxExternalCalls = 1;
        c.phones[2]!.hideIdentity = true; // 601 has *65*1 on: the emergency call must show its number anyway
      },
    }),
  });
  t.teardown(() => pbx.stop());
  await waitTrunk(pbx, /trunk static/);
  const op = operator(`127.0.0.1:${pbx.sipPort}`, 'operator-uas.xml', opPort, 2);
  t.teardown(() => op.stop());
  await new Promise((r) => setTimeout(r, 300));
  // 410 takes the only external line for 8 s.
  const talkPort = await freePort();
  const talk = startSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac-talk.xml', talkPort, ['-inf', callCsv([p410.sip.username, authKeyword(p410), '0612345678']), '-m', '1', '-d', '8000', '-timeout', '30', '-timeout_error']);
  t.teardown(() => talk.stop());
  t.regex(await waitTrunk(pbx, /external calls 1 of 1/), /external calls 1 of 1/);

  const busyPort = await freePort();
  const busy = runSipp(`127.0.0.1:${pbx.sipPort}`, 'call-uac-reject.xml', busyPort, ['-inf', callCsv([p411.sip.username, authKeyword(p411), '0612345679', '486']), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.is(busy.status, 0, `the second external call should get 486:\n${busy.errors}`);

  const emergency = await dial(pbx, p601, '112');
  t.is(emergency.status, 0, `112 must go out over capacity:\n${emergency.errors}`);

  t.is((await talk.done).status, 0);
  const r = await op.done;
  t.is(r.status, 0, r.errors);
  const lines = r.logs.split('\n').filter((l) => l.startsWith('CALL'));
  t.is(lines.length, 2, r.logs);
  t.regex(lines[1]!, /ruri=sip:112@operator\.test from=<sip:0577110000@operator\.test>;tag=\S+ pai=<sip:0577110000@operator\.test> privacy=$/);
  const journal = await pbx.command('journal');
  t.regex(journal, /411 -> 0612345679 {2}failed/);
  t.regex(journal, /601 -> 112 {2}answered by 112/);
  const log = await logMatching(pbx, /all 1 external lines are in use/);
  t.regex(log, /0612345679 \(mobile, rule mobile\): refused, all 1 external lines are in use \(NUM-8\)/);
  t.regex(log, /112 \(emergency, rule emergency\): emergency call, always allowed/);
});

test.serial('issue 5 §3: the refusal is audible: the special information tone (950, 1400, 1800 Hz) arrives as RTP on the phone before the 403', async (t) => {
  const pbx = await startPbx({ phones, patch: trunkPatch(await freePort(), false) });
  t.teardown(() => pbx.stop());
  const media = createSocket('udp4');
  await new Promise<void>((r) => media.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => media.close());
  const samples: number[] = [];
  media.on('message', (pkt) => {
    // RTP header 12 bytes (no CSRC, no extension from pbxgate), payload PCMA (PT 8) as offered.
    if (pkt.length <= 12 || (pkt[1]! & 0x7f) !== 8) return;
    for (const b of pkt.subarray(12)) samples.push(alawToLinear(b));
  });
  const client = await UdpSipClient.open(pbx.sipPort);
  t.teardown(() => client.close());
  const phone = new SipPhone(client, p601.sip.username, p601.sip.password);
  const sdp = ['v=0', 'o=t 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${(media.address()).port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');
  const uri = `sip:0612345678@127.0.0.1:${pbx.sipPort}`;
  const invite = { method: 'INVITE', uri, toUser: '0612345678', contacts: [phone.contact()], extra: [['Content-Type', 'application/sdp']] as Array<[string, string]>, body: sdp };
  const first = await phone.request(invite);
  t.true(first.status === 100 || first.status === 183, `got ${first.status}`);
  const seq = phone.cseq;
  const early = first.status === 183 ? first : await client.response((r) => cseqOf(r) === seq && r.status === 183, 3000);
  t.is(early.status, 183);
  const final = await client.response((r) => cseqOf(r) === seq && r.status >= 200, 12_000);
  t.is(final.status, 403);
  t.regex(header(final, 'Warning') ?? '', /French mobile numbers .* not allowed by profile 1/);
  // One SIT cadence (3 x 330 ms, then 1 s of silence), then the words (issue 7 §5: "ce numéro n'est pas autorisé...").
  t.true(samples.length > 8000 * 3, `${samples.length} samples received`);
  const sit = samples.slice(0, 16_000);
  for (const hz of [950, 1400, 1800]) t.true(toneRatio(sit, hz) > 0.15, `${hz} Hz: ${toneRatio(sit, hz).toFixed(3)}`);
  t.true(toneRatio(sit, 440) < 0.02, 'not the busy tone');
  const words = samples.slice(16_000);
  const rms = Math.sqrt(words.reduce((sum: number, x: number) => sum + x * x, 0) / Math.max(1, words.length));
  t.true(rms > 200, `words follow the tone (rms ${rms.toFixed(0)})`);
});
