// RFC 4235 dialog-info bodies for busy lamps (pbx/presence/dialog-info.ts).
import test from 'ava';
import { dialogInfoXml, sameLamp } from '../../../firmware/pbx/presence/dialog-info.ts';

test('RFC 4235 §4.1: idle is a full document without dialog', (t) => {
  const x = dialogInfoXml('sip:602@10.0.0.1', 0, { state: 'idle' }, '10.0.0.1');
  t.regex(x, /<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:602@10.0.0.1">\r\n<\/dialog-info>/);
  t.notRegex(x, /<dialog /);
});

test('RFC 4235: ringing is an early dialog, direction recipient, with the caller as remote identity (for pickup)', (t) => {
  const x = dialogInfoXml('sip:602@10.0.0.1', 3, { state: 'ringing', caller: '0612345678', callId: 'c7' }, '10.0.0.1');
  t.regex(x, /version="3"/);
  t.regex(x, /<dialog id="c7" call-id="c7" local-tag="c7" remote-tag="pbxgate" direction="recipient">\r\n {4}<state>early<\/state>/);
  t.regex(x, /<remote><identity>sip:0612345678@10\.0\.0\.1<\/identity>/);
});

test('RFC 4235: busy is a confirmed dialog; XML special characters are escaped', (t) => {
  t.regex(dialogInfoXml('sip:602@h', 1, { state: 'busy', callId: 'c1' }, 'h'), /<state>confirmed<\/state>/);
  t.regex(dialogInfoXml('sip:6"<02@h', 1, { state: 'idle' }, 'h'), /entity="sip:6&quot;&lt;02@h"/);
});

test('a lamp changes only when what it shows changes', (t) => {
  t.true(sameLamp({ state: 'idle' }, { state: 'idle' }));
  t.true(sameLamp({ state: 'busy', callId: 'a' }, { state: 'busy', callId: 'b' }));
  t.false(sameLamp({ state: 'ringing', caller: '601', callId: 'a' }, { state: 'ringing', caller: '603', callId: 'b' }));
  t.false(sameLamp({ state: 'idle' }, { state: 'busy', callId: 'a' }));
});
