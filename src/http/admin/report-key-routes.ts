// The keys that sign vulnerability reports (src/vulnerabilities/report-signer.ts):
// GET    /admin/report-signing-keys              {keys} (kid, algorithm, dates, current; no key material)
// POST   /admin/report-signing-keys/rotate       201 {key}: a new key signs from now on (other
//                                                processes within a minute); the old one keeps verifying
// DELETE /admin/report-signing-keys/:kid         {deleted}: withdraws a key (compromised, say);
//                                                reports it signed no longer verify. Not the current key: rotate first.
import type { FastifyPluginAsync } from 'fastify';
import { RegistryError } from '../../domain/errors.js';
import type { ReportSigningKeyRecord, ReportSigningKeyStore } from '../../ports/report-signing-key-store.js';
import { ReportSigner } from '../../vulnerabilities/report-signer.js';

function view(key: ReportSigningKeyRecord) {
  return { kid: key.kid, algorithm: key.algorithm, createdAt: key.createdAt, retiredAt: key.retiredAt, current: key.retiredAt === null };
}

export const reportKeyRoutes: FastifyPluginAsync<{ keys: ReportSigningKeyStore }> = async (app, { keys }) => {
  const signer = new ReportSigner(keys);

  app.get('/admin/report-signing-keys', async () => ({ keys: (await keys.list()).map(view) }));

  app.post('/admin/report-signing-keys/rotate', async (_request, reply) => reply.code(201).send({ key: view(await signer.rotate()) }));

  app.delete('/admin/report-signing-keys/:kid', async (request) => {
    const { kid } = request.params as { kid: string };
    const key = (await keys.list()).find((k) => k.kid === kid);
    if (!key) throw new RegistryError('UNSUPPORTED', `no report signing key ${kid}`, { status: 404, detail: { kid } });
    if (key.retiredAt === null) {
      throw new RegistryError('UNSUPPORTED', `${kid} is the key that signs reports now: rotate first (POST /admin/report-signing-keys/rotate), then delete it`, { status: 409, detail: { kid } });
    }
    await keys.delete(kid);
    return { deleted: kid };
  });
};
