// The registry token service's public keys as a JWKS (RFC 7517), for anything that verifies
// scangate's tokens itself (a proxy, another service, a scanner adapter): the current key
// and the retired ones that still verify tokens they signed. Public keys only, so no
// credentials are asked. Served at /auth/jwks and at the conventional
// /.well-known/jwks.json. A short max-age: a rotation shows within a minute, and a verifier
// that meets an unknown `kid` fetches again anyway.
import type { FastifyPluginAsync } from 'fastify';
import type { RegistryTokenService } from '../../auth/token-service.js';

export interface JwksRouteOptions {
  keys: Pick<RegistryTokenService, 'publicJwks'>;
}

export const jwksPaths = ['/auth/jwks', '/.well-known/jwks.json'] as const;

export const jwksRoute: FastifyPluginAsync<JwksRouteOptions> = async (app, { keys }) => {
  for (const path of jwksPaths) {
    app.get(path, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=60')
        .type('application/jwk-set+json')
        .send(await keys.publicJwks()),
    );
  }
};
