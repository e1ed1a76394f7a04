// A seeded PRNG for the fault suite: every fuzz case is reproducible from (seed, index). FAULTS_SEED overrides the
// default seed; a failure message names both.

/** mulberry32: small, fast, good enough to pick mutations. */
export function prng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(a: readonly T[]) => a[Math.floor(next() * a.length)],
    bytes: (n: number) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
  };
}

export interface Rng {
  next: () => number;
  int: (n: number) => number;
  pick: <T>(a: readonly T[]) => T;
  bytes: (n: number) => Uint8Array;
}

export const SEED: number = process.env.FAULTS_SEED ? Number(process.env.FAULTS_SEED) : 0x5eed8;

/** The PRNG of one case: seeded from the run seed and the case index, so one case replays alone. */
export function caseRng(family: string, index: number, seed = SEED): Rng {
  let h = seed >>> 0;
  for (let i = 0; i < family.length; i++) h = Math.imul(h ^ family.charCodeAt(i), 0x01000193) >>> 0;
  return prng((h ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

export type ByteMutation = 'bit-flip' | 'bit-flips' | 'byte-set' | 'insert' | 'delete' | 'truncate' | 'splice' | 'garbage';
export const BYTE_MUTATIONS: readonly ByteMutation[] = [
  'bit-flip',
  'bit-flips',
  'byte-set',
  'insert',
  'delete',
  'truncate',
  'splice',
  'garbage',
];

/** One mutation of `src`; `other` is the second frame a splice takes its tail from. */
export function mutateBytes(rng: Rng, kind: ByteMutation, src: Uint8Array, other: Uint8Array): Uint8Array {
  const out = Uint8Array.from(src);
  switch (kind) {
    case 'bit-flip': {
      const i = rng.int(out.length);
      out[i] ^= 1 << rng.int(8);
      return out;
    }
    case 'bit-flips': {
      const n = 2 + rng.int(7);
      for (let k = 0; k < n; k++) out[rng.int(out.length)] ^= 1 << rng.int(8);
      return out;
    }
    case 'byte-set': {
      const i = rng.int(out.length);
      out[i] = (out[i] + 1 + rng.int(255)) & 0xff;
      return out;
    }
    case 'insert': {
      const i = rng.int(src.length + 1);
      const n = 1 + rng.int(3);
      return Uint8Array.from([...src.subarray(0, i), ...rng.bytes(n), ...src.subarray(i)]);
    }
    case 'delete': {
      const i = rng.int(src.length);
      const n = 1 + rng.int(Math.min(3, src.length - i));
      return Uint8Array.from([...src.subarray(0, i), ...src.subarray(i + n)]);
    }
    case 'truncate':
      return src.slice(0, rng.int(src.length));
    case 'splice': {
      const i = rng.int(src.length);
      const j = rng.int(other.length);
      return Uint8Array.from([...src.subarray(0, i), ...other.subarray(j)]);
    }
    case 'garbage':
      return rng.bytes(1 + rng.int(2 * src.length));
  }
}

/** Cut bytes into 1..64-byte chunks, as a serial port delivers them. */
export function chunks(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + rng.int(64);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}
