// HID keyboard-wedge scanners: boot-keyboard reports -> text for the MRZ line assembler.
export { HidKeyboardDecoder, type HidDecoderStats } from './keyboard-decoder.js';
export { encodeKeystrokes, type EncodeOptions } from './keyboard-encoder.js';
export { US_KEYS, keyFor } from './keymap.js';
