/**
 * A minimal SIP client for system tests: builds requests as text, sends
 * them over UDP (node:dgram) or TCP (node:net) from 127.0.0.1, parses
 * responses with its own small parser (independent of firmware/sip, so the
 * tests do not check the server with its own code) and answers digest
 * challenges (RFC 2617 / RFC 7616, MD5 with qop=auth) with node:crypto.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Socket as TcpSocket } from 'node:net';
import { freePort } from './pbx-process.ts';

export interface SipResponse {
  status: number;
  reason: string;
  /** Header fields in order, names as sent. */
  headers: Array<[string, string]>;
  body: string;
  raw: string;
}

export function header(res: SipResponse, name: string): string | undefined {
  const n = name.toLowerCase();
  return res.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

export function headers(res: SipResponse, name: string): string[] {
  const n = name.toLowerCase();
  return res.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

/** Parses one response (CRLF line ends, no folding: the server under test does not fold). */
export function parseResponse(raw: string): SipResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = raw.slice(0, end).split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const hs: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) hs.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers: hs, body: raw.slice(end + 4), raw };
}

export function rand(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}

export interface RequestSpec {
  method: string;
  /** Request-URI; default sip:<host>:<port> of the server. */
  uri?: string;
  /** The user of From and To (the AOR). */
  user: string;
  /** To user when it differs from From (registering someone else's AOR). */
  toUser?: string;
  callId: string;
  cseq: number;
  /** Contact values without the angle brackets handling: written as given ("<sip:..>;expires=.." or "*"). */
  contacts?: string[];
  expires?: number;
  authorization?: string;
  /** Via rport parameter (RFC 3581); default true. */
  rport?: boolean;
  extra?: Array<[string, string]>;
  fromTag?: string;
  branch?: string;
  /** A body (SDP); Content-Type goes in `extra`. */
  body?: string;
}

export interface Peer {
  transport: 'UDP' | 'TCP';
  localPort: number;
  serverPort: number;
}

