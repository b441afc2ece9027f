/**
 * Issue 3: the registrar's threads (docs/sip-registrar.md "threads") in the
 * real runtime. A registrar thread reads the SIP UDP socket beside the main
 * thread, so which thread answers a datagram is the kernel's choice: each
 * test sends enough requests that both threads take part (checked through
 * the `sip` counters), and checks what a phone sees whichever thread answers.
 */
import anyTest, { type TestFn } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, freePort, makePhones, sippUsersCsv, startPbx, type PbxProcess } from '../support/pbx-process.ts';
import { UdpSipClient, SipPhone, buildRequest, cseqOf, digestAuthorization, header, headers, isRegistered, md5Challenge, rand } from '../support/sip-client.ts';

const test = anyTest as TestFn<{ pbx: PbxProcess }>;
const phones = makePhones(40, 20);
const passwordOf = (n: string): string => phones.find((p) => p.internalNumber === n)!.sip.password;
const MAX_FAILURES = 3;

interface SipStats {
  transport: { udpReceived: number };
  registrarThreads: Array<{ ready: boolean; received: number; registers: number; challenged: number; forwarded: number; droppedBanned: number }>;
  droppedBanned: number;
  authFailures: number;
}
async function sipStats(pbx: PbxProcess): Promise<SipStats> {
  return JSON.parse(await pbx.command('sip')) as SipStats;
}

test.before(async (t) => {
  t.context.pbx = await startPbx({
    phones,
    patch: (c) => {
      c.sip.registrar.threads = 1;
      c.sip.ban.maxFailures = MAX_FAILURES;
      c.sip.ban.windowSeconds = 600;
    },
  });
  // The runtime is ready before its registrar thread is (the main thread reads the socket meanwhile).
  await waitUntil(async () => (await sipStats(t.context.pbx)).registrarThreads[0]?.ready === true, 20_000);
});
test.after.always(async (t) => {
  await t.context.pbx?.stop();
});

test.serial('SIPp registrations are answered by the main thread and the registrar thread alike, none fails (issue 3, threads)', async (t) => {
  const { pbx } = t.context;
  const before = await sipStats(pbx);
  t.is(before.registrarThreads.length, 1, 'sip.registrar.threads = 1 starts one thread');
  const dir = mkdtempSync(join(tmpdir(), 'sipp-threads-'));
  const csv = join(dir, 'users.csv');
  writeFileSync(csv, sippUsersCsv(phones));
  const errFile = join(dir, 'errors.log');
  const calls = 1200;
  const r = spawnSync(
    'sipp',
    [`127.0.0.1:${pbx.sipPort}`, '-sf', join(REPO, 'test/fixtures/sipp/register-digest.xml'), '-inf', csv, '-m', String(calls), '-r', '400', '-i', '127.0.0.1', '-p', String(await freePort()),
      '-timeout', '30', '-timeout_error', '-trace_err', '-error_file', errFile, '-nostdin'],
    { cwd: dir, timeout: 60_000, encoding: 'utf8' },
  );
  t.is(r.status, 0, `SIPp reported failed calls:\n${existsSync(errFile) ? readFileSync(errFile, 'utf8') : r.stderr}`);
  const after = await sipStats(pbx);
  const thread = after.registrarThreads[0]!;
  const threadRegisters = thread.registers - before.registrarThreads[0]!.registers;
  const threadChallenges = thread.challenged - before.registrarThreads[0]!.challenged;
  // Every call is two REGISTERs: one challenged, one authenticated; the thread took a share of both kinds.
  t.true(threadRegisters > 0 && threadChallenges > 0, JSON.stringify(thread));
  t.true(threadRegisters < calls, `the main thread answered some authenticated REGISTERs too: ${JSON.stringify(thread)}`);
  t.true(after.transport.udpReceived - before.transport.udpReceived > 0, 'the main thread read some datagrams');
  const list = await pbx.command('phones');
  for (const p of phones) t.true(isRegistered(list, p.internalNumber), `${p.internalNumber} registered\n${list}`);
});

