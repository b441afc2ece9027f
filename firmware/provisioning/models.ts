/**
 * Which phone is asking, from its HTTP User-Agent, and where each phone model
 * puts the screen keys of KEY-1.
 *
 * Real User-Agents (vendors' provisioning requests):
 *   Aastra6731i MAC:00-08-5D-23-74-29 V:3.3.1.4322-SIP
 *   Mitel6867i MAC:00-08-5D-55-66-77 V:5.1.0.2051-SIP
 *   Yealink SIP-T46U 108.86.0.45 80:5e:c0:11:22:33
 */
export type PhoneFamily = 'aastra' | 'yealink';

export interface UserAgentInfo {
  family: PhoneFamily;
  /** "Aastra 6731i", "Mitel 6867i", "Yealink T46U": stored as the phone's model (WEB-3 phone type). */
  model: string;
  /** The MAC the phone announces in its User-Agent (lower case aa:bb:...), when it does. */
  mac?: string;
}

function normMac(raw: string): string | undefined {
  const hex = raw.replace(/[-:.]/g, '').toLowerCase();
  return /^[0-9a-f]{12}$/.test(hex) ? hex.match(/../g)!.join(':') : undefined;
}

/** undefined: not an Aastra/Mitel nor a Yealink phone. */
export function parseUserAgent(ua: string | undefined): UserAgentInfo | undefined {
  if (ua === undefined || ua.length > 256) return undefined;
  const mitel = /^(Aastra|Mitel)\s?([0-9]{2,4}[A-Za-z]{0,3})\b/.exec(ua);
  if (mitel) {
    const mac = /\bMAC:([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5})\b/.exec(ua);
    const m = mac ? normMac(mac[1]!) : undefined;
    return { family: 'aastra', model: `${mitel[1]} ${mitel[2]}`, ...(m ? { mac: m } : {}) };
  }
  const yealink = /^Yealink\s+(?:SIP[-\s])?([A-Za-z0-9-]{2,16})\b/.exec(ua);
  if (yealink) {
    const mac = /\b([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{12})\s*$/.exec(ua);
    const m = mac ? normMac(mac[1]!) : undefined;
    return { family: 'yealink', model: `Yealink ${yealink[1]}`, ...(m ? { mac: m } : {}) };
  }
  return undefined;
}

/** The family of a stored model name ("Aastra 6731i" → aastra). */
export function familyOfModel(model: string): PhoneFamily | undefined {
  if (/^(aastra|mitel)/i.test(model)) return 'aastra';
  if (/^yealink/i.test(model)) return 'yealink';
  return undefined;
}

/**
 * Aastra/Mitel key banks, in the order screen key positions fill them
 * (vendor admin guides: 6731i has 8 programmable keys, the 6757i 10 top
 * softkeys then 20 bottom softkeys, ...). Unknown models get 24 top softkeys.
 */
const AASTRA_KEYS: Record<string, readonly (readonly [number, string])[]> = {
  '6730i': [[8, 'prgkey']],
  '6731i': [[8, 'prgkey']],
  '6735i': [[6, 'prgkey'], [20, 'softkey']],
  '6737i': [[10, 'topsoftkey'], [20, 'softkey']],
  '6739i': [[55, 'softkey']],
  '6753i': [[6, 'prgkey']],
  '53i': [[6, 'prgkey']],
  '6755i': [[6, 'prgkey'], [20, 'softkey']],
  '55i': [[6, 'prgkey'], [20, 'softkey']],
  '6757i': [[10, 'topsoftkey'], [20, 'softkey']],
  '57i': [[10, 'topsoftkey'], [20, 'softkey']],
  '6863i': [[3, 'prgkey']],
  '6865i': [[8, 'prgkey']],
  '6867i': [[20, 'topsoftkey'], [18, 'softkey']],
  '6869i': [[44, 'topsoftkey'], [24, 'softkey']],
  '6873i': [[48, 'topsoftkey'], [24, 'softkey']],
  '9143i': [[7, 'prgkey']],
  '9480i': [[6, 'softkey']],
};
const AASTRA_DEFAULT_KEYS: readonly (readonly [number, string])[] = [[24, 'topsoftkey']];

/** "topsoftkey3", "prgkey5"...; undefined when the model has fewer keys than position. */
export function aastraKeyName(model: string, position: number): string | undefined {
  const m = /([0-9]{2,4}i)\b/i.exec(model);
  const banks = (m && AASTRA_KEYS[m[1]!.toLowerCase()]) || AASTRA_DEFAULT_KEYS;
  let rest = position;
  for (const [count, prefix] of banks) {
    if (rest <= count) return `${prefix}${rest}`;
    rest -= count;
  }
  return undefined;
}

/**
 * Yealink DSS keys: line key 1 stays the account's line, screen key n is line
 * key n+1. Line keys per model (all pages); T2x/T3x phones use memory keys.
 */
const YEALINK_LINE_KEYS: Record<string, number> = {
  T41P: 15, T41S: 15, T41U: 15, T42G: 15, T42S: 15, T42U: 15, T43U: 21,
  T46G: 27, T46S: 27, T46U: 27, T48G: 29, T48S: 29, T48U: 29,
  T53: 21, T53W: 21, T54W: 27, T57W: 29,
};

export function yealinkKeyName(model: string, position: number): string | undefined {
  const m = /\b(T\d{2}[A-Z]{0,2})\b/i.exec(model);
  const name = m ? m[1]!.toUpperCase() : '';
  if (/^T[23]\d/.test(name)) return position <= 10 ? `memorykey.${position}` : undefined;
  const lineKeys = YEALINK_LINE_KEYS[name] ?? 27;
  return position + 1 <= lineKeys ? `linekey.${position + 1}` : undefined;
}
