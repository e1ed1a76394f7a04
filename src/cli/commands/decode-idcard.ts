// `gate decode idcard --hex HEX`: one ID-card reader read-response frame -> the Document JSON, or one line saying
// what is wrong with it (bad checksum, truncated frame, status word, number check char).
import { parseOptions, readStdin, writeJson, type Command } from '../command.js';
import { decodeIdCard, fromHex } from '../../readers/idcard/index.js';

export const decodeIdcardCommand: Command = {
  name: 'decode idcard',
  summary: 'decode an ID-card reader read response (hex) into the Document JSON',
  help: `usage: gate decode idcard --hex HEX
       gate decode idcard --hex -        (the hex on standard input)

Decodes one whole read-response frame of the ID-card reader's SAM module (command 30 01, or 30 10 with a
fingerprint block): AA AA AA 96 69 | LEN | 00 00 90 | lengths | 256-byte text | photo | CHK. Spaces, colons and
0x prefixes in the hex are ignored. The photo is never decoded or printed.

exit 0: the Document JSON on standard output
exit 1: one line on standard error naming what is wrong, e.g.
        reader/bad-checksum, reader/truncated, reader/read-failed (status word SW3=41),
        reader/bad-number-check (MOD 11-2 check char of the number)
exit 2: usage error

example:
  gate decode idcard --hex "$(cat frame.hex)"`,
  async run(args, io) {
    const { values } = parseOptions(args, { hex: { type: 'string' } });
    let hex = values.hex;
    if (hex === undefined) {
      io.stderr.write('gate decode idcard: missing --hex HEX (or --hex - to read it from standard input)\n');
      return 2;
    }
    if (hex === '-') hex = await readStdin(io);
    const bytes = fromHex(hex.trim());
    if (!bytes) {
      io.stderr.write('gate decode idcard: --hex is not an even number of hex digits\n');
      return 1;
    }
    const r = decodeIdCard(bytes);
    if (!r.ok) {
      io.stderr.write(`gate decode idcard: ${r.error.toLine()}\n`);
      return 1;
    }
    writeJson(io, r.document);
    return 0;
  },
};
