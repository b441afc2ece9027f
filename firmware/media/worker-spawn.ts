import { Worker } from 'node:worker_threads';
import type { WorkerStartOptions } from './worker-protocol.ts';

/** The key of the media worker's bundle among the executable's SEA assets (scripts/build.mjs). */
export const MEDIA_WORKER_ASSET = 'media-worker.cjs';

/**
 * How to start the media thread: in the single executable its code is an
 * asset evaluated by the worker (the executable has no .js file to point
 * at); from a checkout, relay-worker.ts under the same loader (tsx) as the
 * main thread.
 */
export async function mediaWorkerSpawner(): Promise<(data: WorkerStartOptions) => Worker> {
  try {
    const sea = await import('node:sea');
    if (sea.isSea()) {
      const code = sea.getAsset(MEDIA_WORKER_ASSET, 'utf8');
      return (data) => new Worker(code, { eval: true, workerData: data, name: 'media' });
    }
  } catch {
    // not a single executable
  }
  const file = new URL('./relay-worker.ts', import.meta.url);
  return (data) => new Worker(file, { workerData: data, execArgv: process.execArgv, name: 'media' });
}
