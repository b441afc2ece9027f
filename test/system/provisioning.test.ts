/**
 * Issue 9 §1 through the real program: a phone that asks for its file by MAC
 * on the box's HTTP port becomes a new phone (NUM-3, KEY-2) and gets its SIP
 * line; it then registers with those credentials.
 */
import test from 'ava';
import { startPbx, freePort } from '../support/pbx-process.ts';
import { registerFrom } from '../support/sipp.ts';

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
