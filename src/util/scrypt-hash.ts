// Reading a stored scrypt password hash (scrypt$N$r$p$<salt base64>$<hash base64>): used by the console to check
// a password and by the config to refuse a hash no password can match. Pure, below both.

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
