import { RESTRICTION_CATEGORIES, type Config, type Phone, type RestrictionCategory, type RestrictionProfile } from '../../config/index.ts';
import type { Classification } from '../frenchplan/index.ts';

/**
 * Outgoing restriction profiles (RES-1..RES-4) and the toll-fraud rate cap,
 * as pure decisions: the caller classifies the number (frenchplan), picks the
 * profile (profileFor) and keeps each phone's call history. docs/outgoing.md.
 */

export interface OutgoingPolicy {
  profile: RestrictionProfile;
  outgoing: Config['outgoing'];
}

export type OutgoingDecision =
  | { allowed: true; emergency: boolean; /** CLIR for this call: false for emergency whatever was asked (french-numbering §4.1) */ hideIdentity: boolean }
  | { allowed: false; rule: string; reason: string };

/** How a refusal names each category, in one sentence. */
const CATEGORY_LABEL: Record<RestrictionCategory, string> = {
  free: 'free numbers',
  operatorService: 'operator service numbers',
  national: 'national numbers',
  lowCapPremium: 'low-cap premium numbers (081)',
  mobile: 'French mobile numbers',
  dom: 'overseas department (DOM) numbers',
  comTom: 'French overseas collectivity (COM/TOM) numbers',
  premium: 'premium numbers',
  directory: 'directory enquiry numbers (118)',
  international: 'international numbers',
  m2m: 'machine-to-machine numbers (0700, 0901)',
};

/** Rule id of a refusal by the international country allow-list. */
export const COUNTRY_ALLOW_LIST_RULE = 'country-allow-list';

/**
 * Decide one outgoing external call. Emergency is always allowed and never
 * hidden (RES-4, french-numbering §4.1); 'unknown' is always refused (fail
 * closed); international needs the profile's switch and the country in
 * outgoing.allowedCountryCodes; comTom has its own switch only.
 */
export function decideOutgoing(c: Classification, policy: OutgoingPolicy, hideIdentity: boolean): OutgoingDecision {
  if (c.category === 'emergency') return { allowed: true, emergency: true, hideIdentity: false };
  const { profile } = policy;
  if (c.category === 'unknown')
    return { allowed: false, rule: c.rule, reason: `the number matches no category of the numbering plan (rule ${c.rule}); unknown numbers are refused` };
  // A category a (newer) plan knows but the profile does not: refused (fail closed).
  if (profile.allow[c.category] !== true)
    return { allowed: false, rule: c.rule, reason: `${CATEGORY_LABEL[c.category] ?? c.category} (rule ${c.rule}) are not allowed by profile ${profile.id} "${profile.name}"` };
  if (c.category === 'international') {
    if (c.countryCode === undefined)
      return { allowed: false, rule: c.rule, reason: `the international number has no country code (rule ${c.rule}); refused` };
    if (!policy.outgoing.allowedCountryCodes.includes(c.countryCode))
      return { allowed: false, rule: COUNTRY_ALLOW_LIST_RULE, reason: `country code ${c.countryCode} is not in the international allow-list` };
  }
  return { allowed: true, emergency: false, hideIdentity };
}

/** Every category refused: what profileFor returns when even profile 1 is missing. */
const NOTHING_ALLOWED: RestrictionProfile = {
  id: 1,
  name: 'Urgences seulement (profil absent)',
  editable: false,
  allow: Object.fromEntries(RESTRICTION_CATEGORIES.map((c) => [c, false])) as Record<RestrictionCategory, boolean>,
};

/** RES-4: the profile for the phone's own calls or for its forwards; falls back to profile 1 if the id is missing (fail closed). */
export function profileFor(config: Readonly<Config>, phone: Phone, purpose: 'call' | 'forward'): RestrictionProfile {
  const id = purpose === 'call' ? phone.restrictionProfile : phone.forwardRestrictionProfile;
  return config.restrictionProfiles.find((p) => p.id === id) ?? config.restrictionProfiles.find((p) => p.id === 1) ?? NOTHING_ALLOWED;
}

/** The rate window of admitByRate. */
export const RATE_WINDOW_MS = 60_000;

/**
 * Toll-fraud rate cap, pure: `history` = start times (ms) of the phone's
 * recent external calls. Returns whether one more call at `now` is within
 * maxPerMinute in any 60 s window (0 = no cap), and the pruned history
 * including `now` when ok. Times after `now` (a clock set back) are dropped.
 */
export function admitByRate(history: readonly number[], now: number, maxPerMinute: number): { ok: boolean; history: number[] } {
  const recent = history.filter((t) => t <= now && now - t < RATE_WINDOW_MS);
  if (maxPerMinute > 0 && recent.length >= maxPerMinute) return { ok: false, history: recent };
  return { ok: true, history: [...recent, now] };
}
