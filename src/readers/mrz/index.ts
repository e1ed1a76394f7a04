// The MRZ reader: TD1/TD2/TD3 parsing into a Document, and the line assembler for scanner byte streams.
export { parseMrz, mrzLines, formatOf, MRZ_WARNINGS, type MrzFormat, type MrzParseResult } from './parse.js';
export { MrzError, FIELD_LABELS, type MrzErrorCode, type MrzField } from './errors.js';
export { MrzLineAssembler, type AssemblerOutput, type MrzDiscardReason, type MrzLineAssemblerOptions } from './line-assembler.js';
export { frameMrz, type MrzFraming, type MrzLineEnding, type FrameMrzOptions } from './framing.js';
export { MrzScanner, type MrzScannerEvents, type MrzScannerOptions } from './scanner.js';
