// Specimen MRZ lines of the CR/CT permit cards and of the documents passengers scan by mistake.
//
// No public photograph or transcription of a real card's MRZ was found (searched: public code, pages, docs; see
// docs/documents.md). These specimens are therefore BUILT from the layout the public sources give, with invented
// holders in the usual specimen style, and every check digit derived by hand below (ICAO 9303 part 3 section 4.9:
// weights 7-3-1 repeating, digits as themselves, A=10 ... Z=35, `<` = 0, the check digit is the sum mod 10).
// Layout sources:
//   - DAC8811/QinLin_PassportReader, PassportReader/PassportReaderAPI/back_up/zhangdi_utils/utils_zhangdi.cpp
//     (checkHXZMRZ, checkTWMMRZ, processHXZJson, processTWMJson; checkHKTWMRZ for CS/CD)
//   - YUFOHON/PassportReader EepMrzParser.java and DocumentTypeDetector.java (as summarised in
//     /work/shared/research/station-practice.md "MRZ of the Chinese travel permits")
//   - research/mrz.md section 5.2 (the same code, re-read)
// Specimen identity numbers: the HK ID "A123456(3)" is the usual example of the HK format (letter, 6 digits, check
// character; written here without its parentheses, an assumption: docs/documents.md); the Taiwan ID "A123456789" is
// the example of enylin/taiwan-id-validator's README (letter + 9 digits).

/** CR, a Hong Kong resident: permit H12345678, issue 01, expires 2030-01-15, M, born 1988-04-12 (flag B = 19xx). */
export const CR_HK = ['CRH1234567830133001156M8804123', '<<<<<<<<<<<<<<<<<<BA1234563<48', 'CHAN<<TAI<MAN<<<<<<<<<<<<<<<<<'];
// line 1 [2-10]  'H12345678': H:17x7 + 1x3 + 2x1 + 3x7 + 4x3 + 5x1 + 6x7 + 7x3 + 8x1 = 119+3+2+21+12+5+42+21+8 = 233 -> 3 ([11])
// line 1 [12-13] '01': 0x7 + 1x3 = 3 -> 3 ([14])
// line 1 [15-20] '300115': 3x7 + 0x3 + 0x1 + 1x7 + 1x3 + 5x1 = 21+7+3+5 = 36 -> 6 ([21])
// line 1 [23-28] '880412': 8x7 + 8x3 + 0x1 + 4x7 + 1x3 + 2x1 = 56+24+28+3+2 = 113 -> 3 ([29])
// line 2 [19-27] 'A1234563<': A:10x7 + 1x3 + 2x1 + 3x7 + 4x3 + 5x1 + 6x7 + 3x3 + <:0 = 70+3+2+21+12+5+42+9 = 164 -> 4 ([28])
// line 2 [29] composite over L1[2-21] + L1[23-29] + L2[19-28] = 'H1234567830133001156' + '8804123' + 'A1234563<4':
//   weights run on across the three parts; sum = 618 -> 8

/** CR, a Macao resident: permit M87654321, issue 00, expires 2029-09-30, F, born 2012-03-05 (flag C = 20xx). */
export const CR_MO = ['CRM8765432140002909303F1203059', '<<<<<<<<<<<<<<<<<<C12345678<82', 'WONG<<KA<YAN<<<<<<<<<<<<<<<<<<'];
// 'M87654321': M:22x7 + 8x3 + 7x1 + 6x7 + 5x3 + 4x1 + 3x7 + 2x3 + 1x1 = 154+24+7+42+15+4+21+6+1 = 274 -> 4
// '00' -> 0;  '290930': 2x7 + 9x3 + 0 + 9x7 + 3x3 + 0 = 14+27+63+9 = 113 -> 3;  '120305': 7+6+0+21+0+5 = 39 -> 9
// '12345678<': 1x7 + 2x3 + 3x1 + 4x7 + 5x3 + 6x1 + 7x7 + 8x3 + 0 = 7+6+3+28+15+6+49+24 = 138 -> 8
// composite over 'M8765432140002909303' + '1203059' + '12345678<8': sum = 592 -> 2

/** CT: permit 01234567, issue 02, expires 2031-06-30, F, born 1995-02-28, Taiwan ID A123456789, office HKGL. */
export const CT_TW = ['CT01234567<60263106305F9502286', '<<<<<<<<<<<<<<<<<<BA1234567895', 'LIN<<MEI<HUA<<<<<<<<<<<<<<HKGL'];
// '01234567<': 0x7 + 1x3 + 2x1 + 3x7 + 4x3 + 5x1 + 6x7 + 7x3 + 0 = 3+2+21+12+5+42+21 = 106 -> 6 (the same as over
//   the 8 digits alone: the trailing `<` adds 0, so the 8- and 9-column readings of public code agree)
// '02': 2x3 = 6 -> 6;  '310630': 21+3+0+42+9+0 = 75 -> 5;  '950228': 63+15+0+14+6+8 = 106 -> 6
// composite over '01234567<60263106305' + '9502286' + 'A123456789': sum = 575 -> 5 (no own check digit for
//   the Taiwan ID: its 10 characters fill the field up to the composite)

/** Exit permits (1x30, QinLin checkHKTWMRZ layout), scanned by mistake: recognised, never read as a document. */
export const CS_LINE = 'CSC123456788<3001156<8804123<4';
// 'C12345678': C:12x7 + 3 + 2 + 21 + 12 + 5 + 42 + 21 + 8 = 198 -> 8; '300115' -> 6; '880412' -> 3;
// composite over 'C123456788' + '3001156' + '8804123' (L[2-11] + L[13-19] + L[21-27]): sum = 404 -> 4 ([29])
// The gate checks none of these digits: an exit permit is refused as such whatever they say.
export const CD_LINE = 'CDT123456787<3001156<8804123<6'; // 'T12345678' -> 7; composite sum 516 -> 6
