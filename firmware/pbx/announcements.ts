import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import { writeBytesAtomic, type Config } from '../config/index.ts';
import { defaultHoldMusic, readWav, writeWav } from '../media/index.ts';

/**
 * The announcements the PBX plays (VOX-2): uploaded WAV files live in
 * `<data>/audio/<name>` (names are config file references); each is read
 * once and kept until its reference changes. A missing or unreadable file is
 * logged once and the built-in sound plays instead, so a call never fails
 * because of an announcement.
 */
export class Announcements {
  private readonly cache = new Map<string, Int16Array | null>();
  private builtInHold: Int16Array | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly config: () => Readonly<Config>,
    private readonly log: Logger,
  ) {}

  /** Music on hold: the uploaded file, else the built-in melody. */
  holdMusic(): Int16Array {
    const ref = this.config().announcements.holdMusic;
    const uploaded = ref ? this.file(ref) : undefined;
    return uploaded ?? (this.builtInHold ??= defaultHoldMusic());
  }

  /** An uploaded file by reference (8 kHz samples), or undefined. */
  file(ref: string): Int16Array | undefined {
    if (!this.cache.has(ref)) {
      try {
        this.cache.set(ref, readWav(readFileSync(join(this.dataDir, 'audio', ref))).samples);
      } catch (err) {
        this.log.warn({ file: ref, err: (err as Error).message }, 'announcement unreadable: the built-in sound plays instead');
        this.cache.set(ref, null);
      }
    }
    return this.cache.get(ref) ?? undefined;
  }

  /** After an upload replaced a file. */
  forget(ref: string): void {
    this.cache.delete(ref);
  }

  /**
   * Stores 8 kHz samples as `<data>/audio/<ref>` (a recording made with the
   * handset, or an import): temp file, fsync, rename, so the previous version
   * stays whole until the new one is.
   */
  store(ref: string, samples: Int16Array): void {
    const dir = join(this.dataDir, 'audio');
    mkdirSync(dir, { recursive: true });
    writeBytesAtomic(join(dir, ref), writeWav(samples, 'pcm16'));
    this.forget(ref);
  }
}
