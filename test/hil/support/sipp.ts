/**
 * SIPp inside the HIL machine's network namespace: it sends to the slirp
 * forward 127.0.0.1:<sipPort> there, and pbxgate (10.0.2.15 in the guest)
 * sees it as 10.0.2.2:<its port>. Responses go back by Via rport, and new
 * requests to a registered phone by its registration's source: slirp maps
 * 10.0.2.2:<port> back to 127.0.0.1:<port> in the namespace.
 *
 * In-dialog requests (ACK, BYE to the callee) go to the phone's Contact,
 * though, and 127.0.0.1 is the guest's own loopback: so the scenarios run
 * here are the shared fixtures with the Contact host rewritten to 10.0.2.2,
 * the address under which the guest reaches the host (a phone behind NAT
 * that knows its public address). Media cannot cross (pbxgate advertises
 * 10.0.2.15, unroutable from the host): signalling only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS, sippLogs, type SippResult } from '../../support/sipp.ts';
import type { HilMachine } from './qemu.ts';

export { csvFile, authKeyword, callCsv } from '../../support/sipp.ts';

/** The host as the guest sees it (slirp's gateway/host alias). */
export const HOST_FROM_GUEST = '10.0.2.2';

/** test/fixtures/sipp/<name> with [local_ip] in Contact headers replaced by 10.0.2.2 and a 2 s first retransmission; returns the copy's path. */
export function hilScenario(name: string): string {
  const xml = readFileSync(join(SCENARIOS, name), 'utf8')
    .replace(/^(\s*Contact:[^\n]*)\[local_ip\]/gm, `$1${HOST_FROM_GUEST}`)
    // The emulated guest on a loaded host may take over 500 ms to answer: a retransmission's
    // late 401 would then arrive while the scenario waits for the 200, and abort it.
    .replace(/retrans="500"/g, 'retrans="2000"');
  const dir = mkdtempSync(join(tmpdir(), 'hil-scenario-'));
  const path = join(dir, name);
  writeFileSync(path, xml);
  return path;
}

export interface SippRun {
  done: Promise<SippResult>;
  stop(): void;
}

/**
 * Starts SIPp in the namespace (asynchronously: a blocked test process would
 * stop reading the guest's sockets). nsenter execs SIPp: the PID killed in
 * stop() is SIPp's.
 */
export function sippIn(m: HilMachine, scenario: string, localPort: number, extra: string[], timeoutMs = 60_000): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'hil-sipp-'));
  const errFile = join(dir, 'errors.log');
  const args = [`127.0.0.1:${m.sipPort}`, '-sf', hilScenario(scenario), '-i', '127.0.0.1', '-p', String(localPort), '-trace_err', '-error_file', errFile, '-nostdin', ...extra];
  const proc = m.nsSpawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout = (stdout + d).slice(-20_000);
  });
  const stop = (): void => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
  };
  const timer = setTimeout(stop, timeoutMs);
  const done = new Promise<SippResult>((resolve) => {
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ status: code, errors: existsSync(errFile) ? readFileSync(errFile, 'utf8') : '', stdout, dir, logs: sippLogs(dir) });
    });
  });
  return { done, stop };
}
