// zod issues -> one line each a technician can act on: "<key path>: expected <what>, got <value>".
// Used for the config file and for snapshot files; never shows a raw zod dump.
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/** `rules.entry.opensMinutesBefore`, `tickets[3].departure`; the document root is `(top level)`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out || '(top level)';
}

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

export interface FormatOptions {
  /** Key names whose values are never printed (secrets, passwords). */
  maskKeys?: readonly string[];
}

/** A short printable form of a value; secrets are shown only by their length. */
export function describeValue(value: unknown, masked = false): string {
  if (value === undefined) return 'nothing';
  if (masked) return typeof value === 'string' ? `a hidden value of ${value.length} characters` : 'a hidden value';
  let text: string;
  try {
    // undefined for a function or a symbol: name its kind instead
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    // a BigInt, or an object that refers to itself
    text = typeof value === 'bigint' ? value.toString() : 'an object JSON cannot show';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  nan: 'a number',
};

// zod's own default messages start like this; a schema's custom message (e.g. "a station code ...") does not.
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized|Expected)/;

function bound(origin: string, op: string, limit: number | bigint): string {
  switch (origin) {
    case 'string':
      return `${op === '>=' ? 'at least' : 'at most'} ${limit} characters`;
    case 'array':
    case 'set':
      return `${op === '>=' ? 'at least' : 'at most'} ${limit} items`;
    default:
      return `a number ${op} ${limit}`;
  }
}

function expectation(issue: Issue): string {
  const custom = issue.message && !DEFAULT_MESSAGE.test(issue.message) ? issue.message : undefined;
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'too_small':
      return custom ?? bound(issue.origin, issue.inclusive === false ? '>' : '>=', issue.minimum);
    case 'too_big':
      return custom ?? bound(issue.origin, issue.inclusive === false ? '<' : '<=', issue.maximum);
    case 'invalid_format':
      if (custom) return custom;
      if (issue.format === 'datetime') return 'an ISO 8601 time with offset';
      if (issue.format === 'date') return 'a date YYYY-MM-DD';
      if (issue.format === 'regex' && 'pattern' in issue) return `text matching ${String(issue.pattern)}`;
      return `a valid ${issue.format}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    default:
      return custom ?? issue.message;
  }
}

/** One line per problem; unknown keys get one line per key. */
export function formatIssues(issues: readonly Issue[], input: unknown, opts: FormatOptions = {}): string[] {
  const mask = new Set(opts.maskKeys ?? []);
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        lines.push(`${formatPath(path)}: unknown key (check the spelling), got ${describeValue(valueAt(input, path), mask.has(key))}`);
      }
      continue;
    }
    const value = valueAt(input, issue.path);
    const last = issue.path[issue.path.length - 1];
    const masked = typeof last === 'string' && mask.has(last);
    // A cross-field rule (custom) may name a key left to its default.
    const got =
      value === undefined ? (issue.code === 'custom' ? 'its default' : 'nothing (the key is required)') : describeValue(value, masked);
    lines.push(`${formatPath(issue.path)}: expected ${expectation(issue)}, got ${got}`);
  }
  return lines;
}
