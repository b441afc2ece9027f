import type { Config, Phone } from '../config/index.ts';

/** What an outgoing external call shows the called party, and what it asserts to the operator. */
export interface PresentedIdentity {
  /** The number in From when shown (national format), and in P-Asserted-Identity in every case. */
  number: string;
  /** CLIR: From is anonymous and Privacy: id asks the operator not to pass the number on (RFC 3323). */
  hidden: boolean;
  /** Which choice gave the number, for logs ("did", "company", "main", "group", or a fallback). */
  source: string;
}

/** '+33 1…' / '0033 1…' -> '01…' (the trunk gets national format); anything else unchanged. */
export function toNationalFormat(number: string): string {
  if (number.startsWith('+33')) return `0${number.slice(3)}`;
  if (number.startsWith('0033')) return `0${number.slice(4)}`;
  return number;
}

/**
 * CID-1..CID-3 for one outgoing external call (pure). The phone's choice
 * (presentedIdentity) picks the number: its DID, the company number (CID-3),
 * the main number, a group's DID, or "secret". When the chosen number does
 * not exist (no company number chosen yet, a group without DID) the next
 * one that does is used, in the order main, company, DID, trunk account, and
 * the source says so. The number is hidden when the choice is "secret", when
 * *65*1 is on (phone.hideIdentity) or for this call only (*66*, 3651); never
 * for an emergency call (french-numbering.md §4.1: the centre must see it).
 */
export function presentedIdentity(
  config: Readonly<Config>,
  phone: Readonly<Phone>,
  call: { hideForCall: boolean; emergency: boolean },
): PresentedIdentity {
  const groupDid = config.groups.find((g) => g.internalNumber === phone.presentedGroup)?.did;
  const chosen: Record<string, string | undefined> = {
    did: phone.did,
    company: config.company.companyNumber,
    main: config.company.mainNumber,
    group: groupDid,
    // "secret" still asserts a real number to the operator: the DID for a DID phone, else the main number.
    secret: phone.did ?? config.company.mainNumber,
  };
  const fallbacks: Array<[string, string | undefined]> = [
    [phone.presentedIdentity, chosen[phone.presentedIdentity]],
    ['main', config.company.mainNumber],
    ['company', config.company.companyNumber],
    ['did', phone.did],
    ['trunk account', config.trunk.username || undefined],
  ];
  const [source, number] = fallbacks.find(([, n]) => n !== undefined && n !== '') ?? ['none', ''];
  const wantsHidden = phone.presentedIdentity === 'secret' || phone.hideIdentity || call.hideForCall;
  return {
    number: toNationalFormat(number ?? ''),
    hidden: wantsHidden && !call.emergency,
    source: source === phone.presentedIdentity ? source : `${source} (fallback: no ${phone.presentedIdentity} number)`,
  };
}
