// The face check's rules for the lane, pure: which documents are checked, and what an answer from the matcher
// means for the passenger. Kept beside lane.ts so the lane's own switch stays about phases.
import type { DocumentType } from '../identity/document.js';
import type { FaceAnswer } from '../face/client.js';
import type { FaceOutcome } from './events.js';

export interface LaneFaceRules {
  enabled: boolean;
  /** How long one match request may take before it counts as unavailable. */
  timeoutMs: number;
  /** How long the lane waits for a face to show (no-face answers) before it sends the passenger to the staffed lane. */
  noFaceWaitMs: number;
  /** A `match` below this score is a no-match (the module's own threshold may be higher). */
  minScore: number;
  /** A matcher that is down or late: `staffed` refuses (face-mismatch), `open` lets the ticket decide. */
  onUnavailable: 'staffed' | 'open';
}

/** The four chip layouts carry a photo; a passport read by MRZ does not, so its flow is unchanged. */
export const CHIP_CARD_TYPES: readonly DocumentType[] = ['cn-resident-id', 'cn-pr-2017', 'cn-pr-2023', 'cn-hmt-permit'];

export function faceRequired(rules: LaneFaceRules, docType: DocumentType | null): boolean {
  return rules.enabled && docType !== null && CHIP_CARD_TYPES.includes(docType);
}

export type FaceVerdict = { kind: 'final'; outcome: FaceOutcome; open: boolean } | { kind: 'ask-again' };

/** What one answer means, `waitedMs` after verifying-face began. */
export function judgeFace(rules: LaneFaceRules, a: FaceAnswer, waitedMs: number): FaceVerdict {
  switch (a.result) {
    case 'match':
      return (a.score ?? 0) >= rules.minScore
        ? { kind: 'final', outcome: 'match', open: true }
        : { kind: 'final', outcome: 'no-match', open: false };
    case 'no-match':
    case 'liveness-failed':
      return { kind: 'final', outcome: 'no-match', open: false };
    case 'no-face':
      return waitedMs < rules.noFaceWaitMs ? { kind: 'ask-again' } : { kind: 'final', outcome: 'no-match', open: false };
    case 'unavailable':
      return { kind: 'final', outcome: 'unavailable', open: rules.onUnavailable === 'open' };
  }
}
