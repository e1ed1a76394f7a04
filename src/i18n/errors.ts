// The passenger-language layer's one error type. A broken pack is a build defect (the packs ship with the code, a
// test checks them); unreadable CLDR data costs only the passenger's language, never a passage: English is shown.
import { GateError, type Recovery } from '../util/gate-error.js';

export const I18N_ERROR_CODES = {
  /** A pack file does not match the pack schema: the build is broken. */
  'pack-invalid': 'fatal',
  /** cldr-core's territory data is missing or not of the expected shape: passengers get English. */
  'territory-data': 'drop',
} as const satisfies Record<string, Recovery>;

export type I18nErrorCode = keyof typeof I18N_ERROR_CODES;

export class I18nError extends GateError<I18nErrorCode> {
  constructor(code: I18nErrorCode, message: string, options?: { cause?: unknown }) {
    super('i18n', code, message, I18N_ERROR_CODES[code], options);
  }
}
