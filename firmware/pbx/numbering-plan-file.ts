import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../core/logger.ts';
import { BUILTIN_PLAN, parseNumberingPlan, type NumberingPlan } from './frenchplan/index.ts';

/** An updated French numbering plan, dropped into the data directory, replaces the built-in one (no code change). */
export const PLAN_OVERRIDE_FILE = 'numbering-plan.json';

/**
 * The numbering plan to classify external numbers with: the data directory's
 * numbering-plan.json when present and valid, else the built-in table. A bad
 * override is logged with its reason and ignored, never half-used.
 */
export function loadNumberingPlan(dataDir: string, log: Logger): NumberingPlan {
  const file = path.join(dataDir, PLAN_OVERRIDE_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.error({ file, err: (err as Error).message }, 'numbering plan override unreadable: using the built-in plan');
    return BUILTIN_PLAN;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    log.error({ file, err: (err as Error).message }, 'numbering plan override is not JSON: using the built-in plan');
    return BUILTIN_PLAN;
  }
  const parsed = parseNumberingPlan(raw);
  if (!parsed.ok) {
    log.error({ file, reason: parsed.reason }, 'numbering plan override refused: using the built-in plan');
    return BUILTIN_PLAN;
  }
  log.info({ file, version: parsed.plan.version, rules: parsed.plan.rules.length }, 'numbering plan loaded from the data directory');
  return parsed.plan;
}
