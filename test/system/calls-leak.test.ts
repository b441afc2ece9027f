/**
 * Issue 4 leak test: 2,000 short calls through the B2BUA (SIPp caller at 50
 * calls/s, SIPp callee answering), then the process holds no call, no
 * dialog, no transaction and no RTP port, and its heap (after a full GC:
 * the process runs with --expose-gc) is back near where it was after a
 * warm-up. T1 = 100 ms and T4 = 1 s so that every
 * transaction lifetime (64*T1, T4) is over within seconds of the last call.
 */
import test from 'ava';
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { startPbx, makePhones, freePort, REPO, type PbxProcess } from '../support/pbx-process.ts';
import { startSipp, callCsv, authKeyword, registerFrom, waitSip, sipCounters, type SippResult } from '../support/sipp.ts';

const phones = makePhones(2, 0); // 601, 602
const [p601, p602] = phones as [(typeof phones)[0], (typeof phones)[0]];
const CALLS = 2000;
const WARMUP = 100;
const MB = 1024 * 1024;

/**
 * The simulated board with an RTP range of its own: released port pairs rest
 * for 4 s (media/port-allocator.ts), so 50 calls/s keep about 2 * 50 * 4 =
 * 400 pairs in quarantine, close to the 499 of board/sim.json, which the
 * other system tests running at the same time also bind in.
 */
function boardFile(): string {
  const board = JSON.parse(readFileSync(join(REPO, 'board/sim.json'), 'utf8')) as { rtp: { portMin: number; portMax: number } };
  // Below the ephemeral range (32768-60999) where freePort() picks SIPp's ports: 2,000 calls cycling
  // through thousands of ports there made other tests' SIPp fail to bind (docs/media.md, Tests).
  board.rtp = { portMin: 21000, portMax: 24998 };
  const path = join(mkdtempSync(join(tmpdir(), 'pbxgate-board-')), 'board.json');
  writeFileSync(path, JSON.stringify(board));
  return path;
}

async function drained(pbx: PbxProcess) {
  return waitSip(pbx, 15_000, (s) => s.calls === 0 && s.dialogs === 0 && s.rtpPortsInUse === 0 && s.transactions?.client === 0 && s.transactions.server === 0);
}

function calls(target: string, n: number, rate: number, callerPort: number): ReturnType<typeof startSipp> {
  return startSipp(target, 'call-uac.xml', callerPort, ['-inf', callCsv([p601.sip.username, authKeyword(p601), '602']), '-m', String(n), '-r', String(rate), '-l', '40', '-timeout', '80', '-timeout_error']);
}

function successful(r: SippResult): number {
  // The final statistics screen: "Successful call | <periodic> | <cumulative>".
  const m = [...r.stdout.matchAll(/Successful call\s+\|\s+\d+\s+\|\s+(\d+)/g)].at(-1);
  return m ? Number(m[1]) : -1;
}

test('issue 4: leak test: 2,000 calls, then no call, dialog, transaction or RTP port is left and the heap is back near its start', async (t) => {
  t.timeout(120_000);
  const board = boardFile();
  t.teardown(() => rmSync(dirname(board), { recursive: true, force: true }));
  const pbx = await startPbx({
    phones,
    patch: (c) => {
      c.sip.timers.t1 = 100;
      c.sip.timers.t2 = 1000;
      c.sip.timers.t4 = 1000;
    },
    extraArgs: ['--board', board, '--log-level', 'warn'],
    // heapUsed in `sip` is then measured after a full collection: live objects only.
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', '--expose-gc'].join(' ').trim() },
  });
  t.teardown(() => pbx.stop());
  const target = `127.0.0.1:${pbx.sipPort}`;
  const calleePort = await freePort();
  t.is(registerFrom(target, p602, calleePort).status, 0);
  const uas = startSipp(target, 'call-uas.xml', calleePort, ['-m', String(WARMUP + CALLS), '-timeout', '90', '-timeout_error']);
  t.teardown(() => uas.stop());
  await new Promise((r) => setTimeout(r, 300));

  // Warm-up: code paths compiled, pools and caches at their working size.
  const warm = calls(target, WARMUP, 50, await freePort());
  t.teardown(() => warm.stop());
  const w = await warm.done;
  t.is(w.status, 0, `warm-up calls failed:\n${w.errors.slice(0, 2000)}`);
  t.is((await drained(pbx)).calls, 'no calls in progress');
  const before = (await sipCounters(pbx)).heapUsed ?? 0;

  const started = Date.now();
  const run = calls(target, CALLS, 50, await freePort());
  t.teardown(() => run.stop());
  const r = await run.done;
  const seconds = (Date.now() - started) / 1000;
  t.is(r.status, 0, `some calls failed:\n${r.errors.slice(0, 3000)}\n${pbx.stderr().slice(-3000)}`);
  t.is(successful(r), CALLS, 'every call succeeded');
  const u = await uas.done;
  t.is(u.status, 0, `callee side:\n${u.errors.slice(0, 2000)}`);

  const end = await drained(pbx);
  t.is(end.calls, 'no calls in progress');
  t.is(end.sip.calls, 0);
  t.is(end.sip.dialogs, 0, 'no dialog left');
  t.is(end.sip.rtpPortsInUse, 0, 'no RTP port left');
  t.deepEqual(end.sip.transactions && { client: end.sip.transactions.client, server: end.sip.transactions.server }, { client: 0, server: 0 }, 'no transaction left');
  // Both measured after a full GC (--expose-gc above). What may grow: the digest nonces tracked until they
  // expire (one per 401, sip.nonceLifetimeSeconds) and the journal (20 per phone): well under 5 MB.
  const after = (await sipCounters(pbx)).heapUsed ?? Infinity;
  t.log(`${CALLS} calls in ${seconds.toFixed(1)} s; heapUsed ${(before / MB).toFixed(1)} MB after warm-up, ${(after / MB).toFixed(1)} MB at the end`);
  t.true(after < before + 5 * MB, `heap grew by ${((after - before) / MB).toFixed(1)} MB`);
  const journal = await pbx.command('journal 601');
  t.is(journal.split('\n').length, 20, 'the journal keeps 20 calls per phone (LOG-2)');
  t.regex(journal, /601 -> 602 {2}answered by 602/);
});
