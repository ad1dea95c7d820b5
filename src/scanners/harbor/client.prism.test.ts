// The adapter client checked against the adapter API's OpenAPI files themselves, not against
// our reading of them: for v1.0, v1.1 and v1.2 a Stoplight Prism mock started from that
// version's file (with --errors) validates each request the real HarborAdapterClient sends
// (path, security, Accept, body) and its own example answers, and the test fails on any
// violation Prism reports. The client must then read Prism's examples: metadata, a scan id,
// a 302 with Refresh-After, and the report. A negative control per version proves the mock
// really refuses what breaks the spec.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismAdapterMock, type PrismExchange } from '../../../test/support/prism-adapter-mock.js';
import { adapterSpec, type SpecVersion } from '../../../test/support/openapi-check.js';
import { vulnerabilityScannerSchema, type AdapterAuthConfig } from '../../config/vulnerability-scanner-schema.js';
import { AdapterError } from './adapter-error.js';
import { harborClientFor } from './client-from-config.js';
import { mediaTypes } from './protocol.js';

const versions: SpecVersion[] = ['1.0', '1.1', '1.2'];
const mocks = new Map<SpecVersion, PrismAdapterMock>();

/** The first poll of each report answers the spec's 302 (Prism fills Refresh-After), the next the report. */
const firstPollPending = (method: string, path: string, exchanges: readonly PrismExchange[]) =>
  method === 'GET' && path.endsWith('/report') && !exchanges.some((e) => e.path === path) ? 'code=302' : undefined;

beforeAll(async () => {
  const started = await Promise.allSettled(versions.map((version) => PrismAdapterMock.start(version, { prefer: firstPollPending })));
  started.forEach((result, i) => result.status === 'fulfilled' && mocks.set(versions[i]!, result.value));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stopAll();
    throw failure.reason;
  }
}, 120_000);
afterAll(stopAll, 60_000);

async function stopAll(): Promise<void> {
  await Promise.allSettled([...mocks.values()].map((mock) => mock.stop()));
  mocks.clear();
}

function mockOf(version: SpecVersion): PrismAdapterMock {
  const mock = mocks.get(version)!;
  mock.exchanges.length = 0;
  return mock;
}

/** The client as a registration makes it (config schema, auth headers), pointed at the mock. */
const clientOf = (mock: PrismAdapterMock, auth: AdapterAuthConfig) =>
  harborClientFor(vulnerabilityScannerSchema.parse({ name: 'prism', url: mock.url, auth }), { defaultRefreshSeconds: 0 });

