import type { Worker } from 'node:worker_threads';
import { workerSpawner } from '../core/worker-spawn.ts';
import type { WorkerStartOptions } from './worker-protocol.ts';

/** The key of the media worker's bundle among the executable's SEA assets (scripts/build.mjs). */
export const MEDIA_WORKER_ASSET = 'media-worker.cjs';

/** How to start the media thread (relay-worker.ts): see workerSpawner. */
export function mediaWorkerSpawner(): Promise<(data: WorkerStartOptions) => Worker> {
  return workerSpawner(MEDIA_WORKER_ASSET, new URL('./relay-worker.ts', import.meta.url), 'media');
}
