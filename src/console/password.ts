// Technicians' passwords: only an scrypt hash is in the config (`gate console hash-password` prints one), so a copied
// config file does not hand out the console. Format: scrypt$N$r$p$<salt base64>$<hash base64>.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readScryptHash } from '../util/scrypt-hash.js';

export { readScryptHash, type ScryptHash } from '../util/scrypt-hash.js';

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

/** True when `password` matches `stored`; false for a wrong password and for a hash this code cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = readScryptHash(stored);
  if (typeof h === 'string') return false;
  const got = await scrypt(password, h.salt, h.key.length, { N: h.N, r: h.r, p: h.p, maxmem: 128 * h.N * h.r * 2 + 1024 * 1024 });
  return timingSafeEqual(got, h.key);
}
