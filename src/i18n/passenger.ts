// What the passenger is told, in their language: the reason's text from the pack chosen for the document (English
// when no document was read). For `gate decide`, the demo and the lane's display; events keep reason codes only.
import type { DocumentType } from '../identity/document.js';
import type { Logger } from '../util/log.js';
import { I18nError } from './errors.js';
import { cldrTerritoryData, passengerLanguage, type LanguageChoice } from './nationality.js';
import { FALLBACK_LANGUAGE, reasonText, type PackLanguage, type PassengerText } from './packs.js';

type Doc = { type: DocumentType; nationality: string };

export interface PassengerMessage extends PassengerText {
  /** Why this language (LanguageChoice.source), or no-document for a read that gave none. */
  source: LanguageChoice['source'] | 'no-document';
}

export function passengerMessage(reason: string, doc: Doc | null, byNationality?: Readonly<Record<string, string>>): PassengerMessage {
  const choice: { language: PackLanguage; source: PassengerMessage['source'] } = doc
    ? passengerLanguage(doc, { byNationality })
    : { language: FALLBACK_LANGUAGE, source: 'no-document' };
  return { ...reasonText(reason, choice.language), source: choice.source };
}

/**
 * The daemon's language picker for the lane: the language of each document's holder. If cldr-core cannot be read
 * the gate says so once in the log and passengers get English; it never stops a passage.
 */
export function languagePicker(byNationality: Readonly<Record<string, string>>, log?: Logger): (doc: Doc) => PackLanguage {
  // Reading and checking CLDR's data takes some 20-30 ms: done once, soon after start, not on the first passenger.
  setTimeout(() => cldrTerritoryData(), 0).unref();
  let told = false;
  return (doc) => {
    const data = cldrTerritoryData();
    if (data instanceof I18nError && !told) {
      told = true;
      log?.error({ err: data.toLine() }, 'passenger language: CLDR data unreadable, passengers get English');
    }
    return passengerLanguage(doc, { byNationality, data }).language;
  };
}