test.serial('a retransmitted REGISTER gets its 200 again from either thread; the same nonce-count in a new request is a replay (issue 3, RFC 3261 §8.2.7, RFC 7616 §3.4)', async (t) => {
  const { pbx } = t.context;
  const client = await UdpSipClient.open(pbx.sipPort);
  t.teardown(() => client.close());
  const before = (await sipStats(pbx)).registrarThreads[0]!;
  const rounds = 24;
  for (let i = 0; i < rounds; i++) {
    const phone = new SipPhone(client, '601', passwordOf('601'));
    const first = await phone.register([phone.contact(`r${i}`)], 600);
    t.is(first.status, 200, first.raw);
    const uri = `sip:127.0.0.1:${pbx.sipPort}`;
    // The request that used nc=2, then its retransmission: same bytes, same branch.
    const authorization = digestAuthorization(phone.lastChallenge!, { username: '601', password: passwordOf('601'), method: 'REGISTER', uri, nc: 2 });
    const cseq = ++phone.cseq;
    const request = buildRequest({ method: 'REGISTER', user: '601', callId: phone.callId, cseq, contacts: [phone.contact(`r${i}`)], expires: 600, authorization, branch: `z9hG4bK${rand()}` }, phone.peer);
    client.send(request);
    const answer = await client.response((r) => cseqOf(r) === cseq);
    client.send(request);
    const again = await client.response((r) => cseqOf(r) === cseq);
    t.is(answer.status, 200, answer.raw);
    t.is(again.status, 200, `a retransmission is answered again, not taken for a replay:\n${again.raw}`);
    t.deepEqual(headers(again, 'Contact'), headers(answer, 'Contact'), 'the same bindings, applied once');
    // The same nonce-count in a new request (new branch): a replay.
    const replayCseq = ++phone.cseq;
    client.send(buildRequest({ method: 'REGISTER', user: '601', callId: phone.callId, cseq: replayCseq, contacts: [phone.contact(`r${i}`)], expires: 600, authorization }, phone.peer));
    const replay = await client.response((r) => cseqOf(r) === replayCseq);
    t.is(replay.status, 401, replay.raw);
    t.notRegex(md5Challenge(replay), /stale=true/i, 'a replay is not a stale nonce');
  }
  const after = (await sipStats(pbx)).registrarThreads[0]!;
  t.true(after.registers - before.registers > 0, `the thread checked some of the authenticated REGISTERs: ${JSON.stringify(after)}`);
  // A replay read by the thread goes to the main thread to be judged (and counted).
  t.true(after.forwarded - before.forwarded > 0, `the thread passed some replays to the main thread: ${JSON.stringify(after)}`);
  t.true(isRegistered(await pbx.command('phones'), '601'));
});

test.serial('a banned source gets no answer from either thread until the ban is lifted (issue 3, fail2ban)', async (t) => {
  const { pbx } = t.context;
  const client = await UdpSipClient.open(pbx.sipPort);
  t.teardown(() => client.close());
  await pbx.command('ban lift 127.0.0.1').catch(() => '');
  const before = await sipStats(pbx);
  // MAX_FAILURES wrong passwords: the last one gets no answer, the source is banned.
  for (let i = 0; i < MAX_FAILURES; i++) {
    const phone = new SipPhone(client, '602', 'wrong-password');
    await phone.register([phone.contact()], 600).catch(() => undefined);
  }
  t.regex(await pbx.command('bans'), /127\.0\.0\.1 +\d+ failures/);
  const attempts = 20;
  for (let i = 0; i < attempts; i++) {
    client.send(buildRequest({ method: 'REGISTER', user: '603', callId: `${rand()}@127.0.0.1`, cseq: 1, contacts: ['<sip:603@127.0.0.1:5999>'], expires: 600 }, { transport: 'UDP', localPort: client.localPort, serverPort: pbx.sipPort }));
  }
  t.true(await client.silentFor(1000), 'no answer at all while banned');
  const after = await sipStats(pbx);
  const dropped =
    after.droppedBanned - before.droppedBanned + after.registrarThreads[0]!.droppedBanned - before.registrarThreads[0]!.droppedBanned;
  t.is(dropped, attempts, `every datagram dropped by one thread or the other: ${JSON.stringify(after)}`);
  t.true(after.registrarThreads[0]!.droppedBanned - before.registrarThreads[0]!.droppedBanned > 0, 'the thread knew the ban');
  await pbx.command('ban lift 127.0.0.1');
  const phone = new SipPhone(client, '603', passwordOf('603'));
  const res = await phone.register([phone.contact()], 600);
  t.is(res.status, 200, res.raw);
  t.truthy(header(res, 'Date'));
});

test.serial('after an in-process reboot of the simulated board the thread reads the new socket, and nothing leaks (issue 3, GW-5)', async (t) => {
  const { pbx } = t.context;
  const fdsBefore = Number(spawnSync('sh', ['-c', `ls /proc/${mainPid(pbx)}/fd | wc -l`], { encoding: 'utf8' }).stdout.trim());
  t.is(await pbx.command('reboot'), 'rebooting...');
  // Back up when the new SIP service's thread runs (the console answers again once the runtime has restarted).
  await waitUntil(async () => (await sipStats(pbx).catch(() => undefined))?.registrarThreads[0]?.ready === true, 20_000);
  const client = await UdpSipClient.open(pbx.sipPort);
  t.teardown(() => client.close());
  for (let i = 0; i < 20; i++) {
    const phone = new SipPhone(client, '604', passwordOf('604'));
    const res = await phone.register([phone.contact(`b${i}`)], 600);
    t.is(res.status, 200, res.raw);
  }
  const stats = await sipStats(pbx);
  t.is(stats.registrarThreads.length, 1);
  t.true(stats.registrarThreads[0]!.received > 0, JSON.stringify(stats.registrarThreads));
  const fdsAfter = Number(spawnSync('sh', ['-c', `ls /proc/${mainPid(pbx)}/fd | wc -l`], { encoding: 'utf8' }).stdout.trim());
  // The old thread closed its duplicate, the old socket is gone: no descriptor more than before (a little slack for sockets in flux).
  t.true(fdsAfter <= fdsBefore + 2, `descriptors before ${fdsBefore}, after ${fdsAfter}`);
});

/** The runtime's own PID (under tsx the spawned PID is tsx's launcher; the runtime is its child). */
function mainPid(pbx: PbxProcess): number {
  const children = spawnSync('pgrep', ['-P', String(pbx.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
  return children[0] ?? pbx.pid;
}

async function waitUntil(pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}
