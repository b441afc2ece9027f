/**
 * The identity an outgoing external call presents (CID-1..CID-3): every
 * choice of the phone, the fallbacks when the chosen number does not exist,
 * the CLIR switches (*65*1 for good, *66* for one call), emergency calls
 * never hidden, and the national format the trunk gets.
 */
import test from 'ava';
import { configSchema, groupSchema, type Config, type Phone } from '../../../firmware/config/index.ts';
import { presentedIdentity, toNationalFormat } from '../../../firmware/pbx/identity.ts';
import { makePhone, sampleConfig } from '../../helpers/config.ts';

const MAIN = '0577110000';
const COMPANY = '0577110050';
const PHONE_DID = '0577110078';
const GROUP_DID = '0577110099';

/** Main number, a company number distinct from it (CID-3), a group 621 with a DID and a group 622 without. */
function config(): Config {
  const c = sampleConfig();
  c.company = { name: 'ACME', mainNumber: MAIN, companyNumber: COMPANY, dids: [PHONE_DID, COMPANY, MAIN, GROUP_DID] };
  c.groups.push(
    groupSchema.parse({ internalNumber: '621', name: 'Sales', ringMode: 'simultaneous', did: GROUP_DID }),
    groupSchema.parse({ internalNumber: '622', name: 'Support', ringMode: 'sequential' }),
  );
  c.trunk = { ...c.trunk, username: '0577119999' };
  // The fixture is a valid configuration (the company number is one of the DIDs, groups in range...).
  configSchema.parse(c);
  return c;
}

const didPhone = (extra: Partial<Phone> = {}): Phone => makePhone(2, { internalNumber: '478', did: PHONE_DID, restrictionProfile: 10, ...extra });
const plainPhone = (extra: Partial<Phone> = {}): Phone => makePhone(1, extra);
const normal = { hideForCall: false, emergency: false };

test('CID-2: a DID phone presenting its DID shows the DID', (t) => {
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'did' }), normal), { number: PHONE_DID, hidden: false, source: 'did' });
});

test('CID-3: a phone presenting the company number shows the number the admin chose among the DIDs', (t) => {
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'company' }), normal), { number: COMPANY, hidden: false, source: 'company' });
  t.deepEqual(presentedIdentity(config(), plainPhone({ presentedIdentity: 'company' }), normal), { number: COMPANY, hidden: false, source: 'company' });
});

test('CID-2: the main number is the default choice, for a phone with or without DID', (t) => {
  t.is(plainPhone().presentedIdentity, 'main');
  t.deepEqual(presentedIdentity(config(), plainPhone(), normal), { number: MAIN, hidden: false, source: 'main' });
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'main' }), normal), { number: MAIN, hidden: false, source: 'main' });
});

test("CID-2: a DID phone presenting a group's DID shows that group's DID", (t) => {
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'group', presentedGroup: '621' }), normal), { number: GROUP_DID, hidden: false, source: 'group' });
});

test('CID-2: secret hides the number but still asserts the DID (DID phone) or the main number (phone without DID)', (t) => {
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'secret' }), normal), { number: PHONE_DID, hidden: true, source: 'secret' });
  t.deepEqual(presentedIdentity(config(), plainPhone({ presentedIdentity: 'secret' }), normal), { number: MAIN, hidden: true, source: 'secret' });
});

test('CID-2 fallback: a group without DID falls back to the main number and says so', (t) => {
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'group', presentedGroup: '622' }), normal), {
    number: MAIN,
    hidden: false,
    source: 'main (fallback: no group number)',
  });
});

test('CID-2 fallback: a group that does not exist (or none chosen) falls back to the main number', (t) => {
  t.is(presentedIdentity(config(), didPhone({ presentedIdentity: 'group', presentedGroup: '650' }), normal).source, 'main (fallback: no group number)');
  t.is(presentedIdentity(config(), didPhone({ presentedIdentity: 'group' }), normal).number, MAIN);
});

