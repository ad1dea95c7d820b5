// The prom-client implementation of RegistryMetrics, plus per-request HTTP metrics and the
// default process metrics (CPU, memory, event-loop lag, GC). Each instance has its own
// Registry, so tests and several apps in one process never collide on metric names.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AdmissionMetrics, RegistryMetrics } from './metrics.js';

/** Seconds: from a 1 ms manifest PUT to a multi-minute layer push. */
const durationBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class PrometheusMetrics implements RegistryMetrics, AdmissionMetrics {
  readonly registry = new Registry();
  private readonly bytesReceived = this.counter('scangate_bytes_in_total', 'Bytes received in request bodies (blob and manifest uploads).');
  private readonly bytesSent = this.counter('scangate_bytes_out_total', 'Bytes sent in response bodies (blob and manifest downloads).');
  private readonly uploadSeconds = this.histogram('scangate_upload_duration_seconds', 'How long one upload request body took to stream in.');
  private readonly commitSeconds = this.histogram('scangate_commit_duration_seconds', 'How long committing a blob (verify, move, record) took.');
  private readonly httpRequests = new Counter({
    name: 'scangate_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpSeconds = new Histogram({
    name: 'scangate_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'scangate_' });
  }

  bytesIn(count: number): void {
    this.bytesReceived.inc(count);
  }

  bytesOut(count: number): void {
    this.bytesSent.inc(count);
  }

  observeUpload(seconds: number): void {
    this.uploadSeconds.observe(seconds);
  }

  observeCommit(seconds: number): void {
    this.commitSeconds.observe(seconds);
  }

  /**
   * Records one answered request. `route` is the pattern (`/v2/*`), never the raw URL, so
   * repository names and digests cannot blow up the label space.
   */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? 'unmatched', status: String(status) };
    this.httpRequests.inc(labels);
    this.httpSeconds.observe(labels, seconds);
  }

  /** Counts every request the app answers; call before the app is ready (hooks bind at ready). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  private readonly scans = new Counter({
    name: 'scangate_scans_total',
    help: 'Scans finished, by scanner and outcome (clean, infected, cached, error).',
    labelNames: ['scanner', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly scanSeconds = new Histogram({
    name: 'scangate_scan_duration_seconds',
    help: 'How long one scan took, by scanner (cache hits excluded).',
    labelNames: ['scanner'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  observeScan(scanner: string, outcome: 'clean' | 'infected' | 'cached' | 'error', seconds: number): void {
    this.scans.inc({ scanner, outcome });
    if (outcome === 'clean' || outcome === 'infected') this.scanSeconds.observe({ scanner }, seconds);
  }

  /**
   * Gauges read at scrape time: job queue depth by state, content by scan state, and
   * whether each scanner answers (1) or not (0).
   */
  observeScanGate(source: {
    jobs: () => Promise<Record<string, number>>;
    content: () => Promise<Record<string, number>>;
    scannersUp: () => Promise<Record<string, boolean>>;
  }): void {
    const gauge = (name: string, help: string, label: string, read: () => Promise<Record<string, number>>) =>
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers: [this.registry],
        async collect() {
          for (const [key, value] of Object.entries(await read())) this.set({ [label]: key }, value);
        },
      });
    gauge('scangate_jobs', 'Jobs in the durable queue, by state.', 'state', source.jobs);
    gauge('scangate_content', 'Blobs and manifests, by scan state.', 'state', source.content);
    gauge('scangate_scanner_up', 'Whether each scanner answers its health check.', 'scanner', async () =>
      Object.fromEntries(Object.entries(await source.scannersUp()).map(([name, up]) => [name, up ? 1 : 0])),
    );
  }

  /**
   * Gauges read at scrape time, per vulnerability scanner (Harbor adapter) registered now:
   * whether it answers GET /metadata (cached 30 s), and how long that call last took.
   */
  observeVulnerabilityScanners(read: () => Promise<Record<string, { up: boolean; metadataSeconds?: number }>>): void {
    // One read serves both gauges of a scrape; a scanner gone since the last one disappears.
    let pending: Promise<Record<string, { up: boolean; metadataSeconds?: number }>> | undefined;
    const current = () => (pending ??= read().finally(() => setImmediate(() => (pending = undefined))));
    new Gauge({
      name: 'scangate_vulnerability_scanner_up',
      help: 'Whether each vulnerability scanner (Harbor adapter) answers GET /metadata.',
      labelNames: ['scanner'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [scanner, health] of Object.entries(await current())) this.set({ scanner }, health.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'scangate_vulnerability_scanner_metadata_seconds',
      help: "How long each vulnerability scanner's last GET /metadata took.",
      labelNames: ['scanner'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [scanner, health] of Object.entries(await current())) if (health.metadataSeconds !== undefined) this.set({ scanner }, health.metadataSeconds);
      },
    });
  }

  private readonly admissionReviews = new Counter({
    name: 'scangate_admission_reviews_total',
    help: 'AdmissionReviews answered by the admission webhook, by decision (allowed, denied) and reason.',
    labelNames: ['decision', 'reason'] as const,
    registers: [this.registry],
  });

  observeAdmission(allowed: boolean, reason: string): void {
    this.admissionReviews.inc({ decision: allowed ? 'allowed' : 'denied', reason });
  }

  private readonly webhookDeliveries = new Counter({
    name: 'scangate_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts, by subscription and outcome (delivered, retrying, dead).',
    labelNames: ['subscription', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly webhookSeconds = new Histogram({
    name: 'scangate_webhook_delivery_seconds',
    help: 'How long a webhook delivery attempt took, from the POST to its answer or failure.',
    labelNames: ['subscription'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });

  observeWebhookDelivery(subscription: string, outcome: string, seconds: number): void {
    this.webhookDeliveries.inc({ subscription, outcome });
    this.webhookSeconds.observe({ subscription }, seconds);
  }

  /** The exposition for GET /metrics (AppDeps.renderMetrics). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  private histogram(name: string, help: string): Histogram {
    return new Histogram({ name, help, buckets: durationBuckets, registers: [this.registry] });
  }
}
