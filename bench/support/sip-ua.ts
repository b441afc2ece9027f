/**
 * A minimal SIP phone over UDP for bench/media.ts: just enough to place N
 * calls through pbxgate one after the other, each with the RTP address of a
 * load-generator socket in its SDP, and learn the relay ports pbxgate
 * answers with. The caller authenticates its INVITE (401, ACK, INVITE with
 * digest MD5 qop=auth); the callee registers (digest too), answers every
 * INVITE with 200 and an SDP, and answers BYE. No retransmissions (loopback,
 * light load): a lost message fails the setup after a timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const rnd = (): string => randomBytes(6).toString('hex');

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type' };

export interface SipMessage {
  /** Request method, or undefined for a response. */
  method?: string;
  status?: number;
  /** Headers in order, names lower case (compact forms expanded). */
  headers: Array<[string, string]>;
  body: string;
}

export function parseSip(buf: Buffer): SipMessage | undefined {
  const text = buf.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = text.slice(0, end).split('\r\n');
  const first = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const l of lines) {
    const colon = l.indexOf(':');
    if (colon <= 0) continue;
    const name = l.slice(0, colon).trim().toLowerCase();
    headers.push([COMPACT[name] ?? name, l.slice(colon + 1).trim()]);
  }
  const body = text.slice(end + 4);
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  if (m?.[1]) return { status: Number(m[1]), headers, body };
  return { method: first.split(' ')[0] ?? '', headers, body };
}

export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find(([n]) => n === name)?.[1];
}

/** host and port of the audio stream in an SDP body. */
export function sdpAudio(body: string): { host: string; port: number } | undefined {
  const c = /^c=IN IP4 (\S+)/m.exec(body);
  const m = /^m=audio (\d+) /m.exec(body);
  return c?.[1] && m?.[1] ? { host: c[1], port: Number(m[1]) } : undefined;
}

/** A G.711 offer/answer: PCMA (8) and PCMU (0), 20 ms. */
export function g711Sdp(port: number, sessionId: number): string {
  return (
    `v=0\r\no=bench ${sessionId} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n`
  );
}

