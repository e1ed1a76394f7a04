import { describe, expect, it } from 'vitest';
import { runGate } from '../../support/cli.js';
import { documentSchema } from '../../../src/identity/document.js';
import { V } from './vectors.js';

const decode = (input: string) => runGate(['decode', 'mrz'], input);

describe('gate decode mrz', () => {
  it('exit 0 and the Document JSON for a valid MRZ (surrounding whitespace, CRLF)', async () => {
    const r = await decode(`\r\n${V.V13.join('\r\n')}\r\n`);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const doc = documentSchema.parse(JSON.parse(r.out));
    expect(doc).toMatchObject({ type: 'mrz', number: 'C01X0006H', issuingState: 'DEU', nationality: 'DEU', format: 'TD3' });
  });

  it('exit 1 and one stderr line naming the field whose check digit is wrong', async () => {
    const r = await decode(V.V20bad2.join('\n'));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain('mrz/check-digit');
    expect(r.err).toContain('check digit of birth date is 8, expected 7');
  });

  it.each([
    ['not an MRZ', 'mrz/bad-shape'],
    ['', 'mrz/empty'],
    [V.V9.join('\n'), 'mrz/visa'],
  ])('%j -> %s', async (input, code) => {
    const r = await decode(input);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain(code);
  });
});
