import { NUMBERING, type Config, type Phone } from '../config/index.ts';
import { aastraKeyName, yealinkKeyName } from './models.ts';
import { aastraText, cleanText, host, port, token, url, xmlText, yealinkText } from './text.ts';

/**
 * Pure generators of the files a phone downloads at boot (KEY-2): the common
 * Aastra file, each phone's own file (line 1 credentials, screen keys of
 * KEY-1, directory URL) and the company directory as a remote phonebook
 * (DIR-1). The same config always gives the same text: a file depends only on
 * the phone's record, found by MAC (NUM-9). Values that could not be written
 * safely throw ProvisioningValueError (the handler answers 500, never a
 * half-written file).
 */

/** Where the phones reach the box (the LAN side). */
export interface ProvisioningServer {
  /** SIP proxy and registrar address as the phones reach it (the box's LAN address). */
  sipHost: string;
  sipPort: number;
  /** Base URL of this HTTP server as the phones reach it, without trailing slash: http://192.168.1.1:8080 */
  httpBase: string;
  /** NTP server for the phones' clocks. */
  ntpServer: string;
}

/** Title of the phonebook on the phones. */
export const DIRECTORY_TITLE = 'Annuaire';
/** Aastra XML objects hold at most 30 items (and 10 kB): the directory is served in pages. */
export const AASTRA_DIRECTORY_PAGE = 30;

interface Zone {
  aastra: string;
  yealinkOffset: string;
  yealinkName: string;
}
/** The box is French: Paris unless the system time zone is one we know the phones' names of. */
const ZONES: Record<string, Zone> = {
  'Europe/Paris': { aastra: 'FR-Paris', yealinkOffset: '+1', yealinkName: 'France(Paris)' },
};
function zoneOf(config: Readonly<Config>): Zone {
  return ZONES[config.system.timezone] ?? ZONES['Europe/Paris']!;
}

/** What the idle screen and the From display name show: "First Last", or the number for a phone without a name (WEB-3). */
export function phoneDisplayName(phone: Readonly<Phone>): string {
  const name = cleanText(`${phone.firstName} ${phone.lastName}`, 64);
  return name === '' ? phone.internalNumber : name;
}

export function directoryUrl(server: ProvisioningServer, flavor: 'aastra' | 'yealink'): string {
  return `${url(server.httpBase, 'the provisioning base URL')}/phonebook/${flavor}.xml`;
}

function lines(list: readonly string[]): string {
  return `${list.join('\n')}\n`;
}

/** aastra.cfg: settings shared by every Aastra/Mitel phone (no credentials). */
export function aastraGlobalConfig(config: Readonly<Config>, server: ProvisioningServer): string {
  const sipHost = host(server.sipHost, 'the SIP server');
  const sipPort = port(server.sipPort, 'the SIP port');
  return lines([
    '# pbxgate: settings common to every Aastra/Mitel phone (generated: changes made here are lost)',
    '# French language, tones and keyboard',
    'language: 1',
    'language 1: lang_fr.txt',
    'tone set: France',
    'input language: French',
    '# Time',
    `time zone name: ${zoneOf(config).aastra}`,
    'time format: 1',
    'time server disabled: 0',
    `time server1: ${host(server.ntpServer, 'the NTP server')}`,
    '# SIP: the box is proxy and registrar',
    `sip proxy ip: ${sipHost}`,
    `sip proxy port: ${sipPort}`,
    `sip registrar ip: ${sipHost}`,
    `sip registrar port: ${sipPort}`,
    'sip transport protocol: 1',
    `sip registration period: ${config.sip.registrar.defaultExpires}`,
    `sip vmail: ${NUMBERING.voicemail}`,
    '# Configuration reloaded every night at 03:00',
    'auto resync mode: 1',
    'auto resync time: 03:00',
  ]);
}

