// ClamdScanner against a real clamd (Debian clamav-daemon) with a test signature database.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClamd, type RunningClamd } from '../../../test/support/clamd.js';
import { freePort } from '../../../test/support/server-process.js';
import { makeTempDir, type TempDir } from '../../../test/support/temp-dir.js';
import { run } from '../../../test/support/tools.js';
import { isScannerError, type ScannerError, type ScanSubject } from '../../ports/scanner.js';
import { bytesSubject, endlessSubject, scannerSuite } from '../scanner.suite.js';
import { ClamdScanner } from './clamd-scanner.js';
import { clamTestFilesDir, eicarBytes } from './test-signatures.js';

let clamd: RunningClamd;

beforeAll(async () => {
  clamd = await startClamd();
});

afterAll(async () => {
  await clamd?.dispose();
});

for (const transport of ['tcp', 'unix'] as const) {
  scannerSuite(`clamd over ${transport}`, async () => ({
    scanner: new ClamdScanner({ name: 'clamav', address: transport === 'tcp' ? clamd.tcpAddress : clamd.socketAddress }),
    unreachable: async () => new ClamdScanner({ name: 'clamav', address: `tcp://127.0.0.1:${await freePort()}` }),
  }));
}

describe('clamd: archives and compressed layers', () => {
  let dir: TempDir;
  let scanner: ClamdScanner;

  beforeAll(async () => {
    dir = await makeTempDir('scangate-layers');
    scanner = new ClamdScanner({ name: 'clamav', address: clamd.tcpAddress });
  });

  afterAll(async () => {
    await dir?.remove();
  });

  it('finds EICAR inside a tar, a tar.gz and a tar+zstd layer', async () => {
    const layers = await writeLayers(dir, 'eicar', eicarBytes());
    for (const layer of Object.values(layers)) {
      const result = await scanner.scan(fileSubject(layer));
      expect(result.verdict, layer).toBe('infected');
    }
  });

  it('finds the same layers clean without EICAR (zstd decoded whole)', async () => {
    const layers = await writeLayers(dir, 'clean', randomBytes(3 * 1024 * 1024));
    for (const layer of Object.values(layers)) expect((await scanner.scan(fileSubject(layer))).verdict, layer).toBe('clean');
  });

  it('throws, not clean, on a corrupt zstd stream', async () => {
    const corrupt = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), randomBytes(64 * 1024)]);
    const error = await scanner.scan(bytesSubject(corrupt)).catch((err: unknown) => err);
    expect(error).toSatisfy(isScannerError);
    expect((error as ScannerError).retryable).toBe(false);
  });

  it("stops every one of Debian's clamav-testfiles with a signature made from clam.exe", async () => {
    const withClamExe = await startClamd({ clamExe: true });
    try {
      const testScanner = new ClamdScanner({ name: 'clamav', address: withClamExe.socketAddress });
      const names = await readdir(clamTestFilesDir);
      expect(names.length).toBeGreaterThan(40);
      for (const name of names) {
        const result = await testScanner.scan(fileSubject(join(clamTestFilesDir, name)));
        expect(result.verdict, name).toBe('infected');
      }
    } finally {
      await withClamExe.dispose();
    }
  });
});

