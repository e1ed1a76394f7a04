// Boot-keyboard input reports -> typed text, the way a host keyboard driver would see a keyboard-wedge scanner.
// A report is `modifier, reserved, key1..key6` (USB HID 1.11 appendix B.1), possibly behind a report-id byte.
// Only keys that are newly down are typed (a key held into the next report, or a repeated identical report, types
// nothing); a release report clears the state. Pure and total: odd reports are counted, never thrown.
import { KEY_ERROR_ROLLOVER, MOD_ALT, MOD_CTRL, MOD_GUI, MOD_SHIFT, US_KEYS, keypadDigit } from './keymap.js';

export interface HidDecoderStats {
  reports: number;
  /** Reports too short to be a keyboard report. */
  malformed: number;
  /** Keys with no character on a US layout, or pressed with Ctrl/GUI. */
  ignoredKeys: number;
  /** ErrorRollOver reports (too many keys down): the state is kept as it was. */
  rollover: number;
}

export class HidKeyboardDecoder {
  private down = new Set<number>();
  private altCode = '';
  readonly stats: HidDecoderStats = { reports: 0, malformed: 0, ignoredKeys: 0, rollover: 0 };

  /** The characters typed by this report ('\r' for Enter and keypad Enter). */
  feed(report: Uint8Array): string {
    this.stats.reports++;
    // 8 bytes: a boot report. 9 bytes: the same behind a report id (hidraw passes numbered reports through).
    const r = report.length === 9 ? report.subarray(1) : report;
    if (r.length < 3) {
      this.stats.malformed++;
      return '';
    }
    const modifier = r[0];
    const keys = r.subarray(2, Math.min(r.length, 8));
    if (keys.length > 0 && keys.every((k) => k === KEY_ERROR_ROLLOVER)) {
      this.stats.rollover++;
      return '';
    }
    let out = '';
    const alt = (modifier & MOD_ALT) !== 0;
    if (!alt && this.altCode) {
      // Alt released after Alt+keypad digits: the character with that code (layout-independent wedges use this).
      const code = Number(this.altCode) & 0xff;
      this.altCode = '';
      out += String.fromCharCode(code);
    }
    const now = new Set<number>();
    for (const k of keys) {
      if (k === 0) continue;
      now.add(k);
      if (this.down.has(k)) continue;
      out += this.type(k, modifier);
    }
    this.down = now;
    return out;
  }

  /** Forget held keys (the device was reopened). */
  reset(): void {
    this.down.clear();
    this.altCode = '';
  }

  private type(usage: number, modifier: number): string {
    if (modifier & MOD_ALT) {
      const d = keypadDigit(usage);
      if (d !== null) {
        this.altCode += String(d);
        return '';
      }
    }
    const chars = US_KEYS.get(usage);
    if (!chars || modifier & (MOD_CTRL | MOD_GUI | MOD_ALT)) {
      this.stats.ignoredKeys++;
      return '';
    }
    return chars[modifier & MOD_SHIFT ? 1 : 0];
  }
}
