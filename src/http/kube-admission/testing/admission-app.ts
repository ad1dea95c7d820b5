// A real app with the admission webhook on, for its module tests: SQLite and the filesystem
// store in a temp dir, the scan gate over a TestScanner with in-process workers, the
// vulnerability store (its findings recorded by the tests), pull-through remotes when given,
// and a Prometheus registry of its own; driven with app.inject().
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { configSchema, type ConfigInput } from '../../../config/schema.js';
import { PrometheusMetrics } from '../../../observability/prometheus.js';
import { gatedServices, type GatedServices } from '../../../quarantine/testing/gated-services.js';
import { createRemotes } from '../../../remotes/create.js';
import { buildApp } from '../../app.js';

export interface AdmissionApp extends GatedServices {
  app: FastifyInstance;
  metrics: PrometheusMetrics;
  stop(): Promise<void>;
}

/** The adapters scanning a repository in the test app: none in namespace `unscanned`. */
const adapterScannersFor = (repository: string) => (repository.startsWith('unscanned/') ? [] : ['trivy']);

/** The hosts the app's pods name it by. */
export const admissionAppHosts = ['registry.example.com', '127.0.0.1:5000'];

export async function startAdmissionApp(admission: ConfigInput['admission'], remotes: ConfigInput['remotes'] = []): Promise<AdmissionApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-admission-'));
  const config = configSchema.parse({
    data: dataDir,
    storage: { driver: 'filesystem', fsync: false },
    scanning: { manifestWaitSeconds: 1, retry: { maxAttempts: 2, baseSeconds: 0.05, capSeconds: 0.1 }, scanners: [{ name: 'test', kind: 'command', command: ['true', '{path}'] }] },
    // An adapter is configured and scans every namespace but `unscanned`, so a vulnerability
    // report is required by default there (the tests record the scans).
    vulnerabilityScanners: [{ name: 'trivy', url: 'http://127.0.0.1:9' }],
    admission: { enabled: true, registryHosts: admissionAppHosts, ...admission },
    remotes,
  });
  const gated = await gatedServices(config, dataDir);
  const { services, logger, gate } = gated;
  const made = await createRemotes({ config, blobs: services.blobs, metadata: services.metadata, files: services.files, gatekeeper: gate.gatekeeper, states: services.quarantine, logger, arrivalScans: gated.arrivalScans });
  const metrics = new PrometheusMetrics({ processMetrics: false });
  const app = await buildApp({ ...services, config, logger, gatekeeper: gate.gatekeeper, admissionMetrics: metrics, vulnerabilityScannersFor: adapterScannersFor, ...(made ? { remote: made.source } : {}) });
  gate.startWorkers();
  return { ...gated, app, metrics, stop: () => gated.close(app, made ?? { close: async () => {} }) };
}

/** An AdmissionReview fixture of test/fixtures/admission/, parsed. */
export function admissionFixture(name: string) {
  return JSON.parse(readFileSync(new URL(`../../../../test/fixtures/admission/${name}.json`, import.meta.url), 'utf8'));
}

/** POSTs a review to the webhook. */
export async function postReview(app: FastifyInstance, body: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/admission/validate', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
  return { status: res.statusCode, body: res.json() };
}

/** Polls `check` until it holds (a scan finishing, a fetch arriving), or fails after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
