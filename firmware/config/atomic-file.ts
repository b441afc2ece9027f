import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

function fsyncDir(dir: string): void {
  // Makes the renames durable; some filesystems refuse fsync on a directory, which is harmless.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not supported here */
  }
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Replaces `path` with `text` so that a power loss at any instant leaves
 * either the old or the new content at `path`, never a mix or nothing:
 * write a temp file, fsync it, keep a hard link to the old version as
 * `<path>.prev`, rename the temp file over `path`, fsync the directory.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (existsSync(path)) {
    // The previous good version stays reachable as .prev (last-good fallback on a bad read).
    const prevTmp = `${path}.prev.tmp`;
    unlinkIfExists(prevTmp);
    linkSync(path, prevTmp);
    renameSync(prevTmp, `${path}.prev`);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/**
 * Writes binary data (a WAV on flash) so that `path` holds either the old or
 * the new content at any instant: temp file, fsync, rename, fsync of the
 * directory. No `.prev` copy (that is the configuration's own fallback).
 */
export function writeBytesAtomic(path: string, data: Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

export function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
