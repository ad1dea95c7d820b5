// The BlobStore conformance suite. Every adapter's test file hands it a factory; an adapter
// that skips a case must name the case and say why. After every case the suite checks that
// no staging entry is left behind (as distribution's storage-driver suite does).
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestBytes, newHash, digestOf, type Digest } from '../domain/digest.js';
import { BlobNotFoundError, DigestMismatchError, type BlobStore, type StagedUpload } from '../ports/blob-store.js';

export interface BlobStoreFixture {
  store: BlobStore;
  /** Another instance over the same backing storage, as another process would open it. */
  reopen(): Promise<BlobStore>;
  /** Stray staging entries (uploads not committed or cancelled, temp files). */
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export function blobStoreSuite(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore suite: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      try {
        expect(await fixture.leftovers(), 'staging entries left behind').toEqual([]);
      } finally {
        await fixture.cleanup();
      }
    });

    it('reports an unknown digest as absent', async () => {
      const digest = digestBytes('never stored');
      expect(await store.stat(digest)).toBeUndefined();
      await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.delete(digest)).toBe(false);
    });

    it('returns undefined for unknown or malformed upload ids', async () => {
      expect(await store.openUpload('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      expect(await store.openUpload('../blobs')).toBeUndefined();
      expect(await store.openUpload('')).toBeUndefined();
    });

    it('round-trips create, append, commit and read', async () => {
      const bytes = randomBytes(100_000);
      const upload = await store.createUpload();
      expect(await upload.size()).toBe(0);
      expect(await upload.append(chunksOf(bytes, 100_000))).toBe(bytes.length);
      expect(await upload.size()).toBe(bytes.length);
      const digest = digestBytes(bytes);
      expect(await upload.commit(digest)).toEqual({ digest, size: bytes.length });
      expect(await store.stat(digest)).toEqual({ digest, size: bytes.length });
      expectSame(await readAll(await store.read(digest)), bytes);
      expect(await store.openUpload(upload.id)).toBeUndefined();
    });

    it('gives every upload a fresh id', async () => {
      const [a, b] = await Promise.all([store.createUpload(), store.createUpload()]);
      expect(a.id).not.toBe(b.id);
      expect(a.id.length).toBeGreaterThanOrEqual(32);
      await Promise.all([a.cancel(), b.cancel()]);
    });

    it('continues a chunked upload reopened by id', async () => {
      const bytes = randomBytes(300_000);
      const first = await store.createUpload();
      expect(await first.append(chunksOf(bytes.subarray(0, 100_000), 7_000))).toBe(100_000);
      const again = await reopened(store, first.id);
      expect(await again.size()).toBe(100_000);
      expect(await again.append(chunksOf(bytes.subarray(100_000, 250_000), 50_000))).toBe(250_000);
      expect(await first.append(chunksOf(bytes.subarray(250_000), 50_000))).toBe(bytes.length);
      await again.commit(digestBytes(bytes));
      expectSame(await readAll(await store.read(digestBytes(bytes))), bytes);
    });

    it('commits where another store instance appended in between', async () => {
      const bytes = randomBytes(300_000);
      const mine = await store.createUpload();
      await mine.append(chunksOf(bytes.subarray(0, 100_000), 10_000));
      const theirs = await reopened(await fixture.reopen(), mine.id);
      expect(await theirs.append(chunksOf(bytes.subarray(100_000, 200_000), 10_000))).toBe(200_000);
      // This instance's running hash covers only the first part now; it must not trust it.
      expect(await mine.append(chunksOf(bytes.subarray(200_000), 10_000))).toBe(bytes.length);
      await mine.commit(digestBytes(bytes));
      expectSame(await readAll(await store.read(digestBytes(bytes))), bytes);
    });

    it('commits from a store instance that holds no hash state', async () => {
      const bytes = randomBytes(200_000);
      const upload = await store.createUpload();
      await upload.append(chunksOf(bytes.subarray(0, 120_000), 40_000));
      const other = await fixture.reopen();
      const theirs = await reopened(other, upload.id);
      await theirs.append(chunksOf(bytes.subarray(120_000), 40_000));
      await expect(theirs.commit(digestBytes('something else'))).rejects.toBeInstanceOf(DigestMismatchError);
      expect(await theirs.commit(digestBytes(bytes))).toEqual({ digest: digestBytes(bytes), size: bytes.length });
      expectSame(await readAll(await store.read(digestBytes(bytes))), bytes);
    });

    it('refuses a wrong digest and keeps the staged bytes', async () => {
      const bytes = randomBytes(50_000);
      const upload = await store.createUpload();
      await upload.append(chunksOf(bytes, 20_000));
      const wrong = digestBytes('not these bytes');
      const failure = await upload.commit(wrong).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(DigestMismatchError);
      expect((failure as DigestMismatchError).expected).toBe(wrong);
      expect((failure as DigestMismatchError).actual).toBe(digestBytes(bytes));
      expect(await store.stat(wrong)).toBeUndefined();
      expect(await store.stat(digestBytes(bytes))).toBeUndefined();
      expect(await upload.size()).toBe(bytes.length);
      // The upload goes on after a refused commit, and its hash still covers everything.
      const more = randomBytes(10_000);
      await upload.append(chunksOf(more, 4_000));
      const whole = Buffer.concat([bytes, more]);
      await upload.commit(digestBytes(whole));
      expectSame(await readAll(await store.read(digestBytes(whole))), whole);
    });

    it('cancels idempotently', async () => {
      const bytes = randomBytes(10_000);
      const upload = await store.createUpload();
      await upload.append(chunksOf(bytes, 10_000));
      await upload.cancel();
      await upload.cancel();
      expect(await store.openUpload(upload.id)).toBeUndefined();
      await expect(upload.commit(digestBytes(bytes))).rejects.toThrow();
      await expect(upload.append(chunksOf(bytes, 10_000))).rejects.toThrow();
      expect(await store.stat(digestBytes(bytes))).toBeUndefined();
    });

    it('verifies sha256 and sha512 expected digests', async () => {
      const bytes = randomBytes(70_000);
      for (const algorithm of ['sha256', 'sha512'] as const) {
        const digest = digestBytes(bytes, algorithm);
        const upload = await store.createUpload();
        await upload.append(chunksOf(bytes, 30_000));
        await expect(upload.commit(digestBytes('other', algorithm))).rejects.toBeInstanceOf(DigestMismatchError);
        expect(await upload.commit(digest)).toEqual({ digest, size: bytes.length });
        expectSame(await readAll(await store.read(digest)), bytes);
      }
    });

    it('commits a digest that already exists', async () => {
      const bytes = randomBytes(30_000);
      const digest = digestBytes(bytes);
      await uploadWhole(store, bytes, digest);
      expect(await uploadWhole(store, bytes, digest)).toEqual({ digest, size: bytes.length });
      expectSame(await readAll(await store.read(digest)), bytes);
      expect(await collect(store.list())).toEqual([{ digest, size: bytes.length }]);
    });

    it('commits two concurrent uploads of the same content at once', async () => {
      const bytes = randomBytes(500_000);
      const digest = digestBytes(bytes);
      const uploads = await Promise.all([store.createUpload(), store.createUpload()]);
      await Promise.all(uploads.map((upload) => upload.append(chunksOf(bytes, 64 * 1024))));
      const results = await Promise.all(uploads.map((upload) => upload.commit(digest)));
      expect(results).toEqual([
        { digest, size: bytes.length },
        { digest, size: bytes.length },
      ]);
      expectSame(await readAll(await store.read(digest)), bytes);
    });

    it('reads byte ranges', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const digest = await uploadWhole(store, bytes, digestBytes(bytes));
      const last = bytes.length - 1;
      const read = async (start: number, end: number) => readAll(await store.read(digest.digest, { range: { start, end } }));
      expectSame(await read(0, 0), bytes.subarray(0, 1));
      expectSame(await read(1_000_000, 2_500_000), bytes.subarray(1_000_000, 2_500_001));
      expectSame(await read(last, last), bytes.subarray(last));
      expectSame(await read(0, last), bytes);
    });

    it('stops a read when its signal aborts', async () => {
      const bytes = randomBytes(8 * 1024 * 1024);
      const { digest } = await uploadWhole(store, bytes, digestBytes(bytes));
      const controller = new AbortController();
      const stream = await store.read(digest, { signal: controller.signal });
      const consume = (async () => {
        for await (const _chunk of stream) controller.abort();
      })();
      await expect(consume).rejects.toMatchObject({ name: 'AbortError' });
      expect(stream.destroyed).toBe(true);
      await expect(store.read(digest, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('keeps the bytes of an aborted append, and a later full commit still verifies', async () => {
      const bytes = randomBytes(400_000);
      const upload = await store.createUpload();
      const source = new PassThrough();
      const controller = new AbortController();
      const appending = upload.append(source, { signal: controller.signal });
      source.write(bytes.subarray(0, 64_000));
      source.write(bytes.subarray(64_000, 150_000));
      await until(async () => (await upload.size()) === 150_000);
      controller.abort();
      await expect(appending).rejects.toMatchObject({ name: 'AbortError' });
      expect(await upload.size()).toBe(150_000);
      expect(await upload.append(chunksOf(bytes.subarray(150_000), 30_000))).toBe(bytes.length);
      await upload.commit(digestBytes(bytes));
      expectSame(await readAll(await store.read(digestBytes(bytes))), bytes);
    });

    it('keeps the bytes of an append whose source fails', async () => {
      const bytes = randomBytes(200_000);
      const upload = await store.createUpload();
      async function* failing() {
        yield bytes.subarray(0, 80_000);
        throw new Error('client went away');
      }
      await expect(upload.append(failing())).rejects.toThrow('client went away');
      const kept = await upload.size();
      expect(kept).toBeLessThanOrEqual(80_000);
      await upload.append(chunksOf(bytes.subarray(kept), 50_000));
      await upload.commit(digestBytes(bytes));
      expectSame(await readAll(await store.read(digestBytes(bytes))), bytes);
    });

    it('deletes committed blobs', async () => {
      const bytes = randomBytes(1000);
      const { digest } = await uploadWhole(store, bytes, digestBytes(bytes));
      expect(await store.delete(digest)).toBe(true);
      expect(await store.stat(digest)).toBeUndefined();
      await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.delete(digest)).toBe(false);
    });

    it('moves a blob into quarantine, out of reach of read and list, and restores it', async () => {
      const bytes = randomBytes(5000);
      const { digest } = await uploadWhole(store, bytes, digestBytes(bytes));
      expect(await store.quarantine(digest)).toBe(true);
      expect(await store.stat(digest)).toBeUndefined();
      await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect((await collect(store.list())).map((b) => b.digest)).not.toContain(digest);
      expectSame(await readAll(await store.readQuarantined(digest)), bytes);
      expectSame(await readAll(await store.readQuarantined(digest, { range: { start: 10, end: 19 } })), bytes.subarray(10, 20));
      expect(await store.quarantine(digest)).toBe(false);
      expect(await store.restore(digest)).toBe(true);
      expectSame(await readAll(await store.read(digest)), bytes);
      await expect(store.readQuarantined(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.restore(digest)).toBe(false);
    });

    it('lists every committed blob and nothing staged', async () => {
      const blobs = [randomBytes(10), randomBytes(2000), randomBytes(0)];
      const expected = [];
      for (const [index, bytes] of blobs.entries()) {
        expected.push(await uploadWhole(store, bytes, digestBytes(bytes, index === 1 ? 'sha512' : 'sha256')));
      }
      const staged = await store.createUpload();
      await staged.append(chunksOf(randomBytes(500), 500));
      const byDigest = (a: { digest: string }, b: { digest: string }) => a.digest.localeCompare(b.digest);
      expect((await collect(store.list())).sort(byDigest)).toEqual(expected.sort(byDigest));
      await staged.cancel();
    });

    it('sweeps only staged uploads older than the limit', async () => {
      const old = await store.createUpload();
      await old.append(chunksOf(randomBytes(100), 100));
      await sleep(600);
      const freshSince = Date.now();
      const fresh = await store.createUpload();
      const committed = randomBytes(100);
      await uploadWhole(store, committed, digestBytes(committed));
      // The cutoff falls 100 ms before `fresh` began and 500 ms after `old` was last touched,
      // however long the steps above took on a busy machine.
      expect(await store.sweepStaging(Date.now() - freshSince + 100)).toBe(1);
      expect(await store.openUpload(old.id)).toBeUndefined();
      expect(await store.openUpload(fresh.id)).toBeDefined();
      expect(await store.stat(digestBytes(committed))).toBeDefined();
      await fresh.cancel();
    });

    it('stores a zero-byte blob', async () => {
      const empty = new Uint8Array(0);
      const digest = digestBytes(empty);
      const untouched = await store.createUpload();
      expect(await untouched.commit(digest)).toEqual({ digest, size: 0 });
      const appendedNothing = await store.createUpload();
      expect(await appendedNothing.append(chunksOf(empty, 1))).toBe(0);
      expect(await appendedNothing.commit(digest)).toEqual({ digest, size: 0 });
      expect(await store.stat(digest)).toEqual({ digest, size: 0 });
      expect((await readAll(await store.read(digest))).length).toBe(0);
    });

    it('streams a multi-MiB blob appended in many small chunks', async () => {
      const bytes = randomBytes(6 * 1024 * 1024 + 3);
      const upload = await store.createUpload();
      let size = 0;
      for (let offset = 0; offset < bytes.length; offset += 1024 * 1024) {
        size = await upload.append(chunksOf(bytes.subarray(offset, offset + 1024 * 1024), 4096));
      }
      expect(size).toBe(bytes.length);
      const { digest } = await upload.commit(digestBytes(bytes));
      const hash = newHash('sha256');
      for await (const chunk of await store.read(digest)) hash.update(chunk as Buffer);
      expect(digestOf('sha256', hash)).toBe(digest);
    });

    it('passes its own health check', async () => {
      await expect(store.check()).resolves.toBeUndefined();
    });
  });
}

async function reopened(store: BlobStore, id: string): Promise<StagedUpload> {
  const upload = await store.openUpload(id);
  if (!upload) throw new Error(`upload ${id} did not reopen`);
  return upload;
}

async function uploadWhole(store: BlobStore, bytes: Uint8Array, digest: Digest) {
  const upload = await store.createUpload();
  await upload.append(chunksOf(bytes, 64 * 1024));
  return upload.commit(digest);
}

/** Compares bytes without a deep-equality walk (slow on MiB buffers), with a readable failure. */
function expectSame(actual: Buffer, expected: Uint8Array): void {
  expect(actual.length, 'length').toBe(expected.length);
  expect(digestBytes(actual), 'content digest').toBe(digestBytes(expected));
}

async function* chunksOf(bytes: Uint8Array, chunkSize: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
