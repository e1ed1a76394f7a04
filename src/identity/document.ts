// The normalised identity document: what every reader produces and what `gate decode` prints.
// Field names are the contract of docs/design.md ("Contracts"); do not rename them.
import { z } from 'zod';

export const DOCUMENT_TYPES = ['cn-resident-id', 'cn-pr-2017', 'cn-pr-2023', 'cn-hmt-permit', 'mrz'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

export const documentSchema = z
  .object({
    type: z.enum(DOCUMENT_TYPES),
    number: z.string().min(1),
    nationality: z.string().min(1).max(3),
    nameLatin: z.string().nullable().optional(),
    nameChinese: z.string().nullable().optional(),
    sex: z.enum(['M', 'F', 'X']),
    birthDate: isoDate.nullable(),
    validFrom: isoDate.nullable().optional(),
    validTo: isoDate.nullable(),
    // PR 2023: the holder's 2017 number derived from the card's link field.
    previousNumber: z.string().optional(),
    renewalCount: z.number().int().optional(),
    // HK/Macao/Taiwan residence permit.
    permitNumber: z.string().optional(),
    issueCount: z.number().int().optional(),
    // MRZ documents.
    // CN-3x30: the Home Return Permit (CR) and Taiwan compatriot permit (CT) cards, not an ICAO layout (docs/documents.md).
    format: z.enum(['TD1', 'TD2', 'TD3', 'CN-3x30']).optional(),
    documentCode: z.string().optional(),
    issuingState: z.string().optional(),
    surname: z.string().optional(),
    givenNames: z.string().optional(),
    optionalData: z.string().optional(),
    // CR/CT permits: the holder's Hong Kong, Macao or Taiwan identity number.
    regionIdNumber: z.string().optional(),
    warnings: z.array(z.string()).default([]),
  })
  .strict();

export type Document = z.infer<typeof documentSchema>;

/** The kinds of document identity that central uses in its passenger and ticket records. */
export const IDENTITY_KINDS = [
  'passport',
  'cn-resident-id',
  'cn-pr',
  'cn-hmt-permit',
  'hk-mo-home-return-permit',
  'tw-compatriot-permit',
] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

export interface DocumentIdentity {
  kind: IdentityKind;
  country: string;
  number: string;
}

/** The identity central uses for this document (kind, country, number). */
export function identityOf(doc: Document): DocumentIdentity {
  switch (doc.type) {
    case 'cn-resident-id':
      return { kind: 'cn-resident-id', country: 'CHN', number: doc.number };
    case 'cn-hmt-permit':
      return { kind: 'cn-hmt-permit', country: 'CHN', number: doc.number };
    case 'cn-pr-2017':
    case 'cn-pr-2023':
      return { kind: 'cn-pr', country: doc.nationality, number: doc.number };
    case 'mrz':
      // The HK/Macao and Taiwan permit cards are their own identities at 12306, not passports.
      if (doc.documentCode === 'CR') return { kind: 'hk-mo-home-return-permit', country: 'CHN', number: doc.number };
      if (doc.documentCode === 'CT') return { kind: 'tw-compatriot-permit', country: 'CHN', number: doc.number };
      return { kind: 'passport', country: doc.issuingState ?? doc.nationality, number: doc.number };
  }
}

/** Every identity under which this holder may have bought a ticket (a 2023 PR card also matches its 2017 number). */
export function identitiesOf(doc: Document): DocumentIdentity[] {
  const main = identityOf(doc);
  if (doc.type === 'cn-pr-2023' && doc.previousNumber) {
    return [main, { kind: 'cn-pr', country: doc.nationality, number: doc.previousNumber }];
  }
  return [main];
}

/** True for chip cards read through the SAM: the chip is authenticated, no online verification record is needed. */
export function isChipCard(doc: Document): boolean {
  return doc.type !== 'mrz';
}

/** True for the CR/CT permit cards read by MRZ (not passports: no foreign-passport verification applies). */
export function isChinesePermit(doc: Document): boolean {
  return doc.type === 'mrz' && (doc.documentCode === 'CR' || doc.documentCode === 'CT');
}