const artifact = { repository: 'library/app', digest: `sha256:${'c'.repeat(64)}`, mime_type: 'application/vnd.oci.image.manifest.v1+json' };
// The spec's `format: url` is checked by Prism with ajv's `url` format, which refuses loopback,
// private and one-label hosts: the URL an adapter pulls from is a public-looking one here.
const registry = { url: 'https://scangate.example.com', authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzY2FubmVyIn0.c2ln' };

/** The spec's request body media types for POST /scan in this version. */
const scanRequestTypes = (version: SpecVersion) => Object.keys(adapterSpec(version).paths['/scan']!['post']!.requestBody!.content);

interface VersionCase {
  auth: AdapterAuthConfig;
  /** The Authorization header that auth makes. */
  authorization: string;
  /** The metadata type Prism negotiates from the client's Accept. */
  metadataType: string;
  requestType: string;
  /** v1.2: the scan request names the capability it enables. */
  typed: boolean;
}

const basic = { auth: { kind: 'basic', username: 'harbor', password: 's3cret' }, authorization: `Basic ${Buffer.from('harbor:s3cret').toString('base64')}` } as const;
const bearer = { auth: { kind: 'bearer', token: 'adapter-token' }, authorization: 'Bearer adapter-token' } as const;

describe.each<[SpecVersion, VersionCase]>([
  ['1.0', { ...basic, metadataType: mediaTypes.metadata10, requestType: mediaTypes.scanRequest10, typed: false }],
  ['1.1', { ...bearer, metadataType: mediaTypes.metadata10, requestType: mediaTypes.scanRequest10, typed: false }],
  ['1.2', { ...bearer, metadataType: mediaTypes.metadata11, requestType: mediaTypes.scanRequest11, typed: true }],
])('HarborAdapterClient against Prism serving the v%s OpenAPI file', (version, { auth, authorization, metadataType, requestType, typed }) => {
  it('scans with requests Prism finds valid, and reads its example answers', async () => {
    const mock = mockOf(version);
    const client = await clientOf(mock, auth);
    try {
      const scan = await client.scan(artifact, async () => registry, 30_000);
      // The spec's example metadata produces the Harbor v1.0 report type only.
      expect(scan.mimeType).toBe(mediaTypes.report10);
      expect(scan.metadata.apiVersion).toBe(version === '1.2' ? '1.1' : '1.0');
      expect(scan.metadata.body.scanner).toMatchObject({ name: 'Trivy', vendor: 'Aqua Security' });
      expect(scan.metadata.dbUpdatedAt).toEqual(new Date('2019-08-13T08:16:33.345Z'));
      expect(scan.report.vulnerabilities?.[0]).toMatchObject({ id: 'CVE-2017-8283', package: 'dpkg', fix_version: '1.18.0' });
    } finally {
      await client.close();
    }

    const reportPoll = (status: number) => expect.stringMatching(new RegExp(`^GET ${mock.basePath}/scan/[^/]+/report ${status}$`));
    expect(mock.exchanges.flatMap((e) => e.violations), mock.logs()).toEqual([]);
    expect(mock.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      `GET ${mock.basePath}/metadata 200`,
      `POST ${mock.basePath}/scan 202`,
      reportPoll(302),
      reportPoll(200),
    ]);
    for (const exchange of mock.exchanges) expect(exchange.headers['authorization']).toBe(authorization);

    // Accept negotiation: Prism chose the newest metadata type this version knows.
    const [metadata, scanRequest, , reportFetch] = mock.exchanges as [PrismExchange, PrismExchange, PrismExchange, PrismExchange];
    expect(metadata.contentType).toBe(metadataType);
    // Prism matches request media types by `type/suffix` only: the exact type is checked here.
    expect(scanRequestTypes(version)).toContain(scanRequest.headers['content-type']);
    expect(scanRequest.headers['content-type']).toBe(requestType);
    expect(scanRequest.headers['accept']).toBe(`${mediaTypes.scanResponse}, ${mediaTypes.error}`);
    expect(JSON.parse(scanRequest.body)).toEqual({
      registry,
      artifact,
      ...(typed ? { enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [mediaTypes.report10] }] } : {}),
    });
    expect(reportFetch.headers['accept']).toBe(`${mediaTypes.report10}, ${mediaTypes.error}`);
    expect(reportFetch.contentType).toBe(mediaTypes.report10);
  }, 60_000);

  it('the mock really validates: a malformed scan request, sent directly, is refused with the reasons', async () => {
    const mock = mockOf(version);
    const res = await request(`${mock.prismUrl}/scan`, {
      method: 'POST',
      headers: { authorization, 'content-type': requestType },
      body: JSON.stringify({ registry: 'https://scangate.example.com', artifact: { repository: 'library/app', digest: 7 } }),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(422);
    const violations = JSON.parse(String(res.headers['sl-violations'])) as { message: string }[];
    expect(violations.map((v) => v.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/registry must be object/), expect.stringMatching(/artifact\.digest must be string/)]),
    );
  });

  it('a client without the credentials the spec demands gets a final AdapterError naming the 401', async () => {
    const mock = mockOf(version);
    const client = await clientOf(mock, { kind: 'none' });
    try {
      const error = await client.metadata().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdapterError);
      expect(error).toMatchObject({ retryable: false, status: 401, message: expect.stringContaining('GET /metadata answered 401') });
    } finally {
      await client.close();
    }
  });
});
