// Sends a blob through reused buffers (buffer-pool.ts: 1 MiB, smaller under a fan-out):
// read the next chunk into one while the previous one is being written from the other, and
// reuse a buffer only once the socket has flushed it. A file read stream allocates a fresh
// buffer per chunk instead, and on a 1 GiB pull the collector then spends about a third of
// the time on "external memory pressure"; this way memory stays flat. The buffers come from
// pools shared by all pulls: fresh ones cost page faults.
import type { Server, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { BlobHandle, ByteRange } from '../../ports/blob-store.js';
import { BufferPool, BufferTiers } from './buffer-pool.js';
import type { BlobRead } from '../../registry/blobs.js';

/**
 * 8 buffers of 1 MiB (a pull of a big blob reads 1 MiB at a time, into two of them in
 * turn), then 32 of 256 KiB (a 32-way fan-out still reads 256 KiB at a time: 64 KiB reads
 * cost it ~40% more CPU), then 64 KiB ones. 17 MiB at most are kept for good.
 */
const buffers = new BufferTiers([new BufferPool(1024 * 1024, 8, 8), new BufferPool(256 * 1024, 32, 32), new BufferPool(64 * 1024, 16)]);

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  const written = new Promise<void>((resolve, reject) => {
    res.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
  written.catch(() => {}); // awaited later; a client hang-up must not become an unhandled rejection
  return written;
}

async function copyRange(handle: BlobHandle, range: ByteRange, res: ServerResponse): Promise<void> {
  // One buffer when the range fits in it (most layers of most images), else two in turn when
  // the pool can spare a second.
  const first = buffers.acquire();
  const second = range.end - range.start + 1 > first.length ? buffers.acquireSecond(first) : undefined;
  const turns = second ? [first, second] : [first];
  const inFlight: (Promise<void> | undefined)[] = turns.map(() => undefined);
  let reusable = false;
  try {
    let position = range.start;
    for (let turn = 0; position <= range.end; turn++) {
      const slot = turn % turns.length;
      await inFlight[slot];
      if (res.destroyed) throw new Error('the client went away');
      const buffer = turns[slot]!;
      const read = await handle.read(buffer, Math.min(buffer.length, range.end - position + 1), position);
      if (read === 0) throw new Error(`blob ended at ${position}, before its size`);
      inFlight[slot] = write(res, buffer.subarray(0, read));
      position += read;
    }
    await Promise.all(inFlight);
    reusable = true;
  } finally {
    // A write that failed may still hold its buffer in the socket: only a clean finish reuses them.
    for (const buffer of turns) buffers.release(buffer, reusable);
  }
}

/**
 * Whether the server has begun to stop (it no longer listens). Fastify's onSend hooks, which
 * answer `Connection: close` while stopping, do not run for a hijacked reply; without the
 * header the client's keep-alive socket holds the stop until the keep-alive timeout (72 s).
 */
function serverStopping(res: ServerResponse): boolean {
  const server = (res.socket as { server?: Server } | null)?.server;
  return server !== undefined && !server.listening;
}

/**
 * Takes over the response (Fastify's send path is skipped: the headers it would have added
 * are copied from the reply), streams `range` of the handle, and closes it. Fastify's
 * onResponse hooks (bytes out, request metrics) still run when the response finishes.
 */
export async function sendBlobHandle(reply: FastifyReply, handle: BlobHandle, range: ByteRange, status: 200 | 206): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  try {
    const headers = { ...reply.getHeaders(), 'x-request-id': reply.request.id } as Record<string, string>;
    if (serverStopping(res)) headers.connection = 'close';
    res.writeHead(status, headers);
    await copyRange(handle, range, res);
    res.end();
  } catch (err) {
    reply.log.info({ err }, 'blob download ended early');
    res.destroy();
  } finally {
    await handle.close();
  }
}

/**
 * Sends an opened blob: the whole of it (200) or its range (206 with Content-Range), with
 * Content-Length; the headers the caller set (type, digest, ETag...) go with it.
 */
export async function sendBlobRead(reply: FastifyReply, read: BlobRead): Promise<unknown> {
  const { info, range } = read;
  if (range) {
    reply.headers({ 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${info.size}` });
  } else {
    reply.header('content-length', String(info.size));
  }
  const status = range ? 206 : 200;
  if ('handle' in read) return sendBlobHandle(reply, read.handle, range ?? { start: 0, end: info.size - 1 }, status);
  return reply.code(status).send(read.stream);
}
