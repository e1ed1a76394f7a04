// Text -> boot-keyboard reports, the way a keyboard-wedge scanner types it: the HID fixture generator and the
// tests use it to make report sequences with rollover, repeated reports and report ids.
import { KEY_ENTER, KEY_KEYPAD_ENTER, keyFor } from './keymap.js';

export interface EncodeOptions {
  /** Press the next key before releasing the previous one (the report then holds both). */
  rollover?: boolean;
  /** Send every report this many times (a scanner repeating its last report). */
  repeat?: number;
  /** Prefix each report with this report id byte. */
  reportId?: number;
  /** Line end key: Enter (0x28, default) or keypad Enter (0x58). */
  enter?: 'enter' | 'keypad';
}

const report = (modifier: number, keys: number[], reportId?: number): number[] => {
  const r = [modifier, 0, ...keys, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return reportId === undefined ? r : [reportId, ...r];
};

export function encodeKeystrokes(text: string, opts: EncodeOptions = {}): number[][] {
  const out: number[][] = [];
  const push = (r: number[]) => {
    for (let i = 0; i < (opts.repeat ?? 1); i++) out.push(r);
  };
  let prev: { usage: number; modifier: number } | null = null;
  for (const ch of text.replace(/\r\n/g, '\r')) {
    const k = keyFor(ch);
    if (!k) throw new RangeError(`no US key types ${JSON.stringify(ch)}`);
    if (k.usage === KEY_ENTER && opts.enter === 'keypad') k.usage = KEY_KEYPAD_ENTER;
    if (opts.rollover && prev && prev.usage !== k.usage && prev.modifier === k.modifier) {
      // Rollover: the new key goes down while the previous is still held, then the previous comes up.
      push(report(k.modifier, [prev.usage, k.usage], opts.reportId));
      push(report(k.modifier, [k.usage], opts.reportId));
    } else {
      if (prev) push(report(0, [], opts.reportId));
      push(report(k.modifier, [k.usage], opts.reportId));
    }
    prev = k;
  }
  if (prev) push(report(0, [], opts.reportId));
  return out;
}
