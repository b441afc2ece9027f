import test from 'ava';
import { type Config, type Phone } from '../../../firmware/config/index.ts';
import {
  aastraGlobalConfig,
  aastraKeyName,
  aastraPhoneConfig,
  directoryItems,
  directoryXml,
  parseUserAgent,
  ProvisioningValueError,
  yealinkCommonConfig,
  yealinkKeyName,
  yealinkPhoneConfig,
  type ProvisioningServer,
} from '../../../firmware/provisioning/index.ts';
import { makePhone, sampleConfig } from '../../helpers/config.ts';

const SERVER: ProvisioningServer = { sipHost: '192.168.1.1', sipPort: 5060, httpBase: 'http://192.168.1.1:8080', ntpServer: 'fr.pool.ntp.org' };

function keyed(extra: Partial<Phone> = {}): Phone {
  return makePhone(1, {
    firstName: 'Jean',
    lastName: 'Dupont',
    sip: { username: '601', password: 'Zk3_x-9QpLm2Tr4w' },
    screenKeys: [
      { position: 1, kind: 'supervision', target: '602', label: 'Marie' },
      { position: 2, kind: 'speed-dial', target: '0145678901', label: 'Banque' },
      { position: 3, kind: 'speed-dial', target: '712', label: '' },
    ],
    ...extra,
  });
}

function config(phones: Phone[] = [keyed()]): Config {
  const c = sampleConfig();
  c.phones = phones;
  return c;
}

/** The file as "key" → value, for line-by-line checks. */
function entries(text: string, sep: ': ' | ' = '): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.indexOf(sep);
    m.set(line.slice(0, i), line.slice(i + sep.length));
  }
  return m;
}

test('aastra.cfg: French language and tones, Paris time zone, NTP, the box as proxy and registrar, no credentials', (t) => {
  const text = aastraGlobalConfig(config(), SERVER);
  const e = entries(text, ': ');
  t.is(e.get('language'), '1');
  t.is(e.get('language 1'), 'lang_fr.txt');
  t.is(e.get('tone set'), 'France');
  t.is(e.get('input language'), 'French');
  t.is(e.get('time zone name'), 'FR-Paris');
  t.is(e.get('time server disabled'), '0');
  t.is(e.get('time server1'), 'fr.pool.ntp.org');
  t.is(e.get('sip proxy ip'), '192.168.1.1');
  t.is(e.get('sip proxy port'), '5060');
  t.is(e.get('sip registrar ip'), '192.168.1.1');
  t.is(e.get('sip registrar port'), '5060');
  t.is(e.get('sip vmail'), '888');
  t.false(/password/.test(text));
  t.true(text.endsWith('\n'));
});

test('<MAC>.cfg (Aastra 6731i): line 1 credentials, server, directory, and the keys as prgkeys with type, value, label', (t) => {
  const c = config();
  const e = entries(aastraPhoneConfig(c, c.phones[0]!, SERVER), ': ');
  t.is(e.get('sip line1 screen name'), '"Jean Dupont"');
  t.is(e.get('sip line1 screen name 2'), '"601"');
  t.is(e.get('sip line1 display name'), '"Jean Dupont"');
  t.is(e.get('sip line1 user name'), '601');
  t.is(e.get('sip line1 auth name'), '601');
  t.is(e.get('sip line1 password'), 'Zk3_x-9QpLm2Tr4w');
  t.is(e.get('sip line1 proxy ip'), '192.168.1.1');
  t.is(e.get('sip line1 proxy port'), '5060');
  t.is(e.get('sip line1 registrar ip'), '192.168.1.1');
  t.is(e.get('sip line1 registrar port'), '5060');
  t.is(e.get('directory script'), 'http://192.168.1.1:8080/phonebook/aastra.xml');
  t.is(e.get('prgkey1 type'), 'blf');
  t.is(e.get('prgkey1 value'), '602');
  t.is(e.get('prgkey1 label'), '"Marie"');
  t.is(e.get('prgkey1 line'), '1');
  t.is(e.get('prgkey2 type'), 'speeddial');
  t.is(e.get('prgkey2 value'), '0145678901');
  t.is(e.get('prgkey2 label'), '"Banque"');
  t.is(e.get('prgkey3 label'), '"712"', 'no label: the number is shown');
  t.is(e.get('prgkey4 type'), 'none', 'unused keys are cleared (a key removed in the web disappears)');
  t.is(e.get('prgkey8 type'), 'none');
  t.false(e.has('prgkey9 type'), 'the 6731i has 8 programmable keys');
});

