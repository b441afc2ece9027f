import type { Config } from '../config/index.ts';
import type { MailJobInput } from './outbox.ts';

/**
 * The e-mail of one voicemail message (VOX-1), as a pure function: French
 * first, English below, times in the box's timezone, the WAV attached by
 * path (it stays in the voicemail store).
 */
export interface VoicemailMessageInfo {
  /** Internal number of the mailbox ("401"). */
  mailbox: string;
  /** Calling number as presented; undefined or "anonymous" when withheld. */
  caller?: string;
  callerName?: string;
  durationSeconds: number;
  /** Wall-clock ms when the message was left. */
  receivedAt: number;
  /** Absolute path of the message's WAV file. */
  wavPath: string;
  /** The voicemail store's id of the message, for logs. */
  messageId?: string;
}

interface LocalTime {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  /** The zone actually used (UTC when the configured one is unknown). */
  zone: string;
}

export function localTime(ms: number, timezone: string): LocalTime {
  let fmt: Intl.DateTimeFormat;
  let zone = timezone;
  try {
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    zone = 'UTC';
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return { year: parts['year'] ?? '', month: parts['month'] ?? '', day: parts['day'] ?? '', hour: parts['hour'] ?? '', minute: parts['minute'] ?? '', zone };
}

/** 23 → "0:23", 125 → "2:05", 3725 → "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function withheld(caller: string | undefined): boolean {
  return caller === undefined || caller.trim() === '' || /^(anonymous|unknown|restricted)$/i.test(caller.trim());
}

/** Characters safe in a file name: digits and letters; "+33..." becomes "0033...". */
function fileSafe(caller: string | undefined): string {
  if (withheld(caller)) return 'masque';
  const s = caller!.trim().replace(/^\+/, '00').replace(/[^0-9A-Za-z]/g, '');
  return s === '' ? 'masque' : s.slice(0, 32);
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').trim();
}

export function voicemailAttachmentName(msg: Pick<VoicemailMessageInfo, 'caller' | 'receivedAt'>, timezone: string): string {
  const t = localTime(msg.receivedAt, timezone);
  return `message-${t.year}${t.month}${t.day}-${t.hour}${t.minute}-${fileSafe(msg.caller)}.wav`;
}

export function buildVoicemailMail(msg: VoicemailMessageInfo, to: string, timezone: string): MailJobInput {
  const t = localTime(msg.receivedAt, timezone);
  const date = `${t.day}/${t.month}/${t.year}`;
  const time = `${t.hour}:${t.minute}`;
  const duration = formatDuration(msg.durationSeconds);
  const hidden = withheld(msg.caller);
  const number = hidden ? '' : oneLine(msg.caller!);
  const name = msg.callerName !== undefined && oneLine(msg.callerName) !== '' ? oneLine(msg.callerName) : undefined;
  const who = hidden ? (name ? `${name} (numéro masqué)` : undefined) : name ? `${name} (${number})` : number;
  const whoEn = hidden ? (name ? `${name} (withheld number)` : undefined) : who;
  const fromFr = who === undefined ? "d'un numéro masqué" : `de ${who}`;
  const fromEn = whoEn === undefined ? 'from a withheld number' : `from ${whoEn}`;
  const zoneNote = t.zone === timezone ? '' : ` (${t.zone})`;
  const subject = `Nouveau message vocal ${fromFr} pour le ${msg.mailbox}, durée ${duration}, reçu le ${date} à ${time}${zoneNote}`;
  const text = [
    `Nouveau message vocal ${fromFr} pour le ${msg.mailbox}, durée ${duration}, reçu le ${date} à ${time}${zoneNote}.`,
    '',
    'Le message est joint à ce courriel (fichier WAV). Il reste aussi dans votre messagerie : composez le 888 depuis votre poste pour l’écouter.',
    '',
    '--',
    '',
    `New voicemail message ${fromEn} for ${msg.mailbox}, duration ${duration}, received on ${date} at ${time}${zoneNote}.`,
    '',
    'The message is attached (WAV file). It also stays in your voicemail: dial 888 from your phone to listen to it.',
    '',
  ].join('\n');
  return {
    to,
    subject,
    text,
    attachments: [{ filename: voicemailAttachmentName(msg, timezone), path: msg.wavPath, contentType: 'audio/wav' }],
    meta: {
      kind: 'voicemail',
      mailbox: msg.mailbox,
      caller: hidden ? 'withheld' : number,
      ...(msg.messageId !== undefined ? { message: msg.messageId } : {}),
    },
  };
}

/**
 * The e-mail for a new message of `msg.mailbox`, or undefined when that
 * phone has no address or has e-mail off (voicemail.emailEnabled).
 */
export function voicemailMailFor(config: Pick<Config, 'phones' | 'system'>, msg: VoicemailMessageInfo): MailJobInput | undefined {
  const phone = config.phones.find((p) => p.internalNumber === msg.mailbox);
  if (!phone || !phone.voicemail.emailEnabled || !phone.email) return undefined;
  return buildVoicemailMail(msg, phone.email, config.system.timezone);
}

/** The fields of the voicemail store's StoredMessage that the e-mail needs (structural: no import of pbx/). */
export interface StoredVoicemail {
  id: string;
  caller: string;
  receivedAt: number;
  durationMs: number;
}

/**
 * The e-mail for a message just stored in the box of the phone `mac`, in the
 * shape of VoicemailDeps.onNewMessage(mac, message, wavPath); undefined when
 * the phone is unknown, has no address or has e-mail off.
 */
export function voicemailMailForStored(config: Pick<Config, 'phones' | 'system'>, mac: string, message: StoredVoicemail, wavPath: string): MailJobInput | undefined {
  const phone = config.phones.find((p) => p.mac === mac.toLowerCase());
  if (!phone) return undefined;
  return voicemailMailFor(config, {
    mailbox: phone.internalNumber,
    caller: message.caller,
    durationSeconds: message.durationMs / 1000,
    receivedAt: message.receivedAt,
    wavPath,
    messageId: message.id,
  });
}