export function buildRequest(spec: RequestSpec, peer: Peer): string {
  const server = `127.0.0.1:${peer.serverPort}`;
  const uri = spec.uri ?? `sip:${server}`;
  const lines = [
    `${spec.method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/${peer.transport} 127.0.0.1:${peer.localPort};branch=${spec.branch ?? `z9hG4bK${rand()}`}${spec.rport === false ? '' : ';rport'}`,
    `Max-Forwards: 70`,
    `From: <sip:${spec.user}@127.0.0.1>;tag=${spec.fromTag ?? rand(4)}`,
    `To: <sip:${spec.toUser ?? spec.user}@127.0.0.1>`,
    `Call-ID: ${spec.callId}`,
    `CSeq: ${spec.cseq} ${spec.method}`,
    ...(spec.contacts ?? []).map((c) => `Contact: ${c}`),
    ...(spec.expires !== undefined ? [`Expires: ${spec.expires}`] : []),
    ...(spec.authorization !== undefined ? [`Authorization: ${spec.authorization}`] : []),
    ...(spec.extra ?? []).map(([k, v]) => `${k}: ${v}`),
    `User-Agent: pbxgate-test`,
    `Content-Length: ${Buffer.byteLength(spec.body ?? '')}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${spec.body ?? ''}`;
}

/** The parameters of a Digest challenge (WWW-Authenticate value). */
export function parseChallenge(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = value.replace(/^\s*Digest\s+/i, '');
  const re = /([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^,\s]+))/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  return out;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export interface DigestAnswer {
  username: string;
  password: string;
  method: string;
  uri: string;
  /** nonce-count (1 for the first use of a nonce). */
  nc?: number;
  cnonce?: string;
}

/** Authorization value for an MD5 challenge with qop=auth (RFC 7616 §3.4.1). */
export function digestAuthorization(challenge: string, a: DigestAnswer): string {
  const c = parseChallenge(challenge);
  const realm = c.get('realm') ?? '';
  const nonce = c.get('nonce') ?? '';
  const alg = (c.get('algorithm') ?? 'MD5').toUpperCase();
  if (alg !== 'MD5') throw new Error(`test client answers MD5 challenges only, got ${alg}`);
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? rand(6);
  const ha1 = md5(`${a.username}:${realm}:${a.password}`);
  const ha2 = md5(`${a.method}:${a.uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const opaque = c.get('opaque');
  return (
    `Digest username="${a.username}", realm="${realm}", nonce="${nonce}", uri="${a.uri}", response="${response}", ` +
    `algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"${opaque !== undefined ? `, opaque="${opaque}"` : ''}`
  );
}

/** The first MD5 challenge of a 401 (pbxgate offers MD5 first, then SHA-256). */
export function md5Challenge(res: SipResponse): string {
  const c = headers(res, 'WWW-Authenticate').find((v) => /algorithm=MD5\b/i.test(v));
  if (!c) throw new Error(`no MD5 challenge in:\n${res.raw}`);
  return c;
}

export interface Received {
  data: Buffer;
  port: number;
  address: string;
}

/** Common shape of the UDP and TCP clients. */
export interface SipClient {
  readonly transport: 'UDP' | 'TCP';
  readonly localPort: number;
  readonly serverPort: number;
  send(text: string | Buffer): void;
  /** The next response (optionally matching pred) not yet consumed, or throws after timeoutMs. */
  response(pred?: (r: SipResponse) => boolean, timeoutMs?: number): Promise<SipResponse>;
  /** Resolves true if nothing at all arrives within ms (and consumes nothing). */
  silentFor(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

abstract class ClientBase {
  protected readonly inbox: SipResponse[] = [];
  private waiters: Array<() => void> = [];
  protected arrivals = 0;

  protected deliver(res: SipResponse): void {
    this.inbox.push(res);
    this.arrivals++;
    for (const w of this.waiters.splice(0)) w();
  }

  response(pred: (r: SipResponse) => boolean = () => true, timeoutMs = 3000): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no matching SIP response within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        const i = this.inbox.findIndex(pred);
        if (i >= 0) {
          clearTimeout(timer);
          resolve(this.inbox.splice(i, 1)[0]!);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  async silentFor(ms: number): Promise<boolean> {
    const before = this.arrivals;
    await new Promise((r) => setTimeout(r, ms));
    return this.arrivals === before;
  }
}

export class UdpSipClient extends ClientBase implements SipClient {
  readonly transport = 'UDP' as const;
  /** Every datagram received, with its source (for the rport test). */
  readonly datagrams: Received[] = [];

  private constructor(
    private readonly sock: UdpSocket,
    readonly localPort: number,
    readonly serverPort: number,
  ) {
    super();
    sock.on('message', (data, rinfo) => {
      this.datagrams.push({ data, port: rinfo.port, address: rinfo.address });
      const r = parseResponse(data.toString('latin1'));
      if (r) this.deliver(r);
      else this.arrivals++;
    });
  }

  static async open(serverPort: number): Promise<UdpSipClient> {
    const sock = createSocket('udp4');
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(0, '127.0.0.1', () => res());
    });
    return new UdpSipClient(sock, sock.address().port, serverPort);
  }

  send(text: string | Buffer): void {
    this.sock.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, this.serverPort, '127.0.0.1');
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}

export class TcpSipClient extends ClientBase implements SipClient {
  readonly transport = 'TCP' as const;
  private buf = '';
  closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(
    private readonly sock: TcpSocket,
    readonly localPort: number,
    readonly serverPort: number,
  ) {
    super();
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const cl = Number(/\r\n(?:Content-Length|l)\s*:\s*(\d+)/i.exec(this.buf.slice(0, end + 2))?.[1] ?? 0);
        if (this.buf.length < end + 4 + cl) break;
        const raw = this.buf.slice(0, end + 4 + cl);
        this.buf = this.buf.slice(end + 4 + cl);
        const r = parseResponse(raw);
        if (r) this.deliver(r);
      }
    });
    sock.on('error', () => undefined);
    this.closedPromise = new Promise((r) =>
      sock.once('close', () => {
        this.closed = true;
        r();
      }),
    );
  }

  static async open(serverPort: number): Promise<TcpSipClient> {
    const sock = connect({ host: '127.0.0.1', port: serverPort });
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.once('connect', () => res());
    });
    return new TcpSipClient(sock, sock.localPort ?? 0, serverPort);
  }

  /** Resolves true when the server closed the connection within ms. */
  async closedWithin(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => {
      t = setTimeout(() => r(false), ms);
    });
    const r = await Promise.race([this.closedPromise.then(() => true), timeout]);
    clearTimeout(t);
    return r;
  }

  send(text: string | Buffer): void {
    this.sock.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.sock.destroy();
    return this.closedPromise;
  }
}

