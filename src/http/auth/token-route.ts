// `GET /token` of the Docker token flow: Basic credentials (a user and password, or a robot
// name and API token) in, a short-lived signed JWT out, carrying exactly the requested
// actions the policy grants. No credentials: an anonymous token when `anonymousPull` is on,
// else a 401 with a Basic challenge. Wrong credentials are always a 401, never a token
// with nothing in it, so a client sees the mistake at login.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AuthenticationError, tokenSubject, unauthorizedError, type Principal } from '../../auth/authenticate.js';
import { formatBasicChallenge, grantAccess, parseScopes, ScopeError, type ResourceScope } from '../../auth/scope.js';
import { RegistryError } from '../../domain/errors.js';
import { anonymous, anonymousTokenSubject, type AccessControl, type Caller } from './access-control.js';

export interface TokenRouteOptions {
  access: AccessControl;
}

export const tokenRoute: FastifyPluginAsync<TokenRouteOptions> = async (app, { access }) => {
  app.get('/token', async (request, reply) => {
    const caller = await callerOf(access, request);
    const scopes = requestedScopes(request.query as Record<string, unknown>);
    const granted = await grantAccess<Caller>(caller, scopes, (who, resource, requested) => access.authorize(who, resource, requested));
    const subject = caller.kind === 'anonymous' ? anonymousTokenSubject : tokenSubject(caller);
    const issued = await access.deps.tokens.issue({ subject, access: granted, service: access.deps.service, ttlSeconds: access.deps.tokenTtlSeconds });
    request.log.info({ subject, granted: granted.map((entry) => `${entry.type}:${entry.name}:${entry.actions.join(',')}`) }, 'token issued');
    return reply
      .header('cache-control', 'no-store')
      .type('application/json')
      .send({ token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt.toISOString() });
  });
};

async function callerOf(access: AccessControl, request: FastifyRequest): Promise<Caller> {
  const realm = access.deps.service;
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    if (access.deps.anonymousPull) return anonymous;
    throw unauthorizedError(undefined, formatBasicChallenge(realm));
  }
  if (!/^basic /i.test(header)) {
    throw unauthorizedError(new AuthenticationError('unsupported_scheme', 'the token endpoint takes Basic credentials'), formatBasicChallenge(realm));
  }
  try {
    const authentication = await access.deps.authenticator.authenticate(header);
    return (authentication as { principal: Principal }).principal;
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    request.log.info({ reason: error.reason }, 'token refused');
    throw unauthorizedError(error, formatBasicChallenge(realm));
  }
}

function requestedScopes(query: Record<string, unknown>): ResourceScope[] {
  const raw = query['scope'];
  const params = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  try {
    return parseScopes(...params);
  } catch (error) {
    if (error instanceof ScopeError) throw new RegistryError('UNSUPPORTED', error.message, { status: 400 });
    throw error;
  }
}
