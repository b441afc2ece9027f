import { Worker } from 'node:worker_threads';

/**
 * How to start one of the runtime's worker threads (the media thread, the
 * registrar's threads): in the single executable the thread's code is a SEA
 * asset (a bundle of its own, scripts/build.mjs) evaluated by the worker,
 * since the executable has no .js file to point at; from a checkout, its
 * .ts entry under the same loader (tsx) as the main thread.
 */
export async function workerSpawner<T>(asset: string, entry: URL, name: string): Promise<(data: T) => Worker> {
  try {
    const sea = await import('node:sea');
    if (sea.isSea()) {
      const code = sea.getAsset(asset, 'utf8');
      return (data) => new Worker(code, { eval: true, workerData: data, name });
    }
  } catch {
    // not a single executable
  }
  return (data) => new Worker(entry, { workerData: data, execArgv: process.execArgv, name });
}
