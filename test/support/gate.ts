// What the gate's e2e tests ask a running scangate: a config file per scenario, the scan
// counters of /metrics, the admin API's view of a digest, and the status a plain GET of a
// blob or manifest gets (no client retries, so a 503 is seen as a 503).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';

/** Writes `config` as YAML to `dir/name` and returns the path (for `--config`). */
export async function writeConfigFile(dir: string, name: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, stringify(config));
  return path;
}

export type ScanOutcome = 'clean' | 'infected' | 'cached' | 'error';
export type ScanCounts = Record<ScanOutcome, number>;

/** `scangate_scans_total` by outcome, summed over scanners. */
export async function scanCounts(baseUrl: string): Promise<ScanCounts> {
  const counts: ScanCounts = { clean: 0, infected: 0, cached: 0, error: 0 };
  for (const sample of await metricSamples(baseUrl, 'scangate_scans_total')) {
    const outcome = sample.labels.outcome as ScanOutcome | undefined;
    if (outcome && outcome in counts) counts[outcome] += sample.value;
  }
  return counts;
}

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in the Prometheus text format served at /metrics. */
export async function metricSamples(baseUrl: string, name: string): Promise<MetricSample[]> {
  const response = await request(`${baseUrl}/metrics`);
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET /metrics answered ${response.statusCode}: ${text}`);
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ labels, value: Number(match[3]) });
  }
  return samples;
}

export interface AdminState {
  digest: string;
  kind: 'blob' | 'manifest';
  state: 'pending' | 'clean' | 'infected' | 'failed';
  reason: string | null;
  decidedBy: string | null;
  updatedAt: string;
}

export interface AdminReport {
  state: AdminState;
  verdicts: { scanner: string; engine: string; verdict: string; scannedAt: string }[];
}

/** The admin API, with the token scangate wrote into its data dir. */
export class AdminClient {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async open(baseUrl: string, dataDir: string): Promise<AdminClient> {
    return new AdminClient(baseUrl, (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim());
  }

  /** The digest's state, newest verdicts and audit; undefined when scangate has no state for it. */
  async report(digest: string): Promise<AdminReport | undefined> {
    const response = await request(`${this.baseUrl}/admin/quarantine/${digest}`, { headers: this.headers() });
    const body = await response.body.json();
    if (response.statusCode === 404) return undefined;
    if (response.statusCode !== 200) throw new Error(`GET /admin/quarantine/${digest}: ${response.statusCode} ${JSON.stringify(body)}`);
    return body as AdminReport;
  }

  /** Waits until the digest's state is no longer pending; resolves to it. */
  decided(digest: string, timeoutMs: number): Promise<AdminState> {
    return waitUntil(`${digest} decided`, timeoutMs, async () => {
      const report = await this.report(digest);
      return report && report.state.state !== 'pending' ? report.state : undefined;
    });
  }

  async states(digests: readonly string[]): Promise<Map<string, AdminState['state'] | undefined>> {
    const reports = await Promise.all(digests.map((digest) => this.report(digest)));
    return new Map(digests.map((digest, i) => [digest, reports[i]?.state.state]));
  }

  /** GET /admin/jobs (for diagnostics when a wait times out). */
  async jobs(state?: 'queued' | 'running' | 'done' | 'dead'): Promise<unknown> {
    const response = await request(`${this.baseUrl}/admin/jobs${state ? `?state=${state}` : ''}`, { headers: this.headers() });
    return response.body.json();
  }

  private headers() {
    return { authorization: `Bearer ${this.token}` };
  }
}

export interface Probe {
  status: number;
  retryAfter: string | undefined;
  /** The first OCI error, when the body is one. */
  error: { code: string; message: string } | undefined;
}

const manifestAccept = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** GET /v2/REPO/blobs/DIGEST, body drained. */
export function probeBlob(baseUrl: string, repository: string, digest: string): Promise<Probe> {
  return probe(`${baseUrl}/v2/${repository}/blobs/${digest}`);
}

/** GET (or HEAD) /v2/REPO/manifests/REF. */
export function probeManifest(baseUrl: string, repository: string, reference: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Probe> {
  return probe(`${baseUrl}/v2/${repository}/manifests/${reference}`, method, { accept: manifestAccept });
}

async function probe(url: string, method: 'GET' | 'HEAD' = 'GET', headers: Record<string, string> = {}): Promise<Probe> {
  const response = await request(url, { method, headers });
  const retryAfter = response.headers['retry-after'];
  if (response.statusCode === 200 || method === 'HEAD') {
    await response.body.dump();
    return { status: response.statusCode, retryAfter: retryAfter as string | undefined, error: undefined };
  }
  const text = await response.body.text();
  let error: Probe['error'];
  try {
    error = (JSON.parse(text) as { errors?: { code: string; message: string }[] }).errors?.[0];
  } catch {
    error = undefined;
  }
  return { status: response.statusCode, retryAfter: retryAfter as string | undefined, error };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `task` over `items`, at most `limit` at a time; resolves to the results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const position = next++;
      results[position] = await task(items[position]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
