/**
 * Issue 3, security of the SIP side with the tools attackers use
 * (sipvicious 0.3.3: svwar, svcrack) and with hostile input, against the
 * real runtime on loopback.
 */
import anyTest, { type TestFn } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPbx, makePhones, sippUsersCsv, freePort, logMatching, REPO, type PbxProcess } from '../support/pbx-process.ts';
import {
  TcpSipClient,
  UdpSipClient,
  buildRequest,
  digestAuthorization,
  header,
  isRegistered,
  md5Challenge,
  rand,
  type SipResponse,
} from '../support/sip-client.ts';

const test = anyTest as TestFn<{ pbx: PbxProcess }>;
/** 601..605 exist; 606..620 and 700 do not. */
const phones = makePhones(5);

test.before(async (t) => {
  t.context.pbx = await startPbx({
    phones,
    // Tests here fail authentications on purpose (wrong password vs unknown user): loopback must not get banned.
    patch: (c) => {
      c.sip.ban.maxFailures = 1000;
    },
  });
});
test.after.always(async (t) => {
  await t.context.pbx?.stop();
});

interface ToolRun {
  status: number | null;
  output: string;
}

/** Runs a sipvicious tool to completion (bounded), killed by PID on timeout. */
function runTool(cmd: string, args: string[], timeoutMs: number): Promise<ToolRun> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => {
      if (p.exitCode === null && p.pid !== undefined) process.kill(p.pid, 'SIGKILL');
    }, timeoutMs);
    p.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

const EXTENSIONS = '601-620,700';

for (const method of ['REGISTER', 'INVITE', 'OPTIONS'] as const) {
  test(`svwar -m ${method} finds no extension among ${EXTENSIONS} where 601-605 exist (issue 3, no enumeration)`, async (t) => {
    const local = await freePort();
    // --force: without it svwar gives up at once ("authentication request for an unknown extension"), which is already a pass.
    const run = await runTool('svwar', ['--force', '-m', method, '-e', EXTENSIONS, '-p', String(t.context.pbx.sipPort), '-P', String(local), '-b', '127.0.0.1', '-x', '127.0.0.1', '127.0.0.1'], 20_000);
    t.regex(run.output, /found nothing/, run.output);
    t.notRegex(run.output, /extension '\d+' (exists|probably exists)/, run.output);
    t.notRegex(run.output, /No server response/, 'pbxgate did answer');
  });
}

test('svwar without --force sees an authentication request for a random extension and gives up (issue 3, no enumeration)', async (t) => {
  const local = await freePort();
  const run = await runTool('svwar', ['-e', EXTENSIONS, '-p', String(t.context.pbx.sipPort), '-P', String(local), '-b', '127.0.0.1', '-x', '127.0.0.1', '127.0.0.1'], 20_000);
  t.regex(run.output, /authentication request for an unknown extension/, run.output);
  t.regex(run.output, /found nothing/);
});

