// VOX-1 / NUM-7: the voicemail dialogues as pure state machines (pbx/voicemail/menus.ts).
import test from 'ava';
import {
  deposit,
  depositStart,
  retrieval,
  retrievalStart,
  DIGIT_TIMEOUT_MS,
  MIN_MESSAGE_MS,
  type Box,
  type DepositState,
  type RetrievalState,
  type VoiceAction,
  type VoiceEvent,
} from '../../../firmware/pbx/voicemail/menus.ts';

const box = (over: Partial<DepositState> = {}) => depositStart({ mac: 'm1', number: '401', hasGreeting: false, boxFull: false, maxMs: 120_000, ...over });

function runDeposit(s: DepositState, events: VoiceEvent[]): { state: DepositState; actions: VoiceAction[][] } {
  const actions: VoiceAction[][] = [];
  for (const e of events) {
    const out = deposit(s, e);
    s = out.state;
    actions.push(out.actions);
  }
  return { state: s, actions };
}

test('VOX-1 deposit: default greeting, beep, recording up to the maximum, then "message saved", goodbye, hang-up', (t) => {
  const r = runDeposit(box(), [{ kind: 'start' }, { kind: 'played' }, { kind: 'played' }, { kind: 'record-full' }, { kind: 'played' }]);
  t.deepEqual(r.actions[0], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.greeting.default' }] }]);
  t.deepEqual(r.actions[1], [{ kind: 'play', clips: [{ kind: 'beep' }] }]);
  t.deepEqual(r.actions[2], [{ kind: 'record', maxMs: 120_000 }]);
  t.deepEqual(r.actions[3], [
    { kind: 'stop-recording', keep: true },
    { kind: 'play', clips: [{ kind: 'prompt', id: 'vm.message-saved' }, { kind: 'prompt', id: 'vm.goodbye' }] },
  ]);
  t.deepEqual(r.actions[4], [{ kind: 'hangup' }]);
  t.is(r.state.phase, 'done');
});

test('VOX-2 deposit: the phone\'s own greeting when it has one; # skips it; # ends the recording', (t) => {
  const r = runDeposit(box({ hasGreeting: true }), [{ kind: 'start' }, { kind: 'digit', digit: '#' }, { kind: 'played' }, { kind: 'digit', digit: '#' }]);
  t.deepEqual(r.actions[0], [{ kind: 'play', clips: [{ kind: 'greeting', mac: 'm1' }] }]);
  t.deepEqual(r.actions[1], [{ kind: 'play', clips: [{ kind: 'beep' }] }]);
  t.deepEqual(r.actions[3]![0], { kind: 'stop-recording', keep: true });
});

test('VOX-1 deposit: hanging up while recording keeps a message of at least 1 s, drops a shorter one; hanging up in the greeting records nothing', (t) => {
  const recording = runDeposit(box(), [{ kind: 'start' }, { kind: 'played' }, { kind: 'played' }]).state;
  t.deepEqual(deposit(recording, { kind: 'hangup', recordedMs: MIN_MESSAGE_MS }).actions, [{ kind: 'stop-recording', keep: true }]);
  t.deepEqual(deposit(recording, { kind: 'hangup', recordedMs: MIN_MESSAGE_MS - 20 }).actions, [{ kind: 'stop-recording', keep: false }]);
  const greeting = deposit(box(), { kind: 'start' }).state;
  t.deepEqual(deposit(greeting, { kind: 'hangup', recordedMs: 0 }).actions, []);
});

test('VOX-1 deposit: a full box says so and hangs up without recording', (t) => {
  const r = runDeposit(box({ boxFull: true }), [{ kind: 'start' }, { kind: 'played' }]);
  t.deepEqual(r.actions[0], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.box-full' }] }]);
  t.deepEqual(r.actions[1], [{ kind: 'hangup' }]);
  t.false(r.actions.flat().some((a) => a.kind === 'record'));
});

const own: Box = {
  mac: 'm1',
  number: '401',
  messages: [
    { id: 'old', caller: '0612345678', state: 'saved' },
    { id: 'new1', caller: '402', state: 'new' },
    { id: 'new2', caller: 'anonymous', state: 'new' },
  ],
};
const other: Box = { mac: 'm2', number: '402', pin: '2468', messages: [{ id: 'x', caller: '401', state: 'new' }] };
const noPin: Box = { mac: 'm3', number: '403', messages: [{ id: 'y', caller: '401', state: 'new' }] };
const lookup = (n: string): Box | undefined => [own, other, noPin].find((b) => b.number === n);

function runRetrieval(s: RetrievalState, events: VoiceEvent[]): { state: RetrievalState; actions: VoiceAction[][] } {
  const actions: VoiceAction[][] = [];
  for (const e of events) {
    const out = retrieval(s, e, lookup);
    s = out.state;
    actions.push(out.actions);
  }
  return { state: s, actions };
}

const digits = (ds: string): VoiceEvent[] => [...ds].map((digit) => ({ kind: 'digit', digit }));

test('NUM-7 888: welcome, counts (2 new, 1 saved), new messages first with who left them; 2 keeps and goes on, 3 deletes, 1 repeats', (t) => {
  const r = runRetrieval(retrievalStart(own), [{ kind: 'start' }, { kind: 'played' }, { kind: 'played' }, { kind: 'played' }, ...digits('1'), { kind: 'played' }, ...digits('2'), { kind: 'played' }, ...digits('3')]);
  t.deepEqual(r.actions[0], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.welcome' }] }]);
  t.deepEqual(r.actions[1], [{ kind: 'play', clips: [{ kind: 'summary', fresh: 2, saved: 1 }] }]);
  t.deepEqual(r.actions[2], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.message-from' }, { kind: 'number', digits: '402' }, { kind: 'message', id: 'new1' }] }]);
  t.deepEqual(r.actions[3], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.menu' }] }, { kind: 'timer', ms: DIGIT_TIMEOUT_MS }]);
  t.deepEqual(r.actions[4], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.message-from' }, { kind: 'number', digits: '402' }, { kind: 'message', id: 'new1' }] }], '1 repeats');
  t.deepEqual(r.actions[6], [
    { kind: 'mark-saved', id: 'new1' },
    { kind: 'play', clips: [{ kind: 'prompt', id: 'vm.message-from' }, { kind: 'prompt', id: 'vm.unknown-caller' }, { kind: 'message', id: 'new2' }] },
  ]);
  t.deepEqual(r.actions[8], [
    { kind: 'delete', id: 'new2' },
    { kind: 'play', clips: [{ kind: 'prompt', id: 'vm.deleted' }, { kind: 'prompt', id: 'vm.message-from' }, { kind: 'number', digits: '0612345678' }, { kind: 'message', id: 'old' }] },
  ]);
  // The last one kept: end of messages, goodbye, hang-up.
  const end = runRetrieval(r.state, [{ kind: 'played' }, ...digits('2'), { kind: 'played' }]);
  t.deepEqual(end.actions[1], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.end-of-messages' }, { kind: 'prompt', id: 'vm.goodbye' }] }], 'a saved message is not marked again');
  t.deepEqual(end.actions[2], [{ kind: 'hangup' }]);
});

test('NUM-7 888: no messages: "no messages", goodbye', (t) => {
  const r = runRetrieval(retrievalStart({ ...own, messages: [] }), [{ kind: 'start' }, { kind: 'played' }, { kind: 'played' }, { kind: 'played' }]);
  t.deepEqual(r.actions[1], [{ kind: 'play', clips: [{ kind: 'summary', fresh: 0, saved: 0 }] }]);
  t.deepEqual(r.actions[3], [{ kind: 'hangup' }]);
});

test('NUM-7 888: silence in the menu: the menu once more, then goodbye', (t) => {
  const r = runRetrieval(retrievalStart(own), [{ kind: 'start' }, { kind: 'played' }, { kind: 'played' }, { kind: 'played' }, { kind: 'timeout' }, { kind: 'timeout' }]);
  t.deepEqual(r.actions[4], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.menu' }] }, { kind: 'timer', ms: DIGIT_TIMEOUT_MS }]);
  t.deepEqual(r.actions[5], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.goodbye' }] }]);
});

test('VOX-1 PIN: * in the welcome logs into another box with its number and PIN', (t) => {
  const r = runRetrieval(retrievalStart(own), [{ kind: 'start' }, ...digits('*402#2468#')]);
  t.deepEqual(r.actions[1], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.enter-box' }] }, { kind: 'timer', ms: DIGIT_TIMEOUT_MS }]);
  t.is(r.state.phase, 'summary');
  t.is(r.state.box?.mac, 'm2');
  t.deepEqual(r.state.queue.map((m) => m.id), ['x']);
});

test('VOX-1 PIN: a wrong PIN, an unknown box and a box without PIN all get the same answer; the third failure hangs up', (t) => {
  const r = runRetrieval(retrievalStart(undefined), [{ kind: 'start' }, { kind: 'played' }, ...digits('402#1111#'), ...digits('499#1234#'), ...digits('403##')]);
  const failures = r.actions.filter((a) => a.some((x) => x.kind === 'play' && x.clips.some((c) => c.kind === 'prompt' && c.id === 'vm.login-failed')));
  t.is(failures.length, 3);
  t.deepEqual(failures[0], failures[1], 'no box enumeration');
  t.is(r.state.phase, 'goodbye');
  t.is(r.state.box, undefined);
});

test('VOX-1: from a phone without a box (voicemail off), 888 asks for a box number at once', (t) => {
  const r = runRetrieval(retrievalStart(undefined), [{ kind: 'start' }, { kind: 'played' }]);
  t.deepEqual(r.actions[1], [{ kind: 'play', clips: [{ kind: 'prompt', id: 'vm.enter-box' }] }, { kind: 'timer', ms: DIGIT_TIMEOUT_MS }]);
});
