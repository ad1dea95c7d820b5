// POST /admin/vulnerability-scans           start a campaign: {scope, scanners?, maxInFlight?, perMinute?} (201)
// GET  /admin/vulnerability-scans           campaigns, newest first (?state=running&limit=N)
// GET  /admin/vulnerability-scans/:id       one campaign's progress, with its failed scans
// POST /admin/vulnerability-scans/:id/stop  stops it: nothing more queued, queued scans dropped
//
// A campaign scans every image stored in its scope (`all`, `namespace:NS`, `repository:R`)
// with every scanner each repository uses, or only those named (docs/vulnerability-scanners.md).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseScanScope, scanScopeSyntax, type ScanScope } from '../../domain/scan-scope.js';
import type { CampaignServices } from '../../vulnerabilities/campaign-services.js';
import { campaignView } from '../../vulnerabilities/scan-campaigns.js';
import { parseInput } from './input.js';

export interface ScanCampaignRoutesOptions {
  campaigns: CampaignServices;
}

/** Failed scans shown with a campaign. */
const failuresShown = 100;

const scopeField = z.string().transform((text, ctx): ScanScope => {
  const scope = parseScanScope(text);
  if (!('error' in scope)) return scope;
  ctx.addIssue({ code: 'custom', message: `${scope.error} (${scanScopeSyntax})` });
  return z.NEVER;
});

const startBody = z
  .object({
    scope: scopeField.optional(),
    scanners: z.array(z.string().min(1)).min(1).optional(),
    maxInFlight: z.number().int().positive().max(100_000).optional(),
    perMinute: z.number().int().positive().max(1_000_000).optional(),
  })
  .strict();

const listQuery = z
  .object({
    state: z.enum(['running', 'stopped', 'finished', 'failed']).optional(),
    limit: z.coerce.number().int().positive().max(1000).optional(),
  })
  .strict();

function idParam(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

export const scanCampaignRoutes: FastifyPluginAsync<ScanCampaignRoutesOptions> = async (app, { campaigns: services }) => {
  const { campaigns, store } = services;

  app.post('/admin/vulnerability-scans', async (request, reply) => {
    const body = parseInput(startBody, request.body, 'body');
    const limits = { ...(body.maxInFlight ? { maxInFlight: body.maxInFlight } : {}), ...(body.perMinute ? { perMinute: body.perMinute } : {}) };
    const campaign = await campaigns.start({ scope: body.scope ?? { kind: 'all' }, scanners: body.scanners ?? null, trigger: 'manual', createdBy: request.adminActor, limits });
    return reply.code(201).send(campaignView(campaign));
  });

  app.get('/admin/vulnerability-scans', async (request) => {
    const query = parseInput(listQuery, request.query, 'query');
    return { campaigns: (await campaigns.list(query)).map(campaignView) };
  });

  app.get('/admin/vulnerability-scans/:id', async (request) => {
    const campaign = await campaigns.get(idParam(request));
    const failures = await store.listItems(campaign.id, 'failed', failuresShown);
    return { ...campaignView(campaign), failures: failures.map((f) => ({ scanner: f.scanner, digest: f.digest, repository: f.repository, error: f.error })) };
  });

  app.post('/admin/vulnerability-scans/:id/stop', async (request) => campaignView(await campaigns.stop(idParam(request))));
};
