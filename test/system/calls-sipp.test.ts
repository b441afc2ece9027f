import test from 'ava';
import { startPbx, makePhones, freePort } from '../support/pbx-process.ts';
import { runSipp, startSipp, csvFile } from '../support/sipp.ts';

const phones = makePhones(3, 0); // 601, 602, 603
const auth = (i: number): string => `[authentication username=${phones[i]!.sip.username} password=${phones[i]!.sip.password}]`;

test('issue 4, NUM-3: a phone calls another by internal number through the B2BUA (INVITE/180/200/ACK/BYE), and the journal records it (LOG-1)', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  // The callee registers from the port its UAS will then listen on.
  const reg = runSipp(target, 'register-digest.xml', calleePort, ['-inf', csvFile(`SEQUENTIAL\n602;${auth(1)}\n`), '-m', '1', '-timeout', '10', '-timeout_error']);
  t.is(reg.status, 0, reg.errors);
  const uas = startSipp(target, 'call-uas.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const callerPort = await freePort();
  const uac = runSipp(target, 'call-uac.xml', callerPort, ['-inf', csvFile(`SEQUENTIAL\n601;${auth(0)};602\n`), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.is(uac.status, 0, `caller failed:\n${uac.errors}\n${pbx.stderr().slice(-4000)}`);
  const u = await uas.done;
  t.is(u.status, 0, `callee failed:\n${u.errors}`);
  t.is(await pbx.command('calls'), 'no calls in progress');
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602 {2}\d+s/);
  t.regex(await pbx.command('sip'), /"rtpPortsInUse": 0/);
});

test('RFC 3261 §13.2.1 late offer: an INVITE without SDP is put through; the 200 carries the PBX\'s offer (PCMA), the ACK the phone\'s answer; the call ends cleanly', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  const reg = runSipp(target, 'register-digest.xml', calleePort, ['-inf', csvFile(`SEQUENTIAL\n602;${auth(1)}\n`), '-m', '1', '-timeout', '10', '-timeout_error']);
  t.is(reg.status, 0, reg.errors);
  const uas = startSipp(target, 'call-uas.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = runSipp(target, 'call-uac-late-offer.xml', await freePort(), ['-inf', csvFile(`SEQUENTIAL\n601;${auth(0)};602\n`), '-m', '1', '-timeout', '20', '-timeout_error', '-trace_logs']);
  t.is(uac.status, 0, `caller failed:\n${uac.errors}\n${pbx.stderr().slice(-4000)}`);
  t.regex(uac.logs, /OFFER m=audio \d+ RTP\/AVP 8/);
  t.is((await uas.done).status, 0);
  t.is(await pbx.command('calls'), 'no calls in progress');
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602/);
});
