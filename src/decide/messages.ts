// What the lane display says for each reason, in Chinese and English: what happened and what to do next.
// One table for every reason and every staffed-check detail, so a language pack has one list to translate.
import type { Message, Reason, StaffedCheckDetail } from './reasons.js';

/** A reason, or the detail of a `staffed-check` (a more precise text for the same reason). */
export type MessageKey = Reason | StaffedCheckDetail;

export const MESSAGES: Record<MessageKey, Message> = {
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
  'staffed-check': { zh: '请到人工通道核验车票', en: 'Please go to the staffed gate to have your ticket checked' },
  'no-onward-ticket': {
    zh: '未查询到本站出发的换乘车票，请出站或到售票窗口办理',
    en: 'No onward ticket from this station was found. Please leave through the exit or go to the ticket window',
  },
  'transfer-window': {
    zh: '未查询到换乘时限内到达本站的车票，请到人工通道办理',
    en: 'No ticket arriving here within the transfer time was found. Please use the staffed gate',
  },
  'fare-adjustment': {
    zh: '您已越过车票到站，请到人工通道补票',
    en: 'You travelled past your ticket\'s destination. Please pay the difference at the staffed gate',
  },
  'present-passport-page': {
    zh: '您扫描的是签证，请扫描护照的个人资料页',
    en: 'This is a visa. Please scan the photo page of your passport',
  },
  'present-resident-card': {
    zh: '出入境通行证不能乘坐国内列车，请出示居民身份证',
    en: 'This exit permit is not valid for domestic trains. Please present your resident ID card',
  },
  'child-ticket-on-document': {
    zh: '本证件购有儿童票，请携儿童到人工通道检票',
    en: 'A child ticket was bought on this document. Please go with the child to the staffed gate',
  },
  'student-not-verified': {
    zh: '学生票尚未完成本学年优惠资质核验，请到人工通道出示学生证',
    en: 'This student ticket has not passed this year\'s concession check. Please show your student card at the staffed gate',
  },
  'student-outside-journey': {
    zh: '学生票不在登记的家校乘车区间内，请到人工通道出示学生证',
    en: 'This student ticket is outside your registered home-school journey. Please show your student card at the staffed gate',
  },
  'concession-check': {
    zh: '优待票须人工核验，请到人工通道出示优待证件',
    en: 'Concession tickets are checked by staff. Please show your concession card at the staffed gate',
  },
};

/** The passenger's message: the staffed-check detail's own text when there is one. */
export function messageFor(reason: Reason, detail?: StaffedCheckDetail): Message {
  return MESSAGES[reason === 'staffed-check' && detail ? detail : reason];
}
