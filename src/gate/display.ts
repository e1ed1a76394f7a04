// What the passenger display shows: a message code sent to the MCU (PROTOCOL.md, DISPLAY), with the train, car and
// seat for an open and the reason for a reject. The texts here are what the code means on the panel, for the demo
// and for technicians; the MCU holds its own copy in the display's language pack.
import type { Reason, TicketSummary, Message } from '../decide/reasons.js';
import type { DisplayCode, MessageOf, ReasonCode } from '../bridge/messages.js';
import { STR8_MAX } from '../bridge/messages.js';
import type { LaneMode } from './lane.js';

export type DisplayMessage = Omit<MessageOf<'display'>, 'kind'>;

export const DISPLAY_TEXT: Record<DisplayCode, Message> = {
  idle: { zh: '请刷证件', en: 'Please present your ID or passport' },
  checking: { zh: '正在核验，请稍候', en: 'Checking, please wait' },
  open: { zh: '请通行', en: 'Please pass through' },
  reject: { zh: '不能通行', en: 'Cannot pass' },
  closed: { zh: '本通道暂停使用，请走其他通道', en: 'This gate is closed. Please use another gate' },
  emergency: { zh: '紧急疏散，请迅速通过', en: 'Emergency: please move through quickly' },
  free: { zh: '请直接通行', en: 'Free passage: please walk through' },
  'fault-storage': { zh: '闸机故障，请走其他通道', en: 'Gate fault. Please use another gate' },
  'fault-link': { zh: '闸机故障，请走其他通道', en: 'Gate fault. Please use another gate' },
  'look-at-camera': { zh: '请正视摄像头，进行人脸核验', en: 'Please look at the camera for the face check' },
};

const blank = { train: '', car: '', seat: '' };

/** Printable ASCII only and at most 16 characters, as the wire carries (a seat like "12F" is unchanged). */
export function fit(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, STR8_MAX);
}

export function showOpen(ticket: TicketSummary | null): DisplayMessage {
  return ticket ? { code: 'open', reason: 'ok', train: fit(ticket.train), car: fit(ticket.car), seat: fit(ticket.seat) } : { code: 'open', reason: 'ok', ...blank };
}

export function showReject(reason: Reason): DisplayMessage {
  return { code: 'reject', reason: reason as ReasonCode, ...blank };
}

export function show(code: Exclude<DisplayCode, 'open' | 'reject'>, reason: ReasonCode = 'none'): DisplayMessage {
  return { code, reason, ...blank };
}

/** The resting screen for a lane. */
export function showIdle(mode: LaneMode, emergency: boolean, linkUp: boolean, storeFault: boolean): DisplayMessage {
  if (emergency) return show('emergency', 'emergency');
  if (!linkUp) return show('fault-link');
  if (storeFault) return show('fault-storage');
  if (mode === 'free') return show('free');
  if (mode === 'locked' || mode === 'maintenance') return show('closed', 'gate-mode');
  return show('idle');
}
