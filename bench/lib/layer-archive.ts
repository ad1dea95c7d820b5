// Builds a real image layer for the scan benchmark: a ustar archive of random-ish files,
// gzip-compressed by node's zlib while it streams to disk, until the compressed size
// reaches a target. Half the files are random bytes (like compressed or binary content,
// which gzip cannot shrink), half are text-like (slices of a word soup, which it can), so
// clamd has real inflating, untarring and per-file scanning to do. Every file is fresh,
// so no cache (clamd's or scangate's) has seen any of it.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';

export interface LayerFile {
  path: string;
  /** Compressed size in bytes. */
  size: number;
  /** `sha256:` of the gzip bytes: the layer's blob digest. */
  digest: string;
  /** `sha256:` of the uncompressed tar: the layer's diff_id in the image config. */
  diffId: string;
  /** Uncompressed tar size in bytes. */
  tarBytes: number;
  files: number;
}

export interface LayerSpec {
  /** Stop adding files once this many compressed bytes are out (the result is a little over). */
  targetBytes: number;
  /** Largest file in the archive; sizes are log-uniform from 4 KiB up to it. */
  maxFileBytes: number;
  /** zlib level; 1 keeps building fast, and clamd inflates every level at the same speed. */
  level?: number;
}

const BLOCK = 512;
const WORDS = 'layer image scan registry manifest digest config blob tag repository clamd signature ' +
  'quarantine pending clean infected release rescan verdict engine database stream upload commit ';

/** A text-like buffer: random slices of a word soup, so gzip finds matches as in real text. */
function textLike(size: number, soup: Buffer): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let offset = 0; offset < size; ) {
    const length = Math.min(size - offset, randomInt(16, 256));
    const start = randomInt(0, soup.length - length);
    soup.copy(out, offset, start, start + length);
    offset += length;
  }
  return out;
}

function makeSoup(): Buffer {
  const words = WORDS.trim().split(' ');
  const lines: string[] = [];
  for (let i = 0; i < 4096; i++) {
    lines.push(`${words[randomInt(words.length)]} ${randomInt(1e6)} ${words[randomInt(words.length)]}=${randomBytes(4).toString('hex')}`);
  }
  return Buffer.from(lines.join('\n'));
}

/** A ustar header for a regular file (mode 0644, owner 0, fixed mtime). */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148); // checksum field counts as spaces while summing
  header.write('0', 156);
  header.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

function logUniformSize(maxBytes: number): number {
  const min = Math.log(4096);
  return Math.floor(Math.exp(min + Math.random() * (Math.log(maxBytes) - min)));
}

/** Writes the layer to `path`; resolves with its digests and sizes. */
export async function buildLayer(path: string, spec: LayerSpec): Promise<LayerFile> {
  const soup = makeSoup();
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let compressed = 0;
  let tarBytes = 0;
  let files = 0;
  // Generates entries lazily: the compressed count, updated downstream, decides when to stop.
  async function* entries(): AsyncGenerator<Buffer> {
    while (compressed < spec.targetBytes) {
      const size = logUniformSize(spec.maxFileBytes);
      const body = files % 2 === 0 ? randomBytes(size) : textLike(size, soup);
      const padding = Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
      for (const part of [tarHeader(`data/dir-${files % 64}/file-${files}.bin`, size), body, padding]) {
        tarHash.update(part);
        tarBytes += part.length;
        yield part;
      }
      files++;
    }
    const end = Buffer.alloc(2 * BLOCK);
    tarHash.update(end);
    tarBytes += end.length;
    yield end;
  }
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      gzHash.update(chunk);
      compressed += chunk.length;
      done(null, chunk);
    },
  });
  const gzip = createGzip({ level: spec.level ?? 1, chunkSize: 256 * 1024, flush: constants.Z_NO_FLUSH });
  await pipeline(Readable.from(entries(), { objectMode: false, highWaterMark: 1 }), gzip, count, createWriteStream(path));
  return {
    path,
    size: compressed,
    digest: `sha256:${gzHash.digest('hex')}`,
    diffId: `sha256:${tarHash.digest('hex')}`,
    tarBytes,
    files,
  };
}
