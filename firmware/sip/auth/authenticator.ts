/**
 * Server-side digest authentication (RFC 3261 §22.4, RFC 2617, RFC 7616,
 * RFC 8760) with stateless, expiring nonces and per-nonce nonce-count
 * tracking.
 *
 * Nonce = base64url( issued-at (8 bytes, Clock.monotonic ms)
 *                  || random (8 bytes)
 *                  || HMAC-SHA-256(key, "pbxgate-nonce" || realm || issued-at || random)[0..16] )
 * so a flood of unauthenticated REGISTERs costs one HMAC per challenge and
 * no memory. Only nonces that have authenticated a request successfully are
 * remembered (their highest nonce-count), in a bounded insertion-ordered
 * map; when the map is full the oldest entry is evicted and its issue time
 * raises a watermark: a nonce issued at or before the watermark that is no
 * longer in the map is answered `stale` (the client re-challenges without
 * prompting), so eviction can never let a replay through. A caller that
 * answers requests statelessly passes each request's transaction key: the
 * same key with the same nonce-count is then that request retransmitted,
 * accepted again (a stateless UAS processes a retransmission again, RFC 3261
 * §8.2.7), not taken for a replay.
 */
import { createHmac, hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { computeDigestResponse, computeHA1, digestHexLength, parseAlgorithm } from './digest.ts';
import type { DigestAlgorithm, DigestInput } from './digest.ts';
import { parseAuthParams, quote } from './params.ts';

/** Algorithms a server offers (the "-sess" variants are not offered). */
export type ServerDigestAlgorithm = 'MD5' | 'SHA-256';

/**
 * What a credential store gives for (username, realm): the clear password,
 * or precomputed HA1 values per algorithm (H(username:realm:password)), or
 * undefined for an unknown user.
 */
export type StoredCredential = { password: string } | { ha1: Partial<Record<ServerDigestAlgorithm, string>> };
export type CredentialLookup = (username: string, realm: string) => StoredCredential | undefined;

/**
 * Outcome of verify():
 * - `ok`: the digest is right, the nonce fresh and not replayed.
 * - `stale`: the nonce expired, was not issued by us (bad MAC, other key,
 *   restart), or (without qop) was already used: answer with a new
 *   challenge carrying stale=true (challenge({stale: true})).
 * - `bad-credentials`: wrong password/digest, or a realm that is not ours.
 * - `unknown-user`: the lookup returned undefined.
 * - `malformed`: not a Digest credential we can read (syntax, missing
 *   parameters, bad nc/qop, an algorithm we did not offer).
 * - `replay`: the nonce-count is not greater than the last one accepted
 *   for that nonce.
 *
 * Callers MUST answer `unknown-user` and `bad-credentials` identically
 * (same status, same challenge, no different log level visible to the
 * peer), so that an attacker cannot enumerate extensions; verify() already
 * computes a dummy digest for unknown users so both take the same time.
 * The two are distinct here only for local logs and fail2ban-style counters.
 */
export type VerifyResult = 'ok' | 'stale' | 'bad-credentials' | 'unknown-user' | 'malformed' | 'replay';

export interface VerifyOutcome {
  result: VerifyResult;
  /** The username from the credentials, when they could be parsed (for logs and bans). */
  username?: string;
  /** The algorithm used, when the credentials could be parsed. */
  algorithm?: ServerDigestAlgorithm;
  /** The digest-uri parameter, for callers that want to compare it with the Request-URI. */
  uri?: string;
}

/** What acceptUse() needs of a nonce that checkCredentials() found right. */
export interface NonceUse {
  nonce: string;
  /** The nonce-count (0 without qop). */
  nc: number;
  qop: boolean;
  /** When the nonce was issued (Clock.monotonic ms, from the nonce itself). */
  issuedAt: number;
  /**
   * The request's transaction key (§17.2.3), when the caller answers it
   * statelessly: the same key with the same nonce-count is a
   * retransmission of the request that used that count, not a replay.
   */
  key?: string;
}

export interface DigestAuthenticatorOptions {
  clock: Clock;
  /** Secret for the nonce HMAC (at least 16 bytes). Random per instance if omitted. */
  secret?: Buffer;
  realm: string;
  /** Algorithms offered, in the order of the challenge fields. Default ['SHA-256', 'MD5'] (RFC 8760 §2.4). */
  algorithms?: readonly ServerDigestAlgorithm[];
  /** Accept credentials without qop (RFC 2069 style, old phones). Default true. */
  allowNoQop?: boolean;
  /** Nonce lifetime in ms; older nonces get `stale`. Default 300 000 (5 min). */
  nonceLifetimeMs?: number;
  /** How many used nonces to remember with their last nonce-count. Default 10 000. */
  maxTrackedNonces?: number;
  credentials: CredentialLookup;
}

const NONCE_BYTES = 32;
const NONCE_TEXT_LENGTH = 43; // base64url of 32 bytes, no padding
const NONCE_RE = /^[A-Za-z0-9_-]{43}$/;
const HEX_RE = /^[0-9a-fA-F]+$/;
const NC_RE = /^[0-9a-fA-F]{8}$/;
const NONCE_DOMAIN = Buffer.from('pbxgate-nonce\0');
/** Tolerated clock skew for an issued-at in the future (monotonic: only across restarts). */
const FUTURE_SKEW_MS = 1000;

export class DigestAuthenticator {
  private readonly clock: Clock;
  private readonly secret: Buffer;
  private readonly realmBuf: Buffer;
  readonly realm: string;
  readonly algorithms: readonly ServerDigestAlgorithm[];
  private readonly allowNoQop: boolean;
  private readonly lifetime: number;
  private readonly maxTracked: number;
  private readonly lookup: CredentialLookup;
  readonly opaque: string;
  /** nonce -> highest nonce-count accepted (0 for a nonce used without qop). */
  private readonly used = new Map<string, { nc: number; issuedAt: number; key: string | undefined }>();
  /**
   * The remembered nonces in the order they were first used, a ring of
   * maxTracked: eviction takes the oldest in O(1). (Walking the Map from its
   * front instead costs more with every entry deleted before the table is
   * rehashed: 60-90 µs per REGISTER once 50,000 were tracked.)
   */
  private readonly usedOrder: string[];
  private usedHead = 0;
  private usedCount = 0;
  /** Highest issued-at among evicted nonces (see the module comment). */
  private evictedWatermark = -Infinity;
  /** HA1 by algorithm and username, with the password and realm it was computed from (ha1Of). */
  private readonly ha1Cache = new Map<string, { password: string; realm: string; ha1: string }>();
  /**
   * HMAC-SHA-256 precomputed for the nonce MAC: (key XOR opad) and
   * (key XOR ipad) || NONCE_DOMAIN || realm, with room for the 16 bytes
   * MACed. Two one-shot hashes are ~7x faster than createHmac() with a
   * Buffer key (which builds a KeyObject per call); see mac().
   */
  private readonly macInner: Buffer;
  private readonly macOuter: Buffer;
  /** Random bytes drawn in blocks for the nonces (one randomBytes() call per 512 nonces). */
  private readonly randomPool = Buffer.allocUnsafe(4096);
  private randomOffset = 4096;

  constructor(options: DigestAuthenticatorOptions) {
    this.clock = options.clock;
    this.secret = options.secret ?? randomBytes(32);
    this.realm = options.realm;
    this.realmBuf = Buffer.from(options.realm + '\0');
    this.algorithms = options.algorithms && options.algorithms.length > 0 ? [...options.algorithms] : ['SHA-256', 'MD5'];
    this.allowNoQop = options.allowNoQop ?? true;
    this.lifetime = options.nonceLifetimeMs ?? 300_000;
    this.maxTracked = Math.max(1, options.maxTrackedNonces ?? 10_000);
    this.usedOrder = new Array<string>(this.maxTracked).fill('');
    this.lookup = options.credentials;
    // opaque carries nothing: derived from the key so that it survives a restart with the same key.
    this.opaque = createHmac('sha256', this.secret).update('pbxgate-opaque').update(this.realmBuf).digest('base64url').slice(0, 22);
    // RFC 2104: K is hashed first if longer than the block (64 bytes), then zero-padded to the block.
    const block = Buffer.alloc(64);
    (this.secret.length > 64 ? hash('sha256', this.secret, 'buffer') : this.secret).copy(block);
    const prefix = Buffer.concat([block.map((b) => b ^ 0x36), NONCE_DOMAIN, this.realmBuf]);
    this.macInner = Buffer.alloc(prefix.length + 16);
    prefix.copy(this.macInner);
    this.macOuter = Buffer.alloc(64 + 32);
    Buffer.from(block.map((b) => b ^ 0x5c)).copy(this.macOuter);
  }

  /** A fresh nonce (exposed for tests and for callers building their own challenge). */
  createNonce(): string {
    const buf = Buffer.allocUnsafe(NONCE_BYTES);
    buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.clock.monotonic()))), 0);
    if (this.randomOffset + 8 > this.randomPool.length) {
      randomFillSync(this.randomPool);
      this.randomOffset = 0;
    }
    this.randomPool.copy(buf, 8, this.randomOffset, this.randomOffset + 8);
    this.randomOffset += 8;
    this.mac(buf).copy(buf, 16, 0, 16);
    return buf.toString('base64url');
  }

  /**
   * The challenge values, one per offered algorithm, to put each in its own
   * WWW-Authenticate (401) or Proxy-Authenticate (407) field, in order.
   * All share one nonce.
   */
  challenge(options: { stale?: boolean } = {}): string[] {
    const nonce = this.createNonce();
    // qop="auth" is always offered; allowNoQop only decides whether answers without qop are accepted.
    const qop = ', qop="auth"';
    const stale = options.stale ? ', stale=true' : '';
    const out: string[] = [];
    for (const alg of this.algorithms) {
      out.push(
        `Digest realm=${quote(this.realm)}, nonce="${nonce}", opaque="${this.opaque}", algorithm=${alg}${qop}${stale}`,
      );
    }
    return out;
  }

  /**
   * Verifies an Authorization / Proxy-Authorization value for a request
   * with this method (for qop=auth-int, pass the body). Never throws.
   * The two halves below, for callers that check credentials on one thread
   * and keep the nonce-count state on another (the registrar's threads).
   */
  verify(method: string, authorization: string | undefined, body?: Buffer, key?: string): VerifyOutcome {
    const checked = this.checkCredentials(method, authorization, body);
    if (checked.result !== 'ok' || checked.use === undefined) return checked;
    const { use, ...out } = checked;
    out.result = this.acceptUse(key === undefined ? use : { ...use, key });
    return out;
  }

  /**
   * The stateless half of verify(): syntax, our nonce (MAC) and its age,
   * the credentials and the digest. `ok` here still needs acceptUse() with
   * the returned `use` (the nonce-count, RFC 7616 §3.4) before the request
   * is authenticated. Depends only on the options (secret, realm, clock,
   * credentials), so any thread holding the same secret gives the same answer.
   */
  checkCredentials(method: string, authorization: string | undefined, body?: Buffer): VerifyOutcome & { use?: NonceUse } {
    if (authorization === undefined) return { result: 'malformed' };
    const parsed = parseAuthParams(authorization);
    if (!parsed || parsed.scheme.toLowerCase() !== 'digest') return { result: 'malformed' };
    const p = parsed.params;
    const username = p.get('username');
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
      return { result: 'malformed' };
    }
    const out: VerifyOutcome & { use?: NonceUse } = { result: 'malformed', username, uri };

    const alg = parseAlgorithm(p.get('algorithm'));
    if (alg !== 'MD5' && alg !== 'SHA-256') return out;
    // An algorithm we did not offer (e.g. MD5 turned off) is refused.
    if (!this.algorithms.includes(alg)) return out;
    out.algorithm = alg;
    if (response.length !== digestHexLength(alg) || !HEX_RE.test(response)) return out;

    const qopRaw = p.get('qop');
    let qop: 'auth' | 'auth-int' | undefined;
    let ncText: string | undefined;
    let nc = 0;
    let cnonce: string | undefined;
    if (qopRaw !== undefined) {
      const q = qopRaw.toLowerCase();
      if (q !== 'auth' && q !== 'auth-int') return out;
      qop = q;
      ncText = p.get('nc');
      cnonce = p.get('cnonce');
      // "cnonce ... MUST be specified if a qop directive is sent" (RFC 2617 §3.2.2); nc likewise.
      if (ncText === undefined || cnonce === undefined || !NC_RE.test(ncText) || cnonce.length === 0) return out;
      nc = Number.parseInt(ncText, 16);
      if (nc === 0) return out;
    } else if (!this.allowNoQop) {
      return out;
    }

    if (realm !== this.realm) {
      out.result = 'bad-credentials';
      return out;
    }
    const opaque = p.get('opaque');
    if (opaque !== undefined && opaque !== this.opaque) {
      out.result = 'stale';
      return out;
    }

    // Nonce: ours (MAC) and not expired.
    const issuedAt = this.checkNonce(nonce);
    if (issuedAt === undefined) {
      out.result = 'stale';
      return out;
    }
    const now = this.clock.monotonic();
    if (now - issuedAt >= this.lifetime || issuedAt > now + FUTURE_SKEW_MS) {
      out.result = 'stale';
      return out;
    }

    const stored = this.lookup(username, realm);
    let ha1: string | undefined;
    let known = true;
    if (stored === undefined) {
      known = false;
    } else if ('password' in stored) {
      ha1 = this.ha1Of(alg, username, realm, stored.password);
    } else {
      ha1 = stored.ha1[alg];
    }
    if (ha1 === undefined) {
      // Same work as a real check, so unknown users cannot be told apart by timing.
      ha1 = computeHA1(alg, username, realm, '\0unknown');
    }
    const input: DigestInput = { algorithm: alg as DigestAlgorithm, username, realm, ha1, nonce, method, uri };
    if (qop !== undefined) {
      input.qop = qop;
      input.nc = ncText;
      input.cnonce = cnonce;
      if (body !== undefined) input.body = body;
    }
    const expected = computeDigestResponse(input) ?? '';
    const match = safeEqualHex(expected, response.toLowerCase());
    if (!known) {
      out.result = 'unknown-user';
      return out;
    }
    if (!match) {
      out.result = 'bad-credentials';
      return out;
    }
    out.result = 'ok';
    out.use = { nonce, nc, qop: qop !== undefined, issuedAt };
    return out;
  }

  /**
   * The stateful half of verify(): a nonce used once more. `replay` when
   * the nonce-count is not greater than the last one accepted for that
   * nonce; `stale` when the nonce was evicted from the table (see the
   * module comment) or, without qop, was already used once.
   */
  acceptUse(use: NonceUse): 'ok' | 'stale' | 'replay' {
    const seen = this.used.get(use.nonce);
    if (seen === undefined) {
      if (use.issuedAt <= this.evictedWatermark) return 'stale';
      this.remember(use.nonce, use.nc, use.issuedAt, use.key);
      return 'ok';
    }
    // The same request again (a UDP retransmission): its caller answers it again, as a stateless UAS does.
    if (use.key !== undefined && use.key === seen.key && use.nc === seen.nc) return 'ok';
    // Without qop there is no nonce-count: a nonce authenticates one request, then the client is re-challenged.
    if (!use.qop) return 'stale';
    // "the server ... can detect ... a replay ... if the nc-value is not greater" (RFC 7616 §3.4).
    if (use.nc <= seen.nc) return 'replay';
    seen.nc = use.nc;
    seen.key = use.key;
    return 'ok';
  }

  /**
   * H(username:realm:password), kept for the last credentials seen per
   * username and algorithm: a phone re-registers with the same password,
   * and one hash less per request counts at thousands of REGISTERs a second.
   */
  private ha1Of(alg: DigestAlgorithm, username: string, realm: string, password: string): string {
    const key = alg + '\0' + username;
    const hit = this.ha1Cache.get(key);
    if (hit !== undefined && hit.password === password && hit.realm === realm) return hit.ha1;
    const ha1 = computeHA1(alg, username, realm, password);
    // Bounded by the credential store's usernames; cleared whole if something floods it with new names.
    if (this.ha1Cache.size >= 4096) this.ha1Cache.clear();
    this.ha1Cache.set(key, { password, realm, ha1 });
    return ha1;
  }

  /** Number of nonces remembered for replay detection (for metrics and tests). */
  trackedNonces(): number {
    return this.used.size;
  }

  private remember(nonce: string, nc: number, issuedAt: number, key: string | undefined): void {
    // Drop from the front (the oldest first): expired entries, and the oldest when the table is full.
    const now = this.clock.monotonic();
    while (this.usedCount > 0) {
      const oldest = this.usedOrder[this.usedHead]!;
      const entry = this.used.get(oldest);
      if (entry !== undefined) {
        const fresh = now - entry.issuedAt < this.lifetime;
        if (this.usedCount < this.maxTracked && fresh) break;
        this.used.delete(oldest);
        if (fresh && entry.issuedAt > this.evictedWatermark) this.evictedWatermark = entry.issuedAt;
      }
      this.usedOrder[this.usedHead] = '';
      this.usedHead = (this.usedHead + 1) % this.maxTracked;
      this.usedCount--;
    }
    this.usedOrder[(this.usedHead + this.usedCount) % this.maxTracked] = nonce;
    this.usedCount++;
    this.used.set(nonce, { nc, issuedAt, key });
  }

  /** Returns the issue time of a nonce we made, or undefined. */
  private checkNonce(nonce: string): number | undefined {
    if (nonce.length !== NONCE_TEXT_LENGTH || !NONCE_RE.test(nonce)) return undefined;
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== NONCE_BYTES) return undefined;
    const mac = this.mac(buf).subarray(0, 16);
    if (!timingSafeEqual(mac, buf.subarray(16, 32))) return undefined;
    const issued = buf.readBigUInt64BE(0);
    return Number(issued);
  }

  /** HMAC-SHA-256(key, NONCE_DOMAIN || realm || buf[0..16]), from the precomputed pads. */
  private mac(buf: Buffer): Buffer {
    const inner = this.macInner;
    buf.copy(inner, inner.length - 16, 0, 16);
    hash('sha256', inner, 'buffer').copy(this.macOuter, 64);
    return hash('sha256', this.macOuter, 'buffer');
  }
}

/** Constant-time comparison of two hex digests of equal (public) length. */
function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'latin1');
  const bb = Buffer.from(b, 'latin1');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
