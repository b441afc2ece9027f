/**
 * SIP digest authentication (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760):
 * the server-side DigestAuthenticator (stateless nonces, nc replay
 * tracking) and client-side helpers to answer a challenge.
 */
export { DigestAuthenticator } from './authenticator.ts';
export type {
  NonceUse,
  CredentialLookup,
  DigestAuthenticatorOptions,
  ServerDigestAlgorithm,
  StoredCredential,
  VerifyOutcome,
  VerifyResult,
} from './authenticator.ts';
export {
  baseAlgorithm,
  buildAuthorization,
  computeDigestResponse,
  computeHA1,
  formatNc,
  parseAlgorithm,
  parseDigestChallenge,
  selectChallenge,
} from './digest.ts';
export type { BuildAuthorizationOptions, ClientCredentials, DigestAlgorithm, DigestChallenge, DigestInput } from './digest.ts';
export { MAX_AUTH_HEADER_LENGTH, MAX_AUTH_PARAMS, parseAuthParams, quote } from './params.ts';
export type { AuthParams } from './params.ts';
