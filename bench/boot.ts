// Boot benchmark of the single executables built by `make build`:
// time from spawn to "pbxgate <version> ready" and idle RSS (VmRSS two seconds
// after ready), median of 5 runs for x64 and of 3 for arm64 under qemu-user
// (emulated: slower, and the RSS includes the emulator), plus the sizes.
//
//   node_modules/.bin/tsx bench/boot.ts
//
// Every run is bounded in time and its process killed by PID.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = path.join(ROOT, 'out');
const IDLE_MS = 2_000;

interface Variant {
  label: string;
  exe: string;
  runs: number;
  readyTimeoutMs: number;
  command(exe: string, args: string[]): { cmd: string; args: string[]; env: NodeJS.ProcessEnv };
}

interface Sample {
  readyMs: number;
  rssKb: number;
}

const VARIANTS: Variant[] = [
  {
    label: 'linux-x64 (native)',
    exe: path.join(OUT, 'pbxgate-linux-x64'),
    runs: 5,
    readyTimeoutMs: 15_000,
    command: (exe, args) => ({ cmd: exe, args, env: process.env }),
  },
  {
    label: 'linux-arm64 (EMULATED, qemu-aarch64-static)',
    exe: path.join(OUT, 'pbxgate-linux-arm64'),
    runs: 3,
    readyTimeoutMs: 60_000,
    command: (exe, args) => ({
      cmd: 'qemu-aarch64-static',
      args: [exe, ...args],
      env: { ...process.env, QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' },
    }),
  },
];

function vmRssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

async function once(v: Variant): Promise<Sample> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pbxgate-bench-'));
  // Ports 0: never collide with a peer or a test holding the defaults.
  const { cmd, args, env } = v.command(v.exe, ['--board', 'sim', '--data-dir', dataDir, '--sip-port', '0', '--http-port', '0']);
  const started = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = child.pid;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  try {
    if (pid === undefined) throw new Error(`${cmd} did not start`);
    const readyMs = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`no "ready" within ${v.readyTimeoutMs} ms\n${stdout}${stderr}`)), v.readyTimeoutMs);
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
        if (/pbxgate \S+ ready/.test(stdout)) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code ?? signal}) before ready\n${stdout}${stderr}`));
      });
      child.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { readyMs, rssKb: vmRssKb(pid) };
  } finally {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      // Polite first (the firmware stops its services), then certain.
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function dirSize(dir: string): number {
  return fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  for (const v of VARIANTS) {
    if (!fs.existsSync(v.exe)) throw new Error(`${path.relative(ROOT, v.exe)} is missing: run \`make build\` first`);
  }
  console.log('sizes:');
  for (const v of VARIANTS) {
    const arch = v.exe.endsWith('arm64') ? 'arm64' : 'x64';
    const native = path.join(OUT, 'native', `linux-${arch}`);
    console.log(`  ${path.basename(v.exe).padEnd(22)} ${mib(fs.statSync(v.exe).size).padStart(10)}   native/linux-${arch}/ ${(dirSize(native) / 1024).toFixed(0)} KiB`);
  }
  for (const v of VARIANTS) {
    const samples: Sample[] = [];
    for (let i = 0; i < v.runs; i++) samples.push(await once(v));
    const ready = median(samples.map((s) => s.readyMs));
    const rss = median(samples.map((s) => s.rssKb));
    console.log(`${v.label}: median of ${v.runs}`);
    console.log(`  time to ready  ${ready.toFixed(0)} ms   (runs: ${samples.map((s) => s.readyMs.toFixed(0)).join(', ')})`);
    console.log(`  idle RSS       ${(rss / 1024).toFixed(1)} MiB   (${IDLE_MS / 1000} s after ready)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
