// Faults a real clamd will not produce on demand: a tiny fake TCP server stands in for it
// in these cases only (closes mid-stream, answers too early, never answers). Plus the
// parsing of clamd's replies and addresses.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isScannerError, type ScannerError } from '../../ports/scanner.js';
import { bytesSubject, stalledSubject } from '../scanner.suite.js';
import { parseClamdAddress } from './address.js';
import { ClamdScanner } from './clamd-scanner.js';
import { frames, type Frame } from './instream.js';
import { parseScanReply, parseVersionReply } from './replies.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A fake clamd: answers VERSION properly, hands INSTREAM connections to `onInstream`. */
async function fakeClamd(onInstream: (socket: Socket) => void): Promise<ClamdScanner> {
  server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (first) => {
      if (first.toString('latin1').startsWith('zVERSION')) socket.end('ClamAV 1.4.6/27000/Mon Jan  1 00:00:00 2024\0');
      else onInstream(socket);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return new ClamdScanner({ name: 'clamav', address: `tcp://127.0.0.1:${port}`, timeoutMs: 2_000 });
}

async function scanError(scanner: ClamdScanner, size = 8 * 1024 * 1024): Promise<ScannerError> {
  const outcome = await scanner.scan(bytesSubject(randomBytes(size))).catch((err: unknown) => err);
  expect(outcome, `expected an error, got ${JSON.stringify(outcome)}`).toSatisfy(isScannerError);
  return outcome as ScannerError;
}

describe('clamd protocol faults', () => {
  it('a connection reset mid-stream is a retryable error', async () => {
    const scanner = await fakeClamd((socket) => socket.resetAndDestroy());
    expect((await scanError(scanner)).retryable).toBe(true);
  });

  it('a reset while the source is stalled ends the scan at once, not at the timeout', async () => {
    const scanner = await fakeClamd((socket) => setTimeout(() => socket.resetAndDestroy(), 100));
    const started = Date.now();
    await expect(scanner.scan(stalledSubject())).rejects.toThrow(/stream stopped/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('a graceful close mid-stream with no reply is an error', async () => {
    const scanner = await fakeClamd((socket) => socket.end());
    expect((await scanError(scanner)).retryable).toBe(true);
  });

  it('"size limit exceeded" then close is a non-retryable error', async () => {
    const scanner = await fakeClamd((socket) => socket.end('INSTREAM size limit exceeded. ERROR\0'));
    const error = await scanError(scanner);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/size limit exceeded/);
  });

  it('an OK that comes before the stream was sent whole is an error, not clean', async () => {
    const scanner = await fakeClamd((socket) => {
      socket.write('stream: OK\0');
      socket.resume();
    });
    expect((await scanError(scanner)).message).toMatch(/before the stream was sent whole/);
  });

  it('a reply cut before its terminator is an error', async () => {
    const scanner = await fakeClamd((socket) => socket.on('data', (chunk) => chunk.includes(Buffer.alloc(4)) && socket.end('stream: O')));
    await scanError(scanner, 1024);
  });

  it('a server that never answers times out', async () => {
    const scanner = await fakeClamd((socket) => socket.resume());
    expect((await scanError(scanner, 1024)).message).toMatch(/timed out/);
  });
});

describe('clamd replies', () => {
  it.each([
    ['stream: OK', { kind: 'clean' }],
    ['stream: Win.Test.EICAR_HDB-1 FOUND', { kind: 'infected', signature: 'Win.Test.EICAR_HDB-1' }],
    ['stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\n', { kind: 'infected', signature: 'Heuristics.Limits.Exceeded.MaxFileSize' }],
    ['INSTREAM size limit exceeded. ERROR', { kind: 'error', message: 'INSTREAM size limit exceeded. ERROR' }],
    ["stream: Can't allocate memory ERROR", { kind: 'error', message: "stream: Can't allocate memory ERROR" }],
    ['', { kind: 'error', message: 'unexpected reply ""' }],
    ['stream: FOUND', { kind: 'error', message: 'unexpected reply "stream: FOUND"' }],
  ])('parses %j', (reply, parsed) => {
    expect(parseScanReply(reply)).toEqual(parsed);
  });

  it('parses VERSION with the official database and with custom signatures only', () => {
    expect(parseVersionReply('ClamAV 1.4.6/27000/Mon Jan  1 09:00:00 2024\n')).toEqual({
      engine: 'ClamAV 1.4.6',
      database: '27000',
      key: 'ClamAV 1.4.6/27000',
    });
    expect(parseVersionReply('ClamAV 1.4.6')).toEqual({ engine: 'ClamAV 1.4.6', database: '', key: 'ClamAV 1.4.6' });
    expect(() => parseVersionReply('UNKNOWN COMMAND')).toThrow();
  });

  it('parses tcp and unix addresses and refuses anything else', () => {
    expect(parseClamdAddress('tcp://127.0.0.1:3310')).toEqual({ host: '127.0.0.1', port: 3310 });
    expect(parseClamdAddress('tcp://[::1]:3310')).toEqual({ host: '::1', port: 3310 });
    expect(parseClamdAddress('unix:///run/clamav/clamd.ctl')).toEqual({ path: '/run/clamav/clamd.ctl' });
    for (const bad of ['127.0.0.1:3310', 'tcp://host', 'http://x:1', 'unix://relative/path']) {
      expect(() => parseClamdAddress(bad), bad).toThrow(/tcp:\/\/HOST:PORT/);
    }
  });
});

describe('INSTREAM framing', () => {
  async function* chunks(...sizes: number[]): AsyncGenerator<Buffer> {
    let next = 0;
    for (const size of sizes) yield Buffer.from(Array.from({ length: size }, () => next++ % 256));
  }

  const collect = async (source: AsyncIterable<Frame>) => {
    const seen: Frame[] = [];
    for await (const frame of source) seen.push(frame);
    return seen;
  };

  it('re-cuts any chunking into frames of exactly the chunk size, the last one shorter, bytes in order', async () => {
    const seen = await collect(frames(chunks(3, 10, 1, 7, 2), 8));
    expect(seen.map((f) => f.bytes)).toEqual([8, 8, 7]);
    for (const frame of seen) expect(frame.pieces.reduce((n, p) => n + p.length, 0)).toBe(frame.bytes);
    const all = Buffer.concat(seen.flatMap((f) => f.pieces));
    expect([...all]).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('slices the source chunks instead of copying them', async () => {
    const source = Buffer.alloc(20, 7);
    const [first] = await collect(frames((async function* () { yield source; })(), 16));
    expect(first!.pieces[0]!.buffer).toBe(source.buffer);
  });

  it('yields nothing for an empty source', async () => {
    expect(await collect(frames(chunks(), 8))).toEqual([]);
  });
});
