import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestBytes, type Digest } from '../domain/digest.js';
import { openDatabase } from '../metadata/database.js';
import { SqlFileStore } from '../metadata/sql-file-store.js';
import { SqlMetadataStore } from '../metadata/sql-metadata-store.js';
import { FilesystemBlobStore } from '../storage/fs-blob-store.js';
import { putBlobBytes } from '../storage/put-bytes.js';
import { fsck, type FsckProgress } from './fsck.js';

const repository = 'team/app';

describe('fsck over the filesystem blob store and SQLite', () => {
  let dataDir: string;
  let blobs: FilesystemBlobStore;
  let metadata: SqlMetadataStore;
  let files: SqlFileStore;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'scangate-fsck-'));
    blobs = new FilesystemBlobStore({ root: join(dataDir, 'blobs'), fsync: false });
    const db = openDatabase({ driver: 'sqlite' }, dataDir);
    metadata = new SqlMetadataStore(db);
    files = new SqlFileStore(db, { walkPageSize: 2 });
    await metadata.migrate();
  });
  afterEach(async () => {
    await metadata.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Where the filesystem adapter keeps a committed blob (see storage/fs-layout.ts). */
  function pathOf(digest: Digest): string {
    const hex = digest.slice('sha256:'.length);
    return join(dataDir, 'blobs', 'blobs', 'sha256', hex.slice(0, 2), hex);
  }

  async function storeBlob(content: string, link = true, into = repository): Promise<Digest> {
    const bytes = new TextEncoder().encode(content);
    const digest = digestBytes(bytes);
    await putBlobBytes(blobs, bytes, digest);
    if (link) await metadata.linkBlob(into, { digest, size: bytes.length });
    return digest;
  }

  /**
   * An image manifest over a config and two layers, stored and recorded as a push would; with
   * `lazy`, as a pull-through mirror stores it: the blobs neither stored nor linked yet.
   */
  async function pushImage(into = repository, lazy = false) {
    const blob = (content: string) => (lazy ? digestBytes(content) : storeBlob(content, true, into));
    const config = await blob('{"architecture":"amd64","os":"linux"}');
    const layers = [await blob('layer one'.repeat(1000)), await blob('layer two')];
    const descriptor = (digest: Digest, mediaType: string) => ({ mediaType, digest, size: 1 });
    const content = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: descriptor(config, 'application/vnd.oci.image.config.v1+json'),
      layers: layers.map((layer) => descriptor(layer, 'application/vnd.oci.image.layer.v1.tar')),
    });
    const manifest = await storeBlob(content, false);
    await metadata.putManifest(
      {
        repository: into,
        digest: manifest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        size: Buffer.byteLength(content),
        artifactType: 'application/vnd.oci.image.config.v1+json',
        subject: null,
        annotations: null,
        references: [config, ...layers].map((digest) => ({ digest, kind: 'blob' as const })),
      },
      'latest',
    );
    return { config, layers, manifest };
  }

  it('finds nothing wrong in a consistent store and reports what it checked', async () => {
    await pushImage();
    const progress: FsckProgress[] = [];
    const report = await fsck({ blobs, metadata }, { onProgress: (p) => progress.push(p) });
    expect(report.faults).toEqual([]);
    expect(report).toMatchObject({ blobsChecked: 4, blobLinksChecked: 3, manifestsChecked: 1, unreferencedBlobs: 0 });
    expect(progress.at(-1)).toEqual({ blobsDone: 4, blobsTotal: 4, bytesDone: report.bytesChecked, bytesTotal: report.bytesChecked });
  });

  it('names a blob corrupted on disk behind the store', async () => {
    const { layers } = await pushImage();
    const victim = layers[0]!;
    await writeFile(pathOf(victim), 'layer one'.repeat(999) + 'LAYER ONE');
    const report = await fsck({ blobs, metadata });
    expect(report.faults).toEqual([
      { kind: 'blob-corrupt', digest: victim, message: `stored bytes hash to ${digestBytes('layer one'.repeat(999) + 'LAYER ONE')}` },
    ]);
  });

  it('reports a manifest whose content no longer hashes to its digest', async () => {
    const { manifest } = await pushImage();
    const original = await readFile(pathOf(manifest), 'utf8');
    await writeFile(pathOf(manifest), original.replace('amd64', 'arm64').replace('"schemaVersion":2', '"schemaVersion":3'));
    const kinds = (await fsck({ blobs, metadata })).faults.map((f) => [f.kind, f.digest]);
    expect(kinds).toEqual([
      ['blob-corrupt', manifest],
      ['manifest-corrupt', manifest],
    ]);
    await writeFile(pathOf(manifest), '{"schemaVersion":2}');
    expect((await fsck({ blobs, metadata })).faults.map((f) => f.kind)).toEqual(['blob-corrupt', 'manifest-size-mismatch']);
  });

  it('reports linked blobs and references whose bytes are gone', async () => {
    const { config, manifest } = await pushImage();
    await rm(pathOf(config));
    const faults = (await fsck({ blobs, metadata })).faults;
    expect(faults.map((f) => [f.kind, f.digest, f.repository])).toEqual([
      ['blob-missing', config, repository],
      ['reference-missing', manifest, repository],
    ]);
    expect(faults[1]!.message).toContain(config);
  });

  it('reports a manifest recorded without its bytes', async () => {
    const { manifest } = await pushImage();
    await rm(pathOf(manifest));
    expect((await fsck({ blobs, metadata })).faults.map((f) => f.kind)).toEqual(['manifest-missing']);
  });

  describe('in a pull-through mirror namespace', () => {
    const mirrored = 'hub/library/app';

    it('accepts references not fetched yet there, and only there', async () => {
      const { manifest } = await pushImage(mirrored, true);
      expect((await fsck({ blobs, metadata }, { mirrorNamespaces: ['hub'] })).faults).toEqual([]);
      // Without knowing the mirror the same manifest is three faults; a name that merely starts alike is another namespace.
      for (const mirrorNamespaces of [[], ['hubble', 'hu']]) {
        const faults = (await fsck({ blobs, metadata }, { mirrorNamespaces })).faults;
        expect(faults.map((f) => [f.kind, f.digest, f.repository])).toEqual(Array(3).fill(['reference-missing', manifest, mirrored]));
      }
    });

    it('still reports a fetched blob whose bytes are missing or corrupt', async () => {
      const { config, layers, manifest } = await pushImage(mirrored, true);
      const fetched = await storeBlob('{"architecture":"amd64","os":"linux"}', true, mirrored);
      expect(fetched).toBe(config);
      await storeBlob('layer two', true, mirrored);
      await rm(pathOf(config));
      await writeFile(pathOf(layers[1]!), 'layer 2!!'); // same size, other bytes
      const faults = (await fsck({ blobs, metadata }, { mirrorNamespaces: ['hub'] })).faults;
      expect(faults.map((f) => [f.kind, f.digest])).toEqual([
        ['blob-corrupt', layers[1]],
        ['blob-missing', config],
        ['reference-missing', manifest],
      ]);
      expect(faults[2]!.message).toContain(config);
    });
  });

  describe('file entries', () => {
    /** A file uploaded to the file store: its bytes stored (not linked as a blob), its entry written. */
    async function putFile(path: string, content: string, into = 'team/dist') {
      const digest = await storeBlob(content, false);
      return files.put({ repository: into, path, digest, size: Buffer.byteLength(content), mediaType: 'application/octet-stream' });
    }

    it('counts a file\'s bytes as referenced and checks every entry', async () => {
      await putFile('releases/app-1.0.tar.gz', 'app one');
      await putFile('releases/copy.tar.gz', 'app one');
      await putFile('notes.txt', 'notes', 'team/docs');
      const report = await fsck({ blobs, metadata, files });
      expect(report).toMatchObject({ faults: [], blobsChecked: 2, filesChecked: 3, unreferencedBlobs: 0 });
      // Without the file store, the same bytes would be garbage.
      expect((await fsck({ blobs, metadata })).unreferencedBlobs).toBe(2);
    });

    it('reports an entry whose bytes are missing, corrupt or of another size, with its path', async () => {
      const missing = await putFile('gone.bin', 'gone');
      const corrupt = await putFile('bit-rot.bin', 'intact');
      const resized = await putFile('resized.bin', 'short');
      await rm(pathOf(missing.digest));
      await writeFile(pathOf(corrupt.digest), 'INTACT'); // same size, other bytes
      await writeFile(pathOf(resized.digest), 'longer than it was');
      const faults = (await fsck({ blobs, metadata, files })).faults;
      const rows = faults.map((f) => [f.kind, f.digest, f.repository, f.path]);
      // The store's own findings (in digest order), then the entries', in path order.
      expect(rows.slice(0, 2)).toEqual(
        expect.arrayContaining([
          ['blob-corrupt', corrupt.digest, undefined, undefined],
          ['blob-corrupt', resized.digest, undefined, undefined],
        ]),
      );
      expect(rows.slice(2)).toEqual([
        ['file-corrupt', corrupt.digest, 'team/dist', 'bit-rot.bin'],
        ['file-missing', missing.digest, 'team/dist', 'gone.bin'],
        ['file-size-mismatch', resized.digest, 'team/dist', 'resized.bin'],
      ]);
      expect(faults.find((f) => f.kind === 'file-missing')!.message).toBe('file recorded in team/dist has no bytes in the blob store');
    });
  });

  it('counts stored blobs that nothing references, without calling them faults', async () => {
    await storeBlob('orphan', false);
    const report = await fsck({ blobs, metadata });
    expect([report.faults, report.unreferencedBlobs]).toEqual([[], 1]);
  });
});
