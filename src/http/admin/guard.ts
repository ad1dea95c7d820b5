// Who may use the admin API, and who they are in its audit entries.
//
// - The bearer token in DATA/admin-token, always: the break-glass credential for when no
//   admin can log in (compared in constant time). Its actor is `admin`.
// - With auth on, also anyone the Authenticator knows (Basic user:password or robot:API-token,
//   or a registry JWT from /token, which stands for its subject) whose roles pass the
//   policy's `admin` rule, decided over global roles only (bindings on `*`). Actor
//   `user:NAME` or `robot:NAME`.
//
// No or bad credentials: 401 with challenges for both schemes. Known but not an admin: 403
// DENIED naming the `admin` action and why the rule denied.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AuthenticationError, tokenSubject, unauthorizedError, type Principal } from '../../auth/authenticate.js';
import { RegistryError } from '../../domain/errors.js';
import type { AccessControl } from '../auth/access-control.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling the admin API (set by its guard): `user:NAME`, `robot:NAME`, or `admin` for the admin token. */
    adminActor: string;
  }
}

/** The actor of requests made with the admin token. */
export const adminTokenActor = 'admin';
/** The policy rule that decides the admin API (and the CLI's equivalent operations). */
export const adminRule = 'admin';

const realm = 'scangate-admin';
const tokenOnlyChallenge = `Bearer realm="${realm}"`;
const challenges = `Basic realm="${realm}", ${tokenOnlyChallenge}`;

export interface AdminGuardOptions {
  /** The contents of DATA/admin-token. */
  token: string;
  /** Identity and policy; absent (auth off): the admin token alone opens the API. */
  access?: AccessControl | undefined;
}

export function adminGuard({ token, access }: AdminGuardOptions): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const header = request.headers.authorization;
    if (adminTokenMatches(header, token)) {
      request.adminActor = adminTokenActor;
      return;
    }
    if (access === undefined) {
      throw new RegistryError('UNAUTHORIZED', 'the admin API needs `Authorization: Bearer <token>` (the token is in DATA/admin-token)', {
        headers: { 'WWW-Authenticate': tokenOnlyChallenge },
      });
    }
    const caller = await callerOf(access, request);
    const decision = await access.decideGlobal(caller, adminRule);
    if (!decision.allowed) {
      throw new RegistryError('DENIED', `the admin API is denied to ${tokenSubject(caller)}: ${decision.reason}`, { detail: { action: adminRule, reason: decision.reason } });
    }
    request.adminActor = tokenSubject(caller);
  };
}

function adminTokenMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** The user or robot behind the credentials; a 401 for none, bad ones, or a token whose subject is gone. */
async function callerOf(access: AccessControl, request: FastifyRequest): Promise<Principal> {
  try {
    const authentication = await access.deps.authenticator.authenticate(request.headers.authorization);
    if (authentication === undefined) {
      throw new RegistryError('UNAUTHORIZED', "the admin API needs a user's or robot's credentials, a registry token, or the admin token in DATA/admin-token", {
        headers: { 'WWW-Authenticate': challenges },
      });
    }
    if (authentication.scheme === 'basic') return authentication.principal;
    const caller = await access.callerOfSubject(authentication.subject);
    // Anonymous tokens and subjects deleted or disabled since the token was issued.
    if (caller === undefined || caller.kind === 'anonymous') throw new AuthenticationError('invalid_token', `the token's subject ${authentication.claims.subject} cannot use the admin API`);
    return caller;
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    request.log.info({ reason: error.reason }, 'admin API refused the credentials');
    throw unauthorizedError(error, challenges);
  }
}
