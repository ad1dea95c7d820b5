// Why a registry token was refused, as a closed set of reasons: logs and tests name the
// reason, while clients get one `invalid_token` answer whatever it was.
import { errors } from 'jose';

export type TokenErrorReason =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'invalid_claims';

export class TokenError extends Error {
  readonly reason: TokenErrorReason;

  constructor(reason: TokenErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(`token refused (${reason}): ${message}`, options);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

const claimReasons: Record<string, TokenErrorReason> = { nbf: 'not_yet_valid', aud: 'wrong_audience', iss: 'wrong_issuer', iat: 'expired' };

/** A jose verification error as a TokenError; anything unrecognised counts as malformed. */
export function describeJoseError(error: unknown): TokenError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof errors.JWTExpired) return new TokenError('expired', message, { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenError(claimReasons[error.claim] ?? 'invalid_claims', message, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new TokenError('algorithm_not_allowed', message, { cause: error });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenError('bad_signature', message, { cause: error });
  return new TokenError('malformed', message, { cause: error });
}
