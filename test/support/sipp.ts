/**
 * Runs SIPp (Debian sip-tester) as a phone for system tests: synchronous
 * runs for scenarios that end by themselves, background ones for UAS roles.
 * Every process is ended by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { REPO, freePort, startPbx, type PbxProcess } from './pbx-process.ts';
import type { Phone } from '../../firmware/config/index.ts';

export const SCENARIOS = join(REPO, 'test/fixtures/sipp');

export interface SippResult {
  status: number | null;
  errors: string;
  stdout: string;
  /** The run's working directory (message, log and error files). */
  dir: string;
  /** `<log>` action output, when run with -trace_logs. */
  logs: string;
}

/** The operator's address in tests: another loopback address, so that pbxgate tells it from the phones (127.0.0.1) by address, as it does a real operator. */
export const OPERATOR_IP = '127.0.0.2';

/** SIPp's arguments; it binds 127.0.0.1 unless `extra` names another local address with -i. */
function baseArgs(target: string, scenario: string, localPort: number, extra: string[], errFile: string): string[] {
  const local = extra.includes('-i') ? [] : ['-i', '127.0.0.1'];
  return [target, '-sf', join(SCENARIOS, scenario), ...local, '-p', String(localPort), '-trace_err', '-error_file', errFile, '-nostdin', ...extra];
}

export function runSipp(target: string, scenario: string, localPort: number, extra: string[], timeoutMs = 60_000): SippResult {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const errFile = join(dir, 'errors.log');
  const r = spawnSync('sipp', baseArgs(target, scenario, localPort, extra, errFile), { cwd: dir, timeout: timeoutMs, encoding: 'utf8' });
  return { status: r.status, errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '', stdout: r.stdout ?? '', dir, logs: sippLogs(dir) };
}

export interface BackgroundSipp {
  proc: ChildProcess;
  /** Its working directory (files its <exec> actions write). */
  dir: string;
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
    proc.once('exit', (code) => resolve({ status: code, errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '', stdout, dir, logs: sippLogs(dir) }));
  });
  return {
    proc,
    dir,
    done,
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
    },
  };
}

/** The end of SIPp's -trace_msg log of a run (for failure messages and checks of what was exchanged). */
export function sippMessages(r: SippResult, chars = 6000): string {
  const f = readdirSync(r.dir).find((n) => n.endsWith('_messages.log'));
  return f ? readFileSync(join(r.dir, f), 'utf8').slice(-chars) : '';
}

/** A CSV injection file in a temp dir; returns its path. */
export function csvFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-csv-'));
  const path = join(dir, 'data.csv');
  writeFileSync(path, content);
  return path;
}

// --- helpers for the call tests (issue 4) ---

/** The `[authentication ...]` keyword of a phone, for a CSV field (SIPp 3.6.1 cannot nest [field] in it). */
export function authKeyword(phone: { sip: { username: string; password: string } }): string {
  return `[authentication username=${phone.sip.username} password=${phone.sip.password}]`;
}

/** One CSV line per call: the fields, `;`-separated, SEQUENTIAL. */
export function callCsv(...rows: string[][]): string {
  return csvFile(`SEQUENTIAL\n${rows.map((r) => r.join(';')).join('\n')}\n`);
}

/** Registers a phone (register-digest.xml) from localPort, where its UAS will listen next. */
export function registerFrom(target: string, phone: { sip: { username: string; password: string } }, localPort: number): SippResult {
  return runSipp(target, 'register-digest.xml', localPort, ['-inf', callCsv([phone.sip.username, authKeyword(phone)]), '-m', '1', '-timeout', '10', '-timeout_error']);
}

/**
 * The three-phone set-up of the transfer and Replaces tests: a runtime with
 * `phones` (601, 602, 603), 602 and 603 registered from free ports where
 * their SIPp UAS will listen next, and a free port for 601's SIPp.
 */
export async function pbxWithCallees(
  t: ExecutionContext,
  phones: readonly Phone[],
): Promise<{ pbx: PbxProcess; target: string; p601: number; p602: number; p603: number }> {
  const pbx = await startPbx({ phones: [...phones] });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const [p601, p602, p603] = [await freePort(), await freePort(), await freePort()];
  t.is(registerFrom(target, phones[1]!, p602).status, 0, '602 registers');
  t.is(registerFrom(target, phones[2]!, p603).status, 0, '603 registers');
  return { pbx, target, p601, p602, p603 };
}

/** Text of the `<log>` actions of a run made with `-trace_logs` in `dir` (all files *_logs.log). */
export function sippLogs(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('_logs.log'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
}

/** What `sip` (console) reports, the fields the call tests look at. */
export interface SipCountersView {
  calls: number;
  rtpPortsInUse: number;
  dialogs?: number;
  heapUsed?: number;
  transactions: { client: number; server: number } | null;
  [k: string]: unknown;
}

export async function sipCounters(pbx: PbxProcess): Promise<SipCountersView> {
  return JSON.parse(await pbx.command('sip')) as SipCountersView;
}

/**
 * Polls the console (every 100 ms, at most timeoutMs) until `pred` holds for
 * the `sip` counters; default: no call and no RTP port held. Returns the
 * last counters and the `calls` text either way: the test asserts on them.
 */
export async function waitSip(
  pbx: PbxProcess,
  timeoutMs = 5000,
  pred: (s: SipCountersView) => boolean = (s) => s.calls === 0 && s.rtpPortsInUse === 0,
): Promise<{ sip: SipCountersView; calls: string }> {
  const deadline = Date.now() + timeoutMs;
  let sip = await sipCounters(pbx);
  while (!pred(sip) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    sip = await sipCounters(pbx);
  }
  return { sip, calls: await pbx.command('calls') };
}

/** No call, no dialog (early ones included) and no RTP port left once the calls of a test are over (issue 4, issue 6). */
export async function assertCallsIdle(t: ExecutionContext, pbx: PbxProcess): Promise<void> {
  const { sip, calls } = await waitSip(pbx, 5000);
  t.is(calls, 'no calls in progress');
  t.is(sip.calls, 0);
  t.is(sip.dialogs, 0, 'every dialog of the calls is gone');
  t.is(sip.rtpPortsInUse, 0, 'every RTP port pair is released');
}

/** The labels of the routing plan's ring steps pbxgate ran, in order, from its log (issue 6). */
export function ringSteps(log: string): string[] {
  return [...log.matchAll(/"step":"([^"]+)"[^\n]*"msg":"call plan: ring step"/g)].map((m) => m[1]!);
}
