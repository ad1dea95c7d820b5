// From an `Authorization` header to who is asking:
// - `Basic` user:password (argon2id), or robot-name:API-token (`sgr_…`, SHA-256): the
//   principal itself, whose roles the policy then looks up;
// - `Bearer` a JWT from the token service: only its `access` claim, so a token for `a/x`
//   opens nothing else, whoever it was issued to.
// Every refusal is an AuthenticationError with a reason for logs and tests; clients get a
// 401 that does not say whether a name exists (unauthorizedError below).
import { RegistryError } from '../domain/errors.js';
import type { IdentityStore, PrincipalKind } from '../ports/identity-store.js';
import { parseApiToken, tokenSecretMatches } from './api-tokens.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import type { AccessEntry } from './scope.js';
import type { TokenErrorReason } from './token-errors.js';
import { TokenError } from './token-errors.js';
import type { RegistryTokenClaims, RegistryTokenService } from './token-service.js';

export type Principal = { kind: 'user'; id: string; name: string } | { kind: 'robot'; id: string; name: string; ownerId: string };

/** Who a bearer token was issued to: its `sub`, `<kind>:<name>`. */
export interface TokenSubject {
  kind: PrincipalKind;
  name: string;
}

export type Authentication =
  | { scheme: 'basic'; principal: Principal }
  | { scheme: 'bearer'; subject: TokenSubject; access: AccessEntry[]; claims: RegistryTokenClaims };

export type AuthErrorReason =
  | 'malformed_header'
  | 'unsupported_scheme'
  | 'unknown_user'
  | 'wrong_password'
  | 'unknown_robot'
  | 'wrong_token'
  | 'expired_credentials'
  | 'disabled'
  | 'invalid_token';

export class AuthenticationError extends Error {
  readonly reason: AuthErrorReason;
  /** Why the token service refused a bearer token. */
  readonly tokenReason?: TokenErrorReason;

  constructor(reason: AuthErrorReason, message: string, options: { cause?: unknown; tokenReason?: TokenErrorReason } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AuthenticationError';
    this.reason = reason;
    if (options.tokenReason) this.tokenReason = options.tokenReason;
  }
}

export function tokenSubject(principal: { kind: PrincipalKind; name: string }): string {
  return `${principal.kind}:${principal.name}`;
}

export function parseTokenSubject(subject: string): TokenSubject | undefined {
  const match = /^(user|robot):(.+)$/.exec(subject);
  return match ? { kind: match[1] as PrincipalKind, name: match[2]! } : undefined;
}

export type AuthenticatorStore = Pick<IdentityStore, 'findUserByName' | 'getUser' | 'getRobot' | 'touchRobot'>;

export interface AuthenticatorOptions {
  store: AuthenticatorStore;
  tokens: Pick<RegistryTokenService, 'verify'>;
  /** The registry's service name: the `aud` bearer tokens must carry. */
  service: string;
  clock?: () => Date;
  /** A robot's lastUsedAt is written at most this often (default 60 s). */
  touchIntervalMs?: number;
}

const basicCredentials = /^[A-Za-z0-9+/]+={0,2}$/;
const token68 = /^[A-Za-z0-9\-._~+/]+=*$/;

export class Authenticator {
  readonly #store: AuthenticatorStore;
  readonly #tokens: Pick<RegistryTokenService, 'verify'>;
  readonly #service: string;
  readonly #clock: () => Date;
  readonly #touchIntervalMs: number;

  constructor(options: AuthenticatorOptions) {
    this.#store = options.store;
    this.#tokens = options.tokens;
    this.#service = options.service;
    this.#clock = options.clock ?? (() => new Date());
    this.#touchIntervalMs = options.touchIntervalMs ?? 60_000;
  }

