// The PropertyStore conformance suite: every adapter's test file hands it a factory. Each
// test gets an empty, migrated database with a MetadataStore and a FileStore on it
// (properties belong to manifests and file entries, and go with them).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { FileStore } from '../ports/file-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { PropertyStore, PropertySubject } from '../ports/property-store.js';
import { digestOf, newManifest } from './testing/fixtures.js';

export interface PropertyStoreHarness {
  open(clock: () => Date): Promise<{ store: PropertyStore; metadata: MetadataStore; files: FileStore }>;
  dispose(): Promise<void>;
}

export function propertyStoreSuite(name: string, factory: () => Promise<PropertyStoreHarness>): void {
  describe(`PropertyStore: ${name}`, () => {
    let harness: PropertyStoreHarness;
    let clock: TestClock;
    let store: PropertyStore;
    let metadata: MetadataStore;
    let files: FileStore;
    const image = newManifest('team/app', 'image');
    const other = newManifest('team/app', 'other');
    const artifact = (digest = image.digest, repository = 'team/app'): PropertySubject => ({ kind: 'artifact', repository, digest });
    const file = (path = 'dist/app.tar.gz', repository = 'team/app'): PropertySubject => ({ kind: 'file', repository, path });
    const putFile = (path = 'dist/app.tar.gz', label = 'file bytes', repository = 'team/app') =>
      files.put({ repository, path, digest: digestOf(label), size: 10, mediaType: 'application/gzip' });

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      ({ store, metadata, files } = await harness.open(clock.now));
      await metadata.putManifest(image, 'v1');
      await metadata.putManifest(other);
      await putFile();
    });

    afterEach(() => harness.dispose());

    const set = (values: Record<string, string>, remove: string[] = []) => () => ({ writes: { set: values, remove }, result: true });
    const names = async (subject: PropertySubject) => (await store.list(subject)).map((p) => p.name);

    for (const [kind, subject] of [
      ['an artifact', () => artifact()],
      ['a file', () => file()],
    ] as const) {
      describe(`on ${kind}`, () => {
        it('sets, lists (sorted, with who and when) and removes properties', async () => {
          expect(await store.update(subject(), 'user:alice', set({ owner: 'alice', a_first: '1' }))).toBe(true);
          clock.advance(1000);
          await store.update(subject(), 'user:bob', set({ owner: 'bob' }));
          const listed = await store.list(subject());
          expect(listed.map((p) => [p.name, p.value, p.updatedBy])).toEqual([
            ['a_first', '1', 'user:alice'],
            ['owner', 'bob', 'user:bob'],
          ]);
          expect(listed[1]!.updatedAt.getTime()).toBe(listed[0]!.updatedAt.getTime() + 1000);
          await store.update(subject(), 'user:bob', set({}, ['owner', 'never-set']));
          expect(await names(subject())).toEqual(['a_first']);
        });

        it('hands the plan the current values and writes nothing when it throws', async () => {
          await store.update(subject(), 'user:alice', set({ x: '1' }));
          const seen: Record<string, string>[] = [];
          await expect(
            store.update(subject(), 'user:alice', (current) => {
              seen.push({ ...current });
              throw new Error('protected');
            }),
          ).rejects.toThrow('protected');
          expect(seen).toEqual([{ x: '1' }]);
          expect((await store.list(subject())).map((p) => p.value)).toEqual(['1']);
        });

        it('runs concurrent updates one after the other: no increment is lost', async () => {
          await store.update(subject(), 'user:alice', set({ n: '0' }));
          const increment = (current: Readonly<Record<string, string>>) => ({ writes: { set: { n: String(Number(current['n']) + 1) }, remove: [] }, result: undefined });
          await Promise.all(Array.from({ length: 10 }, () => store.update(subject(), 'user:alice', increment)));
          expect((await store.list(subject()))[0]!.value).toBe('10');
        });

        it('keeps names like __proto__ as plain data', async () => {
          await store.update(subject(), 'user:alice', set({ ['__proto__']: 'x', constructor: 'y' }));
          expect(await names(subject())).toEqual(['__proto__', 'constructor']);
        });
      });
    }

    it('answers undefined for an artifact that does not exist, writing nothing', async () => {
      expect(await store.update(artifact(digestOf('missing')), 'user:alice', set({ x: '1' }))).toBeUndefined();
      expect(await store.update(artifact(image.digest, 'team/other'), 'user:alice', set({ x: '1' }))).toBeUndefined();
      expect(await store.list(artifact(digestOf('missing')))).toEqual([]);
    });

    it('answers undefined for a file that does not exist, writing nothing', async () => {
      expect(await store.update(file('dist/missing.tar.gz'), 'user:alice', set({ x: '1' }))).toBeUndefined();
      expect(await store.update(file('dist/app.tar.gz', 'team/other'), 'user:alice', set({ x: '1' }))).toBeUndefined();
      // A directory is not a file: only entries carry properties.
      expect(await store.update(file('dist'), 'user:alice', set({ x: '1' }))).toBeUndefined();
      expect(await store.list(file('dist/missing.tar.gz'))).toEqual([]);
    });

    it('reads several artifacts of one repository at once, and only that repository', async () => {
      await store.update(artifact(), 'user:alice', set({ a: '1', b: '2' }));
      await store.update(artifact(other.digest), 'user:alice', set({ c: '3' }));
      await metadata.putManifest(newManifest('team/else', 'image'));
      await store.update(artifact(image.digest, 'team/else'), 'user:alice', set({ z: '9' }));
      const values = await store.valuesFor('team/app', [image.digest, other.digest, digestOf('missing'), image.digest]);
      expect(Object.fromEntries(values)).toEqual({ [image.digest]: { a: '1', b: '2' }, [other.digest]: { c: '3' } });
      expect((await store.valuesFor('team/app', [])).size).toBe(0);
      const proto = (await store.valuesFor('team/app', [image.digest])).get(image.digest)!;
      expect(Object.getPrototypeOf(proto)).toBeNull();
    });

    it('keeps the properties of files and artifacts apart, and of each file', async () => {
      await putFile('dist/other.tar.gz', 'other bytes');
      await store.update(artifact(), 'user:alice', set({ on: 'artifact' }));
      await store.update(file(), 'user:alice', set({ on: 'file' }));
      expect((await store.list(artifact()))[0]!.value).toBe('artifact');
      expect((await store.list(file()))[0]!.value).toBe('file');
      expect(await store.list(file('dist/other.tar.gz'))).toEqual([]);
      expect((await store.valuesFor('team/app', [digestOf('file bytes')])).size).toBe(0);
    });

    it('deletes an artifact\'s properties with its manifest: a new push of the digest starts bare', async () => {
      await store.update(artifact(), 'user:alice', set({ x_billing_code: 'ntt' }));
      expect(await metadata.deleteManifest('team/app', image.digest)).toBe(true);
      await metadata.putManifest(image);
      expect(await store.list(artifact())).toEqual([]);
    });

    it('keeps a file\'s properties when new bytes are put at its path, and deletes them with the entry', async () => {
      await store.update(file(), 'user:admin', set({ x_billing_code: 'ntt' }));
      await putFile('dist/app.tar.gz', 'new bytes');
      expect(await names(file())).toEqual(['x_billing_code']);
      expect(await files.delete('team/app', 'dist/app.tar.gz')).toBe(true);
      await putFile();
      expect(await store.list(file())).toEqual([]);
    });
  });
}
