// The admin API under /admin. Until identity lands (issue 4) it is guarded by one bearer
// token kept in DATA/admin-token (mode 0600); compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { RegistryError } from '../../domain/errors.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { VulnerabilityStore } from '../../ports/vulnerability-store.js';
import type { QuarantineAdmin } from '../../quarantine/admin-actions.js';
import type { BlobStore } from '../../ports/blob-store.js';
import { quarantineRoutes } from './quarantine-routes.js';
import { vulnerabilityRoutes } from './vulnerability-routes.js';

export interface AdminRoutesOptions {
  token: string;
  store: QuarantineStore;
  admin: QuarantineAdmin;
  blobs: BlobStore;
  queue: JobQueue;
  /** Vulnerability gates and the CVE allowlist (vulnerability-routes.ts); absent: not served. */
  vulnerabilities?: VulnerabilityStore;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, options) => {
  app.addHook('onRequest', async (request, reply) => {
    if (tokenMatches(request.headers.authorization, options.token)) return;
    reply.header('www-authenticate', 'Bearer realm="scangate-admin"');
    throw new RegistryError('UNAUTHORIZED', 'the admin API needs `Authorization: Bearer <token>` (the token is in DATA/admin-token)');
  });
  await app.register(quarantineRoutes, options);
  if (options.vulnerabilities) await app.register(vulnerabilityRoutes, { store: options.vulnerabilities });
};