  /** Undefined when there is no header (anonymous); throws AuthenticationError otherwise. */
  async authenticate(header: string | undefined): Promise<Authentication | undefined> {
    if (header === undefined || header.trim() === '') return undefined;
    const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
    if (!match) throw new AuthenticationError('malformed_header', 'the Authorization header is not `<scheme> <credentials>`');
    const scheme = match[1]!.toLowerCase();
    const credentials = match[2]!;
    if (scheme === 'basic') return { scheme: 'basic', principal: await this.#basic(credentials) };
    if (scheme === 'bearer') return this.#bearer(credentials);
    throw new AuthenticationError('unsupported_scheme', `the ${match[1]} authorization scheme is not supported; use Basic or Bearer`);
  }

  /** A name and a password or robot token (what /token receives as Basic credentials). */
  async login(name: string, secret: string): Promise<Principal> {
    const apiToken = parseApiToken(secret);
    return apiToken ? this.#robot(name, apiToken.robotId, apiToken.secret) : this.#user(name, secret);
  }

  async #basic(credentials: string): Promise<Principal> {
    if (!basicCredentials.test(credentials)) throw new AuthenticationError('malformed_header', 'Basic credentials are not base64');
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new AuthenticationError('malformed_header', 'Basic credentials are not `name:password`');
    return this.login(decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  async #user(name: string, password: string): Promise<Principal> {
    const user = await this.#store.findUserByName(name);
    if (user === undefined) {
      await verifyAgainstDummy(password);
      throw new AuthenticationError('unknown_user', `no user ${JSON.stringify(name)}`);
    }
    if (!(await verifyPassword(user.passwordHash, password))) throw new AuthenticationError('wrong_password', `wrong password for ${name}`);
    // Told only to whoever knows the password.
    if (user.disabled) throw new AuthenticationError('disabled', `user ${name} is disabled`);
    return { kind: 'user', id: user.id, name: user.name };
  }

  async #robot(name: string, robotId: string, secret: string): Promise<Principal> {
    const robot = await this.#store.getRobot(robotId);
    if (robot === undefined) throw new AuthenticationError('unknown_robot', `no robot with the token's id ${robotId}`);
    // The hash is compared even when the name is wrong: timing tells nothing about which part was.
    const matches = tokenSecretMatches(secret, robot.tokenHash);
    if (!matches || robot.name !== name) throw new AuthenticationError('wrong_token', `wrong token or name for robot ${robotId}`);
    const now = this.#clock();
    if (robot.expiresAt !== null && robot.expiresAt.getTime() <= now.getTime()) {
      throw new AuthenticationError('expired_credentials', `the token of robot ${name} expired at ${robot.expiresAt.toISOString()}`);
    }
    const owner = await this.#store.getUser(robot.ownerId);
    if (owner === undefined || owner.disabled) throw new AuthenticationError('disabled', `the owner of robot ${name} is disabled`);
    if (robot.lastUsedAt === null || now.getTime() - robot.lastUsedAt.getTime() >= this.#touchIntervalMs) {
      await this.#store.touchRobot(robot.id, now);
    }
    return { kind: 'robot', id: robot.id, name: robot.name, ownerId: robot.ownerId };
  }

  async #bearer(token: string): Promise<Authentication> {
    if (!token68.test(token)) throw new AuthenticationError('malformed_header', 'the bearer token has characters a token cannot have');
    let claims: RegistryTokenClaims;
    try {
      claims = await this.#tokens.verify(token, this.#service);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      throw new AuthenticationError('invalid_token', error.message, { cause: error, tokenReason: error.reason });
    }
    const subject = parseTokenSubject(claims.subject);
    if (subject === undefined) throw new AuthenticationError('invalid_token', `the token's subject ${JSON.stringify(claims.subject)} is not <kind>:<name>`);
    return { scheme: 'bearer', subject, access: claims.access, claims };
  }
}

const clientMessages: Record<AuthErrorReason, string> = {
  malformed_header: 'malformed Authorization header',
  unsupported_scheme: 'unsupported authorization scheme',
  unknown_user: 'invalid credentials',
  wrong_password: 'invalid credentials',
  unknown_robot: 'invalid credentials',
  wrong_token: 'invalid credentials',
  expired_credentials: 'credentials expired',
  disabled: 'account disabled',
  invalid_token: 'invalid or expired token',
};

/**
 * The 401 for a request without usable credentials, with the challenge to send
 * (formatBearerChallenge / formatBasicChallenge). The message never says whether a name exists.
 */
export function unauthorizedError(error: AuthenticationError | undefined, challenge: string): RegistryError {
  const message = error ? clientMessages[error.reason] : 'authentication required';
  return new RegistryError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': challenge }, cause: error });
}
