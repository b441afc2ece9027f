import { randomInt } from 'node:crypto';
import { CONFIG_VERSION, RESTRICTION_CATEGORIES, configSchema, type Config, type RestrictionCategory, type RestrictionProfile } from './schema.ts';

/** RES-2: the guide's table. Profiles 8 and 9 are editable and start as profile 1. */
const P1: RestrictionCategory[] = ['free', 'operatorService'];
const P2: RestrictionCategory[] = [...P1, 'national'];
const P3: RestrictionCategory[] = [...P2, 'lowCapPremium'];
const P4: RestrictionCategory[] = [...P3, 'mobile'];
const P5: RestrictionCategory[] = [...P4, 'dom', 'comTom'];
/**
 * RES-2: the guide's table on today's categories (docs/outgoing.md has the
 * mapping). Profiles 8 and 9 are editable and start as profile 1. 0700/0901
 * (m2m) stay off everywhere: they are not voice numbers.
 */
const PROFILE_TABLE: Array<[number, string, RestrictionCategory[]]> = [
  [1, 'Urgences, gratuits et SAV', P1],
  [2, 'National seul', P2],
  [3, 'National et numéros 081', P3],
  [4, 'Fixes et mobiles France', P4],
  [5, 'Fixes, mobiles et DOM-TOM', P5],
  [6, 'Sauf international', [...P5, 'premium', 'directory']],
  [7, 'Sauf appels surtaxés', [...P5, 'international']],
  [8, 'Profil modifiable 1', P1],
  [9, 'Profil modifiable 2', P1],
  [10, 'Tout autorisé', RESTRICTION_CATEGORIES.filter((c) => c !== 'm2m')],
];

export function defaultRestrictionProfiles(): RestrictionProfile[] {
  return PROFILE_TABLE.map(([id, name, allowed]) => ({
    id,
    name,
    editable: id === 8 || id === 9,
    allow: Object.fromEntries(RESTRICTION_CATEGORIES.map((c) => [c, allowed.includes(c)])) as Record<RestrictionCategory, boolean>,
  }));
}

// No 0/O/1/l/I: the password is read off a console or a label by a person.
const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A per-device random password (WEB-1), 12 characters, about 70 bits. */
export function generateDevicePassword(length = 12): string {
  let s = '';
  for (let i = 0; i < length; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return s;
}

/** Factory defaults: no phones yet, the undeletable Standard group 999 (GRP-2), profiles 1-10 (RES-2). */
export function factoryDefaults(devicePassword: string = generateDevicePassword()): Config {
  return configSchema.parse({
    version: CONFIG_VERSION,
    admin: { devicePassword },
    groups: [{ internalNumber: '999', name: 'Standard', ringMode: 'simultaneous', members: [] }],
    restrictionProfiles: defaultRestrictionProfiles(),
  });
}
