/**
 * SIP message layer: parse, serialize, typed header accessors, factories.
 * Other modules import from here only.
 */
export type {
  CSeq,
  HeaderField,
  NameAddr,
  OtherUri,
  Params,
  ParseError,
  ParseErrorCode,
  ParseResult,
  SipHeaders,
  SipMessage,
  SipRequest,
  SipResponse,
  SipUri,
  TelUri,
  Transport,
  Uri,
  Via,
} from './types.ts';
export { parseMessage, PARSE_ERROR_CODES, DEFAULT_MAX_SIZE } from './parse.ts';
export type { ParseOptions } from './parse.ts';
export { serialize } from './serialize.ts';
export { StreamFramer } from './framer.ts';
export type { StreamFramerOptions } from './framer.ts';
export { HeaderList, headerKey, splitComma } from './headers.ts';
export {
  getVia,
  topVia,
  getCSeq,
  parseCSeq,
  getCallId,
  getFrom,
  getTo,
  getTag,
  getContacts,
  getExpires,
  getMaxForwards,
  getContentLength,
} from './accessors.ts';
export { formatVia, parseVia } from './via.ts';
export { parseNameAddr, formatNameAddr, parseParams, formatParams, quote } from './grammar.ts';
export { parseUri, formatUri, isSipUri, escape as escapeUriPart, unescape as unescapeUriPart } from './uri.ts';
export { createRequest, createResponse, newBranch, newTag, newCallId } from './factories.ts';
export type { RequestInit, ResponseOptions } from './factories.ts';
export { reasonPhrase } from './reason-phrases.ts';
