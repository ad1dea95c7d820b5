// INSTREAM: `zINSTREAM\0`, then chunks each prefixed by its length (4 bytes, big-endian),
// then a zero length; clamd answers `stream: OK`, `stream: <sig> FOUND` or `... ERROR`.
// clamd may answer early and close (size limit exceeded): the writer then fails with
// EPIPE/ECONNRESET, and whatever reply arrived decides, never a clean default.
import type { NetConnectOpts, Socket } from 'node:net';
import { untilAborted } from '../until-aborted.js';
import { openSocket, readReply, type ReplyOutcome } from './connection.js';

export interface InstreamOptions {
  /** Bytes per INSTREAM chunk; small stream chunks are coalesced up to it. */
  chunkSize: number;
  signal: AbortSignal;
}

export interface InstreamOutcome extends ReplyOutcome {
  /** Why writing stopped early, when it did. */
  writeError?: unknown;
  /** The reply was whole before the terminating zero-length chunk went out. */
  repliedEarly: boolean;
  bytesSent: number;
}

export async function sendInstream(
  target: NetConnectOpts,
  source: AsyncIterable<Buffer>,
  options: InstreamOptions,
): Promise<InstreamOutcome> {
  const { signal } = options;
  const socket = await openSocket(target, signal);
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    let finishedWriting = false;
    let repliedEarly = false;
    const reply = readReply(socket).then((outcome) => {
      repliedEarly = outcome.complete && !finishedWriting;
      return outcome;
    });
    // When clamd hangs up, stop reading the source at once, even a stalled one.
    const hangUp = new AbortController();
    socket.once('close', () => hangUp.abort(new Error('clamd closed the connection')));
    const reading = AbortSignal.any([signal, hangUp.signal]);
    let bytesSent = 0;
    let writeError: unknown;
    try {
      socket.write('zINSTREAM\0');
      for await (const chunk of untilAborted(coalesce(source, options.chunkSize), reading)) {
        await writeFrame(socket, chunk);
        bytesSent += chunk.length;
      }
      // Set before the write: a reply to the terminator may arrive before this await returns.
      finishedWriting = true;
      await writeFrame(socket, Buffer.alloc(0));
    } catch (err) {
      writeError = err;
      // Stop here; the reply (if clamd sent one before closing) still decides.
      socket.destroy();
    }
    return { ...(await reply), writeError, repliedEarly, bytesSent };
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** Writes one length-prefixed frame and waits for the socket to drain when it is full. */
async function writeFrame(socket: Socket, payload: Buffer): Promise<void> {
  if (socket.destroyed) throw new Error('clamd closed the connection');
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(payload.length);
  socket.cork();
  socket.write(header);
  if (payload.length > 0) socket.write(payload);
  socket.uncork();
  if (socket.writableNeedDrain) await drained(socket);
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => socket.off('drain', onDrain).off('close', onClose).off('error', onClose);
    const onDrain = () => (cleanup(), resolve());
    const onClose = (err?: unknown) => (cleanup(), reject(err instanceof Error ? err : new Error('clamd closed the connection')));
    socket.on('drain', onDrain).on('close', onClose).on('error', onClose);
  });
}

/** Re-cuts a byte stream into chunks of exactly `size` bytes (the last one shorter). */
export async function* coalesce(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
      rest = rest.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
