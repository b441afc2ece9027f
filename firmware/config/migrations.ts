import { CONFIG_VERSION } from './schema.ts';

/**
 * One migration takes a raw config of version `from` to `from + 1`. They run
 * in order on load; the file is backed up as config.json.v<from> before the
 * migrated version is written.
 */
export interface Migration {
  from: number;
  describe: string;
  migrate(raw: Record<string, unknown>): Record<string, unknown>;
}

/** Version 1 is the first released format: nothing to migrate yet. */
export const MIGRATIONS: readonly Migration[] = [];

export type MigrationOutcome =
  | { ok: true; raw: Record<string, unknown>; fromVersion: number; applied: string[] }
  | { ok: false; reason: string };

export function migrate(raw: unknown, migrations: readonly Migration[] = MIGRATIONS, target = CONFIG_VERSION): MigrationOutcome {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not a JSON object' };
  let obj = raw as Record<string, unknown>;
  const version = obj['version'];
  // Releases start at 1; 0 is accepted as a source so that the migration path can be exercised
  // (tests inject a migration from 0) while CONFIG_VERSION is still 1. Without a migration it is refused.
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0)
    return { ok: false, reason: `missing or invalid "version" (${JSON.stringify(version)})` };
  if (version > target) return { ok: false, reason: `version ${version} is newer than this firmware understands (${target})` };
  const applied: string[] = [];
  for (let v = version; v < target; v++) {
    const m = migrations.find((x) => x.from === v);
    if (!m) return { ok: false, reason: `no migration from version ${v}` };
    obj = { ...m.migrate(structuredClone(obj)), version: v + 1 };
    applied.push(`${v}->${v + 1}: ${m.describe}`);
  }
  return { ok: true, raw: obj, fromVersion: version, applied };
}