/**
 * One phone's view of the registrar: keeps a Call-ID and CSeq across
 * requests (as RFC 3261 §10.2.4 asks of a UA refreshing its bindings) and
 * answers the challenge of every request.
 */
export class SipPhone {
  readonly callId = `${rand(10)}@127.0.0.1`;
  cseq = 0;
  /** The challenge and nonce-count of the last authenticated request. */
  lastChallenge: string | undefined;
  nc = 0;

  constructor(
    readonly client: SipClient,
    readonly username: string,
    readonly password: string,
  ) {}

  get peer(): Peer {
    return { transport: this.client.transport, localPort: this.client.localPort, serverPort: this.client.serverPort };
  }

  contact(tag = 'a'): string {
    return `<sip:${this.username}-${tag}@127.0.0.1:${this.client.localPort};transport=${this.client.transport.toLowerCase()}>`;
  }

  /** Sends the request without credentials, expects 401, answers the MD5 challenge; returns the final response. */
  async request(spec: Omit<RequestSpec, 'callId' | 'cseq' | 'user'> & { user?: string }): Promise<SipResponse> {
    const full = { user: this.username, ...spec };
    const uri = full.uri ?? `sip:127.0.0.1:${this.client.serverPort}`;
    this.client.send(buildRequest({ ...full, callId: this.callId, cseq: ++this.cseq }, this.peer));
    const challengeSeq = this.cseq;
    const first = await this.client.response((r) => cseqOf(r) === challengeSeq);
    if (first.status !== 401) return first;
    this.lastChallenge = md5Challenge(first);
    this.nc = 1;
    const authorization = digestAuthorization(this.lastChallenge, { username: this.username, password: this.password, method: spec.method, uri, nc: 1 });
    this.client.send(buildRequest({ ...full, uri, callId: this.callId, cseq: ++this.cseq, authorization }, this.peer));
    const seq = this.cseq;
    return this.client.response((r) => cseqOf(r) === seq);
  }

  register(contacts: string[], expires?: number, extra?: Partial<RequestSpec>): Promise<SipResponse> {
    return this.request({ method: 'REGISTER', contacts, ...(expires !== undefined ? { expires } : {}), ...extra });
  }
}

export function cseqOf(r: SipResponse): number {
  return Number.parseInt(header(r, 'CSeq') ?? '-1', 10);
}

/** The "NNN ... registered|not registered" head line of one phone in the `phones` console output. */
export function phoneLine(phones: string, internalNumber: string): string {
  return new RegExp(`^${internalNumber} .*$`, 'm').exec(phones)?.[0] ?? '';
}

