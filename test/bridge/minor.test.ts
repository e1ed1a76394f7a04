// A 1.0 panel is never sent a code 1.1 added (it would NAK the DISPLAY as bad-payload and show nothing): the daemon
// says the nearest 1.0 code instead (PROTOCOL.md 4.3). 1.0's codes are the ones up to `emergency` (0x10) and `none`.
import { describe, expect, it } from 'vitest';
import { DISPLAY_CODES, REASON_CODES, decodeMessage, encodePayload, forMinor, type MessageOf } from '../../src/bridge/messages.js';

const V1_0_REASON_MAX = 0x10;
const V1_0_DISPLAY_MAX = 0x08;
const display = (code: MessageOf<'display'>['code'], reason: MessageOf<'display'>['reason']): MessageOf<'display'> => ({
  kind: 'display',
  code,
  reason,
  train: '',
  car: '',
  seat: '',
  language: 'ja',
});

describe('DISPLAY to a 1.0 MCU', () => {
  it('every reason and display code 1.1 added reaches a 1.0 panel as a 1.0 code its decoder takes', () => {
    const newReasons = Object.entries(REASON_CODES).filter(([, c]) => c > V1_0_REASON_MAX && c !== 0xff);
    const newCodes = Object.entries(DISPLAY_CODES).filter(([, c]) => c > V1_0_DISPLAY_MAX);
    expect(newReasons.length).toBeGreaterThan(10);
    for (const [reason] of newReasons) {
      const said = forMinor(display('reject', reason as never), 0);
      expect(REASON_CODES[said.reason], reason).toSatisfy((c: number) => c <= V1_0_REASON_MAX || c === 0xff);
      // Decoded as a 1.0 receiver would: accepted, no language field.
      expect(decodeMessage(0x23, encodePayload(said), 0), reason).toMatchObject({ ok: true, msg: { kind: 'display', code: 'reject' } });
    }
    for (const [code] of newCodes)
      expect(DISPLAY_CODES[forMinor(display(code as never, 'none'), 0).code]).toBeLessThanOrEqual(V1_0_DISPLAY_MAX);
  });

  it('the nearest meaning, by hand: face-mismatch as identity-mismatch, overtravel as wrong-station, look-at-camera as checking', () => {
    expect(forMinor(display('reject', 'face-mismatch'), 0)).toMatchObject({ reason: 'identity-mismatch' });
    expect(forMinor(display('reject', 'fare-adjustment'), 0)).toMatchObject({ reason: 'wrong-station' });
    expect(forMinor(display('reject', 'child-ticket-on-document'), 0)).toMatchObject({ reason: 'none' });
    expect(forMinor(display('look-at-camera', 'none'), 0)).toMatchObject({ code: 'checking' });
    // A 1.0 code is said as it is, and a 1.1 MCU gets the 1.1 codes and the language unchanged.
    expect(forMinor(display('reject', 'not-verified'), 0)).toEqual({
      kind: 'display',
      code: 'reject',
      reason: 'not-verified',
      train: '',
      car: '',
      seat: '',
    });
    expect(forMinor(display('reject', 'face-mismatch'), 1)).toEqual(display('reject', 'face-mismatch'));
  });
});
