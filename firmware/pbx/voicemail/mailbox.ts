import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { writeFileAtomic, writeBytesAtomic, readFileIfExists } from '../../config/index.ts';
import { writeWav } from '../../media/wav.ts';

/**
 * Voicemail boxes on flash (VOX-1): one directory per phone under
 * `<dataDir>/voicemail/<mac without colons>/`, one WAV per message (8 kHz
 * 16-bit PCM: plays in every mail client and browser) and an index
 * (`index.json`) of what is new or saved. The WAV files are the truth: the
 * file name carries the date and the caller, so a lost or corrupt index is
 * rebuilt from them (every message comes back as new) and no message is lost.
 * Files are written to a temp name, fsynced, then renamed.
 */

export interface StoredMessage {
  id: string;
  /** Caller's number as the phone showed it ('anonymous' when withheld). */
  caller: string;
  /** Wall-clock ms. */
  receivedAt: number;
  durationMs: number;
  state: 'new' | 'saved';
}

export interface MailboxLimits {
  maxMessages: number;
  maxMessageSeconds: number;
}

export const DEFAULT_LIMITS: MailboxLimits = { maxMessages: 30, maxMessageSeconds: 120 };

const FILE_RE = /^msg-(\d{13})-([A-Za-z0-9+]{1,32})-([a-z0-9]{6})\.wav$/;

function boxDir(root: string, mac: string): string {
  return join(root, mac.replace(/:/g, '').toLowerCase());
}

export class MailboxStore {
  private readonly cache = new Map<string, StoredMessage[]>();

  constructor(
    /** `<dataDir>/voicemail` */
    readonly root: string,
    private readonly log: Logger,
    readonly limits: MailboxLimits = DEFAULT_LIMITS,
  ) {}

  /** The box's messages, oldest first. */
  list(mac: string): StoredMessage[] {
    const cached = this.cache.get(mac);
    if (cached) return cached.map((m) => ({ ...m }));
    const loaded = this.load(mac);
    this.cache.set(mac, loaded);
    return loaded.map((m) => ({ ...m }));
  }

  counts(mac: string): { fresh: number; saved: number } {
    const all = this.list(mac);
    const fresh = all.filter((m) => m.state === 'new').length;
    return { fresh, saved: all.length - fresh };
  }

  full(mac: string): boolean {
    return this.list(mac).length >= this.limits.maxMessages;
  }

  wavPath(mac: string, id: string): string {
    return join(boxDir(this.root, mac), `${id}.wav`);
  }

  /** Stores a recording as a new message (8 kHz samples). */
  add(mac: string, samples: Int16Array, caller: string, receivedAt: number): StoredMessage {
    // The list before the new file exists: loading it afterwards would find the message twice.
    const before = this.list(mac);
    const dir = boxDir(this.root, mac);
    mkdirSync(dir, { recursive: true });
    const safeCaller = caller.replace(/[^A-Za-z0-9+]/g, '').slice(0, 32) || 'unknown';
    const id = `msg-${String(receivedAt).padStart(13, '0')}-${safeCaller}-${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}`;
    writeBytesAtomic(join(dir, `${id}.wav`), writeWav(samples, 'pcm16'));
    const message: StoredMessage = { id, caller: safeCaller, receivedAt, durationMs: Math.round((samples.length * 1000) / 8000), state: 'new' };
    const all = [...before, message];
    this.save(mac, all);
    return { ...message };
  }

  markSaved(mac: string, id: string): boolean {
    const all = this.list(mac);
    const m = all.find((x) => x.id === id);
    if (!m) return false;
    m.state = 'saved';
    this.save(mac, all);
    return true;
  }

  delete(mac: string, id: string): boolean {
    const all = this.list(mac);
    if (!all.some((x) => x.id === id)) return false;
    // Index first: a crash between the two leaves a WAV that the next load brings back, never an index entry without audio.
    this.save(
      mac,
      all.filter((x) => x.id !== id),
    );
    rmSync(this.wavPath(mac, id), { force: true });
    return true;
  }

  private save(mac: string, messages: StoredMessage[]): void {
    const dir = boxDir(this.root, mac);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, 'index.json'), `${JSON.stringify({ messages }, null, 1)}\n`);
    this.cache.set(mac, messages);
  }

  /** The WAV files are the truth; the index adds new/saved and the exact duration. */
  private load(mac: string): StoredMessage[] {
    const dir = boxDir(this.root, mac);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => FILE_RE.test(f));
    } catch {
      return [];
    }
    const indexed = new Map<string, StoredMessage>();
    const text = readFileIfExists(join(dir, 'index.json'));
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as { messages?: unknown };
        if (Array.isArray(parsed.messages))
          for (const m of parsed.messages as StoredMessage[]) if (m && typeof m.id === 'string' && (m.state === 'new' || m.state === 'saved')) indexed.set(m.id, m);
      } catch {
        this.log.warn({ mac }, 'voicemail index unreadable: rebuilt from the message files (all shown as new)');
      }
    }
    const out: StoredMessage[] = [];
    for (const f of files) {
      const m = FILE_RE.exec(f);
      if (!m) continue;
      const id = f.slice(0, -4);
      const known = indexed.get(id);
      let durationMs = known?.durationMs;
      if (durationMs === undefined) {
        try {
          durationMs = Math.max(0, Math.round(((readFileSync(join(dir, f)).length - 44) * 1000) / 16000));
        } catch {
          durationMs = 0;
        }
      }
      out.push({ id, caller: m[2]!, receivedAt: Number(m[1]), durationMs, state: known?.state ?? 'new' });
    }
    return out.sort((x, y) => x.receivedAt - y.receivedAt);
  }
}
