import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from './prometheus.js';

describe('PrometheusMetrics', () => {
  it('exposes bytes and durations reported by the registry', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    metrics.bytesIn(100);
    metrics.bytesIn(23);
    metrics.bytesOut(7);
    metrics.observeUpload(0.2);
    metrics.observeCommit(0.003);
    const { body } = await metrics.render();
    expect(body).toContain('scangate_bytes_in_total 123');
    expect(body).toContain('scangate_bytes_out_total 7');
    expect(body).toContain('scangate_upload_duration_seconds_count 1');
    expect(body).toContain('scangate_commit_duration_seconds_bucket{le="0.005"} 1');
  });

  it('counts requests by route pattern, not by raw URL', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const app = Fastify();
    app.get('/v2/:name/blobs/:digest', async () => 'ok');
    metrics.instrument(app);
    await app.inject('/v2/a/blobs/sha256:1');
    await app.inject('/v2/b/blobs/sha256:2');
    await app.inject('/nowhere');
    const { body } = await metrics.render();
    expect(body).toContain('scangate_http_requests_total{method="GET",route="/v2/:name/blobs/:digest",status="200"} 2');
    expect(body).toContain('scangate_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(body).toContain('scangate_http_request_duration_seconds_count{method="GET",route="/v2/:name/blobs/:digest",status="200"} 2');
  });

  it('keeps instances apart, so two apps in one process do not collide', async () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    a.bytesIn(1);
    expect((await b.render()).body).toContain('scangate_bytes_in_total 0');
  });
});
