// VOX-7 voice presentation: what the phone that picks up hears, per level (pbx/presentation.ts).
import test from 'ava';
import { presentationClips } from '../../../firmware/pbx/presentation.ts';

const forwarded = { caller: '0612345678', forwardedBy: { number: '410', state: 'busy' as const } };
const direct = { caller: '0612345678' };
const p = (id: string) => ({ kind: 'prompt', id });
const n = (digits: string) => ({ kind: 'number', digits });

test('VOX-7: level 0 says nothing', (t) => {
  t.deepEqual(presentationClips(0, forwarded), []);
});

test('VOX-7: level 1: the caller\'s number; a withheld caller is said to be withheld', (t) => {
  t.deepEqual(presentationClips(1, forwarded), [p('pres.caller-number'), n('0612345678')]);
  t.deepEqual(presentationClips(1, { caller: 'anonymous' }), [p('pres.withheld')]);
});

test('VOX-7: level 2: the number and who forwarded the call; not forwarded, the number alone', (t) => {
  t.deepEqual(presentationClips(2, forwarded), [p('pres.caller-number'), n('0612345678'), p('pres.forwarded-from'), n('410')]);
  t.deepEqual(presentationClips(2, direct), [p('pres.caller-number'), n('0612345678')]);
});

test('VOX-7: level 3: only who forwarded; a direct call says nothing (no delay)', (t) => {
  t.deepEqual(presentationClips(3, forwarded), [p('pres.forwarded-from'), n('410')]);
  t.deepEqual(presentationClips(3, direct), []);
});

test('VOX-7: level 4: who forwarded and that phone\'s state; level 5 adds the number first', (t) => {
  t.deepEqual(presentationClips(4, forwarded), [p('pres.forwarded-from'), n('410'), p('pres.phone-busy')]);
  t.deepEqual(presentationClips(4, { caller: '401', forwardedBy: { number: '410', state: 'unavailable' } }).at(-1), p('pres.phone-unavailable'));
  t.deepEqual(presentationClips(5, { ...forwarded, forwardedBy: { number: '410', state: 'free' } }), [
    p('pres.caller-number'),
    n('0612345678'),
    p('pres.forwarded-from'),
    n('410'),
    p('pres.phone-free'),
  ]);
});
