// The baseline: a minimal INSTREAM client of its own (not scangate's scanner), so that the
// raw figure is what clamd itself needs for the bytes, with nothing of scangate's in it.
// zINSTREAM\0, then 1 MiB chunks each behind a 4-byte big-endian length, then a zero
// length; the reply (`stream: OK\0`) ends the scan.
import { createReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';

const CHUNK_BYTES = 1024 * 1024;

export interface ClamdTarget {
  host: string;
  port: number;
}

export function parseTcpAddress(address: string): ClamdTarget {
  const url = new URL(address);
  if (url.protocol !== 'tcp:') throw new Error(`expected tcp://HOST:PORT, got ${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** Sends the bytes of `source` and resolves with clamd's reply; throws unless it is `stream: OK`. */
export async function instream(target: ClamdTarget, source: AsyncIterable<Uint8Array>): Promise<string> {
  const socket = connect(target);
  socket.setNoDelay(true);
  const reply = readReply(socket);
  // A reply before the end (size limit, error) must not wait on a full socket forever.
  const failed = reply.then((text) => Promise.reject(new Error(`clamd replied before the end: ${text}`)));
  failed.catch(() => {});
  try {
    await Promise.race([send(socket, source), failed]);
    const text = await reply;
    if (text !== 'stream: OK') throw new Error(`clamd: ${text}`);
    return text;
  } finally {
    socket.destroy();
  }
}

/** INSTREAM of a file, read in 1 MiB pieces. */
export function instreamFile(target: ClamdTarget, path: string): Promise<string> {
  return instream(target, createReadStream(path, { highWaterMark: CHUNK_BYTES }));
}

async function send(socket: Socket, source: AsyncIterable<Uint8Array>): Promise<void> {
  await write(socket, Buffer.from('zINSTREAM\0'));
  for await (const chunk of source) {
    // clamd's StreamMaxLength counts payload, and its reads are per chunk: keep chunks <= 1 MiB.
    for (let offset = 0; offset < chunk.length; offset += CHUNK_BYTES) {
      const piece = chunk.subarray(offset, Math.min(chunk.length, offset + CHUNK_BYTES));
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(piece.length);
      socket.write(length);
      await write(socket, piece);
    }
  }
  await write(socket, Buffer.alloc(4));
}

function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  if (socket.write(bytes)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => (socket.off('close', onClose), resolve());
    const onClose = () => (socket.off('drain', onDrain), reject(new Error('clamd closed the connection')));
    socket.once('drain', onDrain).once('close', onClose);
  });
}

function readReply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(0)) {
        const all = Buffer.concat(chunks);
        resolve(all.subarray(0, all.indexOf(0)).toString('utf8'));
      }
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('clamd closed the connection without a whole reply')));
  });
}
