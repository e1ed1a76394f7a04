import type { Document } from '../../../src/identity/document.js';
import type { LaneDecision } from '../../../src/gate/lane.js';

export const PASSPORT: Document = {
  type: 'mrz',
  number: 'X1234567',
  nationality: 'GBR',
  nameLatin: 'TEST TRAVELLER',
  nameChinese: null,
  sex: 'F',
  birthDate: '1990-01-01',
  validFrom: null,
  validTo: '2030-01-01',
  warnings: [],
};

export const OPEN: LaneDecision = {
  decision: 'open',
  reason: 'ok',
  ticket: { id: 'T-1', train: 'G1234', car: '05', seat: '12F', departure: '2025-06-01T10:00:00+08:00' },
};
export const REJECT: LaneDecision = { decision: 'reject', reason: 'not-verified', ticket: null };
