// The FileStore conformance suite: every adapter's test file hands it a factory. Each test
// gets an empty, migrated database, with the QuarantineStore on it (which reads what files
// and file uploads hold, to choose scanners).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { FileStore, NewFile } from '../ports/file-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import { byteOrder, collect, digestOf } from './testing/fixtures.js';

export interface FileStoreHarness {
  open(clock: () => Date): Promise<{ store: FileStore; quarantine: QuarantineStore }>;
  dispose(): Promise<void>;
}

const newFile = (path: string, label = path, overrides: Partial<NewFile> = {}): NewFile => ({
  repository: 'team/dist',
  path,
  digest: digestOf(label),
  size: 1024,
  mediaType: 'application/gzip',
  ...overrides,
});

export function fileStoreSuite(name: string, factory: () => Promise<FileStoreHarness>): void {
  describe(`FileStore: ${name}`, () => {
    let harness: FileStoreHarness;
    let clock: TestClock;
    let store: FileStore;
    let quarantine: QuarantineStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      ({ store, quarantine } = await harness.open(clock.now));
    });

    afterEach(() => harness.dispose());

    const paths = async (repository: string, page: Parameters<FileStore['list']>[1]) => (await store.list(repository, page)).map((f) => f.path);

    it('keeps an entry with its digest, size past 2^32, media type and when it was put', async () => {
      const big = newFile('images/disk.qcow2', 'disk', { size: 5 * 2 ** 32 + 7, mediaType: 'application/x-qemu-disk' });
      const put = await store.put(big);
      expect(put).toEqual({ ...big, createdAt: clock.now() });
      expect(await store.get('team/dist', 'images/disk.qcow2')).toEqual(put);
      expect(await store.get('team/dist', 'images/other')).toBeUndefined();
      expect(await store.get('team/other', 'images/disk.qcow2')).toBeUndefined();
    });

    it('replaces the entry at a path; the old digest stays in use while another entry holds it', async () => {
      await store.put(newFile('a/v1.tar.gz', 'one'));
      await store.put(newFile('b/copy.tar.gz', 'one', { repository: 'team/mirror' }));
      clock.advance(5000);
      const replaced = await store.put(newFile('a/v1.tar.gz', 'two', { size: 9, mediaType: 'text/plain' }));
      expect(await store.get('team/dist', 'a/v1.tar.gz')).toEqual(replaced);
      expect(replaced).toMatchObject({ digest: digestOf('two'), size: 9, mediaType: 'text/plain', createdAt: clock.now() });
      expect(await paths('team/dist', { n: 10 })).toEqual(['a/v1.tar.gz']);
      expect(await store.digestsInUse([digestOf('one'), digestOf('two'), digestOf('never'), digestOf('one')])).toEqual(new Set([digestOf('one'), digestOf('two')]));
      expect(await store.delete('team/mirror', 'b/copy.tar.gz')).toBe(true);
      expect(await store.digestsInUse([digestOf('one')])).toEqual(new Set());
      expect(await store.digestsInUse([])).toEqual(new Set());
    });

    it('walks every entry of every repository, across pages (the adapters walk 2 rows a page)', async () => {
      expect(await collect(store.allFiles())).toEqual([]);
      const put = [];
      for (const [repository, path] of [['team/b', 'x'], ['team/a', 'z/1'], ['team/a', 'a'], ['team/a', 'z'], ['team/c', 'only']] as const) {
        put.push(await store.put(newFile(path, `${repository}/${path}`, { repository })));
      }
      const walked = await collect(store.allFiles());
      expect(walked.map((f) => `${f.repository}:${f.path}`)).toEqual(['team/a:a', 'team/a:z', 'team/a:z/1', 'team/b:x', 'team/c:only']);
      expect(walked).toEqual(expect.arrayContaining(put));
    });

    it('deletes an entry once', async () => {
      await store.put(newFile('x.bin'));
      expect(await store.delete('team/dist', 'x.bin')).toBe(true);
      expect(await store.delete('team/dist', 'x.bin')).toBe(false);
      expect(await store.get('team/dist', 'x.bin')).toBeUndefined();
    });

    it('lists one repository in byte order, n at a time after last', async () => {
      const names = ['b.txt', 'a-b', 'aB', 'a_b', 'a/z', 'Z', 'é.txt', 'a/b/c'];
      for (const path of names) await store.put(newFile(path));
      await store.put(newFile('elsewhere', 'x', { repository: 'team/other' }));
      const sorted = byteOrder(names);
      expect(await paths('team/dist', { n: 100 })).toEqual(sorted);
      expect(await paths('team/dist', { n: 3 })).toEqual(sorted.slice(0, 3));
      expect(await paths('team/dist', { n: 3, last: sorted[2]! })).toEqual(sorted.slice(3, 6));
      expect(await paths('team/dist', { n: 3, last: sorted[7]! })).toEqual([]);
      expect(await paths('team/none', { n: 10 })).toEqual([]);
    });

    it('lists under a prefix taken literally: % and _ are characters, case counts', async () => {
      for (const path of ['docs/a.md', 'docs/b.md', 'docs2/c.md', 'Docs/d.md', '100%/e', '100x/f', 'a_b/g', 'axb/h', 'ü/i', 'ü/j']) await store.put(newFile(path));
      expect(await paths('team/dist', { n: 10, prefix: 'docs/' })).toEqual(['docs/a.md', 'docs/b.md']);
      expect(await paths('team/dist', { n: 10, prefix: 'docs' })).toEqual(['docs/a.md', 'docs/b.md', 'docs2/c.md']);
      expect(await paths('team/dist', { n: 10, prefix: '100%' })).toEqual(['100%/e']);
      expect(await paths('team/dist', { n: 10, prefix: 'a_b' })).toEqual(['a_b/g']);
      expect(await paths('team/dist', { n: 10, prefix: 'ü/' })).toEqual(['ü/i', 'ü/j']);
      expect(await paths('team/dist', { n: 1, prefix: 'docs/', last: 'docs/a.md' })).toEqual(['docs/b.md']);
      expect(await paths('team/dist', { n: 10, prefix: '' })).toHaveLength(10);
    });

    it('counts a file\'s repository as holding its digest, from the upload waiting for its scan on', async () => {
      const digest = digestOf('scanned');
      expect(await quarantine.repositoriesHolding(digest)).toEqual([]);
      const upload = await store.beginUpload('team/b', digest);
      const other = await store.beginUpload('team/a', digest);
      expect(await quarantine.repositoriesHolding(digest)).toEqual(['team/a', 'team/b']);
      await store.put(newFile('x.bin', 'scanned', { repository: 'team/b' }));
      await store.endUpload(upload);
      await store.endUpload(upload);
      await store.endUpload(other);
      expect(await quarantine.repositoriesHolding(digest)).toEqual(['team/b']);
      await store.delete('team/b', 'x.bin');
      expect(await quarantine.repositoriesHolding(digest)).toEqual([]);
    });

    it('ends concurrent puts of one path with one entry, one of theirs', async () => {
      const labels = Array.from({ length: 8 }, (_, i) => `v${i}`);
      await Promise.all(labels.map((label) => store.put(newFile('race.bin', label))));
      const listed = await store.list('team/dist', { n: 10 });
      expect(listed).toHaveLength(1);
      expect(labels.map(digestOf)).toContain(listed[0]!.digest);
    });
  });
}
