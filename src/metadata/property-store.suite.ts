// The PropertyStore conformance suite: every adapter's test file hands it a factory. Each
// test gets an empty, migrated database with a MetadataStore on it (properties belong to
// manifests, and go with them).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { PropertyStore } from '../ports/property-store.js';
import { digestOf, newManifest } from './testing/fixtures.js';

export interface PropertyStoreHarness {
  open(clock: () => Date): Promise<{ store: PropertyStore; metadata: MetadataStore }>;
  dispose(): Promise<void>;
}

export function propertyStoreSuite(name: string, factory: () => Promise<PropertyStoreHarness>): void {
  describe(`PropertyStore: ${name}`, () => {
    let harness: PropertyStoreHarness;
    let clock: TestClock;
    let store: PropertyStore;
    let metadata: MetadataStore;
    const image = newManifest('team/app', 'image');
    const other = newManifest('team/app', 'other');

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      ({ store, metadata } = await harness.open(clock.now));
      await metadata.putManifest(image, 'v1');
      await metadata.putManifest(other);
    });

    afterEach(() => harness.dispose());

    const set = (values: Record<string, string>, remove: string[] = []) => () => ({ writes: { set: values, remove }, result: true });

    it('sets, lists (sorted, with who and when) and removes properties', async () => {
      expect(await store.update('team/app', image.digest, 'user:alice', set({ owner: 'alice', a_first: '1' }))).toBe(true);
      clock.advance(1000);
      await store.update('team/app', image.digest, 'user:bob', set({ owner: 'bob' }));
      const listed = await store.list('team/app', image.digest);
      expect(listed.map((p) => [p.name, p.value, p.updatedBy])).toEqual([
        ['a_first', '1', 'user:alice'],
        ['owner', 'bob', 'user:bob'],
      ]);
      expect(listed[1]!.updatedAt.getTime()).toBe(listed[0]!.updatedAt.getTime() + 1000);
      await store.update('team/app', image.digest, 'user:bob', set({}, ['owner', 'never-set']));
      expect((await store.list('team/app', image.digest)).map((p) => p.name)).toEqual(['a_first']);
    });

    it('hands the plan the current values and writes nothing when it throws', async () => {
      await store.update('team/app', image.digest, 'user:alice', set({ x: '1' }));
      const seen: Record<string, string>[] = [];
      await expect(
        store.update('team/app', image.digest, 'user:alice', (current) => {
          seen.push({ ...current });
          throw new Error('protected');
        }),
      ).rejects.toThrow('protected');
      expect(seen).toEqual([{ x: '1' }]);
      expect((await store.list('team/app', image.digest)).map((p) => p.value)).toEqual(['1']);
    });

    it('runs concurrent updates one after the other: no increment is lost', async () => {
      await store.update('team/app', image.digest, 'user:alice', set({ n: '0' }));
      const increment = (current: Readonly<Record<string, string>>) => ({ writes: { set: { n: String(Number(current['n']) + 1) }, remove: [] }, result: undefined });
      await Promise.all(Array.from({ length: 10 }, () => store.update('team/app', image.digest, 'user:alice', increment)));
      expect((await store.list('team/app', image.digest))[0]!.value).toBe('10');
    });

    it('answers undefined for an artifact that does not exist, writing nothing', async () => {
      expect(await store.update('team/app', digestOf('missing'), 'user:alice', set({ x: '1' }))).toBeUndefined();
      expect(await store.update('team/other', image.digest, 'user:alice', set({ x: '1' }))).toBeUndefined();
      expect(await store.list('team/app', digestOf('missing'))).toEqual([]);
    });

    it('reads several artifacts of one repository at once, and only that repository', async () => {
      await store.update('team/app', image.digest, 'user:alice', set({ a: '1', b: '2' }));
      await store.update('team/app', other.digest, 'user:alice', set({ c: '3' }));
      await metadata.putManifest(newManifest('team/else', 'image'));
      await store.update('team/else', image.digest, 'user:alice', set({ z: '9' }));
      const values = await store.valuesFor('team/app', [image.digest, other.digest, digestOf('missing'), image.digest]);
      expect(Object.fromEntries(values)).toEqual({ [image.digest]: { a: '1', b: '2' }, [other.digest]: { c: '3' } });
      expect((await store.valuesFor('team/app', [])).size).toBe(0);
    });

    it('keeps names like __proto__ as plain data', async () => {
      await store.update('team/app', image.digest, 'user:alice', set({ ['__proto__']: 'x', constructor: 'y' }));
      const values = (await store.valuesFor('team/app', [image.digest])).get(image.digest)!;
      expect(Object.keys(values).sort()).toEqual(['__proto__', 'constructor']);
      expect(values['__proto__']).toBe('x');
    });

    it('deletes an artifact\'s properties with its manifest: a new push of the digest starts bare', async () => {
      await store.update('team/app', image.digest, 'user:alice', set({ x_billing_code: 'ntt' }));
      expect(await metadata.deleteManifest('team/app', image.digest)).toBe(true);
      await metadata.putManifest(image);
      expect(await store.list('team/app', image.digest)).toEqual([]);
    });
  });
}
