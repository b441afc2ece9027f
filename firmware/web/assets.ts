import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The pages, scripts and styles of the web (issue 10 §5), held in memory:
 * a few tens of kilobytes, served with an ETag. In the single executable
 * they are SEA assets (scripts/build.mjs adds web/ and its manifest), so the
 * box needs no files beside the binary; from a checkout they are read from
 * web/. A lookup in this map is the only way to a file: no path from a URL
 * ever reaches the file system.
 */
export interface WebAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface WebAssets {
  get(urlPath: string): WebAsset | undefined;
  readonly names: readonly string[];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** The key of the manifest asset in the SEA blob: a JSON array of the file names under web/. */
export const SEA_MANIFEST = 'web/manifest.json';

export function assetsFrom(files: Iterable<[string, Buffer]>): WebAssets {
  const map = new Map<string, WebAsset>();
  for (const [name, body] of files) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    map.set(`/${name}`, { body, contentType: type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return { get: (p) => map.get(p), names: [...map.keys()].sort() };
}

function listDir(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listDir(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

export function assetsFromDir(dir: string): WebAssets {
  return assetsFrom(listDir(dir).map((name) => [name, readFileSync(path.join(dir, name))] as [string, Buffer]));
}

/** The web/ directory of a checkout, for tsx runs and tests. */
export function findWebDir(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const d of [env.PBXGATE_WEB, path.join(cwd, 'web'), path.resolve(here, '..', '..', 'web')])
    if (d && existsSync(path.join(d, 'index.html')) && statSync(d).isDirectory()) return d;
  return undefined;
}

/** SEA assets when running as the single executable, else web/ on disk, else none (the API still works). */
export async function loadWebAssets(): Promise<WebAssets> {
  try {
    const sea = await import('node:sea');
    if (sea.isSea()) {
      const names = JSON.parse(Buffer.from(sea.getAsset(SEA_MANIFEST)).toString('utf8')) as string[];
      return assetsFrom(names.map((n) => [n, Buffer.from(sea.getAsset(`web/${n}`))] as [string, Buffer]));
    }
  } catch {
    // not a SEA build, or one built without web assets: fall back to the directory
  }
  const dir = findWebDir();
  return dir ? assetsFromDir(dir) : assetsFrom([]);
}
