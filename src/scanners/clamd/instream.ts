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
      for await (const frame of untilAborted(frames(source, options.chunkSize), reading)) {
        await writeFrame(socket, frame);
        bytesSent += frame.bytes;
      }
      // Set before the write: a reply to the terminator may arrive before this await returns.
      finishedWriting = true;
      await writeFrame(socket, { pieces: [], bytes: 0 });
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

/** Writes one length-prefixed frame (its pieces in one writev) and waits for the socket to drain when it is full. */
async function writeFrame(socket: Socket, frame: Frame): Promise<void> {
  if (socket.destroyed) throw new Error('clamd closed the connection');
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(frame.bytes);
  socket.cork();
  socket.write(header);
  for (const piece of frame.pieces) socket.write(piece);
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

/** One INSTREAM chunk: slices of the source's own buffers, `bytes` in all. */
export interface Frame {
  pieces: Buffer[];
  bytes: number;
}

/**
 * Re-cuts a byte stream into frames of exactly `size` bytes (the last one shorter), out of
 * slices of the source's chunks. A download arrives in chunks of some 16-64 KiB; copying
 * them into a fresh 1 MiB buffer per frame cost a page-faulted allocation per MiB and most
 * of the collector's work while scanning a download as it arrived.
 */
export async function* frames(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Frame> {
  let pieces: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (bytes + rest.length >= size) {
      const take = size - bytes;
      pieces.push(rest.subarray(0, take));
      yield { pieces, bytes: size };
      rest = rest.subarray(take);
      pieces = [];
      bytes = 0;
    }
    if (rest.length > 0) {
      pieces.push(rest);
      bytes += rest.length;
    }
  }
  if (bytes > 0) yield { pieces, bytes };
}
