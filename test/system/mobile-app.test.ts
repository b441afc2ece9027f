/**
 * WEB-7, the mobile application, on the real runtime with SIPp: a phone's
 * desk set and its mobile app account both register; a call to the internal
 * number rings both; a call from the mobile is a call of the phone; the
 * one-time Linphone link is served once over HTTP; revocation from the
 * console drops the mobile's binding at once and its old credentials get 401.
 */
import test from 'ava';
import { startPbx, makePhones, freePort, type PbxProcess } from '../support/pbx-process.ts';
import { runSipp, startSipp, callCsv, authKeyword, registerFrom, assertCallsIdle } from '../support/sipp.ts';
import { phoneContacts } from '../support/sip-client.ts';

const phones = makePhones(3, 0); // 601, 602, 603
const [p601, p602, p603] = phones as [(typeof phones)[0], (typeof phones)[0], (typeof phones)[0]];

/** `mobile enable` / `mobile show` on the console: the account as the admin sees it. */
function account(text: string): { username: string; password: string; url: string } {
  const username = /SIP username: (\S+)/.exec(text)?.[1];
  const password = /SIP password: (\S+)/.exec(text)?.[1];
  const url = /(http:\/\/\S+\/mobile\/[A-Za-z0-9_-]{22}\.xml)/.exec(text)?.[1];
  if (!username || !password || !url) throw new Error(`no account in:\n${text}`);
  return { username, password, url };
}

async function enableMobile(pbx: PbxProcess, phone: string): Promise<{ sip: { username: string; password: string }; url: string }> {
  const a = account(await pbx.command(`mobile enable ${phone}`));
  return { sip: { username: a.username, password: a.password }, url: a.url };
}

test.serial('WEB-7: desk set and mobile app both register; a call to the internal number rings both; revocation drops the mobile at once and its old credentials get 401', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const mobile = await enableMobile(pbx, '601');
  t.is(mobile.sip.username, '601m');
  t.not(mobile.sip.password, p601.sip.password);

  const deskPort = await freePort();
  const mobilePort = await freePort();
  t.is(registerFrom(target, p601, deskPort).status, 0, 'desk set registers');
  const reg = registerFrom(target, mobile, mobilePort);
  t.is(reg.status, 0, `mobile registers with its own credentials:\n${reg.errors}`);
  const contacts = phoneContacts(await pbx.command('phones'), '601');
  const deskContact = `sip:601@127.0.0.1:${deskPort};transport=UDP`;
  t.deepEqual(contacts.map((c) => c.contact).sort(), [deskContact, `sip:601m@127.0.0.1:${mobilePort};transport=UDP`].sort(), 'both are contacts of 601');
  t.regex(await pbx.command('mobile list'), /^601 .*601m\s+registered/m);

  // 603 calls 601: both the desk set and the mobile get the INVITE; the caller hangs up while they ring.
  const desk = startSipp(target, 'call-uas-ring-only.xml', deskPort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => desk.stop());
  const mob = startSipp(target, 'call-uas-ring-only.xml', mobilePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => mob.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = startSipp(target, 'call-uac-cancel.xml', await freePort(), ['-inf', callCsv([p603.sip.username, authKeyword(p603), '601']), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uac.stop());
  const [caller, deskRun, mobileRun] = await Promise.all([uac.done, desk.done, mob.done]);
  t.is(caller.status, 0, `caller:\n${caller.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is(deskRun.status, 0, `desk set (expects INVITE then CANCEL):\n${deskRun.errors}`);
  t.is(mobileRun.status, 0, `mobile app (expects INVITE then CANCEL):\n${mobileRun.errors}`);
  await assertCallsIdle(t, pbx);

  // Revocation from the console (confirmed): the mobile binding is gone at once, the desk set stays.
  t.regex(await pbx.command('mobile revoke 601'), /Type "yes" to confirm/);
  t.regex(await pbx.command('yes'), /revoked/);
  const after = phoneContacts(await pbx.command('phones'), '601');
  t.deepEqual(after.map((c) => c.contact), [deskContact]);
  t.is(await pbx.command('mobile list'), 'no mobile app accounts');
  // The mobile's next REGISTER with the old password is challenged and refused (401 again).
  const refused = runSipp(target, 'mobile-register-refused.xml', mobilePort, ['-inf', callCsv([mobile.sip.username, authKeyword(mobile)]), '-m', '1', '-timeout', '10', '-timeout_error']);
  t.is(refused.status, 0, `expected 401 to the REGISTER with the old credentials:\n${refused.errors}`);
  t.deepEqual(phoneContacts(await pbx.command('phones'), '601').map((c) => c.contact), [deskContact]);
});

test.serial('WEB-7: a call from the mobile app is a call of its phone (journal 601 -> 602); the Linphone link is served once over HTTP', async (t) => {
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const mobile = await enableMobile(pbx, '601');

  // The QR code's URL, fetched as Linphone does: the XML config once, then 404.
  t.true(mobile.url.startsWith(`http://127.0.0.1:${pbx.httpPort}/mobile/`), mobile.url);
  const first = await fetch(mobile.url);
  t.is(first.status, 200);
  const xml = await first.text();
  t.true(xml.includes(`<entry name="passwd" overwrite="true">${mobile.sip.password}</entry>`), xml);
  t.true(xml.includes(`&lt;sip:127.0.0.1:${pbx.sipPort};transport=udp&gt;`), xml);
  t.is((await fetch(mobile.url)).status, 404, 'single use');

  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const uas = startSipp(target, 'call-uas.xml', calleePort, ['-m', '1', '-timeout', '20', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));
  const uac = runSipp(target, 'call-uac.xml', await freePort(), ['-inf', callCsv([mobile.sip.username, authKeyword(mobile), '602']), '-m', '1', '-timeout', '20', '-timeout_error']);
  t.is(uac.status, 0, `mobile caller:\n${uac.errors}\n${pbx.stderr().slice(-3000)}`);
  t.is((await uas.done).status, 0);
  await assertCallsIdle(t, pbx);
  t.regex(await pbx.command('journal'), /601 -> 602 {2}answered by 602/);
});
