import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { PrometheusMetrics } from '../observability/prometheus.js';
import { healthRoutes } from './health.js';

// Only the two probes matter here; the adapters' own suites test the real ping/check.
function probes(metadataPing: () => Promise<void>, blobsCheck: () => Promise<void>) {
  return {
    metadata: { ping: metadataPing } as unknown as MetadataStore,
    blobs: { check: blobsCheck } as unknown as BlobStore,
  };
}
const ok = async () => {};

async function appWith(options: Parameters<typeof healthRoutes>[1]) {
  const app = Fastify();
  await app.register(healthRoutes, options);
  return app;
}

describe('health routes', () => {
  it('answers /healthz while the process runs, whatever the dependencies say', async () => {
    const app = await appWith(probes(() => Promise.reject(new Error('down')), ok));
    const res = await app.inject('/healthz');
    expect([res.statusCode, res.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('is ready when the database and blob store answer', async () => {
    const app = await appWith(probes(ok, ok));
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ready',
      failed: [],
      checks: { metadata: { status: 'ok' }, blobs: { status: 'ok' } },
      scanners: {},
      degraded: [],
    });
  });

  it('shows a scanner that is down without failing readiness', async () => {
    const app = Fastify();
    await app.register(healthRoutes, {
      ...probes(ok, ok),
      scanners: { clamav: () => Promise.reject(new Error('connect ECONNREFUSED')), other: ok },
    });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ready',
      degraded: ['clamav'],
      scanners: { clamav: { status: 'failed', error: 'connect ECONNREFUSED' }, other: { status: 'ok' } },
    });
  });

  it('answers 503 naming the failed check and why', async () => {
    const app = await appWith(probes(ok, () => Promise.reject(new Error('EACCES: permission denied'))));
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unready', failed: ['blobs'], checks: { blobs: { status: 'failed', error: 'EACCES: permission denied' } } });
  });

  it('fails a check that hangs', async () => {
    const app = await appWith({ ...probes(() => new Promise(() => {}), ok), checkTimeoutMs: 50 });
    const res = await app.inject('/readyz');
    expect([res.statusCode, res.json().failed]).toEqual([503, ['metadata']]);
  });

  it('asks dependencies and scanners at once: a slow one of each costs one wait, not two', async () => {
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 400));
    const app = await appWith({ ...probes(slow, ok), scanners: { clamav: slow } });
    const started = Date.now();
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(750);
  });

  it('serves /metrics only when given a renderer', async () => {
    expect((await (await appWith(probes(ok, ok))).inject('/metrics')).statusCode).toBe(404);
    const metrics = new PrometheusMetrics();
    const app = await appWith({ ...probes(ok, ok), renderMetrics: () => metrics.render() });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('scangate_process_resident_memory_bytes');
  });
});
