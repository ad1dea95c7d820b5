// GET  /admin/quarantine?state=&after=&limit=   content by scan state
// GET  /admin/quarantine/:digest                state, newest verdicts, audit entries
// GET  /admin/quarantine/:digest/content        the quarantined bytes (admins only)
// POST /admin/quarantine/:digest/rescan  {reason}
// POST /admin/quarantine/:digest/release {reason}
// GET  /admin/audit?digest=                     the audit log
// GET  /admin/jobs?state=&kind=                 the job queue
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isDigest, type Digest } from '../../domain/digest.js';
import { RegistryError, digestInvalid } from '../../domain/errors.js';
import type { QuarantineAdminOptions } from './index.js';
import { parseInput } from './input.js';

const stateQuery = z
  .object({
    state: z.enum(['pending', 'clean', 'infected', 'failed']).optional(),
    after: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
const reasonBody = z.object({ reason: z.string().trim().min(1, 'say why (it is kept in the audit log)').max(2000) }).strict();
const jobsQuery = z
  .object({
    state: z.enum(['queued', 'running', 'done', 'dead']).optional(),
    kind: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

function digestParam(request: FastifyRequest): Digest {
  const { digest } = request.params as { digest: string };
  if (!isDigest(digest)) throw digestInvalid({ digest });
  return digest;
}

export const quarantineRoutes: FastifyPluginAsync<QuarantineAdminOptions> = async (app, { store, admin, blobs, queue }) => {
  app.get('/admin/quarantine', async (request) => {
    const query = parseInput(stateQuery, request.query, 'query');
    const items = await store.listStates(query);
    return { items, counts: await store.countStates() };
  });

  app.get('/admin/quarantine/:digest', async (request) => admin.report(digestParam(request)));

  app.get('/admin/quarantine/:digest/content', async (request, reply) => {
    const digest = digestParam(request);
    const stream = await blobs.readQuarantined(digest).catch(() => {
      throw new RegistryError('BLOB_UNKNOWN', `${digest} is not in the quarantine area`, { detail: { digest } });
    });
    return reply.header('content-type', 'application/octet-stream').header('content-disposition', `attachment; filename="${digest.replace(':', '-')}.bin"`).send(stream);
  });

  app.post('/admin/quarantine/:digest/rescan', async (request) => {
    const { reason } = parseInput(reasonBody, request.body, 'body');
    return admin.rescan(digestParam(request), request.adminActor, reason);
  });

  app.post('/admin/quarantine/:digest/release', async (request) => {
    const { reason } = parseInput(reasonBody, request.body, 'body');
    return admin.release(digestParam(request), request.adminActor, reason);
  });

  app.get('/admin/audit', async (request) => {
    const { digest } = (request.query ?? {}) as { digest?: string };
    if (digest !== undefined && !isDigest(digest)) throw digestInvalid({ digest });
    return { entries: await store.listAudit(digest as Digest | undefined, 200) };
  });

  app.get('/admin/jobs', async (request) => {
    const filter = parseInput(jobsQuery, request.query, 'query');
    return { jobs: await queue.list(filter), stats: await queue.stats() };
  });
};
