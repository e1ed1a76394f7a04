// The config section `passengerLanguage`: a station's overrides of the language CLDR gives a nationality (e.g. a
// border station whose Kazakh passengers prefer Russian, or Belgian passengers served in French).
import { z } from 'zod';
import { PACK_LANGUAGES } from './packs.js';

export const passengerLanguageSchema = z
  .object({
    byNationality: z
      .record(
        z.string().regex(/^[A-Z]{1,3}$/, 'a nationality as the document prints it: 3 upper-case letters (ISO or ICAO), or D'),
        z.enum(PACK_LANGUAGES),
      )
      .default({})
      .describe(
        `Overrides of the language chosen from CLDR for a nationality (as printed on the document, e.g. "BEL", "KAZ", "D"): the pack the passenger's texts come from, one of ${PACK_LANGUAGES.join(', ')}. Chinese resident ID cards and HK/Macao/Taiwan permits stay Chinese.`,
      ),
  })
  .strict()
  .describe("The passenger's language on the lane display (beside Chinese) and in `gate decide`: chosen from the document's nationality.");

export type PassengerLanguageConfig = z.infer<typeof passengerLanguageSchema>;
