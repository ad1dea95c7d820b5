// A real Harbor scanner adapter for tests (Pluggable Scanner Adapter API v1.0/v1.1/v1.2): an
// HTTP server that checks every scan request against the spec's schema, then pulls the image
// manifest and its layers back from the registry with the URL and Authorization it was given,
// and reports a vulnerability for each marker such as `CVE-2099-0001 critical` found in a layer.
// The report is answered with 302 + Refresh-After a few times first, as real adapters do.
// Faults for tests: refuse scans (422), answer garbage, lose a scan (404), or be down (stop()).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRequestBody, type SpecVersion } from './openapi-check.js';

export type AdapterFault = 'none' | 'reject-scans' | 'garbage-reports' | 'lose-next-report' | 'fail-scans-500';

export interface HarborTestAdapterOptions {
  version?: SpecVersion;
  /** 302s before each report (default 2). */
  refreshes?: number;
  refreshAfterSeconds?: number;
}

export interface ReceivedScanRequest {
  contentType: string;
  body: { registry: { url: string; authorization?: string }; artifact: { repository: string; digest: string; mime_type: string } };
}

interface ScanState {
  request: ReceivedScanRequest;
  polls: number;
  outcome?: { vulnerabilities: object[] } | { error: string };
}

const marker = /(CVE-\d{4}-\d{4,})\s+(critical|high|medium|low|negligible|unknown)/gi;
const reportTypes = {
  '1.0': ['application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'],
  '1.1': ['application/vnd.security.vulnerability.report; version=1.1', 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'],
  '1.2': ['application/vnd.security.vulnerability.report; version=1.1', 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'],
};

export class HarborTestAdapter {
  readonly version: SpecVersion;
  fault: AdapterFault = 'none';
  /** Every request that broke the spec (the client's bugs); tests expect none. */
  readonly problems: string[] = [];
  readonly scanRequests: ReceivedScanRequest[] = [];
  /** Each registry fetch the adapter made: its URL and the status it got. */
  readonly pulls: { url: string; status: number }[] = [];
  readonly metadataCalls: number[] = [];
  readonly #scans = new Map<string, ScanState>();
  readonly #server: Server;
  readonly #options: Required<HarborTestAdapterOptions>;
  #port = 0;

  private constructor(options: HarborTestAdapterOptions) {
    this.#options = { version: '1.2', refreshes: 2, refreshAfterSeconds: 1, ...options };
    this.version = this.#options.version;
    this.#server = createServer((req, res) => void this.#handle(req, res).catch((err: unknown) => this.#send(res, 500, { error: { message: String(err) } })));
  }

  static async start(options: HarborTestAdapterOptions = {}): Promise<HarborTestAdapter> {
    const adapter = new HarborTestAdapter(options);
    await adapter.listen();
    return adapter;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Listens (again, on the same port after stop(): an adapter coming back). */
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Down: connections are refused until listen(). Scans in flight are lost, as in a crash. */
  async stop(): Promise<void> {
    this.#scans.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://adapter');
    if (req.method === 'GET' && url.pathname === '/api/v1/metadata') return this.#metadata(res);
    if (req.method === 'POST' && url.pathname === '/api/v1/scan') return this.#acceptScan(req, res);
    const report = /^\/api\/v1\/scan\/([^/]+)\/report$/.exec(url.pathname);
    if (req.method === 'GET' && report) return this.#report(decodeURIComponent(report[1]!), req, res);
    this.#send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
  }

  #metadata(res: ServerResponse): void {
    this.metadataCalls.push(Date.now());
    const v = this.version;
    const vulnerability = { consumes_mime_types: ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'], produces_mime_types: reportTypes[v] };
    const capabilities =
      v === '1.2'
        ? [{ type: 'vulnerability', ...vulnerability }, { type: 'sbom', consumes_mime_types: vulnerability.consumes_mime_types, produces_mime_types: ['application/vnd.security.sbom.report+json; version=1.0'] }]
        : [vulnerability];
    const body = {
      scanner: { name: 'MarkerScan', vendor: 'scangate tests', version: '0.0.1' },
      capabilities,
      properties: { 'harbor.scanner-adapter/vulnerability-database-updated-at': '2026-01-02T03:04:05Z' },
    };
    // The v1.1 metadata type (and v1.1 scan requests) came with API v1.2.
    this.#send(res, 200, body, `application/vnd.scanner.adapter.metadata+json; version=${v === '1.2' ? '1.1' : '1.0'}`);
  }

  async #acceptScan(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    let body: unknown;
    try {
      body = JSON.parse(await textOf(req));
    } catch {
      return this.#fail(res, 400, 'the body is not JSON');
    }
    const problems = checkRequestBody(this.version, 'post', '/scan', contentType, body);
    if (problems.length > 0) {
      this.problems.push(...problems);
      return this.#fail(res, 400, problems.join('; '));
    }
    if (this.fault === 'reject-scans') return this.#fail(res, 422, 'artifact.mime_type is not supported');
    if (this.fault === 'fail-scans-500') return this.#fail(res, 500, 'the scanner is overloaded');
    const request = { contentType, body: body as ReceivedScanRequest['body'] };
    this.scanRequests.push(request);
    const id = randomUUID();
    const scan: ScanState = { request, polls: 0 };
    this.#scans.set(id, scan);
    void this.#scanImage(request).then((outcome) => (scan.outcome = outcome));
    this.#send(res, 202, { id }, 'application/vnd.scanner.adapter.scan.response+json; version=1.0');
  }

  #report(id: string, req: IncomingMessage, res: ServerResponse): void {
    const accept = req.headers.accept ?? '';
    const mimeType = reportTypes[this.version].find((type) => accept.includes(type));
    if (!mimeType) this.problems.push(`GET report: Accept ${JSON.stringify(accept)} names no report type of v${this.version}`);
    const scan = this.#scans.get(id);
    if (!scan || this.fault === 'lose-next-report') {
      if (this.fault === 'lose-next-report') this.fault = 'none';
      this.#scans.delete(id);
      res.writeHead(404).end();
      return;
    }
    if (scan.polls++ < this.#options.refreshes || !scan.outcome) {
      res.writeHead(302, { 'refresh-after': String(this.#options.refreshAfterSeconds) }).end();
      return;
    }
    if ('error' in scan.outcome) return this.#fail(res, 500, scan.outcome.error);
    if (this.fault === 'garbage-reports') {
      this.#send(res, 200, { vulnerabilities: 'lots of them' }, mimeType);
      return;
    }
    const { artifact } = scan.request.body;
    this.#send(res, 200, { generated_at: new Date().toISOString(), artifact, scanner: { name: 'MarkerScan', vendor: 'scangate tests', version: '0.0.1' }, vulnerabilities: scan.outcome.vulnerabilities }, mimeType);
  }

  /** Pulls the image back from the registry, as a real adapter does, and finds the markers. */
  async #scanImage(request: ReceivedScanRequest): Promise<{ vulnerabilities: object[] } | { error: string }> {
    const { registry, artifact } = request.body;
    const headers: Record<string, string> = registry.authorization ? { authorization: registry.authorization } : {};
    const base = `${registry.url.replace(/\/+$/, '')}/v2/${artifact.repository}`;
    const manifestRes = await this.#fetch(`${base}/manifests/${artifact.digest}`, { ...headers, accept: artifact.mime_type });
    if (manifestRes.status !== 200) return { error: `pulling the manifest answered ${manifestRes.status}` };
    const manifest = (await manifestRes.json()) as { layers?: { digest: string }[] };
    const vulnerabilities: object[] = [];
    for (const layer of manifest.layers ?? []) {
      const blob = await this.#fetch(`${base}/blobs/${layer.digest}`, headers);
      if (blob.status !== 200) return { error: `pulling layer ${layer.digest} answered ${blob.status}` };
      for (const [, id, severity] of (await blob.text()).matchAll(marker)) {
        vulnerabilities.push({ id, package: 'marker-lib', version: '1.0.0', fix_version: '1.0.1', severity: severity![0]!.toUpperCase() + severity!.slice(1).toLowerCase() });
      }
    }
    return { vulnerabilities };
  }

  async #fetch(url: string, headers: Record<string, string>): Promise<Response> {
    const res = await fetch(url, { headers });
    this.pulls.push({ url, status: res.status });
    return res;
  }

  #fail(res: ServerResponse, status: number, message: string): void {
    this.#send(res, status, { error: { message } }, 'application/vnd.scanner.adapter.error+json; version=1.0');
  }

  #send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': contentType }).end(JSON.stringify(body));
  }
}

async function textOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
