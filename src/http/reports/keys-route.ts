// The public keys that verify vulnerability report signatures, as a JWKS (RFC 7517), at
// /.well-known/scangate/report-signing-keys.json: every report key not deleted (the current
// one and those rotations retired, which still verify what they signed). Apart from the
// registry token keys at /.well-known/jwks.json: neither set verifies the other's signatures.
// Public keys only, so no credentials are asked; a short max-age, as for the token keys.
import type { FastifyPluginAsync } from 'fastify';
import type { ReportSigner } from '../../vulnerabilities/report-signer.js';

export const reportKeysPath = '/.well-known/scangate/report-signing-keys.json';

export const reportKeysRoute: FastifyPluginAsync<{ signer: Pick<ReportSigner, 'publicJwks'> }> = async (app, { signer }) => {
  app.get(reportKeysPath, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=60').type('application/jwk-set+json').send(await signer.publicJwks()),
  );
};