/** <MAC>.cfg: line 1 of this phone, its screen keys and the directory. */
export function aastraPhoneConfig(config: Readonly<Config>, phone: Readonly<Phone>, server: ProvisioningServer): string {
  const sipHost = host(server.sipHost, 'the SIP server');
  const sipPort = port(server.sipPort, 'the SIP port');
  const user = token(phone.sip.username, 'the SIP user name');
  const name = phoneDisplayName(phone);
  const out = [
    `# pbxgate: phone ${phone.mac}, internal number ${phone.internalNumber} (generated: changes made here are lost)`,
    `sip line1 screen name: ${aastraText(name)}`,
    `sip line1 screen name 2: ${aastraText(phone.internalNumber)}`,
    `sip line1 display name: ${aastraText(name)}`,
    `sip line1 user name: ${user}`,
    `sip line1 auth name: ${user}`,
    `sip line1 password: ${token(phone.sip.password, 'the SIP password')}`,
    `sip line1 proxy ip: ${sipHost}`,
    `sip line1 proxy port: ${sipPort}`,
    `sip line1 registrar ip: ${sipHost}`,
    `sip line1 registrar port: ${sipPort}`,
    `sip line1 vmail: ${NUMBERING.voicemail}`,
    `# Company directory (DIR-1)`,
    `directory script: ${directoryUrl(server, 'aastra')}`,
    '# Screen keys (KEY-1): supervision = blf, speed dial = speeddial; unused keys are cleared',
  ];
  const byPosition = new Map(phone.screenKeys.map((k) => [k.position, k]));
  for (let position = 1; position <= 24; position++) {
    const keyName = aastraKeyName(phone.model, position);
    const key = byPosition.get(position);
    if (keyName === undefined) {
      if (key) out.push(`# screen key ${position}: this model has no key for it`);
      continue;
    }
    if (!key) {
      out.push(`${keyName} type: none`);
      continue;
    }
    out.push(
      `${keyName} type: ${key.kind === 'supervision' ? 'blf' : 'speeddial'}`,
      `${keyName} value: ${token(key.target, `the number of key ${position}`)}`,
      `${keyName} label: ${aastraText(key.label === '' ? key.target : key.label)}`,
      `${keyName} line: 1`,
    );
  }
  return lines(out);
}

function yealinkCommon(config: Readonly<Config>, server: ProvisioningServer): string[] {
  const zone = zoneOf(config);
  return [
    '## French language and tones',
    'lang.gui = French',
    'lang.wui = French',
    'voice.tone.country = France',
    '## Time',
    `local_time.time_zone = ${zone.yealinkOffset}`,
    `local_time.time_zone_name = ${zone.yealinkName}`,
    `local_time.ntp_server1 = ${host(server.ntpServer, 'the NTP server')}`,
    'local_time.summer_time = 2',
    'local_time.time_format = 1',
  ];
}

/** y0000000000xx.cfg, the file every Yealink asks before its own: language and time only (no credentials). */
export function yealinkCommonConfig(config: Readonly<Config>, server: ProvisioningServer): string {
  return lines(['#!version:1.0.0.1', '## pbxgate: settings common to every Yealink phone (generated)', ...yealinkCommon(config, server)]);
}

/** <mac>.cfg for a Yealink phone: account 1, language and time, remote phonebook, DSS keys. */
export function yealinkPhoneConfig(config: Readonly<Config>, phone: Readonly<Phone>, server: ProvisioningServer): string {
  const user = token(phone.sip.username, 'the SIP user name');
  const name = phoneDisplayName(phone);
  const out = [
    // The header must be the very first line, as is: Yealink ignores a file without it.
    '#!version:1.0.0.1',
    `## pbxgate: phone ${phone.mac}, internal number ${phone.internalNumber} (generated: changes made here are lost)`,
    'account.1.enable = 1',
    `account.1.label = ${yealinkText(name)}`,
    `account.1.display_name = ${yealinkText(name)}`,
    `account.1.user_name = ${user}`,
    `account.1.auth_name = ${user}`,
    `account.1.password = ${token(phone.sip.password, 'the SIP password')}`,
    `account.1.sip_server.1.address = ${host(server.sipHost, 'the SIP server')}`,
    `account.1.sip_server.1.port = ${port(server.sipPort, 'the SIP port')}`,
    'account.1.sip_server.1.transport_type = 0',
    `account.1.sip_server.1.expires = ${config.sip.registrar.defaultExpires}`,
    `voice_mail.number.1 = ${NUMBERING.voicemail}`,
    ...yealinkCommon(config, server),
    '## Company directory (DIR-1)',
    `remote_phonebook.data.1.url = ${directoryUrl(server, 'yealink')}`,
    `remote_phonebook.data.1.name = ${DIRECTORY_TITLE}`,
    'features.remote_phonebook.enable = 1',
    '## Screen keys (KEY-1): 16 = BLF (supervision), 13 = speed dial, 0 = unused',
  ];
  const byPosition = new Map(phone.screenKeys.map((k) => [k.position, k]));
  for (let position = 1; position <= 24; position++) {
    const keyName = yealinkKeyName(phone.model, position);
    const key = byPosition.get(position);
    if (keyName === undefined) {
      if (key) out.push(`## screen key ${position}: this model has no key for it`);
      continue;
    }
    if (!key) {
      out.push(`${keyName}.type = 0`);
      continue;
    }
    out.push(
      `${keyName}.type = ${key.kind === 'supervision' ? 16 : 13}`,
      `${keyName}.value = ${token(key.target, `the number of key ${position}`)}`,
      `${keyName}.label = ${yealinkText(key.label === '' ? key.target : key.label)}`,
      `${keyName}.line = 1`,
    );
  }
  return lines(out);
}