/** The response with the per-request parts (Via, From, To, Call-ID, CSeq, nonce) blanked. */
function normalized(res: SipResponse): string {
  return res.raw
    .split('\r\n')
    .map((line) => line.replace(/^(Via|From|To|Call-ID|CSeq|[vfti]):.*$/i, '$1: *').replace(/nonce="[^"]*"/g, 'nonce="*"'))
    .join('\r\n');
}

test('an existing and a missing user get byte-identical answers to REGISTER and INVITE without credentials (issue 3, RFC 3261 §22.1)', async (t) => {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  const peer = { transport: 'UDP' as const, localPort: client.localPort, serverPort: client.serverPort };
  for (const method of ['REGISTER', 'INVITE']) {
    const answers: SipResponse[] = [];
    for (const user of ['601', '606', '700']) {
      const callId = rand();
      client.send(
        buildRequest(
          { method, user, callId, cseq: 1, ...(method === 'REGISTER' ? { contacts: [`<sip:${user}@127.0.0.1:${client.localPort}>`], expires: 300 } : { uri: `sip:${user}@127.0.0.1:${client.serverPort}`, contacts: [`<sip:x@127.0.0.1:${client.localPort}>`] }) },
          peer,
        ),
      );
      answers.push(await client.response((r) => header(r, 'Call-ID') === callId));
    }
    for (const a of answers) {
      t.is(a.status, 401, a.raw);
      t.is(a.reason, 'Unauthorized');
    }
    t.is(normalized(answers[1]!), normalized(answers[0]!), `${method}: 606 (missing) vs 601 (existing)`);
    t.is(normalized(answers[2]!), normalized(answers[0]!), `${method}: 700 (missing) vs 601 (existing)`);
    t.deepEqual(
      answers[1]!.headers.map(([k]) => k),
      answers[0]!.headers.map(([k]) => k),
    );
  }
});

test('a wrong password for an existing user and any password for a missing user get identical 401s (issue 3, RFC 3261 §22.1)', async (t) => {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  const peer = { transport: 'UDP' as const, localPort: client.localPort, serverPort: client.serverPort };
  const uri = `sip:127.0.0.1:${client.serverPort}`;
  const answers: SipResponse[] = [];
  for (const user of ['602', '610']) {
    const callId = rand();
    const spec = { method: 'REGISTER', user, callId, contacts: [`<sip:${user}@127.0.0.1:${client.localPort}>`], expires: 300 };
    client.send(buildRequest({ ...spec, cseq: 1 }, peer));
    const challenge = md5Challenge(await client.response((r) => header(r, 'CSeq') === '1 REGISTER' && header(r, 'Call-ID') === callId));
    const authorization = digestAuthorization(challenge, { username: user, password: 'guessed-password', method: 'REGISTER', uri });
    client.send(buildRequest({ ...spec, cseq: 2, authorization }, peer));
    answers.push(await client.response((r) => header(r, 'CSeq') === '2 REGISTER' && header(r, 'Call-ID') === callId));
  }
  t.is(answers[0]!.status, 401, answers[0]!.raw);
  t.is(normalized(answers[1]!), normalized(answers[0]!));
  t.notRegex(answers[0]!.raw, /stale=true/i);
});

test('malformed requests over UDP get 400 naming the problem (issue 3, RFC 3261 §8.2, §16.3)', async (t) => {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  const peer = { transport: 'UDP' as const, localPort: client.localPort, serverPort: client.serverPort };
  const good = (callId: string): string => buildRequest({ method: 'REGISTER', user: '601', callId, cseq: 1, contacts: [`<sip:601@127.0.0.1:${client.localPort}>`] }, peer);

  const cases: Array<{ what: string; mutate: (s: string) => string; reason: RegExp }> = [
    { what: 'non-numeric CSeq', mutate: (s) => s.replace('CSeq: 1 REGISTER', 'CSeq: one REGISTER'), reason: /^Bad CSeq$/ },
    { what: 'CSeq method not the request method', mutate: (s) => s.replace('CSeq: 1 REGISTER', 'CSeq: 1 INVITE'), reason: /^CSeq Method Mismatch$/ },
    { what: 'missing Call-ID', mutate: (s) => s.replace(/Call-ID: [^\r]*\r\n/, ''), reason: /^Missing Call-ID$/ },
  ];
  for (const c of cases) {
    const callId = rand();
    const text = c.mutate(good(callId));
    t.not(text, good(callId), c.what);
    const branch = /branch=([^;\r]+)/.exec(text)![1]!;
    client.send(text);
    const res = await client.response((r) => (header(r, 'Via') ?? '').includes(branch));
    t.is(res.status, 400, `${c.what}:\n${res.raw}`);
    t.regex(res.reason, c.reason, c.what);
  }
});

test('garbage datagrams get no answer and the server keeps answering OPTIONS (issue 3, RFC 3261 §18.3)', async (t) => {
  const client = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => client.close());
  const garbage = [
    Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x00, 0x0a, 0x0d]),
    Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'latin1'), // a TLS ClientHello start
    Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    Buffer.from('INVITE\r\n\r\n'),
    Buffer.alloc(1400, 0x41),
  ];
  for (let i = 0; i < 20; i++) client.send(garbage[i % garbage.length]!);
  t.true(await client.silentFor(500), 'no answer to garbage');
  const callId = rand();
  client.send(buildRequest({ method: 'OPTIONS', user: 'probe', callId, cseq: 1 }, { transport: 'UDP', localPort: client.localPort, serverPort: client.serverPort }));
  const res = await client.response((r) => header(r, 'Call-ID') === callId);
  t.is(res.status, 200);
  t.is(t.context.pbx.proc.exitCode, null);
  const stats = JSON.parse(await t.context.pbx.command('sip')) as { transport: { rejected: number } };
  t.true(stats.transport.rejected >= 20, JSON.stringify(stats.transport));
});

test('over TCP, a header section larger than the limit closes the connection and the server keeps serving (issue 3, RFC 3261 §18.3)', async (t) => {
  const pbx = t.context.pbx;
  const tcp = await TcpSipClient.open(pbx.sipPort);
  t.teardown(() => tcp.close());
  // A request line and one header growing past 64 KiB, never terminated by an empty line.
  tcp.send(`REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${tcp.localPort};branch=z9hG4bK${rand()}\r\nX-Pad: `);
  for (let i = 0; i < 9; i++) tcp.send('a'.repeat(8192));
  t.true(await tcp.closedWithin(3000), 'pbxgate closed the connection');
  t.regex(await logMatching(pbx, /closing TCP connection after a framing error/), /closing TCP connection after a framing error/);

  const again = await TcpSipClient.open(pbx.sipPort);
  t.teardown(() => again.close());
  const callId = rand();
  again.send(buildRequest({ method: 'OPTIONS', user: 'probe', callId, cseq: 1 }, { transport: 'TCP', localPort: again.localPort, serverPort: pbx.sipPort }));
  const res = await again.response((r) => header(r, 'Call-ID') === callId);
  t.is(res.status, 200, res.raw);
  t.false(again.closed);
});

