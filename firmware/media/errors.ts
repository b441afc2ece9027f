import { PbxError, type ErrorCode } from '../core/errors.ts';

/** The media engine's error codes, from the shared catalogue (core/errors.ts, docs/errors.md). */
export type MediaErrorCode = Extract<ErrorCode, `E_MEDIA_${string}`>;

/** A PbxError raised by the media engine; callers test `err.code`. */
export class MediaError extends PbxError {
  constructor(
    override readonly code: MediaErrorCode,
    message?: string,
  ) {
    super(code, message);
    this.name = 'MediaError';
  }
}

export function isMediaError(err: unknown): err is MediaError {
  return err instanceof MediaError;
}
