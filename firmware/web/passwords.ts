import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes for the admin and user web (issue 10 §6): scrypt, as
 * "scrypt$N$r$p$<salt b64>$<hash b64>", so the cost can be raised later and
 * old hashes still verify. N = 2^14 takes about 50 ms on the board: slow
 * enough against guessing, fast enough for a login.
 */
const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password and for anything that is not one of our hashes (never throws). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > 1 << 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, Buffer.from(m[4]!, 'base64'), { N, r, p });
  return timingSafeEqual(key, expected);
}

/** Rules for a password a person chooses (user web first login, admin change). */
export function passwordProblem(password: string, forbidden: readonly string[] = []): string | undefined {
  if (password.length < 8) return 'at least 8 characters';
  if (password.length > 128) return 'at most 128 characters';
  if (/^\d+$/.test(password)) return 'not only digits';
  const lower = password.toLowerCase();
  if (forbidden.some((f) => f !== '' && lower === f.toLowerCase())) return 'not your login, name or number';
  return undefined;
}
