// Whether a secret is strong enough to be the station's document key. Every keyed record (docKey, birthKey, the key
// id) lets someone who knows one input (their own document) test guesses of the key offline at HMAC speed; only the
// key's entropy stops that. Length alone is not entropy: "aaaa...a" or "abcabc..." is long and guessable.
// The estimate is deliberately conservative: for each character, log2 of the size of the smallest alphabet class it
// belongs to (hex digits 4 bits, base64/alphanumeric ~6, other printable ~6.5), counted only for characters that do
// not continue a run or repeat an earlier block; and a string with few distinct characters is capped by them.

export const MIN_KEY_BITS = 128;

function bitsPerChar(s: string): number {
  if (/^[0-9a-fA-F]+$/.test(s)) return 4;
  if (/^[0-9A-Za-z+/=_-]+$/.test(s)) return 6;
  return 6.5;
}

/** The length of the string once periodic repetition is removed: "abcabcabc" -> 3, "ab12ab12x" -> 5. */
function aperiodicLength(s: string): number {
  let n = s.length;
  for (let period = 1; period <= s.length / 2; period++) {
    let same = 0;
    for (let i = period; i < s.length; i++) if (s[i] === s[i - period]) same++;
    // A string that mostly repeats itself at some period carries little more than one period of it.
    if (same >= (s.length - period) * 0.8) n = Math.min(n, period + (s.length - period - same));
  }
  return n;
}

/** Count characters that are not the continuation of an ascending/descending/constant run ("abcdef", "111111", "987"). */
function nonRunLength(s: string): number {
  let n = Math.min(s.length, 2);
  for (let i = 2; i < s.length; i++) {
    const d1 = s.charCodeAt(i) - s.charCodeAt(i - 1);
    const d2 = s.charCodeAt(i - 1) - s.charCodeAt(i - 2);
    if (!(d1 === d2 && Math.abs(d1) <= 1)) n++;
  }
  return n;
}

/** A conservative estimate, in bits, of the secret's entropy. */
export function estimateKeyBits(secret: string): number {
  if (secret.length === 0) return 0;
  const distinct = new Set(secret).size;
  const effective = Math.min(aperiodicLength(secret), nonRunLength(secret));
  // Drawing from `distinct` symbols cannot give more than log2(distinct) bits a character.
  const perChar = Math.min(bitsPerChar(secret), Math.log2(Math.max(distinct, 1)));
  return Math.floor(effective * perChar);
}

/** Null when strong enough, else the one-line reason (never the secret itself). */
export function weakKeyReason(secret: string): string | null {
  const bits = estimateKeyBits(secret);
  if (bits >= MIN_KEY_BITS) return null;
  return `estimated ${bits} bits of entropy, expected at least ${MIN_KEY_BITS}: use a random key, e.g. openssl rand -hex 32`;
}
