/**
 * Errors of the media engine. Their codes are stable strings in the spirit of
 * core/errors.ts (which media does not extend on its own: the catalogue is
 * shared). Callers test `err.code`.
 */
export const MEDIA_ERROR_CODES = {
  E_MEDIA_PORTS_EXHAUSTED: 'no free RTP/RTCP port pair in the range',
  E_MEDIA_CLOSED: 'media engine closed',
  E_MEDIA_FORMAT: 'unsupported or malformed media file',
} as const;

export type MediaErrorCode = keyof typeof MEDIA_ERROR_CODES;

export class MediaError extends Error {
  constructor(
    readonly code: MediaErrorCode,
    message?: string,
  ) {
    super(message ?? MEDIA_ERROR_CODES[code]);
    this.name = 'MediaError';
  }
}

export function isMediaError(err: unknown): err is MediaError {
  return err instanceof MediaError;
}
