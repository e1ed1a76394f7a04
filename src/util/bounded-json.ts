// JSON from the network, parsed within bounds decided here, never by the input: the byte length is checked before
// anything else, then one linear, non-recursive scan checks nesting depth, duplicate keys and `__proto__` members,
// and only then does JSON.parse build the value. A message that nests 10,000 levels or repeats a key is refused with
// a code, never a RangeError; a member that JSON.parse would turn into a prototype-looking key never reaches a handler.

export type BoundedJsonCode = 'too-large' | 'malformed' | 'too-deep' | 'duplicate-key' | 'forbidden-key';

export type BoundedJson = { ok: true; value: unknown } | { ok: false; code: BoundedJsonCode; message: string };

export interface JsonBounds {
  /** Bytes (UTF-8) at most; checked before the text is decoded. */
  maxBytes: number;
  /** Objects and arrays nested at most this deep (a flat object is depth 1). */
  maxDepth: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Parse `input` as JSON within `bounds`; never throws. */
export function parseBoundedJson(input: Uint8Array | string, bounds: JsonBounds): BoundedJson {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > bounds.maxBytes) return { ok: false, code: 'too-large', message: `${size} bytes, the limit is ${bounds.maxBytes}` };
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  // What is not an object or array at all is refused without the cost of a parse exception (floods are mostly that).
  const first = text.trimStart().charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) return { ok: false, code: 'malformed', message: 'not a JSON object or array' };
  const scan = scanStructure(text, bounds.maxDepth);
  if (scan) return scan;
  // A flood of garbage makes JSON.parse throw thousands of times a second: without a stack trace to capture, each
  // throw costs the lane's thread a fraction of what it would.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, code: 'malformed', message: `not JSON: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    Error.stackTraceLimit = limit;
  }
}

interface Level {
  object: boolean;
  keys: Set<string> | null;
  /** In an object: the next string is a key. */
  expectKey: boolean;
}

/** Depth, duplicate and forbidden keys, in one pass with an explicit stack; syntax itself is JSON.parse's job. */
function scanStructure(text: string, maxDepth: number): BoundedJson | null {
  const stack: Level[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return { ok: false, code: 'malformed', message: 'unterminated string' };
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return { ok: false, code: 'malformed', message: 'bad escape in a key' };
        }
        if (FORBIDDEN_KEYS.has(key)) return { ok: false, code: 'forbidden-key', message: `member "${key}" is not allowed` };
        top.keys ??= new Set();
        if (top.keys.has(key)) return { ok: false, code: 'duplicate-key', message: `member "${key}" appears twice in one object` };
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return { ok: false, code: 'too-deep', message: `nested deeper than ${maxDepth} levels` };
      stack.push({ object: c === 0x7b, keys: null, expectKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (!stack.pop()) return { ok: false, code: 'malformed', message: 'unbalanced brackets' };
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
    }
  }
  return null;
}

/** Index of the quote that closes the string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return -1;
}
