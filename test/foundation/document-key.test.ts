// The bulk keyer (secret bound once) and the ASCII shortcut in the canonical form must give the very bytes the plain
// HMAC gives: a cache keyed one way and looked up the other would match nobody.
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIdentity, documentKey, documentKeyer } from '../../src/identity/document-key.js';
import { IDENTITY_KINDS, type DocumentIdentity } from '../../src/identity/document.js';

/** The canonical form as first written: NFKC on everything. */
const reference = (id: DocumentIdentity) => {
  const clean = (s: string) => s.normalize('NFKC').toUpperCase().replace(/[\s<]/g, '');
  return `${id.kind}|${clean(id.country)}|${clean(id.number)}`;
};
const plainHmac = (secret: string | Buffer, id: DocumentIdentity) => createHmac('sha256', secret).update(reference(id)).digest('hex');

// Document text as readers deliver it: MRZ fillers, spaces, lower case, full-width and other non-ASCII characters.
const docChar = fc.constantFrom(...'ABCXYZ0189<  abcz\tＤＥＵ１２ﬁßéİıÅ\u00a0\u3000'.split(''));
const docText = fc.array(docChar, { maxLength: 14 }).map((cs) => cs.join(''));
const identity = fc.record({ kind: fc.constantFrom(...IDENTITY_KINDS), country: docText, number: docText });

describe('document keys', () => {
  it('the bound keyer equals createHmac(secret) on 1000 random identities, for string and Buffer secrets', () => {
    const secrets: (string | Buffer)[] = [
      'test-aeff15d6362f85765ba3a78408830de61e1e8d3a39f19d278532327358833288',
      randomBytes(32),
      randomBytes(100),
      'é-not-ascii-secret',
      '',
    ];
    for (const secret of secrets) {
      const keyOf = documentKeyer(secret);
      fc.assert(
        fc.property(identity, (id) => {
          const want = plainHmac(secret, id);
          expect(keyOf(id)).toBe(want);
          expect(documentKey(secret, id)).toBe(want);
        }),
        { numRuns: 1000 },
      );
    }
  });

  it('the canonical form is unchanged by the ASCII shortcut', () => {
    fc.assert(
      fc.property(identity, (id) => {
        expect(canonicalIdentity(id)).toBe(reference(id));
      }),
      { numRuns: 1000 },
    );
    expect(canonicalIdentity({ kind: 'passport', country: 'ｄｅｕ', number: 'c01x 00t4<7' })).toBe('passport|DEU|C01X00T47');
  });

  it('a Buffer secret mutated after binding does not change the bound keyer', () => {
    const secret = Buffer.from('bench-sync-fc105fefc2576fbacfb7bcec1d5541b8b427a9dd81a36a602eb138808ffc3d9c');
    const id = { kind: 'passport', country: 'DEU', number: 'C01X00T47' } as DocumentIdentity;
    const keyOf = documentKeyer(secret);
    const before = keyOf(id);
    secret.fill(0);
    expect(keyOf(id)).toBe(before);
    expect(before).toBe(
      createHmac('sha256', 'bench-sync-fc105fefc2576fbacfb7bcec1d5541b8b427a9dd81a36a602eb138808ffc3d9c')
        .update('passport|DEU|C01X00T47')
        .digest('hex'),
    );
  });
});
