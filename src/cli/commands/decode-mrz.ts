// `gate decode mrz`: MRZ lines on standard input -> the Document JSON, or one line naming what is wrong (which
// field's check digit, which line is the wrong length...). The only place the MRZ path reads the machine clock.
import { parseOptions, readStdin, writeJson, type Command } from '../command.js';
import { parseMrz } from '../../readers/mrz/index.js';

export const decodeMrzCommand: Command = {
  name: 'decode mrz',
  summary: 'decode MRZ lines (standard input) into the Document JSON',
  help: `usage: gate decode mrz < lines.txt

Reads the 2 or 3 MRZ lines of a passport or ID card (TD1 3x30, TD2 2x36, TD3 2x44), or of a HK/Macao Home
Return Permit card (CR) or Taiwan compatriot permit card (CT) (3x30, format "CN-3x30", docs/documents.md), from
standard input, one per line (CR, LF or CRLF; surrounding blank space ignored), checks every check digit and the
composite, and prints the Document JSON. Two-digit years get their century from today's date (birth in the past, expiry at most about
20 years ahead). Letters OCR mistakes for digits in dates and check digits (O/0, I/1, B/8, S/5, Z/2, G/6) are
corrected only when the check digits then pass; each correction is listed in "warnings".

exit 0: the Document JSON on standard output
exit 1: one line on standard error naming what is wrong, e.g.
        mrz/check-digit: check digit of birth date is 3, expected 2
        mrz/bad-shape, mrz/bad-character, mrz/bad-date, mrz/unsupported
        mrz/visa (MRV-A/MRV-B: scan the passport's photo page), mrz/exit-permit (CS/CD: not for domestic trains)
exit 2: usage error

example:
  printf 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\\n' | gate decode mrz`,
  async run(args, io) {
    parseOptions(args, {});
    const r = parseMrz(await readStdin(io), new Date());
    if (!r.ok) {
      io.stderr.write(`gate decode mrz: ${r.error.toLine()}\n`);
      return 1;
    }
    writeJson(io, r.document);
    return 0;
  },
};