test('rport: the response carries received and rport and goes to the source port, not the Via port (issue 3, RFC 3581 §4, RFC 3261 §18.2.2)', async (t) => {
  const a = await UdpSipClient.open(t.context.pbx.sipPort);
  const b = await UdpSipClient.open(t.context.pbx.sipPort);
  t.teardown(() => a.close());
  t.teardown(() => b.close());
  // Sent from a, with b's port in the Via sent-by (what a phone behind NAT looks like).
  const viaPeer = { transport: 'UDP' as const, localPort: b.localPort, serverPort: a.serverPort };

  const withRport = rand();
  a.send(buildRequest({ method: 'REGISTER', user: '603', callId: withRport, cseq: 1, contacts: ['<sip:603@127.0.0.1>'], rport: true }, viaPeer));
  const res = await a.response((r) => header(r, 'Call-ID') === withRport);
  const via = header(res, 'Via') ?? '';
  t.regex(via, new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${b.localPort};branch=z9hG4bK\\w+`));
  t.regex(via, new RegExp(`;rport=${a.localPort}(;|$)`), via);
  t.regex(via, /;received=127\.0\.0\.1(;|$)/, via);
  t.is(a.datagrams.at(-1)!.port, t.context.pbx.sipPort, 'sent from the SIP port');

  // Without rport, §18.2.2: the response goes to the sent-by port (b), with received added only if the host differed.
  const withoutRport = rand();
  a.send(buildRequest({ method: 'REGISTER', user: '603', callId: withoutRport, cseq: 1, contacts: ['<sip:603@127.0.0.1>'], rport: false }, viaPeer));
  const toB = await b.response((r) => header(r, 'Call-ID') === withoutRport);
  t.is(toB.status, 401);
  t.notRegex(header(toB, 'Via') ?? '', /rport|received/);
  t.true(await a.silentFor(300), 'nothing went to the source port');
});

test('svcrack gets its source banned after sip.ban.maxFailures wrong passwords; ban lift lets a phone register again (issue 3, fail2ban)', async (t) => {
  // Its own process: banning 127.0.0.1 cuts off every loopback client of that runtime.
  const pbx = await startPbx({ phones, patch: (c) => void (c.sip.ban.maxFailures = 5) });
  t.teardown(() => pbx.stop());
  const dir = mkdtempSync(join(tmpdir(), 'svcrack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const words = join(dir, 'words.txt');
  const wordlist = ['password', '1234', '601', 'secret', 'admin', 'letmein', 'qwerty', '0000', 'pw-601', 'pw-601-secre', 'welcome', 'changeme'];
  t.false(wordlist.includes(phones[0]!.sip.password));
  writeFileSync(words, `${wordlist.join('\n')}\n`);
  // --maximumtime 2: it stops 2 s after the last answer (then waits its 10 s socket timeout).
  const run = await runTool('svcrack', ['-u', '601', '-d', words, '-p', String(pbx.sipPort), '-P', String(await freePort()), '-b', '127.0.0.1', '-x', '127.0.0.1', '--maximumtime', '2', '127.0.0.1'], 30_000);
  t.notRegex(run.output, /The password for/, run.output);
  t.regex(run.output, /since we last received a response - stopping/, run.output);

  const bans = await pbx.command('bans');
  t.regex(bans, /^127\.0\.0\.1 +5 failures, lifted in /m, bans);
  const counters = JSON.parse(await pbx.command('sip')) as { authFailures: number; droppedBanned: number };
  t.is(counters.authFailures, 5, 'svcrack got exactly maxFailures tries');
  t.true(counters.droppedBanned > 0);

  // Banned means no answer at all, even to OPTIONS.
  const client = await UdpSipClient.open(pbx.sipPort);
  t.teardown(() => client.close());
  client.send(buildRequest({ method: 'OPTIONS', user: 'probe', callId: rand(), cseq: 1 }, { transport: 'UDP', localPort: client.localPort, serverPort: pbx.sipPort }));
  t.true(await client.silentFor(700), 'a banned source gets no answer');

  t.regex(await pbx.command('ban lift 127.0.0.1'), /127\.0\.0\.1: ban lifted/);
  t.regex(await pbx.command('bans'), /no banned addresses/);

  // A real phone (SIPp, right password) registers again.
  const csv = join(dir, 'users.csv');
  writeFileSync(csv, sippUsersCsv(phones.slice(0, 1)));
  const errFile = join(dir, 'errors.log');
  const r = spawnSync(
    'sipp',
    [`127.0.0.1:${pbx.sipPort}`, '-sf', join(REPO, 'test/fixtures/sipp/register-digest.xml'), '-inf', csv, '-m', '1', '-i', '127.0.0.1', '-p', String(await freePort()), '-timeout', '10', '-timeout_error', '-trace_err', '-error_file', errFile, '-nostdin'],
    { cwd: dir, timeout: 20_000, encoding: 'utf8' },
  );
  t.is(r.status, 0, existsSync(errFile) ? readFileSync(errFile, 'utf8') : r.stderr);
  t.true(isRegistered(await pbx.command('phones'), '601'));
});
