// Liveness, readiness and metrics. /healthz says only that the process answers (a restart
// will not fix a database outage, so liveness must not depend on it); /readyz asks every
// dependency and answers 503 naming the ones that failed, so a load balancer stops sending
// traffic until they are back; /metrics is the Prometheus exposition.
import type { FastifyPluginAsync } from 'fastify';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';

export interface HealthOptions {
  blobs: BlobStore;
  metadata: MetadataStore;
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** How long one readiness check may take before it counts as failed. */
  checkTimeoutMs?: number;
  /**
   * Scanner health checks, shown by /readyz but never failing it: a scanner that is down
   * must not take the registry out of a load balancer (content waits as pending instead).
   */
  scanners?: Record<string, () => Promise<void>>;
  /**
   * The vulnerability scanners' (Harbor adapters') health checks, as registered now: shown by
   * /readyz, listed in `degraded` as `vulnerability-scanner:NAME` when down, never failing it.
   */
  vulnerabilityScanners?: () => Record<string, () => Promise<void>>;
}

type CheckResult = { status: 'ok' } | { status: 'failed'; error: string };

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const timeoutMs = options.checkTimeoutMs ?? 5_000;
  const checks: Record<string, () => Promise<void>> = {
    metadata: () => options.metadata.ping(),
    blobs: () => options.blobs.check(),
  };

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    // Dependencies and scanners are asked at once: the answer waits for the slowest, not the sum.
    const adapters = options.vulnerabilityScanners;
    const [byName, scanners, vulnerabilityScanners] = await Promise.all([
      runChecks(checks, timeoutMs),
      runChecks(options.scanners ?? {}, timeoutMs),
      adapters ? runChecks(adapters(), timeoutMs) : undefined,
    ]);
    const failed = Object.keys(byName).filter((name) => byName[name]!.status !== 'ok');
    if (failed.length > 0) reply.code(503);
    const down = (results: Record<string, CheckResult>) => Object.keys(results).filter((name) => results[name]!.status !== 'ok');
    const degraded = [...down(scanners), ...down(vulnerabilityScanners ?? {}).map((name) => `vulnerability-scanner:${name}`)];
    return { status: failed.length === 0 ? 'ready' : 'unready', failed, checks: byName, scanners, ...(vulnerabilityScanners ? { vulnerabilityScanners } : {}), degraded };
  });

  const render = options.renderMetrics;
  if (render) {
    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      const { contentType, body } = await render();
      return reply.type(contentType).send(body);
    });
  }
};

async function runChecks(checks: Record<string, () => Promise<void>>, timeoutMs: number): Promise<Record<string, CheckResult>> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name]!, timeoutMs)));
  return Object.fromEntries(names.map((name, i) => [name, results[i]!]));
}

async function runCheck(check: () => Promise<void>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (err) {
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
