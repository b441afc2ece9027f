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

/** Version 1 restriction switches -> version 2 (today's French plan, docs/outgoing.md). */
const V1_TO_V2_CATEGORIES: Record<string, string[]> = {
  freeAndService: ['free', 'operatorService'],
  nationalFixed: ['national'],
  sharedCost: ['lowCapPremium'],
  mobile: ['mobile'],
  overseas: ['dom', 'comTom'],
  premium: ['premium', 'directory'],
  international: ['international'],
};

export const MIGRATIONS: readonly Migration[] = [
  {
    from: 1,
    describe: "restriction categories follow today's French plan (081 low-cap, DOM vs COM/TOM, 118 apart, m2m)",
    migrate: (raw) => {
      const profiles = raw['restrictionProfiles'];
      if (!Array.isArray(profiles)) return raw;
      const migrated = profiles.map((p: unknown) => {
        if (typeof p !== 'object' || p === null) return p;
        const profile = p as Record<string, unknown>;
        const allow = profile['allow'];
        if (typeof allow !== 'object' || allow === null || !('freeAndService' in allow)) return p;
        const next: Record<string, unknown> = { m2m: false };
        for (const [oldKey, value] of Object.entries(allow)) {
          for (const newKey of V1_TO_V2_CATEGORIES[oldKey] ?? [oldKey]) next[newKey] = value;
        }
        return { ...profile, allow: next };
      });
      return { ...raw, restrictionProfiles: migrated };
    },
  },
];

export type MigrationOutcome =
  | { ok: true; raw: Record<string, unknown>; fromVersion: number; applied: string[] }
  | { ok: false; reason: string };

export function migrate(raw: unknown, migrations: readonly Migration[] = MIGRATIONS, target = CONFIG_VERSION): MigrationOutcome {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not a JSON object' };
  let obj = raw as Record<string, unknown>;
  const version = obj['version'];
  // Releases start at 1; 0 is accepted as a source so that the migration path can be exercised
  // (tests inject a migration from 0). Without a migration it is refused.
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
