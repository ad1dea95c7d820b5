// GET    /admin/webhooks                              every subscription (the config file's: `source: "config"`)
// POST   /admin/webhooks                              a new one (201); its secret is in this answer only
// GET    /admin/webhooks/:name
// PATCH  /admin/webhooks/:name                        change url, events, namespaces, payload, format, enabled
// DELETE /admin/webhooks/:name                        204, with its delivery log
// POST   /admin/webhooks/:name/rotate-secret          {graceSeconds?}: a new secret (shown once); the old one signs too meanwhile
// GET    /admin/webhooks/:name/deliveries?state=&before=&limit=
// GET    /admin/webhooks/:name/deliveries/:id         the delivery, its attempts and the event
// POST   /admin/webhooks/:name/deliveries/:id/replay  202: sent again (same webhook-id)
// POST   /admin/webhooks/:name/replay                 {from, to}: 202, every delivery of events in [from, to)
//
// Subscriptions of the config file cannot be changed, rotated or deleted here: 409, edit the file.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { subscriptionNameSchema, subscriptionPatchSchema, subscriptionSettingsSchema, webhookSecretSchema } from '../../config/webhook-schema.js';
import { RegistryError } from '../../domain/errors.js';
import type { WebhookAdmin } from '../../events/webhooks/webhook-admin.js';
import { deliveryStates } from '../../ports/webhook-store.js';
import { parseInput } from './input.js';

export interface WebhookRoutesOptions {
  webhooks: WebhookAdmin;
}

const createBody = subscriptionSettingsSchema.extend({ name: subscriptionNameSchema, secret: webhookSecretSchema.optional() }).strict();
const patchBody = subscriptionPatchSchema.refine((body) => Object.keys(body).length > 0, 'name at least one of url, events, namespaces, payload, format, enabled');
const rotateBody = z.object({ graceSeconds: z.number().int().nonnegative().max(30 * 24 * 60 * 60).optional() }).strict();
const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const rangeBody = z
  .object({ from: instant, to: instant })
  .strict()
  .refine((range) => range.from < range.to, { message: 'from must be before to', path: ['to'] });
const deliveriesQuery = z
  .object({
    state: z.enum(deliveryStates).optional(),
    before: instant.optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

function nameParam(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

function idParam(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, { webhooks }) => {
  app.get('/admin/webhooks', async () => ({ webhooks: await webhooks.list() }));

  app.post('/admin/webhooks', async (request, reply) => {
    const input = parseInput(createBody, request.body, 'body');
    return reply.code(201).send(await webhooks.create(input, request.adminActor));
  });

  app.get('/admin/webhooks/:name', async (request) => webhooks.get(nameParam(request)));

  app.patch('/admin/webhooks/:name', async (request) => {
    const body = request.body as { name?: unknown } | null;
    if (body && typeof body === 'object' && 'name' in body) {
      throw new RegistryError('UNSUPPORTED', 'invalid body: name: a webhook cannot be renamed (create another)', { status: 400, detail: 'name' });
    }
    return webhooks.update(nameParam(request), parseInput(patchBody, request.body, 'body'), request.adminActor);
  });

  app.delete('/admin/webhooks/:name', async (request, reply) => {
    await webhooks.delete(nameParam(request));
    return reply.code(204).send();
  });

  app.post('/admin/webhooks/:name/rotate-secret', async (request) => {
    const { graceSeconds } = parseInput(rotateBody, request.body, 'body');
    return webhooks.rotateSecret(nameParam(request), graceSeconds, request.adminActor);
  });

  app.get('/admin/webhooks/:name/deliveries', async (request) => {
    const filter = parseInput(deliveriesQuery, request.query, 'query');
    return { deliveries: await webhooks.deliveries(nameParam(request), filter) };
  });

  app.get('/admin/webhooks/:name/deliveries/:id', async (request) => webhooks.delivery(nameParam(request), idParam(request)));

  app.post('/admin/webhooks/:name/deliveries/:id/replay', async (request, reply) => {
    return reply.code(202).send({ delivery: await webhooks.replay(nameParam(request), idParam(request)) });
  });

  app.post('/admin/webhooks/:name/replay', async (request, reply) => {
    const { from, to } = parseInput(rangeBody, request.body, 'body');
    return reply.code(202).send(await webhooks.replayRange(nameParam(request), from, to));
  });
};