describe('clamd: scanning stored files in place (SCAN)', () => {
  let dir: TempDir;
  let inPlace: ClamdScanner;

  beforeAll(async () => {
    dir = await makeTempDir('scangate-in-place');
    inPlace = new ClamdScanner({ name: 'clamav', address: clamd.tcpAddress, scanInPlace: true });
  });

  afterAll(async () => {
    await dir?.remove();
  });

  /** A stored file, and a count of how often its bytes were asked for (0: clamd read the file). */
  function storedSubject(path: string) {
    const opened = { count: 0 };
    const subject: ScanSubject = { open: async () => (opened.count++, createReadStream(path)), storedPath: path };
    return { subject, opened };
  }

  it('lets clamd read a stored file itself: clean and infected, no byte sent', async () => {
    const clean = dir.join('clean.bin');
    const infected = dir.join('eicar.bin');
    await writeFile(clean, randomBytes(256 * 1024));
    await writeFile(infected, eicarBytes());
    const first = storedSubject(clean);
    expect((await inPlace.scan(first.subject)).verdict).toBe('clean');
    const second = storedSubject(infected);
    const result = await inPlace.scan(second.subject);
    expect(result.verdict).toBe('infected');
    expect(result.findings[0]?.signature).toMatch(/Eicar/i);
    expect([first.opened.count, second.opened.count, inPlace.inPlaceFallbacks]).toEqual([0, 0, 0]);
  });

  it('streams a zstd layer decoded, since clamd cannot read zstd', async () => {
    const layers = await writeLayers(dir, 'zstd-eicar', eicarBytes());
    const { subject, opened } = storedSubject(layers.zstd);
    expect((await inPlace.scan(subject)).verdict).toBe('infected');
    expect(opened.count).toBe(1);
  });

  it('streams the bytes when clamd cannot read the file, with the verdict of the stream', async () => {
    const elsewhere = dir.join('moved.bin');
    await writeFile(elsewhere, eicarBytes());
    const subject: ScanSubject = { open: async () => createReadStream(elsewhere), storedPath: dir.join('gone.bin') };
    const before = inPlace.inPlaceFallbacks;
    expect((await inPlace.scan(subject)).verdict).toBe('infected');
    expect(inPlace.inPlaceFallbacks).toBe(before + 1);
  });

  it('ignores the stored file unless scanInPlace is on', async () => {
    const path = dir.join('streamed.bin');
    await writeFile(path, randomBytes(1024));
    const { subject, opened } = storedSubject(path);
    expect((await new ClamdScanner({ name: 'clamav', address: clamd.tcpAddress }).scan(subject)).verdict).toBe('clean');
    expect(opened.count).toBe(1);
  });
});

describe('clamd: limits, outages and timeouts', () => {
  let small: RunningClamd;
  let scanner: ClamdScanner;

  beforeAll(async () => {
    small = await startClamd({ streamMaxLength: '2M', maxFileSize: '512K', maxScanSize: '1M' });
    scanner = new ClamdScanner({ name: 'clamav', address: small.tcpAddress });
  });

  afterAll(async () => {
    await small?.dispose();
  });

  it('throws a non-retryable error, not clean, past StreamMaxLength', async () => {
    const error = await scanner.scan(bytesSubject(randomBytes(3 * 1024 * 1024))).catch((err: unknown) => err);
    expect(error).toSatisfy(isScannerError);
    expect((error as ScannerError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/size limit exceeded/i);
  });

  it('throws a final error past MaxFileSize (Heuristics.Limits.Exceeded with AlertExceedsMax), never clean', async () => {
    const error = await scanner.scan(bytesSubject(randomBytes(1024 * 1024))).catch((err: unknown) => err);
    expect(error).toSatisfy(isScannerError);
    expect((error as ScannerError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/Heuristics\.Limits\.Exceeded/);
  });

  it('times out a scan that takes too long', async () => {
    const impatient = new ClamdScanner({ name: 'clamav', address: clamd.tcpAddress, timeoutMs: 300 });
    const error = await impatient.scan(endlessSubject()).catch((err: unknown) => err);
    expect(error).toSatisfy(isScannerError);
    expect((error as ScannerError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it('throws a retryable error while clamd is stopped, and scans again once restarted', async () => {
    await small.stop();
    for (const address of [small.tcpAddress, small.socketAddress]) {
      const down = new ClamdScanner({ name: 'clamav', address });
      await expect(down.health()).rejects.toSatisfy(isScannerError);
      const error = await down.scan(bytesSubject(Buffer.from('hello'))).catch((err: unknown) => err);
      expect((error as ScannerError).retryable).toBe(true);
    }
    await small.restart();
    expect((await scanner.scan(bytesSubject(eicarBytes()))).verdict).toBe('infected');
  });
});

function fileSubject(path: string): ScanSubject {
  return { open: async () => createReadStream(path), filename: basename(path) };
}

/** The same content as a tar, a tar.gz and a tar+zstd layer, as image builders make them. */
async function writeLayers(dir: TempDir, name: string, content: Buffer) {
  const root = dir.join(name);
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc', 'payload.bin'), content);
  await writeFile(join(root, 'README'), 'a layer\n');
  const tar = dir.join(`${name}.tar`);
  await run('tar', ['-C', root, '-cf', tar, '.']);
  await writeFile(`${tar}.gz`, gzipSync(await readFile(tar)));
  await run('zstd', ['-q', '-f', tar, '-o', `${tar}.zst`]);
  return { tar, gzip: `${tar}.gz`, zstd: `${tar}.zst` };
}
