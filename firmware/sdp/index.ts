/**
 * SDP (RFC 4566) and offer/answer (RFC 3264) for the B2BUA. Other modules
 * import from here only; see docs/sdp.md.
 */
export type {
  Attribute,
  Connection,
  MediaDescription,
  Origin,
  ParseSdpResult,
  SessionDescription,
  Timing,
  UnknownLine,
} from './types.ts';
export { parseSdp } from './parse.ts';
export { formatAttribute, formatConnection, formatOrigin, serializeSdp } from './serialize.ts';
export {
  DIRECTIONS,
  attributeValue,
  attributeValues,
  directionAttribute,
  directionOf,
  fmtpOf,
  maxptimeOf,
  parseRtpmap,
  payloadFormatOf,
  payloadFormats,
  ptimeOf,
  rtcpOf,
  rtpmapOf,
  withDirection,
  type RtcpAttribute,
  type RtpMap,
} from './attributes.ts';
export {
  DEFAULT_PTIME_MS,
  TELEPHONE_EVENT_FMTP,
  answerDirection,
  audioMediaIndex,
  buildAnswer,
  buildOffer,
  connectionOf,
  contentDiffers,
  effectiveDirection,
  holdDirection,
  intersectFormats,
  isHolding,
  isNullAddress,
  isUnchanged,
  makeOrigin,
  nextVersion,
  originKey,
  remoteFromSdp,
  resumeDirection,
  type AnswerOptions,
  type AnswerResult,
  type OfferOptions,
  type OriginSpec,
} from './offer-answer.ts';
