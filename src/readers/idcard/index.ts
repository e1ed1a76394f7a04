// The ID-card reader: SAM frames, the four card layouts, the reader session.
export { ReaderError, SW3_CODES, statusOf, type ReaderErrorCode, type StatusCode } from './errors.js';
export { PREAMBLE, MAX_LEN, checkFrame, encodeFrame, xorChecksum, toHex, fromHex } from './frame.js';
export { IdCardFramer, type FramerOutput, type DiscardReason } from './framer.js';
export {
  COMMANDS,
  COMMAND_NAMES,
  buildCommand,
  parseCommand,
  parseResponse,
  buildResponse,
  serializeResponse,
  type CommandName,
  type Response,
  type Result,
} from './codec.js';
export {
  encodeCardText,
  readCardFields,
  toDocument,
  decodeCardText,
  previousPrNumber,
  layoutOf,
  CARD_WARNINGS,
  type CardFields,
  type Layout,
} from './card-text.js';
export { decodeIdCard, buildReadResponse, syntheticPhoto, type DecodeResult } from './decode.js';
export { IdCardReader, type IdCardReaderEvents, type IdCardReaderOptions } from './reader.js';
export { initialSession, step, wakeAt, type SessionConfig, type SessionState, type SessionInput, type SessionEffect } from './session.js';
export { idCardReaderFromConfig, type ConfiguredIdCardReader } from './from-config.js';
