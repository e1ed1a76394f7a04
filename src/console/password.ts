// Technicians' passwords: only an scrypt hash is in the config (`gate console hash-password` prints one), so a copied
// config file does not hand out the console. Format: scrypt$N$r$p$<salt base64>$<hash base64>.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key))));

/** N=2^15, r=8, p=1: about 50 ms on a gate's CPU, 32 MB of memory, per sign-in attempt. */
const DEFAULT = { N: 1 << 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

export async function hashPassword(password: string, params = DEFAULT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...params, maxmem: 128 * params.N * params.r * 2 });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/**
 * A stored hash this code can check, or the reason it cannot (one phrase: the config check says it, so a truncated
 * or hand-made hash is refused at the config instead of failing every sign-in with "wrong name or password").
 */
export function readScryptHash(stored: string): ScryptHash | string {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'not scrypt$N$r$p$salt$hash';
  const [N, r, p] = parts.slice(1, 4).map(Number);
  // Bounds keep a hostile or mistyped hash from making one sign-in take minutes or gigabytes.
  if (!Number.isInteger(N) || N < 2 || N > 1 << 20 || (N & (N - 1)) !== 0) return `N must be a power of two up to 2^20, got ${parts[1]}`;
  if (!(Number.isInteger(r) && r >= 1 && r <= 32)) return `r must be 1-32, got ${parts[2]}`;
  if (!(Number.isInteger(p) && p >= 1 && p <= 16)) return `p must be 1-16, got ${parts[3]}`;
  const salt = Buffer.from(parts[4], 'base64');
  const key = Buffer.from(parts[5], 'base64');
  if (salt.length < 8) return `the salt is ${salt.length} bytes, expected at least 8 (truncated when copied?)`;
  if (key.length < 16) return `the hash is ${key.length} bytes, expected at least 16 (truncated when copied?)`;
  return { N, r, p, salt, key };
}

/** True when `password` matches `stored`; false for a wrong password and for a hash this code cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = readScryptHash(stored);
  if (typeof h === 'string') return false;
  const got = await scrypt(password, h.salt, h.key.length, { N: h.N, r: h.r, p: h.p, maxmem: 128 * h.N * h.r * 2 + 1024 * 1024 });
  return timingSafeEqual(got, h.key);
}
