import { randomInt } from 'node:crypto';
import { CONFIG_VERSION, RESTRICTION_CATEGORIES, configSchema, type Config, type RestrictionCategory, type RestrictionProfile } from './schema.ts';

/** RES-2: the guide's table. Profiles 8 and 9 are editable and start as profile 1. */
const PROFILE_TABLE: Array<[number, string, RestrictionCategory[]]> = [
  [1, 'Urgences, gratuits et SAV', ['freeAndService']],
  [2, 'National seul', ['freeAndService', 'nationalFixed']],
  [3, 'National et numéros 081', ['freeAndService', 'nationalFixed', 'sharedCost']],
  [4, 'Fixes et mobiles France', ['freeAndService', 'nationalFixed', 'sharedCost', 'mobile']],
  [5, 'Fixes, mobiles et DOM-TOM', ['freeAndService', 'nationalFixed', 'sharedCost', 'mobile', 'overseas']],
  [6, 'Sauf international', ['freeAndService', 'nationalFixed', 'sharedCost', 'mobile', 'overseas', 'premium']],
  [7, 'Sauf appels surtaxés', ['freeAndService', 'nationalFixed', 'sharedCost', 'mobile', 'overseas', 'international']],
  [8, 'Profil modifiable 1', ['freeAndService']],
  [9, 'Profil modifiable 2', ['freeAndService']],
  [10, 'Tout autorisé', [...RESTRICTION_CATEGORIES]],
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
