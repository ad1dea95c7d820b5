// POST /admin/remotes/:name/sync           starts a sync of the remote as a job: 202 with it and a
//                                          Location; while one of the remote is unfinished, 200
//                                          with that one (and its Location) instead of a second
// GET  /admin/remotes/:name/syncs?n=20     the remote's syncs, newest first
// GET  /admin/remotes/:name/syncs/:id      one sync: state and progress
//
// The body of the POST is optional: `{"repositories": [...], "tags": [...]}` for an OCI remote
// (the defaults of `scangate sync`); a file remote syncs its manifest and takes neither. The
// sync runs in whichever process claims its job (src/remotes/remote-syncs.ts).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RemoteSyncRecord } from '../../ports/remote-sync-store.js';
import type { RemoteSyncs } from '../../remotes/remote-syncs.js';
import { parseInput } from './input.js';

export interface RemoteSyncRoutesOptions {
  syncs: RemoteSyncs;
}

const selectionSchema = z
  .object({
    /** Upstream repositories (OCI). */
    repositories: z.array(z.string().min(1)).min(1).optional(),
    /** Tags (OCI). */
    tags: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

const listQuery = z.object({ n: z.coerce.number().int().min(1).max(100).default(20) }).strict();

function params(request: FastifyRequest): { name: string; id: string } {
  return request.params as { name: string; id: string };
}

const locationOf = (sync: RemoteSyncRecord) => `/admin/remotes/${sync.remote}/syncs/${sync.id}`;

/** A sync as the API shows it. */
export function syncView(sync: RemoteSyncRecord) {
  const { progress } = sync;
  const moment = (at: Date | null) => (at === null ? null : at.toISOString());
  return {
    id: sync.id,
    remote: sync.remote,
    state: sync.state,
    selection: sync.selection,
    requestedBy: sync.requestedBy,
    createdAt: sync.createdAt.toISOString(),
    startedAt: moment(sync.startedAt),
    finishedAt: moment(sync.finishedAt),
    attempts: sync.attempts,
    items: { total: progress.itemsTotal, done: progress.itemsDone, failed: progress.itemsFailed },
    bytes: { total: progress.bytesTotal, done: progress.bytesDone },
    current: progress.current,
    outcomes: sync.outcomes,
    problems: sync.problems,
    error: sync.error,
  };
}

export const remoteSyncRoutes: FastifyPluginAsync<RemoteSyncRoutesOptions> = async (app, { syncs }) => {
  app.post('/admin/remotes/:name/sync', async (request, reply) => {
    const selection = parseInput(selectionSchema, request.body, 'body');
    const { sync, created } = await syncs.start(params(request).name, selection, request.adminActor);
    return reply.code(created ? 202 : 200).header('location', locationOf(sync)).send(syncView(sync));
  });

  app.get('/admin/remotes/:name/syncs', async (request) => {
    const { n } = parseInput(listQuery, request.query, 'query');
    return { syncs: (await syncs.list(params(request).name, n)).map(syncView) };
  });

  app.get('/admin/remotes/:name/syncs/:id', async (request) => {
    const { name, id } = params(request);
    return syncView(await syncs.get(name, id));
  });
};