function digestAuthorization(challenge: string, method: string, uri: string, user: string, password: string): string {
  const param = (k: string): string | undefined => new RegExp(`${k}="?([^",]*)"?`, 'i').exec(challenge)?.[1];
  const realm = param('realm') ?? '';
  const nonce = param('nonce') ?? '';
  const opaque = param('opaque');
  const qop = param('qop');
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const cnonce = rnd();
  if (qop && qop.split(',').some((q) => q.trim() === 'auth')) {
    const response = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
    return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"${opaque !== undefined ? `, opaque="${opaque}"` : ''}`;
  }
  const response = md5(`${ha1}:${nonce}:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5${opaque !== undefined ? `, opaque="${opaque}"` : ''}`;
}

export interface Credentials {
  user: string;
  password: string;
}

/** One phone: a UDP socket on 127.0.0.1 talking to the PBX at `pbxPort`. */
export class SipPhone {
  private sock: Socket = createSocket('udp4');
  port = 0;
  /** Waiters for responses, by Call-ID + CSeq. */
  private readonly waiters = new Map<string, (m: SipMessage) => void>();
  /** Callee: the SDP port to answer with for the next INVITE, and what it saw. */
  private answerQueue: Array<{ port: number; resolve: (relay: { host: string; port: number }) => void }> = [];
  private cseq = 1;

  constructor(
    private readonly pbxPort: number,
    private readonly cred: Credentials,
  ) {}

  async open(): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf) => this.onMessage(buf));
  }

  close(): void {
    this.sock.close();
  }

  private send(text: string): void {
    this.sock.send(Buffer.from(text), this.pbxPort, '127.0.0.1');
  }

  private onMessage(buf: Buffer): void {
    const m = parseSip(buf);
    if (!m) return;
    const callId = header(m, 'call-id') ?? '';
    const cseq = header(m, 'cseq') ?? '';
    if (m.status !== undefined) {
      if (m.status < 200 && m.status !== 183) return;
      this.waiters.get(`${callId} ${cseq}`)?.(m);
      return;
    }
    // Requests to the callee: INVITE (answer 200 with the next queued port), ACK (nothing), BYE (200).
    if (m.method === 'ACK') return;
    const copy = m.headers.filter(([n]) => n === 'via' || n === 'from' || n === 'call-id' || n === 'cseq' || n === 'record-route');
    let to = header(m, 'to') ?? '';
    if (m.method === 'INVITE') {
      const slot = this.answerQueue.shift();
      if (!slot) {
        this.respond(copy, to, 486, 'Busy Here');
        return;
      }
      if (!/;tag=/.test(to)) to += `;tag=${rnd()}`;
      const relay = sdpAudio(m.body);
      const body = g711Sdp(slot.port, Math.floor(Math.random() * 1e9));
      this.respond(copy, to, 200, 'OK', `Contact: <sip:${this.cred.user}@127.0.0.1:${this.port}>\r\nContent-Type: application/sdp\r\n`, body);
      if (relay) slot.resolve(relay);
      return;
    }
    this.respond(copy, to, m.method === 'BYE' ? 200 : 405, m.method === 'BYE' ? 'OK' : 'Method Not Allowed');
  }

  private respond(copy: Array<[string, string]>, to: string, status: number, reason: string, extra = '', body = ''): void {
    const hs = copy.map(([n, v]) => `${n === 'call-id' ? 'Call-ID' : n === 'cseq' ? 'CSeq' : n === 'record-route' ? 'Record-Route' : n[0]!.toUpperCase() + n.slice(1)}: ${v}`).join('\r\n');
    this.send(`SIP/2.0 ${status} ${reason}\r\n${hs}\r\nTo: ${to}\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  private request(method: string, uri: string, callId: string, cseq: number, fromTag: string, to: string, extra: string, body = '', timeoutMs = 5000): Promise<SipMessage> {
    const key = `${callId} ${cseq} ${method === 'ACK' ? 'INVITE' : method}`;
    const text =
      `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${rnd()};rport\r\n` +
      `From: <sip:${this.cred.user}@127.0.0.1>;tag=${fromTag}\r\nTo: ${to}\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n` +
      `Contact: <sip:${this.cred.user}@127.0.0.1:${this.port}>\r\nMax-Forwards: 70\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    if (method === 'ACK') {
      this.send(text);
      return Promise.resolve({ headers: [], body: '' });
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`${method} ${uri}: no final answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, (m) => {
        clearTimeout(t);
        this.waiters.delete(key);
        resolve(m);
      });
      this.send(text);
    });
  }

  /** REGISTER with digest (the callee, before its calls). */
  async register(): Promise<void> {
    const callId = `reg-${rnd()}`;
    const uri = `sip:127.0.0.1:${this.pbxPort}`;
    const tag = rnd();
    const to = `<sip:${this.cred.user}@127.0.0.1>`;
    const extra = 'Expires: 600\r\n';
    let r = await this.request('REGISTER', uri, callId, this.cseq++, tag, to, extra);
    if (r.status === 401) {
      const auth = digestAuthorization(header(r, 'www-authenticate') ?? '', 'REGISTER', uri, this.cred.user, this.cred.password);
      r = await this.request('REGISTER', uri, callId, this.cseq++, tag, to, `${extra}Authorization: ${auth}\r\n`);
    }
    if (r.status !== 200) throw new Error(`REGISTER ${this.cred.user}: ${r.status}`);
  }

  /** Callee: the next INVITE is answered with this SDP port; resolves with the relay address pbxgate offered. */
  expectCall(port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve) => this.answerQueue.push({ port, resolve }));
  }

  /** Caller: an authenticated call to `number` offering `port`; resolves with the relay address and a hangup function. */
  async call(number: string, port: number): Promise<{ relay: { host: string; port: number }; hangup(): Promise<void> }> {
    const callId = `call-${rnd()}`;
    const uri = `sip:${number}@127.0.0.1:${this.pbxPort}`;
    const tag = rnd();
    const toPlain = `<sip:${number}@127.0.0.1>`;
    const body = g711Sdp(port, Math.floor(Math.random() * 1e9));
    const ct = 'Content-Type: application/sdp\r\n';
    let r = await this.request('INVITE', uri, callId, 1, tag, toPlain, ct, body);
    if (r.status === 401) {
      await this.request('ACK', uri, callId, 1, tag, header(r, 'to') ?? toPlain, '');
      const auth = digestAuthorization(header(r, 'www-authenticate') ?? '', 'INVITE', uri, this.cred.user, this.cred.password);
      r = await this.request('INVITE', uri, callId, 2, tag, toPlain, `${ct}Authorization: ${auth}\r\n`, body);
    }
    if (r.status !== 200) throw new Error(`INVITE ${number}: ${r.status}`);
    const to = header(r, 'to') ?? toPlain;
    const contact = /<([^>]+)>/.exec(header(r, 'contact') ?? '')?.[1] ?? uri;
    await this.request('ACK', contact, callId, 2, tag, to, '');
    const relay = sdpAudio(r.body);
    if (!relay) throw new Error(`INVITE ${number}: no SDP in the 200`);
    return {
      relay,
      hangup: async () => {
        await this.request('BYE', contact, callId, 3, tag, to, '').catch(() => undefined);
      },
    };
  }
}
