// USB HID keyboard usages (HID Usage Tables, page 0x07) on a US layout: what a keyboard-wedge MRZ scanner types.
// research/mrz.md 4.2: `<` is Left-Shift (0x02) + usage 0x36; lines end with Enter 0x28 or keypad Enter 0x58.

export const MOD_SHIFT = 0x02 | 0x20; // left or right shift
export const MOD_CTRL = 0x01 | 0x10;
export const MOD_ALT = 0x04 | 0x40;
export const MOD_GUI = 0x08 | 0x80;
export const LEFT_SHIFT = 0x02;
export const KEY_ENTER = 0x28;
export const KEY_KEYPAD_ENTER = 0x58;
/** Every key slot 0x01: the keyboard has too many keys down to report (USB HID 1.11 appendix B). */
export const KEY_ERROR_ROLLOVER = 0x01;

/** Usage -> [unshifted, shifted] characters. */
export const US_KEYS: ReadonlyMap<number, readonly [string, string]> = (() => {
  const m = new Map<number, readonly [string, string]>();
  for (let i = 0; i < 26; i++) m.set(0x04 + i, [String.fromCharCode(97 + i), String.fromCharCode(65 + i)]);
  const digits = '1234567890';
  const shifted = '!@#$%^&*()';
  for (let i = 0; i < 10; i++) m.set(0x1e + i, [digits[i], shifted[i]]);
  const more: Array<[number, string, string]> = [
    [0x28, '\r', '\r'],
    [0x2b, '\t', '\t'],
    [0x2c, ' ', ' '],
    [0x2d, '-', '_'],
    [0x2e, '=', '+'],
    [0x2f, '[', '{'],
    [0x30, ']', '}'],
    [0x31, '\\', '|'],
    [0x33, ';', ':'],
    [0x34, "'", '"'],
    [0x35, '`', '~'],
    [0x36, ',', '<'],
    [0x37, '.', '>'],
    [0x38, '/', '?'],
    [0x54, '/', '/'],
    [0x55, '*', '*'],
    [0x56, '-', '-'],
    [0x57, '+', '+'],
    [0x58, '\r', '\r'],
    [0x63, '.', '.'],
  ];
  for (const [k, a, b] of more) m.set(k, [a, b]);
  // Keypad digits 1-9, 0 (NumLock on: wedges that type digits on the keypad).
  for (let i = 0; i < 10; i++) m.set(0x59 + i, [digits[i], digits[i]]);
  return m;
})();

/** Keypad digit usages -> digit value, for Alt+keypad character codes. */
export function keypadDigit(usage: number): number | null {
  if (usage >= 0x59 && usage <= 0x61) return usage - 0x58;
  if (usage === 0x62) return 0;
  return null;
}

/** The usage and modifier that type `ch` on a US layout, or null when it has no key. */
export function keyFor(ch: string): { usage: number; modifier: number } | null {
  if (ch === '\r' || ch === '\n') return { usage: KEY_ENTER, modifier: 0 };
  for (const [usage, [plain, shifted]] of US_KEYS) {
    if (usage >= 0x54) continue; // prefer the main block over the keypad
    if (plain === ch) return { usage, modifier: 0 };
    if (shifted === ch) return { usage, modifier: LEFT_SHIFT };
  }
  return null;
}