test('<MAC>.cfg: other Aastra/Mitel models use their own key banks; keys beyond the model are left out with a comment', (t) => {
  t.is(aastraKeyName('Aastra 6757i', 1), 'topsoftkey1');
  t.is(aastraKeyName('Aastra 6757i', 11), 'softkey1');
  t.is(aastraKeyName('Mitel 6867i', 24), 'softkey4');
  t.is(aastraKeyName('Aastra 6731i', 9), undefined);
  t.is(aastraKeyName('unknown', 24), 'topsoftkey24');
  const phone = keyed({ model: 'Aastra 6757i', screenKeys: [{ position: 24, kind: 'supervision', target: '603', label: 'Paul' }] });
  const e = entries(aastraPhoneConfig(config([phone]), phone, SERVER), ': ');
  t.is(e.get('softkey14 type'), 'blf');
  t.is(e.get('softkey14 label'), '"Paul"');
  t.is(e.get('topsoftkey1 type'), 'none');
  const small = keyed({ model: 'Aastra 6863i', screenKeys: [{ position: 5, kind: 'supervision', target: '603', label: 'Paul' }] });
  t.regex(aastraPhoneConfig(config([small]), small, SERVER), /# screen key 5: this model has no key for it/);
});

test('a phone without a name shows its internal number (WEB-3)', (t) => {
  const phone = keyed({ firstName: '', lastName: '' });
  const e = entries(aastraPhoneConfig(config([phone]), phone, SERVER), ': ');
  t.is(e.get('sip line1 screen name'), '"601"');
  const y = entries(yealinkPhoneConfig(config([phone]), { ...phone, model: 'Yealink T46U' }, SERVER), ' = ');
  t.is(y.get('account.1.display_name'), '601');
});

test('names and labels cannot inject lines, comments or keys: newlines, colons, quotes and # are neutralised', (t) => {
  const phone = keyed({
    firstName: 'Jean\nsip line1 password: hacked',
    lastName: 'D"upont #1\r\u2028x',
    screenKeys: [{ position: 1, kind: 'supervision', target: '602', label: 'A\nprgkey2 type: xml' }],
  });
  const a = aastraPhoneConfig(config([phone]), phone, SERVER);
  const lines = a.split('\n');
  t.false(lines.some((l) => l.startsWith('sip line1 password: hacked')));
  t.is(lines.filter((l) => l.startsWith('sip line1 password:')).length, 1);
  t.false(lines.some((l) => l.startsWith('prgkey2 type: xml')));
  const e = entries(a, ': ');
  t.regex(e.get('sip line1 screen name')!, /^"[^"\n]*"$/);
  t.is(e.get('prgkey1 label'), '"A prgkey2 type: xml"', 'one line, inside quotes');
  t.is(e.get('sip line1 display name'), `"Jean sip line1 passw"`, 'cut to 20 characters, on one line');
  t.is(e.get('prgkey2 type'), 'none');
  const yphone = { ...phone, model: 'Yealink T46U' };
  const y = yealinkPhoneConfig(config([yphone]), yphone, SERVER);
  t.false(y.split('\n').some((l) => l.startsWith('sip line1') || l.startsWith('prgkey2')));
  t.is(y.split('\n').filter((l) => l.startsWith('account.1.password')).length, 1);
  t.notRegex(y, /%NULL%/);
});

test('a password or user name that cannot be written safely throws instead of writing a broken file', (t) => {
  const bad = keyed({ sip: { username: '601', password: 'abc def#ghi\njkl' } });
  t.throws(() => aastraPhoneConfig(config([bad]), bad, SERVER), { instanceOf: ProvisioningValueError });
  t.throws(() => yealinkPhoneConfig(config([bad]), bad, SERVER), { instanceOf: ProvisioningValueError });
  t.throws(() => aastraGlobalConfig(config(), { ...SERVER, sipHost: '1.2.3.4\nsip proxy ip: 6.6.6.6' }), { instanceOf: ProvisioningValueError });
  t.throws(() => aastraPhoneConfig(config(), config().phones[0]!, { ...SERVER, httpBase: 'http://x/"a b' }), { instanceOf: ProvisioningValueError });
});

test('Yealink <mac>.cfg: header first, account 1, server, French, Paris, phonebook URL, line keys 16/13 after the line key', (t) => {
  const phone = keyed({ model: 'Yealink T46U' });
  const text = yealinkPhoneConfig(config([phone]), phone, SERVER);
  t.is(text.split('\n')[0], '#!version:1.0.0.1');
  const e = entries(text, ' = ');
  t.is(e.get('account.1.enable'), '1');
  t.is(e.get('account.1.label'), 'Jean Dupont');
  t.is(e.get('account.1.display_name'), 'Jean Dupont');
  t.is(e.get('account.1.user_name'), '601');
  t.is(e.get('account.1.auth_name'), '601');
  t.is(e.get('account.1.password'), 'Zk3_x-9QpLm2Tr4w');
  t.is(e.get('account.1.sip_server.1.address'), '192.168.1.1');
  t.is(e.get('account.1.sip_server.1.port'), '5060');
  t.is(e.get('lang.gui'), 'French');
  t.is(e.get('lang.wui'), 'French');
  t.is(e.get('local_time.time_zone'), '+1');
  t.is(e.get('local_time.time_zone_name'), 'France(Paris)');
  t.is(e.get('local_time.ntp_server1'), 'fr.pool.ntp.org');
  t.is(e.get('remote_phonebook.data.1.url'), 'http://192.168.1.1:8080/phonebook/yealink.xml');
  t.is(e.get('remote_phonebook.data.1.name'), 'Annuaire');
  t.false(e.has('linekey.1.type'), 'line key 1 stays the account line');
  t.is(e.get('linekey.2.type'), '16');
  t.is(e.get('linekey.2.value'), '602');
  t.is(e.get('linekey.2.label'), 'Marie');
  t.is(e.get('linekey.2.line'), '1');
  t.is(e.get('linekey.3.type'), '13');
  t.is(e.get('linekey.3.value'), '0145678901');
  t.is(e.get('linekey.3.label'), 'Banque');
  t.is(e.get('linekey.4.label'), '712');
  t.is(e.get('linekey.5.type'), '0');
  t.is(e.get('linekey.25.type'), '0');
  t.is(yealinkKeyName('Yealink T42U', 15), undefined);
  t.is(yealinkKeyName('Yealink T28P', 3), 'memorykey.3');
});

test('Yealink common file: header, language and time, no account', (t) => {
  const text = yealinkCommonConfig(config(), SERVER);
  t.is(text.split('\n')[0], '#!version:1.0.0.1');
  t.regex(text, /^lang\.gui = French$/m);
  t.notRegex(text, /account\./);
});

test('the file depends only on the phone record: same record, same file (NUM-9)', (t) => {
  const c = config([keyed(), makePhone(2)]);
  const a = aastraPhoneConfig(c, c.phones[0]!, SERVER);
  const moved = config([makePhone(3), makePhone(2), keyed()]);
  t.is(aastraPhoneConfig(moved, moved.phones[2]!, SERVER), a);
});

test('DIR-1, issue 9 §5: directory XML: Aastra AastraIPPhoneDirectory and Yealink YealinkIPPhoneDirectory with contacts, speed dials and phones', (t) => {
  const c = config([keyed(), makePhone(2, { firstName: '', lastName: '' })]);
  c.directory = [
    { name: 'Banque & Co <Paris>', number: '0145678901', speedDial: '712' },
    { name: 'Assurance', number: '0312345678' },
  ];
  t.deepEqual(
    directoryItems(c).map((i) => i.name),
    ['Assurance', 'Banque & Co <Paris>', 'Jean Dupont', 'Poste 602'],
  );
  const a = directoryXml(c, 'aastra');
  t.true(a.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<AastraIPPhoneDirectory>\n<Title>Annuaire</Title>'));
  t.regex(a, /<MenuItem>\n<Prompt>Banque &amp; Co &lt;Paris&gt; \(712\)<\/Prompt>\n<URI>712<\/URI>\n<\/MenuItem>/);
  t.regex(a, /<Prompt>Assurance<\/Prompt>\n<URI>0312345678<\/URI>/);
  t.regex(a, /<Prompt>Jean Dupont<\/Prompt>\n<URI>601<\/URI>/);
  t.regex(a, /<Prompt>Poste 602<\/Prompt>\n<URI>602<\/URI>/);
  t.true(a.endsWith('</AastraIPPhoneDirectory>\n'));
  const y = directoryXml(c, 'yealink');
  t.regex(y, /<YealinkIPPhoneDirectory>\n<Title>Annuaire<\/Title>/);
  t.regex(y, /<DirectoryEntry>\n<Name>Banque &amp; Co &lt;Paris&gt;<\/Name>\n<Telephone>712<\/Telephone>\n<Telephone>0145678901<\/Telephone>\n<\/DirectoryEntry>/);
  t.regex(y, /<Name>Jean Dupont<\/Name>\n<Telephone>601<\/Telephone>/);
  t.notRegex(y, /[\u0000-\u0008]/);
});

test('DIR-1: directory XML: Aastra pages of 30 items chained by next/previous', (t) => {
  const c = config([]);
  c.directory = Array.from({ length: 45 }, (_, i) => ({ name: `Contact ${i + 1}`, number: `01456789${String(i).padStart(2, '0')}` }));
  const url = (p: number) => `http://box/phonebook/aastra.xml?page=${p}`;
  const p1 = directoryXml(c, 'aastra', { page: 1, pageUrl: url });
  t.regex(p1, /<AastraIPPhoneDirectory next="http:\/\/box\/phonebook\/aastra.xml\?page=2">/);
  t.is(p1.match(/<MenuItem>/g)!.length, 30);
  const p2 = directoryXml(c, 'aastra', { page: 2, pageUrl: url });
  t.regex(p2, /<AastraIPPhoneDirectory previous="http:\/\/box\/phonebook\/aastra.xml\?page=1">/);
  t.is(p2.match(/<MenuItem>/g)!.length, 15);
  t.true(Buffer.byteLength(p1) < 10_000, 'Aastra XML objects are limited to 10 kB');
});

test('User-Agent: Aastra, Mitel and Yealink phones are recognised with model and MAC', (t) => {
  t.deepEqual(parseUserAgent('Aastra6731i MAC:00-08-5D-23-74-29 V:3.3.1.4322-SIP'), { family: 'aastra', model: 'Aastra 6731i', mac: '00:08:5d:23:74:29' });
  t.deepEqual(parseUserAgent('Mitel6867i MAC:14-00-E9-29-4C-6B V:5.1.0.2051-SIP'), { family: 'aastra', model: 'Mitel 6867i', mac: '14:00:e9:29:4c:6b' });
  t.deepEqual(parseUserAgent('Yealink SIP-T46U 108.86.0.45 80:5e:c0:11:22:33'), { family: 'yealink', model: 'Yealink T46U', mac: '80:5e:c0:11:22:33' });
  t.deepEqual(parseUserAgent('Yealink SIP-T46U 108.86.0.45'), { family: 'yealink', model: 'Yealink T46U' });
  t.is(parseUserAgent('curl/8.4.0'), undefined);
  t.is(parseUserAgent(undefined), undefined);
});

test('Aastra free text keeps # and accents inside quotes and turns a double quote into a single one', (t) => {
  const phone = keyed({ firstName: 'Hélène', lastName: 'O"Neil #2' });
  const e = entries(aastraPhoneConfig(config([phone]), phone, SERVER), ': ');
  t.is(e.get('sip line1 screen name'), `"Hélène O'Neil #2"`);
});
