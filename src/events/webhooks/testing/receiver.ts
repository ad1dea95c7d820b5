// A real HTTP webhook receiver for tests: it records every request (headers and raw body) and
// answers from a script (a status, headers and body per request; `stall` holds the request
// open until released), then with the fallback answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'stall';

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Answers for the next requests, in order; then `fallback`. */
  readonly script: Answer[] = [];
  fallback: Answer = { status: 204 };
  #server: Server | undefined;
  #stalled: ServerResponse[] = [];
  #url = '';

  get url(): string {
    return this.#url;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((request, response) => void this.#handle(request, response));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return this;
  }

  /** Answers the stalled requests with `answer` (default: the fallback). */
  release(answer: { status: number } = { status: 204 }): void {
    for (const response of this.#stalled.splice(0)) response.writeHead(answer.status).end();
  }

  /** Polls until `count` requests came (or the time is up, which throws with what came). */
  async waitFor(count: number, timeoutMs = 20_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`the receiver got ${this.received.length} requests, not ${count}, within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.received.slice(0, count);
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    this.received.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
    const answer = this.script.shift() ?? this.fallback;
    if (answer === 'stall') {
      this.#stalled.push(response);
      return;
    }
    response.writeHead(answer.status, answer.headers).end(answer.body ?? '');
  }
}
