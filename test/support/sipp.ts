/**
 * Runs SIPp (Debian sip-tester) as a phone for system tests: synchronous
 * runs for scenarios that end by themselves, background ones for UAS roles.
 * Every process is ended by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './pbx-process.ts';

export const SCENARIOS = join(REPO, 'test/fixtures/sipp');

export interface SippResult {
  status: number | null;
  errors: string;
  stdout: string;
}

function baseArgs(target: string, scenario: string, localPort: number, extra: string[], errFile: string): string[] {
  return [target, '-sf', join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(localPort), '-trace_err', '-error_file', errFile, '-nostdin', ...extra];
}

export function runSipp(target: string, scenario: string, localPort: number, extra: string[], timeoutMs = 60_000): SippResult {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const errFile = join(dir, 'errors.log');
  const r = spawnSync('sipp', baseArgs(target, scenario, localPort, extra, errFile), { cwd: dir, timeout: timeoutMs, encoding: 'utf8' });
  return { status: r.status, errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '', stdout: r.stdout ?? '' };
}

export interface BackgroundSipp {
  proc: ChildProcess;
  done: Promise<SippResult>;
  stop(): void;
}

export function startSipp(target: string, scenario: string, localPort: number, extra: string[]): BackgroundSipp {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-bg-'));
  const errFile = join(dir, 'errors.log');
  const proc = spawn('sipp', baseArgs(target, scenario, localPort, extra, errFile), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout = (stdout + d).slice(-20_000);
  });
  const done = new Promise<SippResult>((resolve) => {
    proc.once('exit', (code) => resolve({ status: code, errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '', stdout }));
  });
  return {
    proc,
    done,
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
    },
  };
}

/** A CSV injection file in a temp dir; returns its path. */
export function csvFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-csv-'));
  const path = join(dir, 'data.csv');
  writeFileSync(path, content);
  return path;
}
