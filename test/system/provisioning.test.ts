/**
 * Issue 9 §1 through the real program: a phone that asks for its file by MAC
 * on the box's HTTP port becomes a new phone (NUM-3, KEY-2) and gets its SIP
 * line; it then registers with those credentials.
 */
import test from 'ava';
import { startPbx, freePort, makePhones } from '../support/pbx-process.ts';
import { registerFrom, startSipp } from '../support/sipp.ts';

const AASTRA = 'Aastra6731i MAC:00-08-5D-AA-BB-CC V:4.3.0.2036-SIP';

test('KEY-2, NUM-3: an unknown Aastra fetching 00085DAABBCC.cfg becomes phone 601 with its line; its credentials register; a malformed MAC gets 404', async (t) => {
  const pbx = await startPbx({ phones: [] });
  t.teardown(() => pbx.stop());
  const base = `http://127.0.0.1:${pbx.httpPort}`;
  t.is((await fetch(`${base}/aastra.cfg`, { headers: { 'User-Agent': AASTRA } })).status, 200);
  const res = await fetch(`${base}/00085DAABBCC.cfg`, { headers: { 'User-Agent': AASTRA } });
  t.is(res.status, 200);
  const text = await res.text();
  const user = /^sip line1 auth name: "?(\d+)"?$/m.exec(text)?.[1];
  const password = /^sip line1 password: "?([^"\n]+)"?$/m.exec(text)?.[1];
  t.is(user, '601', text);
  t.truthy(password);
  t.regex(await pbx.command('phones'), /^601 .*00:08:5d:aa:bb:cc/m);
  // The same MAC again: the same phone, not a new one.
  const again = await (await fetch(`${base}/00085DAABBCC.cfg`, { headers: { 'User-Agent': AASTRA } })).text();
  t.is(/^sip line1 password: "?([^"\n]+)"?$/m.exec(again)?.[1], password);
  t.is((await fetch(`${base}/00085DAABBC.cfg`, { headers: { 'User-Agent': AASTRA } })).status, 404);
  t.is((await fetch(`${base}/../config.json`, { headers: { 'User-Agent': AASTRA } })).status, 404);
  // The phone registers with what it was given.
  const reg = registerFrom(`127.0.0.1:${pbx.sipPort}`, { sip: { username: user!, password: password! } }, await freePort());
  t.is(reg.status, 0, reg.errors);
  t.regex(await pbx.command('phones'), /^601 .*(?<!not )registered/m);
});

test('KEY-1, issue 9 §2: a screen key changed through the API makes the box send the phone NOTIFY check-sync (it reloads its file without a reboot); the file has the key', async (t) => {
  const phones = makePhones(2, 0); // 601, 602
  const pbx = await startPbx({ phones });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const port = await freePort();
  t.is(registerFrom(target, phones[1]!, port).status, 0);
  const phone = startSipp(target, 'phone-check-sync.xml', port, ['-m', '1', '-timeout', '20', '-timeout_error', '-trace_logs']);
  t.teardown(() => phone.stop());
  await new Promise((r) => setTimeout(r, 300));
  t.regex(await pbx.command('phone key 602 1 supervision 601 Alice'), /key 1 of 602: supervision/);
  const r = await phone.done;
  t.is(r.status, 0, r.errors);
  t.regex(r.logs, /CHECK-SYNC check-sync/);
  const file = await (await fetch(`http://127.0.0.1:${pbx.httpPort}/00085D000001.cfg`, { headers: { 'User-Agent': 'Aastra6731i MAC:00-08-5D-00-00-01 V:4.3.0.2036-SIP' } })).text();
  t.regex(file, /Alice/);
  t.regex(file, /601/);
});
