import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';

/** A fresh directory under the OS temp dir, removed when the test ends (parallel-safe). */
export function tmpDir(t: ExecutionContext, prefix = 'pbxgate'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Lets queued microtasks, I/O callbacks and setImmediate callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Root of the repository (for fixtures and the tsx binary). */
export const ROOT = path.resolve(import.meta.dirname, '../..');
