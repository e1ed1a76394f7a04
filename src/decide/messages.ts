// What the lane display says for each reason, in Chinese and English: what happened and what to do next.
import type { Message, Reason } from './reasons.js';

export const MESSAGES: Record<Reason, Message> = {
  ok: { zh: '请通行', en: 'Please pass through' },
  unreadable: { zh: '证件读取失败，请重新放置证件', en: 'Could not read the document. Please place it on the reader again' },
  'document-invalid': {
    zh: '证件信息无效，请到人工通道办理',
    en: 'This document could not be validated. Please use the staffed gate',
  },
  'document-expired': { zh: '证件已过有效期，请到人工通道办理', en: 'This document has expired. Please use the staffed gate' },
  'not-verified': {
    zh: '护照未完成身份核验，请在12306网站或App上核验护照，或到车站售票窗口办理',
    en: 'Your passport is not verified. Please verify it online on 12306 (website or app) or at the station ticket window',
  },
  'verification-pending': {
    zh: '护照核验尚在审核中，请稍后再试或到车站售票窗口办理',
    en: 'Your passport verification is still being reviewed. Please try later or go to the station ticket window',
  },
  'verification-rejected': {
    zh: '护照核验未通过，请到车站售票窗口办理',
    en: 'Your passport verification was not approved. Please go to the station ticket window',
  },
  'identity-mismatch': {
    zh: '证件信息与购票身份信息不符，请到人工通道办理',
    en: 'The document does not match the traveller on record. Please use the staffed gate',
  },
  'no-ticket': { zh: '未查询到有效车票，请到售票窗口办理', en: 'No valid ticket found for this document. Please go to the ticket window' },
  'wrong-station': {
    zh: '车票不是本站乘车或到达，请核对车票',
    en: 'Your ticket is not for this station. Please check your ticket',
  },
  'too-early': {
    zh: '尚未到检票时间，请稍后再来',
    en: 'Boarding for your train has not started yet. Please come back later',
  },
  'too-late': { zh: '已过检票时间，请到售票窗口办理改签', en: 'Boarding for your train has closed. Please go to the ticket window to change your ticket' },
  'already-used': { zh: '车票已使用，请到人工通道咨询', en: 'This ticket has already been used. Please ask at the staffed gate' },
  'ticket-refunded': { zh: '车票已退票，请到售票窗口办理', en: 'This ticket has been refunded. Please go to the ticket window' },
  'cache-stale': {
    zh: '本闸机暂停自助检票，请到人工通道',
    en: 'This gate cannot check tickets right now. Please use the staffed gate',
  },
  'gate-mode': { zh: '本通道暂停使用，请走其他通道', en: 'This lane is closed. Please use another lane' },
  emergency: { zh: '紧急状态，闸机已打开，请有序离开', en: 'Emergency: the gates are open. Please leave calmly' },
  'face-mismatch': { zh: '人证核验未通过，请到人工通道办理', en: 'Your face could not be matched to your ID card. Please use the staffed gate' },
};

export function messageFor(reason: Reason): Message {
  return MESSAGES[reason];
}
