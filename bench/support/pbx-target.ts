/**
 * Starting pbxgate for a benchmark: the shipped executable when it is newer
 * than firmware/, else tsx firmware/main.ts (bench/register.ts uses the same choice),
 * on a board file written for the bench (the simulated board with a wider
 * RTP port range, see boardWithRtpRange), log level warn.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startPbx, type PbxProcess } from '../../test/support/pbx-process.ts';
import type { Phone } from '../../firmware/config/index.ts';

const EXE = join(REPO, 'out/pbxgate-linux-x64');

/** Newest modification time under a directory (ms), for "is the executable current?". */
function newestMtime(dir: string): number {
  let newest = 0;
  const stack = [dir];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

/** `forced`: 'exe' | 'tsx' | undefined (automatic). */
export function choosePbxMode(forced: string | undefined): { executable?: string; why: string } {
  if (forced === 'tsx') return { why: 'tsx firmware/main.ts (--pbx tsx)' };
  if (!existsSync(EXE)) {
    if (forced === 'exe') throw new Error(`${EXE} does not exist (make build)`);
    return { why: 'tsx firmware/main.ts (no out/pbxgate-linux-x64: run make build to bench what ships)' };
  }
  const stale = statSync(EXE).mtimeMs < Math.max(newestMtime(join(REPO, 'firmware')), statSync(join(REPO, 'package.json')).mtimeMs);
  if (forced === 'exe') return { executable: EXE, why: `out/pbxgate-linux-x64${stale ? ' (OLDER than firmware/: rebuild with make build)' : ''}` };
  if (stale) return { why: 'tsx firmware/main.ts (out/pbxgate-linux-x64 is older than firmware/: make build, or --pbx exe to bench it anyway)' };
  return { executable: EXE, why: 'out/pbxgate-linux-x64 (the shipped single executable)' };
}

/**
 * A copy of board/sim.json with another RTP range, in `dir`; returns its path.
 * board/sim.json has 20000-20998 (499 pairs): a relayed call holds 2 pairs
 * for its duration plus the 4 s quarantine after it, which caps short calls
 * at ~60/s, a limit of the port range, not of the B2BUA.
 */
export function boardWithRtpRange(dir: string, portMin: number, portMax: number): string {
  const sim = JSON.parse(readFileSync(join(REPO, 'board/sim.json'), 'utf8')) as { id: string; name: string; rtp: { portMin: number; portMax: number } };
  sim.id = 'sim';
  sim.name = `Simulated board, RTP ${portMin}-${portMax} (bench)`;
  sim.rtp = { portMin, portMax };
  const path = join(dir, 'bench-board.json');
  writeFileSync(path, JSON.stringify(sim, null, 2));
  return path;
}

export interface BenchPbx {
  pbx: PbxProcess;
  why: string;
  /** Live server transactions (the `sip` console command), undefined when unknown. */
  liveTransactions(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startBenchPbx(
  phones: Phone[],
  opts: { forced?: string | undefined; rtp?: { portMin: number; portMax: number }; nodeOptions?: string | undefined },
): Promise<BenchPbx> {
  const mode = choosePbxMode(opts.forced);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pbx-board-'));
  const board = opts.rtp ? boardWithRtpRange(dir, opts.rtp.portMin, opts.rtp.portMax) : undefined;
  let pbx: PbxProcess;
  try {
    pbx = await startPbx({
      phones,
      ...(mode.executable ? { executable: mode.executable } : {}),
      patch: (c) => {
        c.system.logLevel = 'warn';
      },
      extraArgs: ['--log-level', 'warn', ...(board ? ['--board', board] : [])],
      // e.g. --cpu-prof to profile the target (tsx mode: NODE_OPTIONS reaches the node child).
      ...(opts.nodeOptions ? { env: { NODE_OPTIONS: opts.nodeOptions } } : {}),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    pbx,
    why: `${mode.why}${opts.rtp ? `, RTP ports ${opts.rtp.portMin}-${opts.rtp.portMax}` : ''}`,
    async liveTransactions() {
      const text = await pbx.command('sip', 15_000).catch(() => '');
      const m = /"?server"?\s*[:=]\s*(\d+)/.exec(text);
      return m?.[1] ? Number(m[1]) : undefined;
    },
    async stop() {
      try {
        if (pbx.proc.exitCode !== null) throw new Error(`pbxgate exited (${pbx.proc.exitCode}) during the bench:\n${pbx.stderr().slice(-2000)}`);
        await pbx.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
