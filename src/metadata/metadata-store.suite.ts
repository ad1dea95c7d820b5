// The MetadataStore conformance suite: every adapter's test file hands it a factory and runs
// it unchanged. Each test gets an empty database of its own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../ports/metadata-store.js';
import { byteOrder, collect, digestOf, newManifest, putTags } from './testing/fixtures.js';

export interface MetadataStoreHarness {
  /** Opens one more store on this harness's database, not yet migrated. */
  open(): MetadataStore;
  /**
   * Why several stores in this one process cannot migrate the same database at once, if
   * they cannot (the case is then skipped under that reason and must be covered elsewhere).
   */
  noConcurrentStoresReason?: string;
  /** Drops or empties the database (stores opened by the suite are closed before). */
  dispose(): Promise<void>;
}

/** Returns a harness over an empty database. Walks should use a small page size. */
export type MetadataStoreFactory = () => Promise<MetadataStoreHarness>;

const names = ['a-b', 'a_b', 'aB', 'a.b', 'A', 'a', 'b', 'Z', 'a0', 'ab', 'a-b.c'];
const repositoryNames = ['a-b', 'a_b', 'a/b', 'a.b', 'a__b', 'a', 'b', 'a0', 'ab', 'a-b/c', 'a/b/c'];

export function metadataStoreSuite(name: string, factory: MetadataStoreFactory): void {
  describe(`MetadataStore: ${name}`, () => {
    let harness: MetadataStoreHarness;
    let opened: MetadataStore[];
    let store: MetadataStore;

    const open = (): MetadataStore => {
      const another = harness.open();
      opened.push(another);
      return another;
    };

    beforeEach(async () => {
      harness = await factory();
      opened = [];
      store = open();
      await store.migrate();
    });

    afterEach(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await harness.dispose();
    });

    describe('lifecycle', () => {
      it('migrates twice without harm and answers ping', async () => {
        await store.linkBlob('app', { digest: digestOf('x'), size: 1 });
        await store.migrate();
        const reopened = open();
        await reopened.migrate();
        await reopened.ping();
        expect(await reopened.getBlob('app', digestOf('x'))).toEqual({ digest: digestOf('x'), size: 1 });
      });

      it('migrates from several stores at once', async (context) => {
        if (harness.noConcurrentStoresReason) context.skip(harness.noConcurrentStoresReason);
        const fresh = await factory();
        const stores = [1, 2, 3, 4].map(() => fresh.open());
        try {
          await Promise.all(stores.map((s) => s.migrate()));
          await stores[0]!.linkBlob('app', { digest: digestOf('x'), size: 1 });
          expect(await stores[3]!.findBlob(digestOf('x'))).toEqual({ digest: digestOf('x'), size: 1 });
        } finally {
          await Promise.all(stores.map((s) => s.close()));
          await fresh.dispose();
        }
      });
    });

    describe('blobs', () => {
      const blob = { digest: digestOf('layer'), size: 3_000_000_000 };

      it('links a blob in one repository only', async () => {
        await store.linkBlob('app', blob);
        expect(await store.getBlob('app', blob.digest)).toEqual(blob);
        expect(await store.getBlob('other', blob.digest)).toBeUndefined();
        expect(await store.getBlob('app', digestOf('missing'))).toBeUndefined();
      });

      it('links the same blob twice without error', async () => {
        await store.linkBlob('app', blob);
        await store.linkBlob('app', blob);
        expect(await collect(store.allBlobs())).toEqual([{ repository: 'app', ...blob }]);
      });

      it('finds a blob in any repository, or as manifest content', async () => {
        expect(await store.findBlob(blob.digest)).toBeUndefined();
        await store.linkBlob('team/app', blob);
        expect(await store.findBlob(blob.digest)).toEqual(blob);
        const manifest = newManifest('other', 'index', { size: 777 });
        await store.putManifest(manifest);
        expect(await store.findBlob(manifest.digest)).toEqual({ digest: manifest.digest, size: 777 });
      });

      it('unlinks a blob from one repository', async () => {
        await store.linkBlob('app', blob);
        await store.linkBlob('other', blob);
        expect(await store.unlinkBlob('app', blob.digest)).toBe(true);
        expect(await store.unlinkBlob('app', blob.digest)).toBe(false);
        expect(await store.unlinkBlob('unknown', blob.digest)).toBe(false);
        expect(await store.getBlob('app', blob.digest)).toBeUndefined();
        expect(await store.findBlob(blob.digest)).toEqual(blob);
      });
    });

    describe('upload sessions', () => {
      it('creates, reads and deletes a session', async () => {
        const before = Date.now();
        await store.createUpload({ id: 'upload-1', repository: 'app' });
        const session = await store.getUpload('upload-1');
        expect(session).toMatchObject({ id: 'upload-1', repository: 'app' });
        expect(session!.createdAt).toBeInstanceOf(Date);
        expect(session!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        await store.deleteUpload('upload-1');
        await store.deleteUpload('upload-1');
        expect(await store.getUpload('upload-1')).toBeUndefined();
      });

      it('does not make a repository exist', async () => {
        await store.createUpload({ id: 'upload-2', repository: 'app' });
        expect(await store.repositoryExists('app')).toBe(false);
        expect(await store.listRepositories()).toEqual([]);
      });
    });

    describe('manifests', () => {
      it('stores every field and its references', async () => {
        const manifest = newManifest('app', 'm1', {
          size: 5_000_000_000,
          artifactType: 'application/vnd.example.sbom',
          subject: digestOf('subject'),
          annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'x.y': 'ü ✓' },
          references: [
            { digest: digestOf('child'), kind: 'manifest' },
            { digest: digestOf('layer'), kind: 'blob' },
            { digest: digestOf('layer'), kind: 'blob' },
          ],
        });
        const before = Date.now();
        await store.putManifest(manifest);
        const { references, ...record } = manifest;
        const stored = await store.getManifest('app', manifest.digest);
        expect(stored).toEqual({ ...record, createdAt: expect.any(Date) });
        expect(stored!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(stored!.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        const expected = [
          { digest: digestOf('child'), kind: 'manifest' },
          { digest: digestOf('layer'), kind: 'blob' },
        ];
        expect(sortByDigest(await store.getManifestReferences('app', manifest.digest))).toEqual(sortByDigest(expected));
      });

      it('finds the manifests that reference blobs or child manifests, in one repository', async () => {
        const image = newManifest('app', 'image');
        const index = newManifest('app', 'index', { references: [{ digest: image.digest, kind: 'manifest' }] });
        await store.putManifest(image);
        await store.putManifest(index, 'latest');
        await store.putManifest(newManifest('other', 'image'));
        const found = await store.referencingManifests('app', [digestOf('image/layer'), image.digest, digestOf('nothing')]);
        expect(found.map((f) => [f.referenced, f.manifest.digest]).sort()).toEqual(
          [
            [digestOf('image/layer'), image.digest],
            [image.digest, index.digest],
          ].sort(),
        );
        expect(found.find((f) => f.manifest.digest === index.digest)?.manifest.repository).toBe('app');
        expect(await store.referencingManifests('app', [])).toEqual([]);
      });

      it('keeps manifests apart per repository', async () => {
        const manifest = newManifest('app', 'm1');
        await store.putManifest(manifest, 'latest');
        expect(await store.getManifest('other', manifest.digest)).toBeUndefined();
        expect(await store.getManifestReferences('other', manifest.digest)).toEqual([]);
        expect(await store.resolveTag('other', 'latest')).toBeUndefined();
        expect(await store.deleteManifest('other', manifest.digest)).toBe(false);
        expect(await store.getManifest('app', manifest.digest)).toBeDefined();
      });

      it('changes nothing but the tag when the same digest is put again', async () => {
        const manifest = newManifest('app', 'm1');
        await store.putManifest(manifest, 'v1');
        const first = await store.getManifest('app', manifest.digest);
        await store.putManifest({ ...manifest, size: 1, annotations: { changed: 'yes' }, references: [] }, 'v2');
        expect(await store.getManifest('app', manifest.digest)).toEqual(first);
        expect(await store.getManifestReferences('app', manifest.digest)).toHaveLength(2);
        expect(await store.listTags('app')).toEqual(['v1', 'v2']);
      });

      it('stores nothing of a manifest whose put fails part-way', async () => {
        const broken = newManifest('app', 'broken', {
          references: [
            { digest: digestOf('layer'), kind: 'blob' },
            { digest: digestOf('odd'), kind: 'neither' as 'blob' },
          ],
        });
        await expect(store.putManifest(broken, 'latest')).rejects.toThrow();
        expect(await store.getManifest('app', broken.digest)).toBeUndefined();
        expect(await store.getManifestReferences('app', broken.digest)).toEqual([]);
        expect(await store.resolveTag('app', 'latest')).toBeUndefined();
        expect(await store.repositoryExists('app')).toBe(false);
      });

      it('stores one manifest when the same digest is put concurrently', async () => {
        const manifest = newManifest('app', 'm1');
        const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
        await Promise.all(tags.map((tag) => store.putManifest(manifest, tag)));
        expect(await collect(store.allManifests())).toHaveLength(1);
        expect(await store.getManifestReferences('app', manifest.digest)).toHaveLength(2);
        for (const tag of tags) expect(await store.resolveTag('app', tag)).toBe(manifest.digest);
      });

      it('deletes a manifest with its references and tags, and nothing else', async () => {
        const doomed = newManifest('app', 'doomed');
        const kept = newManifest('app', 'kept');
        await store.putManifest(doomed, 'a');
        await store.putManifest(doomed, 'b');
        await store.putManifest(kept, 'c');
        expect(await store.deleteManifest('app', doomed.digest)).toBe(true);
        expect(await store.deleteManifest('app', doomed.digest)).toBe(false);
        expect(await store.getManifest('app', doomed.digest)).toBeUndefined();
        expect(await store.getManifestReferences('app', doomed.digest)).toEqual([]);
        expect(await store.listTags('app')).toEqual(['c']);
        expect(await store.getManifestReferences('app', kept.digest)).toHaveLength(2);
      });
    });

    describe('tags', () => {
      it('moves a tag from one digest to another', async () => {
        const one = newManifest('app', 'one');
        const two = newManifest('app', 'two');
        await store.putManifest(one, 'latest');
        await store.putManifest(two, 'latest');
        expect(await store.resolveTag('app', 'latest')).toBe(two.digest);
        expect(await store.getManifest('app', one.digest)).toBeDefined();
        await store.putManifest(one, 'latest');
        expect(await store.resolveTag('app', 'latest')).toBe(one.digest);
      });

      it('deletes a tag but not its manifest', async () => {
        const manifest = newManifest('app', 'one');
        await store.putManifest(manifest, 'latest');
        expect(await store.deleteTag('app', 'latest')).toBe(true);
        expect(await store.deleteTag('app', 'latest')).toBe(false);
        expect(await store.resolveTag('app', 'latest')).toBeUndefined();
        expect(await store.getManifest('app', manifest.digest)).toBeDefined();
      });

      it('lists nothing for an unknown repository', async () => {
        expect(await store.listTags('unknown')).toEqual([]);
        expect(await store.listTags('unknown', { n: 5, last: 'a' })).toEqual([]);
        expect(await store.resolveTag('unknown', 'latest')).toBeUndefined();
      });

      it('lists tags in byte order, whatever the database collation', async () => {
        await putTags(store, 'app', names);
        expect(await store.listTags('app')).toEqual(byteOrder(names));
      });

      it('pages tags with n and last', async () => {
        await putTags(store, 'app', names);
        await expectPagination(byteOrder(names), (page) => store.listTags('app', page));
      });
    });

    describe('referrers', () => {
      const subject = digestOf('image');
      const sbom = 'application/vnd.example.sbom';
      const signature = 'application/vnd.example.signature';

      beforeEach(async () => {
        await store.putManifest(newManifest('app', 'image'));
        await store.putManifest(newManifest('app', 'sbom', { subject, artifactType: sbom }));
        await store.putManifest(newManifest('app', 'sig', { subject, artifactType: signature }));
        await store.putManifest(newManifest('app', 'untyped', { subject }));
        await store.putManifest(newManifest('other', 'elsewhere', { subject, artifactType: sbom }));
      });

      it('lists every referrer of a subject in its repository', async () => {
        const referrers = await store.listReferrers('app', subject);
        expect(referrers.map((r) => r.digest).sort()).toEqual([digestOf('sbom'), digestOf('sig'), digestOf('untyped')].sort());
        expect(referrers.every((r) => r.createdAt instanceof Date && r.subject === subject)).toBe(true);
      });

      it('filters referrers by artifactType', async () => {
        const referrers = await store.listReferrers('app', subject, sbom);
        expect(referrers.map((r) => r.digest)).toEqual([digestOf('sbom')]);
        expect(await store.listReferrers('app', subject, 'application/none')).toEqual([]);
      });

      it('lists no referrers for an unknown subject or repository', async () => {
        expect(await store.listReferrers('app', digestOf('nothing'))).toEqual([]);
        expect(await store.listReferrers('unknown', subject)).toEqual([]);
      });

      it('forgets a referrer once deleted', async () => {
        await store.deleteManifest('app', digestOf('sig'));
        expect((await store.listReferrers('app', subject)).map((r) => r.digest)).not.toContain(digestOf('sig'));
      });
    });

    describe('repositories', () => {
      it('exists once a blob or a manifest was put in it', async () => {
        expect(await store.repositoryExists('blobs')).toBe(false);
        await store.linkBlob('blobs', { digest: digestOf('b'), size: 1 });
        await store.putManifest(newManifest('manifests', 'm'));
        expect(await store.repositoryExists('blobs')).toBe(true);
        expect(await store.repositoryExists('manifests')).toBe(true);
        expect(await store.repositoryExists('unknown')).toBe(false);
      });

      it('lists and pages repositories in byte order', async () => {
        for (const repository of repositoryNames) await store.linkBlob(repository, { digest: digestOf('b'), size: 1 });
        const expected = byteOrder(repositoryNames);
        expect(await store.listRepositories()).toEqual(expected);
        await expectPagination(expected, (page) => store.listRepositories(page));
      });
    });

    describe('whole-store walks', () => {
      it('walks every blob link and every manifest across pages', async () => {
        const links: { repository: string; digest: string; size: number }[] = [];
        for (let i = 0; i < 23; i++) links.push({ repository: `repo${i % 3}`, digest: digestOf(`blob${i}`), size: i });
        for (const { repository, ...blob } of links) await store.linkBlob(repository, blob as never);
        const walked = await collect(store.allBlobs());
        expect(sortByDigest(walked)).toEqual(sortByDigest(links));

        for (let i = 0; i < 17; i++) await store.putManifest(newManifest(`repo${i % 2}`, `m${i}`));
        const manifests = await collect(store.allManifests());
        expect(manifests).toHaveLength(17);
        expect(new Set(manifests.map((m) => `${m.repository}@${m.digest}`)).size).toBe(17);
        expect(manifests.every((m) => m.createdAt instanceof Date)).toBe(true);
      });

      it('walks an empty store', async () => {
        expect(await collect(store.allBlobs())).toEqual([]);
        expect(await collect(store.allManifests())).toEqual([]);
      });
    });
  });
}

/** Checks n/last paging of `list` against the full, ordered `expected` list. */
async function expectPagination(expected: string[], list: (page: { n?: number; last?: string }) => Promise<string[]>): Promise<void> {
  expect(await list({ n: 3 })).toEqual(expected.slice(0, 3));
  expect(await list({ n: 0 })).toEqual([]);
  expect(await list({ n: expected.length + 5 })).toEqual(expected);
  // `last` equal to an existing name: the page starts right after it.
  for (let i = 0; i < expected.length; i++) {
    expect(await list({ n: 2, last: expected[i] })).toEqual(expected.slice(i + 1, i + 3));
    expect(await list({ last: expected[i] })).toEqual(expected.slice(i + 1));
  }
  // `last` between names, before all, and past the end.
  expect(await list({ last: '' })).toEqual(expected);
  expect(await list({ last: `${expected[0]!}-` })).toEqual(expected.filter((e) => Buffer.compare(Buffer.from(e), Buffer.from(`${expected[0]!}-`)) > 0));
  expect(await list({ last: '~' })).toEqual([]);
  expect(await list({ n: 5, last: expected[expected.length - 1] })).toEqual([]);
  // Walking page by page yields every name once, in order.
  const walked: string[] = [];
  for (let page = await list({ n: 4 }); page.length > 0; page = await list({ n: 4, last: walked[walked.length - 1] })) walked.push(...page);
  expect(walked).toEqual(expected);
}

function sortByDigest<T extends { digest: string; repository?: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => `${a.repository ?? ''}${a.digest}`.localeCompare(`${b.repository ?? ''}${b.digest}`));
}
