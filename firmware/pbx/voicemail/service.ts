import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import type { Config } from '../../config/index.ts';
import { readWav } from '../../media/wav.ts';
import { MailboxStore, DEFAULT_LIMITS, type StoredMessage } from './mailbox.ts';
import type { Box, Clip } from './menus.ts';
import type { ClipSource } from './session.ts';
import { Announcements } from '../announcements.ts';

/** Spoken prompts by catalogue id (firmware/voice); undefined when the id has no recording. */
export interface PromptSource {
  prompt(id: string): Int16Array | undefined;
  /** The prompt ids that say a number (digits or French pairs). */
  numberIds(digits: string): string[];
  /** "Vous avez deux nouveaux messages..." as prompt ids ("vous n'avez aucun message" for none). */
  summaryIds(fresh: number, saved: number): string[];
}

export interface VoicemailDeps {
  /** `<dataDir>`: messages under voicemail/, uploaded greetings under audio/. */
  dataDir: string;
  log: Logger;
  config(): Readonly<Config>;
  prompts?: PromptSource;
  /** Uploaded announcements (greetings, the attendant's welcome), shared with the rest of the PBX; its own otherwise. */
  announcements?: Announcements;
  /** A box's counts changed (message-waiting indication, RFC 3842). */
  onCountsChanged?(mac: string, counts: { fresh: number; saved: number }): void;
  /** A new message was stored (e-mail, VOX-1). */
  onNewMessage?(mac: string, message: StoredMessage, wavPath: string): void;
}

/** What the B2BUA asks of the voicemail while it runs a deposit or a retrieval dialogue. */
export interface VoicemailPort {
  readonly clips: ClipSource;
  /** The box of a phone (by MAC), as the dialogues see it; undefined when the phone has none (voicemail off). */
  box(mac: string): (Box & { hasGreeting: boolean; full: boolean; maxMs: number }) | undefined;
  /** A box by internal number (login from another phone). */
  boxByNumber(number: string): Box | undefined;
  store(mac: string, samples: Int16Array, caller: string): void;
  remove(mac: string, id: string): void;
  markSaved(mac: string, id: string): void;
}

const RATE = 8000;

