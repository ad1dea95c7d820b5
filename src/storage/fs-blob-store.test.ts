import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestBytes } from '../domain/digest.js';
import { blobStoreSuite } from './blob-store.suite.js';
import { FilesystemBlobStore } from './fs-blob-store.js';
import { readdirIfExists } from './fs-util.js';
import { putBlobBytes } from './put-bytes.js';

async function fsFixture(fsync: boolean) {
  const root = await mkdtemp(join(tmpdir(), 'scangate-blobs-'));
  return {
    store: new FilesystemBlobStore({ root, fsync }),
    reopen: async () => new FilesystemBlobStore({ root, fsync }),
    leftovers: () => readdirIfExists(join(root, 'uploads')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** The same directory named relative to the working directory (as `--data ./data` does). */
const relativeToCwd = (dir: string) => relative(process.cwd(), dir);

blobStoreSuite('filesystem', () => fsFixture(false));
blobStoreSuite('filesystem with fsync', () => fsFixture(true));

describe('FilesystemBlobStore on disk', () => {
  let root: string;
  let store: FilesystemBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'scangate-blobs-'));
    store = new FilesystemBlobStore({ root, fsync: false });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lays committed blobs out by algorithm and fan-out', async () => {
    const digest = digestBytes('layout');
    await putBlobBytes(store, new TextEncoder().encode('layout'), digest);
    const hex = digest.slice('sha256:'.length);
    expect(await readdir(join(root, 'blobs', 'sha256', hex.slice(0, 2)))).toEqual([hex]);
    expect(await readdir(join(root, 'uploads'))).toEqual([]);
  });

  it('gives the absolute path of a committed blob, for a scanner that reads it in place', async () => {
    const digest = digestBytes('in place');
    await putBlobBytes(store, new TextEncoder().encode('in place'), digest);
    const rootedRelatively = new FilesystemBlobStore({ root: relativeToCwd(root), fsync: false });
    for (const s of [store, rootedRelatively]) {
      const path = s.storedPath(digest);
      expect(isAbsolute(path)).toBe(true);
      expect(await readFile(path, 'utf8')).toBe('in place');
    }
  });

  it('hides and sweeps the staging file of a crashed process', async () => {
    const id = '6f1c1d9e-5a3b-4c2d-9e8f-0a1b2c3d4e5f';
    const stale = join(root, 'uploads', id);
    await mkdir(join(root, 'uploads'), { recursive: true });
    const bytes = new TextEncoder().encode('half a layer');
    await writeFile(stale, bytes);
    const anHourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(stale, anHourAgo, anHourAgo);

    expect(await store.stat(digestBytes(bytes))).toBeUndefined();
    const listed = [];
    for await (const blob of store.list()) listed.push(blob);
    expect(listed).toEqual([]);

    const live = await store.createUpload();
    expect(await store.sweepStaging(10 * 60 * 1000)).toBe(1);
    expect(await store.openUpload(id)).toBeUndefined();
    expect(await readdir(join(root, 'uploads'))).toEqual([live.id]);
    await live.cancel();
  });

  it('refuses an upload id that would escape the staging directory', async () => {
    await writeFile(join(root, 'outside'), 'x');
    expect(await store.openUpload('../outside')).toBeUndefined();
  });

  it('answers an unsatisfiable range with RANGE_INVALID and clips an end past the blob', async () => {
    const bytes = new TextEncoder().encode('0123456789');
    const { digest } = await putBlobBytes(store, bytes, digestBytes(bytes));
    await expect(store.read(digest, { range: { start: 10, end: 12 } })).rejects.toMatchObject({
      code: 'RANGE_INVALID',
      headers: { 'Content-Range': 'bytes */10' },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of await store.read(digest, { range: { start: 8, end: 100 } })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('89');
  });

  it('cancels putBlobBytes on a digest mismatch', async () => {
    await expect(putBlobBytes(store, new TextEncoder().encode('a'), digestBytes('b'))).rejects.toThrow('digest mismatch');
    expect(await readdir(join(root, 'uploads'))).toEqual([]);
  });
});