export interface DirectoryItem {
  name: string;
  /** What the phone dials: the speed-dial number when the contact has one (NUM-5), else its number. */
  dial: string;
  /** The contact's full number when it differs from dial. */
  number?: string;
}

/** Directory contacts (DIR-1) and the internal phones, sorted by name as a French reader expects. */
export function directoryItems(config: Readonly<Config>): DirectoryItem[] {
  const items: DirectoryItem[] = [
    ...config.directory.map((d) =>
      d.speedDial !== undefined ? { name: cleanText(d.name, 64), dial: d.speedDial, number: d.number } : { name: cleanText(d.name, 64), dial: d.number },
    ),
    ...config.phones.map((p) => {
      const name = cleanText(`${p.firstName} ${p.lastName}`, 64);
      return { name: name === '' ? `Poste ${p.internalNumber}` : name, dial: p.internalNumber };
    }),
  ];
  const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });
  return items.sort((a, b) => collator.compare(a.name, b.name) || a.dial.localeCompare(b.dial));
}

/** Number of Aastra directory pages (at least 1, even when empty). */
export function aastraDirectoryPages(config: Readonly<Config>): number {
  return Math.max(1, Math.ceil(directoryItems(config).length / AASTRA_DIRECTORY_PAGE));
}

/**
 * The company phonebook. Aastra: AastraIPPhoneDirectory (MenuItem Prompt/URI),
 * 30 items a page chained by next/previous when pageUrl is given. Yealink:
 * YealinkIPPhoneDirectory (DirectoryEntry Name/Telephone), all entries.
 */
export function directoryXml(
  config: Readonly<Config>,
  flavor: 'aastra' | 'yealink',
  options: { page?: number; pageUrl?: (page: number) => string } = {},
): string {
  const items = directoryItems(config);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  if (flavor === 'yealink') {
    out.push('<YealinkIPPhoneDirectory>', `<Title>${DIRECTORY_TITLE}</Title>`);
    for (const i of items) {
      out.push('<DirectoryEntry>', `<Name>${xmlText(i.name, 64)}</Name>`, `<Telephone>${xmlText(i.dial, 20)}</Telephone>`);
      if (i.number !== undefined) out.push(`<Telephone>${xmlText(i.number, 20)}</Telephone>`);
      out.push('</DirectoryEntry>');
    }
    out.push('</YealinkIPPhoneDirectory>');
    return lines(out);
  }
  const pages = Math.max(1, Math.ceil(items.length / AASTRA_DIRECTORY_PAGE));
  const page = Math.min(Math.max(1, options.page ?? 1), pages);
  const attrs: string[] = [];
  if (options.pageUrl && page > 1) attrs.push(` previous="${xmlText(options.pageUrl(page - 1), 240)}"`);
  if (options.pageUrl && page < pages) attrs.push(` next="${xmlText(options.pageUrl(page + 1), 240)}"`);
  out.push(`<AastraIPPhoneDirectory${attrs.join('')}>`, `<Title>${DIRECTORY_TITLE}${pages > 1 ? ` ${page}/${pages}` : ''}</Title>`);
  for (const i of items.slice((page - 1) * AASTRA_DIRECTORY_PAGE, page * AASTRA_DIRECTORY_PAGE)) {
    // The Aastra item shows one line: the speed-dial code is put after the name so it can be learnt.
    const label = i.number !== undefined ? `${i.name} (${i.dial})` : i.name;
    out.push('<MenuItem>', `<Prompt>${xmlText(label, 64)}</Prompt>`, `<URI>${xmlText(i.dial, 20)}</URI>`, '</MenuItem>');
  }
  out.push('</AastraIPPhoneDirectory>');
  return lines(out);
}