function tone(hz: number, ms: number, level = 0.3 * 32767): Int16Array {
  const n = Math.round((RATE * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(level * Math.sin((2 * Math.PI * hz * i) / RATE));
  return out;
}

/** Prompts are trimmed of silence: words of a number or a sentence need a short gap between them. */
const WORD_GAP = new Int16Array(800); // 100 ms

function words(parts: readonly Int16Array[]): Int16Array {
  return concat(parts.flatMap((p, i) => (i === 0 ? [p] : [WORD_GAP, p])));
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The beep before recording: 1 kHz, 400 ms, then 100 ms of silence. */
export const BEEP = concat([tone(1000, 400), new Int16Array(800)]);

/**
 * Voicemail boxes (VOX-1, NUM-7): the stored messages (MailboxStore), the
 * clips the dialogues play, and the hooks for message-waiting indication and
 * e-mail. Stateless apart from the store: the B2BUA runs the dialogues.
 */
export class VoicemailService implements VoicemailPort {
  readonly mailboxes: MailboxStore;
  readonly clips: ClipSource;

  private readonly uploads: Announcements;

  constructor(private readonly deps: VoicemailDeps) {
    this.mailboxes = new MailboxStore(join(deps.dataDir, 'voicemail'), deps.log, DEFAULT_LIMITS);
    this.uploads = deps.announcements ?? new Announcements(deps.dataDir, deps.config, deps.log);
    this.clips = { samples: (clip) => this.samples(clip) };
  }

  box(mac: string): (Box & { hasGreeting: boolean; full: boolean; maxMs: number }) | undefined {
    const phone = this.deps.config().phones.find((p) => p.mac === mac);
    if (!phone || !phone.voicemail.enabled) return undefined;
    return {
      mac,
      number: phone.internalNumber,
      ...(phone.voicemail.pin !== undefined ? { pin: phone.voicemail.pin } : {}),
      messages: this.mailboxes.list(mac).map((m) => ({ id: m.id, caller: m.caller, state: m.state })),
      hasGreeting: phone.voicemail.greeting !== undefined && this.greeting(mac) !== undefined,
      full: this.mailboxes.full(mac),
      maxMs: this.mailboxes.limits.maxMessageSeconds * 1000,
    };
  }

  boxByNumber(number: string): Box | undefined {
    const phone = this.deps.config().phones.find((p) => p.internalNumber === number);
    return phone ? this.box(phone.mac) : undefined;
  }

  /** Stored messages of a phone (console, API, web). */
  messages(mac: string): StoredMessage[] {
    return this.mailboxes.list(mac);
  }

  counts(mac: string): { fresh: number; saved: number } {
    return this.mailboxes.counts(mac);
  }

  store(mac: string, samples: Int16Array, caller: string): void {
    try {
      const m = this.mailboxes.add(mac, samples, caller, Date.now());
      this.deps.log.info({ mac, id: m.id, caller: m.caller, seconds: Math.round(m.durationMs / 1000) }, 'voicemail: message stored');
      this.deps.onNewMessage?.(mac, m, this.mailboxes.wavPath(mac, m.id));
      this.deps.onCountsChanged?.(mac, this.mailboxes.counts(mac));
    } catch (err) {
      this.deps.log.error({ mac, caller, err: (err as Error).message }, 'voicemail: the message could not be stored');
    }
  }

  remove(mac: string, id: string): void {
    if (this.mailboxes.delete(mac, id)) {
      this.deps.log.info({ mac, id }, 'voicemail: message deleted');
      this.deps.onCountsChanged?.(mac, this.mailboxes.counts(mac));
    }
  }

  markSaved(mac: string, id: string): void {
    if (this.mailboxes.markSaved(mac, id)) this.deps.onCountsChanged?.(mac, this.mailboxes.counts(mac));
  }

  private greeting(mac: string): Int16Array | undefined {
    const ref = this.deps.config().phones.find((p) => p.mac === mac)?.voicemail.greeting;
    return ref ? this.upload(ref) : undefined;
  }

  /** An uploaded announcement from `<data>/audio/` (read once, kept until replaced); undefined (logged) when unreadable. */
  private upload(ref: string): Int16Array | undefined {
    return this.uploads.file(ref);
  }

  private prompt(id: string): Int16Array {
    const p = this.deps.prompts?.prompt(id);
    if (p) return p;
    // No recording for this prompt (prompts not built): a short neutral tone keeps the dialogue going.
    this.deps.log.debug({ prompt: id }, 'voice prompt missing: tone instead');
    return concat([tone(660, 150), new Int16Array(400)]);
  }

  private samples(clip: Clip): Int16Array {
    switch (clip.kind) {
      case 'prompt':
        return this.prompt(clip.id);
      case 'beep':
        return BEEP;
      case 'upload':
        return this.upload(clip.ref) ?? this.prompt(clip.fallback);
      case 'greeting':
        return this.greeting(clip.mac) ?? this.prompt('vm.greeting.default');
      case 'message': {
        const mac = this.ownerOf(clip.id);
        if (!mac) return new Int16Array(0);
        try {
          return readWav(readFileSync(this.mailboxes.wavPath(mac, clip.id))).samples;
        } catch (err) {
          this.deps.log.error({ id: clip.id, err: (err as Error).message }, 'voicemail: message unreadable');
          return new Int16Array(0);
        }
      }
      case 'number': {
        const ids = this.deps.prompts?.numberIds(clip.digits) ?? [];
        if (ids.length > 0) return words(ids.map((id) => this.prompt(id)));
        // Without prompts: one short tone per digit, so the length still says something.
        return concat([...clip.digits].map(() => concat([tone(880, 80), new Int16Array(640)])));
      }
      case 'summary': {
        const ids = this.deps.prompts?.summaryIds(clip.fresh, clip.saved) ?? [];
        if (ids.length > 0) return words(ids.map((id) => this.prompt(id)));
        return concat(Array.from({ length: Math.min(clip.fresh, 10) }, () => concat([tone(880, 80), new Int16Array(640)])));
      }
    }
  }

  private ownerOf(id: string): string | undefined {
    for (const p of this.deps.config().phones) if (this.mailboxes.list(p.mac).some((m) => m.id === id)) return p.mac;
    return undefined;
  }
}