test('CID-3 fallback: no company number chosen yet -> the main number, and the source says so', (t) => {
  const c = config();
  delete c.company.companyNumber;
  t.deepEqual(presentedIdentity(c, plainPhone({ presentedIdentity: 'company' }), normal), { number: MAIN, hidden: false, source: 'main (fallback: no company number)' });
});

test('CID-2 fallback order: no main number -> company, then the DID, then the trunk account', (t) => {
  const c = config();
  delete c.company.mainNumber;
  t.deepEqual(presentedIdentity(c, plainPhone(), normal), { number: COMPANY, hidden: false, source: 'company (fallback: no main number)' });
  delete c.company.companyNumber;
  t.deepEqual(presentedIdentity(c, didPhone({ presentedIdentity: 'main' }), normal), { number: PHONE_DID, hidden: false, source: 'did (fallback: no main number)' });
  t.deepEqual(presentedIdentity(c, plainPhone(), normal), { number: '0577119999', hidden: false, source: 'trunk account (fallback: no main number)' });
  c.trunk = { ...c.trunk, username: '' };
  t.deepEqual(presentedIdentity(c, plainPhone(), normal), { number: '', hidden: false, source: 'none (fallback: no main number)' });
});

test('CID-2 fallback: secret on a phone without DID and without main number still asserts a number, and stays hidden', (t) => {
  const c = config();
  delete c.company.mainNumber;
  const id = presentedIdentity(c, plainPhone({ presentedIdentity: 'secret' }), normal);
  t.deepEqual(id, { number: COMPANY, hidden: true, source: 'company (fallback: no secret number)' });
});

test('CID-1: *65*1 (phone.hideIdentity) hides every choice; the asserted number is unchanged', (t) => {
  for (const [phone, number] of [
    [didPhone({ presentedIdentity: 'did', hideIdentity: true }), PHONE_DID],
    [didPhone({ presentedIdentity: 'company', hideIdentity: true }), COMPANY],
    [plainPhone({ hideIdentity: true }), MAIN],
    [didPhone({ presentedIdentity: 'group', presentedGroup: '621', hideIdentity: true }), GROUP_DID],
  ] as const) {
    const id = presentedIdentity(config(), phone, normal);
    t.true(id.hidden, phone.presentedIdentity);
    t.is(id.number, number);
  }
});

test('CID-1: *66* (hideForCall) hides this call only', (t) => {
  const phone = didPhone({ presentedIdentity: 'did' });
  t.deepEqual(presentedIdentity(config(), phone, { hideForCall: true, emergency: false }), { number: PHONE_DID, hidden: true, source: 'did' });
  t.false(presentedIdentity(config(), phone, normal).hidden);
});

test('french-numbering §4.1: an emergency call is never hidden (secret, *65*1, *66*)', (t) => {
  const emergency = { hideForCall: true, emergency: true };
  t.deepEqual(presentedIdentity(config(), didPhone({ presentedIdentity: 'secret', hideIdentity: true }), emergency), { number: PHONE_DID, hidden: false, source: 'secret' });
  t.deepEqual(presentedIdentity(config(), plainPhone({ hideIdentity: true }), emergency), { number: MAIN, hidden: false, source: 'main' });
});

test("CID-2: numbers in international form ('+33…', '0033…') are presented in national format", (t) => {
  const c = config();
  c.company = { ...c.company, mainNumber: '+33577110000' };
  t.deepEqual(presentedIdentity(c, plainPhone(), normal), { number: MAIN, hidden: false, source: 'main' });
  t.is(presentedIdentity(config(), didPhone({ presentedIdentity: 'did', did: '+33577110078' }), normal).number, PHONE_DID);
});

test('toNationalFormat: +33 and 0033 become 0…, anything else is unchanged', (t) => {
  t.is(toNationalFormat('+33123456789'), '0123456789');
  t.is(toNationalFormat('0033123456789'), '0123456789');
  t.is(toNationalFormat('0123456789'), '0123456789');
  t.is(toNationalFormat('+442071234567'), '+442071234567');
  t.is(toNationalFormat('0044207123456'), '0044207123456');
  t.is(toNationalFormat(''), '');
});
