// The MetadataStore's image walk for scan campaigns (listImages, countImageDigests), run by
// every adapter next to metadata-store.suite.ts: which manifests are images, the scopes, and
// paging by (repository, digest) in byte order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScanScope } from '../domain/scan-scope.js';
import type { ManifestKey, ManifestRecord, MetadataStore } from '../ports/metadata-store.js';
import type { MetadataStoreFactory, MetadataStoreHarness } from './metadata-store.suite.js';
import { byteOrder, digestOf, newManifest } from './testing/fixtures.js';

const ociConfig = 'application/vnd.oci.image.config.v1+json';

export function imageWalkSuite(name: string, factory: MetadataStoreFactory): void {
  describe(`MetadataStore image walk: ${name}`, () => {
    let harness: MetadataStoreHarness;
    let store: MetadataStore;

    beforeEach(async () => {
      harness = await factory();
      store = harness.open();
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
      await harness.dispose();
    });

    async function walk(scope: ScanScope, limit: number): Promise<ManifestRecord[]> {
      const all: ManifestRecord[] = [];
      let after: ManifestKey | undefined;
      for (;;) {
        const page = await store.listImages(scope, { limit, ...(after ? { after } : {}) });
        all.push(...page);
        if (page.length < limit) return all;
        after = page[page.length - 1]!;
      }
    }

    it('walks images only: no index, no referrer (subject), no artifact with a type of its own', async () => {
      await store.putManifest(newManifest('lib/app', 'image', { artifactType: ociConfig }));
      await store.putManifest(newManifest('lib/app', 'docker', { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', artifactType: 'application/vnd.docker.container.image.v1+json' }));
      await store.putManifest(newManifest('lib/app', 'untyped'));
      await store.putManifest(newManifest('lib/app', 'index', { mediaType: 'application/vnd.oci.image.index.v1+json', references: [{ digest: digestOf('image'), kind: 'manifest' }] }));
      await store.putManifest(newManifest('lib/app', 'signature', { artifactType: ociConfig, subject: digestOf('image') }));
      await store.putManifest(newManifest('lib/app', 'sbom', { artifactType: 'application/spdx+json' }));
      const images = await walk({ kind: 'all' }, 10);
      expect(images.map((m) => m.digest).sort()).toEqual([digestOf('image'), digestOf('docker'), digestOf('untyped')].sort());
      expect(await store.countImageDigests({ kind: 'all' })).toBe(3);
    });

    it('pages through every image once, in (repository, digest) byte order, within a scope', async () => {
      const repositories = ['lib', 'lib/app', 'lib/app/x', 'lib-b/app', 'lib0', 'libs/app', 'other/app', 'a/lib'];
      for (const repository of repositories) {
        for (let i = 0; i < 3; i++) await store.putManifest(newManifest(repository, `${repository}-${i}`));
      }
      // The same image in a second repository: walked twice, counted once.
      await store.putManifest(newManifest('other/app', 'lib/app-0'));

      const all = await walk({ kind: 'all' }, 4);
      expect(all).toHaveLength(25);
      const repositoriesWalked = all.map((m) => m.repository).filter((r, i, list) => list[i - 1] !== r);
      expect(repositoriesWalked).toEqual(byteOrder(repositories));
      for (const repository of repositories) {
        const digests = all.filter((m) => m.repository === repository).map((m) => m.digest);
        expect(digests).toEqual(byteOrder(digests));
      }
      expect(await store.countImageDigests({ kind: 'all' })).toBe(24);

      const lib = await walk({ kind: 'namespace', namespace: 'lib' }, 2);
      expect(new Set(lib.map((m) => m.repository))).toEqual(new Set(['lib', 'lib/app', 'lib/app/x']));
      expect(lib).toHaveLength(9);
      expect(await store.countImageDigests({ kind: 'namespace', namespace: 'lib' })).toBe(9);

      const app = await walk({ kind: 'repository', repository: 'other/app' }, 3);
      expect(app.map((m) => m.repository)).toEqual(Array(4).fill('other/app'));
      expect(await store.countImageDigests({ kind: 'repository', repository: 'nope' })).toBe(0);
      expect(await store.listImages({ kind: 'all' }, { after: { repository: 'zzz', digest: digestOf('x') }, limit: 5 })).toEqual([]);
    });
  });
}
