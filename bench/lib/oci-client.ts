// The one OCI blob client both registries are measured with: undici Pool, streamed bodies
// both ways, large read buffers, so that the client is never what limits a figure.
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { Payload } from './payload.js';

const READ_HIGH_WATER_MARK = 4 * 1024 * 1024;
const TIMEOUT_MS = 300_000;

export class RegistryClient {
  private readonly pool: Pool;

  constructor(readonly origin: string, connections: number) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      keepAliveTimeout: 60_000,
    });
  }

  /** POST then a single PUT carrying the whole blob and its digest. */
  async pushMonolithic(repo: string, payload: Payload): Promise<void> {
    const location = await this.startUpload(repo);
    await this.send('PUT', withDigest(location, payload.digest), [201], payload.range(0, payload.size), {
      'content-type': 'application/octet-stream',
      'content-length': String(payload.size),
    });
  }

  /** POST, one PATCH per chunk (following each returned Location), then PUT with the digest. */
  async pushChunked(repo: string, payload: Payload, chunkBytes: number): Promise<void> {
    let location = await this.startUpload(repo);
    for (let start = 0; start < payload.size; start += chunkBytes) {
      const end = Math.min(payload.size, start + chunkBytes);
      const response = await this.send('PATCH', location, [202], payload.range(start, end), {
        'content-type': 'application/octet-stream',
        'content-length': String(end - start),
        'content-range': `${start}-${end - 1}`,
      });
      location = this.resolve(header(response, 'location'));
    }
    await this.send('PUT', withDigest(location, payload.digest), [201], undefined, { 'content-length': '0' });
  }

  /** What a client pushing a layer does: HEAD (absent), then POST + PUT. */
  async pushLayer(repo: string, payload: Payload): Promise<void> {
    await this.send('HEAD', `/v2/${repo}/blobs/${payload.digest}`, [404]);
    await this.pushMonolithic(repo, payload);
  }

  /** GETs a blob, discards its bytes and checks their count; returns the count. */
  async pull(repo: string, digest: string, expectedSize: number): Promise<number> {
    const response = await this.pool.request({
      method: 'GET',
      path: `/v2/${repo}/blobs/${digest}`,
      highWaterMark: READ_HIGH_WATER_MARK,
    });
    if (response.statusCode !== 200) throw await unexpected('GET', digest, response);
    const received = await countBytes(response.body);
    if (received !== expectedSize) throw new Error(`GET ${digest}: ${received} bytes, expected ${expectedSize}`);
    return received;
  }

  /** Whether the repository already links the blob (HEAD 200). */
  async has(repo: string, digest: string): Promise<boolean> {
    const response = await this.send('HEAD', `/v2/${repo}/blobs/${digest}`, [200, 404]);
    return response.statusCode === 200;
  }

  /** PUT of a manifest (small: sent whole); resolves when the registry answers 201. */
  async putManifest(repo: string, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
    await this.send('PUT', `/v2/${repo}/manifests/${reference}`, [201], [bytes], {
      'content-type': mediaType,
      'content-length': String(bytes.length),
    });
  }

  /** The status a request answers, body discarded (for polling: 200 at last, 404/503 meanwhile). */
  async status(method: 'GET' | 'HEAD', path: string, headers: Record<string, string> = {}): Promise<number> {
    const response = await this.pool.request({ method, path, headers });
    await response.body.dump();
    return response.statusCode;
  }

  /** A GET whose JSON body is wanted (small documents such as the admin API's lists). */
  async getJson(path: string, headers: Record<string, string> = {}): Promise<unknown> {
    const response = await this.pool.request({ method: 'GET', path, headers });
    if (response.statusCode !== 200) throw await unexpected('GET', path, response);
    return response.body.json();
  }

  /** Resolves once GET /v2/ answers 200 or 401. */
  async ping(): Promise<boolean> {
    try {
      const response = await this.pool.request({ method: 'GET', path: '/v2/', headersTimeout: 2_000 });
      await response.body.dump();
      return response.statusCode === 200 || response.statusCode === 401;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private async startUpload(repo: string): Promise<string> {
    const response = await this.send('POST', `/v2/${repo}/blobs/uploads/`, [202], undefined, { 'content-length': '0' });
    return this.resolve(header(response, 'location'));
  }

  private async send(
    method: Dispatcher.HttpMethod,
    path: string,
    expected: number[],
    body?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    headers: Record<string, string> = {},
  ): Promise<Dispatcher.ResponseData> {
    // A byte stream (not object mode) over the payload's slices; the pool writes it with back-pressure.
    const stream = body ? Readable.from(body, { objectMode: false }) : undefined;
    const response = await this.pool.request({ method, path, body: stream, headers });
    if (!expected.includes(response.statusCode)) throw await unexpected(method, path, response);
    await response.body.dump();
    return response;
  }

  /** Locations may be absolute (docker-registry) or relative; the pool wants a path. */
  private resolve(location: string): string {
    const url = new URL(location, this.origin);
    return url.pathname + url.search;
  }
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

function header(response: Dispatcher.ResponseData, name: string): string {
  const value = response.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (!first) throw new Error(`response ${response.statusCode} lacks a ${name} header`);
  return first;
}

async function unexpected(method: string, path: string, response: Dispatcher.ResponseData): Promise<Error> {
  const text = (await response.body.text()).slice(0, 500);
  return new Error(`${method} ${path}: HTTP ${response.statusCode} ${text}`);
}

function countBytes(body: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    body.once('end', () => resolve(received));
    body.once('error', reject);
  });
}
