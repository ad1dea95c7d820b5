// A spec-driven mock of a Harbor scanner adapter: Stoplight Prism (`prism mock --errors`) run as
// a child process on one version of the adapter API's OpenAPI file, so every request is
// validated against that file and a violation is answered 4xx instead of an example. Prism
// serves the spec's paths without its server URL (`/api/v1`), which the client always sends; a
// small HTTP front strips that base path, may add a `Prefer` header (Prism's way to pick a
// response), and records each exchange with the violations Prism reports in `sl-violations`.
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { adapterSpec, type SpecVersion } from './openapi-check.js';
import { startRegistryProcess, type RunningRegistry } from './server-process.js';

export interface PrismViolation {
  location?: string[];
  severity?: string;
  code?: string | number;
  message: string;
}

export interface PrismExchange {
  method: string;
  /** The path as the client sent it, base path included. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  contentType: string | undefined;
  /** What Prism found wrong in the request or in its own answer; tests expect none. */
  violations: PrismViolation[];
}

export interface PrismAdapterMockOptions {
  /** A `Prefer` header for this request (e.g. `code=302`), given the exchanges so far. */
  prefer?(method: string, path: string, exchanges: readonly PrismExchange[]): string | undefined;
}

const prismCli = createRequire(import.meta.url).resolve('@stoplight/prism-cli');
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade']);

export class PrismAdapterMock {
  readonly version: SpecVersion;
  /** Where the client goes: the front, which serves the spec's base path. */
  readonly url: string;
  /** Prism itself, the spec's paths without the base path. */
  readonly prismUrl: string;
  /** The spec's server URL, `/api/v1`. */
  readonly basePath: string;
  readonly exchanges: PrismExchange[] = [];
  readonly #prism: RunningRegistry;
  readonly #front: Server;
  readonly #options: PrismAdapterMockOptions;

  private constructor(version: SpecVersion, prism: RunningRegistry, front: Server, options: PrismAdapterMockOptions) {
    this.version = version;
    this.#prism = prism;
    this.#front = front;
    this.#options = options;
    this.prismUrl = prism.url;
    this.url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    this.basePath = serverBasePath(version);
  }

  static async start(version: SpecVersion, options: PrismAdapterMockOptions = {}): Promise<PrismAdapterMock> {
    const prism = await startRegistryProcess({
      name: `prism-v${version}`,
      command: process.execPath,
      args: (host, dataDir) => {
        const [hostname, port] = host.split(':') as [string, string];
        return [prismCli, 'mock', '--errors', '-h', hostname, '-p', port, join(dataDir, 'spec.json')];
      },
      prepare: (_host, dataDir) => writeFile(join(dataDir, 'spec.json'), JSON.stringify(prismReadySpec(version))),
      // The spec demands Basic or Bearer auth: an anonymous 401 means Prism is up and enforcing it.
      readyPaths: ['/metadata'],
      readyStatus: 401,
      // Prism takes a few seconds to start on a loaded machine.
      readyTimeoutMs: 90_000,
    });
    const front = createServer();
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const mock = new PrismAdapterMock(version, prism, front, options);
    front.on('request', (req, res) => void mock.#forward(req, res).catch((error: unknown) => res.writeHead(502).end(String(error))));
    return mock;
  }

  /** Everything Prism logged (each request, its validation and negotiation), for failures. */
  logs(): string {
    return this.#prism.logs();
  }

  async stop(): Promise<void> {
    this.#front.closeAllConnections();
    await new Promise<void>((resolve) => this.#front.close(() => resolve()));
    await this.#prism.stop();
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const exchange: PrismExchange = { method, path, headers: req.headers, body: body.toString('utf8'), status: 404, contentType: undefined, violations: [] };
    if (!path.startsWith(`${this.basePath}/`)) {
      exchange.violations.push({ message: `${path} is outside the spec's server URL ${this.basePath}` });
      this.exchanges.push(exchange);
      res.writeHead(404).end();
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !hopByHop.has(name))) as Record<string, string | string[]>;
    const prefer = this.#options.prefer?.(method, path, this.exchanges);
    if (prefer !== undefined) headers['prefer'] = prefer;
    const answer = await request(this.prismUrl + path.slice(this.basePath.length), {
      method: method as 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const answerBody = Buffer.from(await answer.body.arrayBuffer());
    exchange.status = answer.statusCode;
    exchange.contentType = first(answer.headers['content-type']);
    exchange.violations = violationsOf(first(answer.headers['sl-violations']));
    this.exchanges.push(exchange);
    const answerHeaders = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !hopByHop.has(name)));
    res.writeHead(answer.statusCode, answerHeaders as Record<string, string | string[]>).end(answerBody);
  }
}

/**
 * The OpenAPI file as Prism gets it: the file itself with two quirks undone, both of which would
 * otherwise make Prism check less, never more, than the file means.
 * - `nullable` without `type` (v1.2's `enabled_capabilities[].parameters`): OpenAPI 3.0.3 says it
 *   has no effect, but Prism's validator (ajv) refuses to compile such a schema and Prism then
 *   silently skips validating the whole request body. Dropping it is the 3.0.3 meaning.
 * - An example of an array or object schema written as JSON text (v1.2's `capabilities`): Prism
 *   would serve the string, which its own response validation rejects. It is parsed.
 */
export function prismReadySpec(version: SpecVersion): unknown {
  const spec = structuredClone(adapterSpec(version)) as unknown;
  undoQuirks(spec);
  return spec;
}

function undoQuirks(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(undoQuirks);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (schema['nullable'] !== undefined && schema['type'] === undefined) delete schema['nullable'];
  if ((schema['type'] === 'array' || schema['type'] === 'object') && typeof schema['example'] === 'string') {
    try {
      schema['example'] = JSON.parse(schema['example']) as unknown;
    } catch {
      // Not JSON: left as written, and Prism's response validation will name it.
    }
  }
  Object.values(schema).forEach(undoQuirks);
}

function serverBasePath(version: SpecVersion): string {
  const servers = (adapterSpec(version) as unknown as { servers?: { url: string }[] }).servers;
  return (servers?.[0]?.url ?? '').replace(/\/+$/, '');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function violationsOf(header: string | undefined): PrismViolation[] {
  if (header === undefined) return [];
  try {
    return JSON.parse(header) as PrismViolation[];
  } catch {
    return [{ message: header }];
  }
}