/** The contact lines listed under one phone in the `phones` console output. */
export function phoneContacts(phones: string, internalNumber: string): Array<{ contact: string; expiresIn: number }> {
  const lines = phones.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${internalNumber} `));
  if (i < 0) return [];
  const out: Array<{ contact: string; expiresIn: number }> = [];
  for (const l of lines.slice(i + 1)) {
    const m = /^\s+(\S+) via \S+, expires in (\d+)s/.exec(l);
    if (!m) break;
    out.push({ contact: m[1]!, expiresIn: Number(m[2]) });
  }
  return out;
}

export function isRegistered(phones: string, internalNumber: string): boolean {
  return / registered$/.test(phoneLine(phones, internalNumber)) && !/not registered$/.test(phoneLine(phones, internalNumber));
}

/** True when `port` can be bound on 127.0.0.1 over both UDP and TCP right now. */
export async function portIsFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((res) => {
    const u = createSocket('udp4');
    u.once('error', () => res(false));
    u.bind(port, '127.0.0.1', () => u.close(() => res(true)));
  });
}

/**
 * A free port p whose p+1 is free too: baresip 1.0 opens its TLS listener on
 * the SIP port + 1 (DESIGN.md §4).
 */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const p = await freePort();
    if (p < 65535 && (await portIsFree(p + 1))) return p;
  }
  throw new Error('no free pair of ports');
}

export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  param?: string;
  /** Date.now() at reception. */
  at: number;
}

export interface Baresip {
  pid: number;
  sipPort: number;
  confDir: string;
  /** Events pushed on the control connection since it opened (REGISTER_OK, REGISTER_FAIL, ...). */
  events: BaresipEvent[];
  /** Runs a command ("reginfo", ...) over ctrl_tcp and returns its text output. */
  command(command: string, params?: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the first event (from index `from`) matching pred, or rejects after timeoutMs. */
  waitEvent(pred: (e: BaresipEvent) => boolean, timeoutMs: number, from?: number): Promise<BaresipEvent>;
  output(): string;
  stop(): Promise<void>;
}

export interface BaresipOptions {
  /**
   * The account line, e.g. `<sip:601@127.0.0.1:5060>;auth_pass=...;regint=12`.
   * To answer calls by itself, add `;answermode=auto`: baresip 1.0 ignores the
   * global `answermode` config line (it asks "press 'a' to accept").
   */
  account: string;
  /** Extra command-line arguments (e.g. ["-s"] for a SIP trace in output()). */
  args?: string[];
  /**
   * The "microphone": a WAV file (8 kHz mono S16LE for G.711) played by the
   * aufile module. aufile 1.0 does not loop: at the end of the file baresip
   * closes the call ("end of file"), so make it longer than the call.
   */
  audioSource?: string;
  /**
   * Load the sndfile module, which writes what each call sends and receives
   * into this directory: `dump-<time>-enc.wav` (the source, before encoding)
   * and `dump-<time>-dec.wav` (the decoded audio received from the peer).
   */
  recordDir?: string;
  /** Load the cons module on this UDP port: each datagram's characters are key presses. */
  consPort?: number;
}

/**
 * Starts baresip 1.0 (Debian baresip-core) with a throwaway config: no audio
 * device (aufile), auto answer, SIP on 127.0.0.1, and the ctrl_tcp JSON
 * control port (netstring-framed JSON: {"command","params","token"} in,
 * {"response":true,...} and {"event":true,...} out). Killed by PID in stop().
 */
export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const confDir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const sipPort = await freePortPair();
  const ctrlPort = await freePort();
  writeFileSync(
    join(confDir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      // DESIGN.md §4: the address, not "lo" (baresip 1.0: "net: lo: could not get IPv4 address (No such device)").
      'net_interface 127.0.0.1',
      'module_path /usr/lib/baresip/modules',
      'module menu.so',
      'module ctrl_tcp.so',
      'module aufile.so',
      'module g711.so',
      ...(options.recordDir !== undefined ? ['module sndfile.so', `snd_path ${options.recordDir}`] : []),
      ...(options.consPort !== undefined ? ['module cons.so', `cons_listen 127.0.0.1:${options.consPort}`] : []),
      'module_app account.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      'audio_player aufile,/dev/null',
      `audio_source aufile,${options.audioSource ?? '/usr/share/baresip/sound0.wav'}`,
      'audio_alert aufile,/dev/null',
      'answermode auto',
      '',
    ].join('\n'),
  );
  writeFileSync(join(confDir, 'accounts'), `${options.account}\n`);
  const proc = spawn('baresip', ['-f', confDir, ...(options.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    sock?.destroy();
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      process.kill(proc.pid, 'SIGTERM');
      const t = setTimeout(() => {
        if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
      }, 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(confDir, { recursive: true, force: true });
  };

  // The control port opens once the modules are loaded: retry, bounded.
  let sock: TcpSocket | undefined;
  const deadline = Date.now() + 10_000;
  while (!sock) {
    if (proc.exitCode !== null) throw new Error(`baresip exited (${proc.exitCode}):\n${out}`);
    try {
      sock = await new Promise<TcpSocket>((res, rej) => {
        const s = connect({ host: '127.0.0.1', port: ctrlPort });
        s.once('connect', () => res(s));
        s.once('error', rej);
      });
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`baresip control port ${ctrlPort} never opened:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const ctrl = sock;
  const events: BaresipEvent[] = [];
  const pending = new Map<string, (data: string) => void>();
  const listeners = new Set<() => void>();
  let buf = '';
  ctrl.setEncoding('utf8');
  ctrl.on('error', () => undefined);
  ctrl.on('data', (d: string) => {
    buf += d;
    for (;;) {
      const colon = buf.indexOf(':');
      if (colon < 0) break;
      const len = Number(buf.slice(0, colon));
      // JSON here is ASCII (baresip escapes the rest), so string length = byte length.
      if (!Number.isInteger(len) || buf.length < colon + 1 + len + 1) break;
      const json = buf.slice(colon + 1, colon + 1 + len);
      buf = buf.slice(colon + 1 + len + 1);
      const msg = JSON.parse(json) as { response?: boolean; event?: boolean; data?: string; token?: string; type?: string; class?: string; accountaor?: string; param?: string };
      if (msg.response && msg.token !== undefined) pending.get(msg.token)?.(msg.data ?? '');
      else if (msg.event && msg.type !== undefined) {
        events.push({
          type: msg.type,
          at: Date.now(),
          ...(msg.class !== undefined ? { class: msg.class } : {}),
          ...(msg.accountaor !== undefined ? { accountaor: msg.accountaor } : {}),
          ...(msg.param !== undefined ? { param: msg.param } : {}),
        });
        for (const l of [...listeners]) l();
      }
    }
  });
  let nextToken = 1;
  return {
    pid: proc.pid!,
    sipPort,
    confDir,
    events,
    output: () => out,
    stop,
    command(command, params = '', timeoutMs = 3000) {
      const token = `t${nextToken++}`;
      const body = JSON.stringify({ command, params, token });
      ctrl.write(`${Buffer.byteLength(body)}:${body},`);
      return new Promise((res, rej) => {
        const t = setTimeout(() => {
          pending.delete(token);
          rej(new Error(`baresip did not answer "${command}"`));
        }, timeoutMs);
        pending.set(token, (data) => {
          clearTimeout(t);
          pending.delete(token);
          res(data);
        });
      });
    },
    waitEvent(pred, timeoutMs, from = 0) {
      return new Promise((res, rej) => {
        const check = (): void => {
          const e = events.slice(from).find(pred);
          if (e) {
            listeners.delete(check);
            clearTimeout(t);
            res(e);
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          rej(new Error(`no matching baresip event within ${timeoutMs} ms; events: ${events.map((e) => `${e.type} ${e.param ?? ''}`).join(', ')}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Presses keys on a baresip cons port (module cons.so): one UDP datagram per key. */
export async function pressKey(consPort: number, key: string): Promise<void> {
  const sock = createSocket('udp4');
  await new Promise<void>((res, rej) => sock.send(key, consPort, '127.0.0.1', (err) => (err ? rej(err) : res())));
  await new Promise<void>((r) => sock.close(() => r()));
}
