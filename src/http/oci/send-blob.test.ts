// Blob GET takes over the response (reply.hijack()): what Fastify's send path did for it
// must still happen: bytes out and request metrics counted, `Connection: close` while stopping.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PrometheusMetrics } from '../../observability/prometheus.js';
import type { BlobHandle } from '../../ports/blob-store.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { sendBlobHandle } from './send-blob.js';

function memoryHandle(bytes: Buffer): BlobHandle {
  return {
    size: bytes.length,
    read: async (buffer, length, position) => bytes.copy(buffer, 0, position, position + length),
    close: async () => {},
  };
}

let t: TestApp | undefined;
afterEach(async () => t?.close());

describe('blob GET metrics', () => {
  it('counts the bytes sent and the request, for whole and ranged GETs', async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    t = await startTestApp({}, { metrics });
    metrics.instrument(t.app);
    const body = Buffer.from('hello scangate');
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const url = `/v2/m/app/blobs/${digest}`;
    const push = await t.app.inject({ method: 'POST', url: `/v2/m/app/blobs/uploads/?digest=${digest}`, payload: body, headers: { 'content-type': 'application/octet-stream' } });
    expect(push.statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url, headers: { range: 'bytes=2-4' } })).statusCode).toBe(206);
    const { body: exposition } = await metrics.render();
    expect(exposition).toContain(`scangate_bytes_out_total ${body.length + 3}`);
    expect(exposition).toContain('scangate_http_requests_total{method="GET",route="/v2/*",status="200"} 1');
    expect(exposition).toContain('scangate_http_requests_total{method="GET",route="/v2/*",status="206"} 1');
  });
});

describe('blob GET queries', () => {
  it('reads the repository link once per GET', async () => {
    t = await startTestApp();
    const body = Buffer.from('linked once');
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    await t.app.inject({ method: 'POST', url: `/v2/q/app/blobs/uploads/?digest=${digest}`, payload: body, headers: { 'content-type': 'application/octet-stream' } });
    const getBlob = vi.spyOn(t.metadata, 'getBlob');
    const get = await t.app.inject({ method: 'GET', url: `/v2/q/app/blobs/${digest}`, headers: { range: 'bytes=0-5' } });
    expect(get.statusCode).toBe(206);
    expect(get.payload).toBe('linked');
    expect(getBlob).toHaveBeenCalledTimes(1);
  });
});

describe('sendBlobHandle while the server stops', () => {
  it('answers Connection: close, so the keep-alive socket does not hold the stop', async () => {
    const app = Fastify();
    let closing!: Promise<void>;
    let handlerEntered!: () => void;
    const entered = new Promise<void>((resolve) => (handlerEntered = resolve));
    app.get('/blob', async (_request, reply) => {
      handlerEntered();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the stop begins meanwhile
      return sendBlobHandle(reply, memoryHandle(Buffer.from('bytes')), { start: 0, end: 4 }, 200);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const response = new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ port: (app.server.address() as AddressInfo).port, path: '/blob', agent }, resolve).on('error', reject);
      });
      await entered;
      const started = Date.now();
      closing = app.close();
      const res = await response;
      res.resume();
      expect(res.headers.connection).toBe('close');
      await closing;
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      agent.destroy();
    }
  }, 15_000);
});
