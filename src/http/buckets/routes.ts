// POST /buckets/events: S3 event notifications pushed over HTTP (MinIO's webhook target), for
// the buckets whose watcher has `webhook:` (docs/buckets.md). The intake authenticates with
// each bucket's token and handles every record before answering; see src/buckets/event-intake.ts.
import type { FastifyPluginAsync } from 'fastify';
import type { BucketEventIntake } from '../../buckets/event-intake.js';

export interface BucketEventRoutesOptions {
  intake: BucketEventIntake;
}

export const bucketEventRoutes: FastifyPluginAsync<BucketEventRoutesOptions> = async (app, { intake }) => {
  app.post('/buckets/events', async (request) => intake.accept(request.body, request.headers.authorization));
};
