// The Scanner conformance suite. Every adapter's test file hands it a factory; an adapter
// that skips a case must name the case and say why. The one property every case guards:
// a scan that could not finish throws, it never comes back `clean`.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isScannerError, type Scanner, type ScanSubject } from '../ports/scanner.js';
import { eicarBytes } from './clamd/test-signatures.js';

export interface ScannerFixture {
  scanner: Scanner;
  /** A scanner of the same kind whose engine cannot be reached or run. */
  unreachable(): Promise<Scanner>;
  /** Files the scanner left behind (temp copies); must be empty after every case. */
  leftovers?(): Promise<string[]>;
  cleanup?(): Promise<void>;
}

export function bytesSubject(bytes: Buffer, extra: Partial<ScanSubject> = {}): ScanSubject {
  return { open: async () => Readable.from(chunks(bytes, 64 * 1024)), size: bytes.length, ...extra };
}

/** A stream that never ends on its own: 64 KiB of zeros every few milliseconds. */
export function endlessSubject(): ScanSubject {
  return {
    open: async () =>
      Readable.from(
        (async function* () {
          for (;;) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            yield Buffer.alloc(64 * 1024);
          }
        })(),
      ),
  };
}

/** A stream that sends a little and then waits for ever (a stalled upstream). */
export function stalledSubject(): ScanSubject {
  return {
    open: async () =>
      Readable.from(
        (async function* () {
          yield Buffer.from('a first harmless chunk');
          await new Promise(() => {});
        })(),
      ),
  };
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

export function scannerSuite(name: string, factory: () => Promise<ScannerFixture>): void {
  describe(`Scanner suite: ${name}`, () => {
    let fixture: ScannerFixture;
    let scanner: Scanner;

    beforeEach(async () => {
      fixture = await factory();
      scanner = fixture.scanner;
    });

    afterEach(async () => {
      try {
        expect((await fixture.leftovers?.()) ?? [], 'files left behind').toEqual([]);
      } finally {
        await fixture.cleanup?.();
      }
    });

    it('is healthy and reports a stable engine version', async () => {
      await scanner.health();
      const first = await scanner.engine();
      expect(first.key).toBeTruthy();
      expect(await scanner.engine()).toEqual(first);
    });

    it('finds clean bytes clean, with the engine that judged them', async () => {
      const result = await scanner.scan(bytesSubject(Buffer.from('just some harmless text\n'), { filename: 'notes.txt' }));
      expect(result).toMatchObject({ verdict: 'clean', findings: [], engine: await scanner.engine() });
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    });

    it('finds EICAR infected and names a signature', async () => {
      const result = await scanner.scan(bytesSubject(eicarBytes(), { filename: 'eicar.com' }));
      expect(result.verdict).toBe('infected');
      expect(result.findings.length).toBeGreaterThan(0);
      expect(result.findings[0]!.signature).toBeTruthy();
    });

    it('scans a subject given as a file on disk', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'scangate-suite-'));
      try {
        const path = join(dir, 'eicar.com');
        await writeFile(path, eicarBytes());
        expect((await scanner.scan({ ...bytesSubject(eicarBytes()), path })).verdict).toBe('infected');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('finds an empty subject clean', async () => {
      expect((await scanner.scan(bytesSubject(Buffer.alloc(0)))).verdict).toBe('clean');
    });

    it('scans every byte of a bigger stream (EICAR at the very end)', async () => {
      const noise = randomBytes(24 * 1024 * 1024);
      expect((await scanner.scan(bytesSubject(noise))).verdict).toBe('clean');
      const tail = Buffer.concat([noise, eicarBytes()]);
      expect((await scanner.scan(bytesSubject(tail))).verdict).toBe('infected');
    });

    it('rejects with the reason when the caller aborts', async () => {
      const controller = new AbortController();
      const reason = new Error('shutting down');
      setTimeout(() => controller.abort(reason), 200);
      const started = Date.now();
      await expect(scanner.scan(endlessSubject(), controller.signal)).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('rejects promptly when the caller aborts while the source is stalled', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('shutting down')), 200);
      const started = Date.now();
      await expect(scanner.scan(stalledSubject(), controller.signal)).rejects.toThrow('shutting down');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('throws, never answers clean, when the bytes cannot be read whole', async () => {
      const failing: ScanSubject = {
        open: async () =>
          Readable.from(
            (async function* () {
              yield Buffer.from('the first part is harmless');
              throw new Error('disk read failed');
            })(),
          ),
      };
      const error = await scanner.scan(failing).then(
        (result) => result,
        (err: unknown) => err,
      );
      expect(isScannerError(error), `expected a ScannerError, got ${JSON.stringify(error)}`).toBe(true);
    });

    it('throws a ScannerError when the engine cannot be reached', async () => {
      const broken = await fixture.unreachable();
      await expect(broken.health()).rejects.toSatisfy(isScannerError);
      await expect(broken.scan(bytesSubject(Buffer.from('hello')))).rejects.toSatisfy(isScannerError);
    });
  });
}
