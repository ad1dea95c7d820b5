// GET    /admin/remotes          every remote: the config file's (`source: "config"`) and the API's
// POST   /admin/remotes          a new remote (201); 409 when the name is taken
// GET    /admin/remotes/:name
// PUT    /admin/remotes/:name    creates (201) or replaces (200); a password left out is kept
// DELETE /admin/remotes/:name    204
//
// A body is a `remotes:` config entry (the same schema), plus an optional `password`, which
// is stored and never returned (`passwordSet: true`). A remote of the config file cannot be
// changed or deleted here: 409, edit the file. Changes take effect without a restart
// (src/remotes/remote-admin.ts).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { remoteApiSchema } from '../../config/remote-schema.js';
import { RegistryError } from '../../domain/errors.js';
import type { RemoteAdmin } from '../../remotes/remote-admin.js';
import { bodyNamed, parseInput } from './input.js';

export interface RemoteRoutesOptions {
  remotes: RemoteAdmin;
}

function nameParam(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

export const remoteRoutes: FastifyPluginAsync<RemoteRoutesOptions> = async (app, { remotes }) => {
  app.get('/admin/remotes', async () => ({ remotes: await remotes.list() }));

  app.post('/admin/remotes', async (request, reply) => {
    const input = parseInput(remoteApiSchema, request.body, 'body');
    return reply.code(201).send(await remotes.create(input, request.adminActor));
  });

  app.get('/admin/remotes/:name', async (request) => remotes.get(nameParam(request)));

  app.put('/admin/remotes/:name', async (request, reply) => {
    const input = parseInput(remoteApiSchema, bodyNamed(request.body, nameParam(request), 'remote'), 'body');
    const { view, created } = await remotes.put(input, request.adminActor);
    return reply.code(created ? 201 : 200).send(view);
  });

  app.delete('/admin/remotes/:name', async (request, reply) => {
    await remotes.delete(nameParam(request));
    return reply.code(204).send();
  });
};
