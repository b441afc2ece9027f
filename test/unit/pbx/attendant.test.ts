// VOX-6 auto attendant: the dialogue (pure) and where its keys lead (pbx/attendant.ts).
import test from 'ava';
import { attendant, attendantDestination, attendantStart, KEY_TIMEOUT_MS, MAX_INVALID, type AttendantConfig, type AttendantState, type AttendantStep } from '../../../firmware/pbx/attendant.ts';
import { factoryDefaults, type Config } from '../../../firmware/config/index.ts';
import { BUILTIN_PLAN } from '../../../firmware/pbx/frenchplan/index.ts';
import { makePhones } from '../../support/pbx-process.ts';
import type { VoiceEvent } from '../../../firmware/pbx/voicemail/menus.ts';

const cfg: AttendantConfig = {
  keys: [
    { digit: '1', action: { kind: 'call', number: '410' } },
    { digit: '2', action: { kind: 'voicemail', internalNumber: '411' } },
    { digit: '9', action: { kind: 'repeat' } },
  ],
  operator: '601',
};

function run(events: Array<VoiceEvent | { kind: 'transfer-failed' }>, c: AttendantConfig = cfg, s: AttendantState = attendantStart()): AttendantStep[] {
  const out: AttendantStep[] = [];
  for (const e of events) {
    const step = attendant(s, e, c);
    s = step.state;
    out.push(step);
  }
  return out;
}

const welcome = { kind: 'play', clips: [{ kind: 'prompt', id: 'ivr.welcome.default' }] };

test('VOX-6: the default welcome, then a key timer; key 1 says "please hold" and then puts the caller through to 410', (t) => {
  const r = run([{ kind: 'start' }, { kind: 'played' }, { kind: 'digit', digit: '1' }, { kind: 'played' }]);
  t.deepEqual(r[0]!.actions, [welcome]);
  t.deepEqual(r[1]!.actions, [{ kind: 'timer', ms: KEY_TIMEOUT_MS }]);
  t.deepEqual(r[2]!.actions, [{ kind: 'play', clips: [{ kind: 'prompt', id: 'ivr.please-hold' }] }]);
  t.is(r[2]!.outcome, undefined, 'not before the prompt is over');
  t.deepEqual(r[3]!.outcome, { kind: 'transfer', number: '410', why: 'key' });
});

test('VOX-6: an uploaded welcome prompt plays instead of the default one (with the default as fallback)', (t) => {
  const r = run([{ kind: 'start' }], { ...cfg, prompt: 'welcome.wav' });
  t.deepEqual(r[0]!.actions, [{ kind: 'play', clips: [{ kind: 'upload', ref: 'welcome.wav', fallback: 'ivr.welcome.default' }] }]);
});

test('VOX-6: a key during the welcome counts (no need to wait); key 2 goes to 411\'s voicemail at once; key 9 repeats', (t) => {
  t.deepEqual(run([{ kind: 'start' }, { kind: 'digit', digit: '2' }])[1]!.outcome, { kind: 'voicemail', internalNumber: '411' });
  t.deepEqual(run([{ kind: 'start' }, { kind: 'played' }, { kind: 'digit', digit: '9' }])[2]!.actions, [welcome]);
});

test('VOX-6: an invalid key: "not valid", the welcome again; the third one sends the caller to the operator', (t) => {
  const r = run([{ kind: 'start' }, { kind: 'played' }, { kind: 'digit', digit: '5' }, { kind: 'played' }, { kind: 'digit', digit: '5' }, { kind: 'played' }, { kind: 'digit', digit: '5' }, { kind: 'played' }, { kind: 'played' }]);
  t.deepEqual(r[2]!.actions, [{ kind: 'play', clips: [{ kind: 'prompt', id: 'ivr.invalid-choice' }] }]);
  t.deepEqual(r[3]!.actions, [welcome]);
  t.is(r[6]!.state.invalid, MAX_INVALID);
  t.deepEqual(r[7]!.actions, [{ kind: 'play', clips: [{ kind: 'prompt', id: 'ivr.transfer-to-operator' }] }]);
  t.deepEqual(r[8]!.outcome, { kind: 'transfer', number: '601', why: 'operator' });
});

test('VOX-6: silence: "no choice" and the welcome once more; silence again: the operator; without operator: hang up', (t) => {
  const r = run([{ kind: 'start' }, { kind: 'played' }, { kind: 'timeout' }, { kind: 'played' }, { kind: 'played' }, { kind: 'timeout' }, { kind: 'played' }, { kind: 'played' }]);
  t.deepEqual(r[2]!.actions, [{ kind: 'play', clips: [{ kind: 'prompt', id: 'ivr.no-choice' }] }]);
  t.deepEqual(r[3]!.actions, [welcome]);
  t.deepEqual(r[7]!.outcome, { kind: 'transfer', number: '601', why: 'operator' });
  const alone = run([{ kind: 'start' }, { kind: 'played' }, { kind: 'timeout' }, { kind: 'played' }, { kind: 'played' }, { kind: 'timeout' }, { kind: 'played' }], { keys: cfg.keys });
  t.deepEqual(alone[6]!.actions, [{ kind: 'hangup' }]);
});

test('VOX-6: a failed transfer says the person cannot be reached, then the welcome again', (t) => {
  const r = run([{ kind: 'transfer-failed' }, { kind: 'played' }]);
  t.deepEqual(r[0]!.actions, [{ kind: 'play', clips: [{ kind: 'prompt', id: 'call.unavailable' }] }]);
  t.deepEqual(r[1]!.actions, [welcome]);
});

function office(): Config {
  const c = structuredClone(factoryDefaults('x'.repeat(12))) as Config;
  c.phones = makePhones(2, 1);
  c.company.mainNumber = '0577110000';
  c.directory.push({ name: 'Boss', number: '0612345678', speedDial: '700' });
  return c;
}

test('VOX-6: key destinations: a phone, a group, a speed dial, an outside number under the attendant\'s restriction profile', (t) => {
  const c = office();
  const phone = attendantDestination(c, BUILTIN_PLAN, c.phones[0]!.internalNumber);
  t.true(phone.ok && phone.target.kind === 'phone');
  const group = attendantDestination(c, BUILTIN_PLAN, '999');
  t.true(group.ok && group.target.kind === 'group');
  // Profile 1 (the default) allows no mobiles: refused, with the profile's reason.
  c.autoAttendant.restrictionProfile = 1;
  const refused = attendantDestination(c, BUILTIN_PLAN, '700');
  t.false(refused.ok);
  c.autoAttendant.restrictionProfile = 10;
  const mobile = attendantDestination(c, BUILTIN_PLAN, '700');
  if (!mobile.ok || mobile.target.kind !== 'external') return t.fail(JSON.stringify(mobile));
  t.is(mobile.target.number, '0612345678');
  t.is(mobile.target.identity.number, '0577110000', 'shown as the main number');
  for (const n of ['888', '*65*1', '699']) t.false(attendantDestination(c, BUILTIN_PLAN, n).ok, n);
});
