// The events runtime over real stores (SQLite in a temp dir, as compose() builds them), with
// fast retries, and an app serving /admin/webhooks with it, for module tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { composeMigrated, type Services } from '../../compose.js';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { buildApp } from '../../http/app.js';
import { createEvents, type EventsRuntime } from '../runtime.js';
import { PrometheusMetrics } from '../../observability/prometheus.js';

export interface EventsTestApp {
  app: FastifyInstance;
  services: Services;
  events: EventsRuntime;
  /** Sees every delivery attempt (scangate_webhook_*). */
  metrics: PrometheusMetrics;
  adminToken: string;
  /** Polls `check` until it returns something other than undefined (or the time is up). */
  until<T>(check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export const testWebhookRetry = { maxAttempts: 3, baseSeconds: 0.05, capSeconds: 0.2 };

export async function startEventsTestApp(webhooks: NonNullable<ConfigInput['webhooks']> = {}): Promise<EventsTestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-events-'));
  const config = configSchema.parse({
    data: dataDir,
    storage: { driver: 'filesystem', fsync: false },
    scanning: { enabled: false },
    webhooks: { publicUrl: 'https://registry.example.com', timeoutSeconds: 5, retry: testWebhookRetry, ...webhooks },
  });
  const services = await composeMigrated(config);
  const logger = pino({ level: 'silent' });
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const events = await createEvents({
    config,
    store: services.webhooks,
    queue: services.queue,
    logger,
    observeDelivery: (subscription, outcome, seconds) => metrics.observeWebhookDelivery(subscription, outcome, seconds),
  });
  const adminToken = 'test-admin-token-0123456789abcdef0123';
  const app = await buildApp({ ...services, config, logger, admin: { token: adminToken, webhooks: events.admin }, events: events.events });
  events.startDeliveries();
  return {
    app,
    services,
    events,
    metrics,
    adminToken,
    async until(check, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      await app.close();
      await events.stop();
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
