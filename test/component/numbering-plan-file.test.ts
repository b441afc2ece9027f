/**
 * The French plan ships as data (issue 5 §1): an updated plan dropped into
 * the data directory replaces the built-in one without a code change; a bad
 * one is refused with its reason and never half-used.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { BUILTIN_PLAN, classify } from '../../firmware/pbx/frenchplan/index.ts';
import { loadNumberingPlan, PLAN_OVERRIDE_FILE } from '../../firmware/pbx/numbering-plan-file.ts';
import planData from '../../firmware/pbx/frenchplan/plan-fr.json' with { type: 'json' };
import { captureLogs } from '../helpers/logs.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('issue 5: without an override the built-in plan is used, silently', (t) => {
  const { logs, records } = captureLogs();
  t.is(loadNumberingPlan(tmpDir(t), logs.get('dialplan')), BUILTIN_PLAN);
  t.deepEqual(records(), []);
});

test('issue 5: an updated plan in the data directory is used: a number the built-in plan fails closed becomes dialable', (t) => {
  const dir = tmpDir(t);
  // 071 is unassigned today; suppose ARCEP opens 0712 to mobiles.
  t.is(classify('0712345678', BUILTIN_PLAN, []).category, 'unknown');
  const updated = structuredClone(planData) as { version: string; rules: Array<Record<string, unknown>> };
  updated.version = `${updated.version}-test`;
  const mobileAt = updated.rules.findIndex((r) => r['category'] === 'mobile');
  updated.rules.splice(mobileAt, 0, { id: 'mobile-0712', category: 'mobile', match: { kind: 'regex', pattern: '^0712\\d{6}$' } });
  fs.writeFileSync(path.join(dir, PLAN_OVERRIDE_FILE), JSON.stringify(updated));
  const { logs, records } = captureLogs();
  const plan = loadNumberingPlan(dir, logs.get('dialplan'));
  t.like(classify('0712345678', plan, []), { category: 'mobile', rule: 'mobile-0712' });
  t.like(records()[0], { msg: 'numbering plan loaded from the data directory', version: updated.version });
});

for (const [what, content, reason] of [
  ['not JSON', '{"version": "x", "rules": [', /not JSON/],
  ['a bad regex', 'BAD_REGEX', /numbering plan override refused/],
] as const) {
  test(`issue 5: an override that is ${what} is refused with its reason and the built-in plan stays`, (t) => {
    const dir = tmpDir(t);
    let text: string = content;
    if (content === 'BAD_REGEX') {
      const bad = structuredClone(planData) as { rules: Array<Record<string, unknown>> };
      bad.rules.splice(1, 0, { id: 'broken', category: 'premium', match: { kind: 'regex', pattern: '^(08' } });
      text = JSON.stringify(bad);
    }
    fs.writeFileSync(path.join(dir, PLAN_OVERRIDE_FILE), text);
    const { logs, records } = captureLogs();
    t.is(loadNumberingPlan(dir, logs.get('dialplan')), BUILTIN_PLAN);
    const r = records()[0];
    t.is(r?.level, 50);
    t.regex(String(r?.msg), reason);
    if (content === 'BAD_REGEX') t.regex(String(r?.['reason']), /rules\.1\.match\.pattern/);
  });
}
