// How scanners put MRZ lines on the wire (research/mrz.md 4.1), as a pure encoder: the scanner simulator writes
// these bytes and the assembler tests read them back. The decoder is MrzLineAssembler.
export type MrzFraming =
  | 'plain' // each line followed by the line ending
  | 'stx-etx' // STX, lines with endings, ETX
  | '3m' // SOH lenLo lenHi "OU" STX flag, lines `_`-padded + CR, ETX BCC
  | 'access-is' // 1C 02, lines + CR, 03 1D
  | 'regula' // lines joined by ^, then the line ending
  | 'separator-only'; // Honeywell OCR mode: one separator between lines, none after the last

export type MrzLineEnding = 'CR' | 'LF' | 'CRLF';

export interface FrameMrzOptions {
  framing?: MrzFraming;
  lineEnding?: MrzLineEnding;
}

const ENDINGS: Record<MrzLineEnding, string> = { CR: '\r', LF: '\n', CRLF: '\r\n' };

const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

export function frameMrz(lines: readonly string[], opts: FrameMrzOptions = {}): Uint8Array {
  const end = ENDINGS[opts.lineEnding ?? 'CR'];
  switch (opts.framing ?? 'plain') {
    case 'plain':
      return bytes(lines.map((l) => l + end).join(''));
    case 'stx-etx':
      return bytes(`\x02${lines.map((l) => l + end).join('')}\x03`);
    case 'access-is':
      return bytes(`\x1c\x02${lines.map((l) => l + '\r').join('')}\x03\x1d`);
    case 'regula':
      return bytes(lines.join('^') + end);
    case 'separator-only':
      return bytes(lines.join(end));
    case '3m':
      return frame3m(lines);
  }
}

/**
 * 3M RTE native block. The manual pages found give the layout but neither the length word's exact span nor the BCC
 * algorithm, so this writes the length of "OU" through ETX and an XOR BCC; the assembler relies on neither.
 */
function frame3m(lines: readonly string[]): Uint8Array {
  // Three-line documents are padded to 30, two-line ones to 44; a missing top line still sends its CR.
  const width = lines.length === 3 ? 30 : 44;
  const padded = lines.map((l) => l.padEnd(width, '_'));
  const text = (lines.length === 3 ? padded : ['', ...padded]).map((l) => l + '\r').join('');
  const body = bytes(`OU\x02\x30${text}\x03`);
  const out = new Uint8Array(3 + body.length + 1);
  out[0] = 0x01;
  out[1] = body.length & 0xff;
  out[2] = (body.length >> 8) & 0x3f;
  out.set(body, 3);
  let bcc = 0;
  for (let i = 1; i < out.length - 1; i++) bcc ^= out[i];
  out[out.length - 1] = bcc;
  return out;
}
