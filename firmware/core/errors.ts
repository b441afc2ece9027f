/**
 * Stable error codes shared by the console, the REST API and the logs.
 * Codes never change meaning once released; docs/errors.md lists them and a
 * test checks that the two agree.
 */
export const ERROR_CODES = {
  E_UNKNOWN_COMMAND: 'unknown command',
  E_BAD_ARGUMENTS: 'bad arguments',
  E_NOT_FOUND: 'not found',
  E_CONFIG_INVALID: 'configuration rejected by the schema',
  E_CONFIG_IO: 'configuration could not be written',
  E_BOARD_INVALID: 'board definition invalid',
  E_NOT_SUPPORTED: 'not supported on this board',
  E_CONFIRMATION_REQUIRED: 'confirmation required',
  E_INTERNAL: 'internal error',
  E_MEDIA_PORTS_EXHAUSTED: 'no free RTP/RTCP port pair in the range',
  E_MEDIA_CLOSED: 'media engine closed',
  E_MEDIA_FORMAT: 'unsupported or malformed media file',
  E_MODEM_TIMEOUT: 'the modem did not answer in time',
  E_MODEM_ERROR: 'the modem refused the request',
  E_MODEM_UNAVAILABLE: 'the modem line is not open',
  E_UNAUTHORIZED: 'login required',
  E_FORBIDDEN: 'not allowed for this account',
  E_CSRF: 'missing or wrong anti-forgery token',
  E_LOGIN_FAILED: 'wrong login or password',
  E_LOCKED_OUT: 'too many failed logins, try again later',
  E_PASSWORD_CHANGE_REQUIRED: 'the password must be changed first',
  E_WEAK_PASSWORD: 'password refused',
  E_CONFLICT: 'already in use',
  E_TOO_LARGE: 'too large',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PbxError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    super(message ?? ERROR_CODES[code]);
    this.name = 'PbxError';
  }
}

export function isPbxError(err: unknown): err is PbxError {
  return err instanceof PbxError;
}
