// The adapter client against the test adapter speaking each API version: it negotiates the
// metadata, scan request and report types the version knows (each request checked against
// that version's OpenAPI schema), caches /metadata, and turns an unreachable adapter into a
// retryable AdapterError. The registry the adapter pulls from is a stub serving one manifest.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarborTestAdapter } from '../../../test/support/harbor-adapter.js';
import type { SpecVersion } from '../../../test/support/openapi-check.js';
import { AdapterError } from './adapter-error.js';
import { HarborAdapterClient } from './client.js';

const digest = `sha256:${'c'.repeat(64)}`;
let registry: Server;
let registryUrl: string;

beforeAll(async () => {
  registry = createServer((req, res) => {
    if (req.url === `/v2/lib/app/manifests/${digest}`) res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(JSON.stringify({ schemaVersion: 2, layers: [] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

const config = (url: string) => ({ name: 'marker', url, tlsVerify: true });
const artifact = { repository: 'lib/app', digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' };

describe.each<[SpecVersion, string, string]>([
  ['1.0', 'application/vnd.scanner.adapter.scan.request+json; version=1.0', 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0'],
  ['1.1', 'application/vnd.scanner.adapter.scan.request+json; version=1.0', 'application/vnd.security.vulnerability.report; version=1.1'],
  ['1.2', 'application/vnd.scanner.adapter.scan.request+json; version=1.1', 'application/vnd.security.vulnerability.report; version=1.1'],
])('HarborAdapterClient with a v%s adapter', (version, requestType, reportType) => {
  it('negotiates the types the version knows, and every request conforms to its spec', async () => {
    const adapter = await HarborTestAdapter.start({ version, refreshes: 1, refreshAfterSeconds: 0 });
    const client = new HarborAdapterClient(config(adapter.url), {});
    try {
      const scan = await client.scan(artifact, async () => ({ url: registryUrl, authorization: 'Bearer t' }), 10_000);
      expect(scan.mimeType).toBe(reportType);
      expect(scan.report.vulnerabilities).toEqual([]);
      expect(adapter.scanRequests[0]!.contentType).toBe(requestType);
      const capabilities = (adapter.scanRequests[0]!.body as { enabled_capabilities?: unknown }).enabled_capabilities;
      expect(capabilities).toEqual(version === '1.2' ? [{ type: 'vulnerability', produces_mime_types: [reportType] }] : undefined);
      expect(adapter.problems).toEqual([]);
      await client.scan(artifact, async () => ({ url: registryUrl }), 10_000);
      expect(adapter.metadataCalls).toHaveLength(1); // cached
    } finally {
      await client.close();
      await adapter.stop();
    }
  }, 20_000);
});

describe('HarborAdapterClient faults', () => {
  it('an unreachable adapter is a retryable AdapterError', async () => {
    const adapter = await HarborTestAdapter.start();
    await adapter.stop();
    const client = new HarborAdapterClient(config(adapter.url), {});
    const error = await client.scan(artifact, async () => ({ url: registryUrl }), 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ retryable: true });
    await client.close();
  });

  it('a scan that outlasts the timeout is a retryable AdapterError naming it', async () => {
    const adapter = await HarborTestAdapter.start({ refreshes: 100, refreshAfterSeconds: 1 });
    const client = new HarborAdapterClient(config(adapter.url), {});
    const error = await client.scan(artifact, async () => ({ url: registryUrl }), 1_500).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, message: expect.stringContaining('no report within 1.5 s') });
    await client.close();
    await adapter.stop();
  });
});
