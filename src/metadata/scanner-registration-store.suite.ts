// The ScannerRegistrationStore conformance suite: every adapter's test file hands it a factory
// and runs it unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vulnerabilityScannerSchema, type VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { ScannerRegistrationStore } from '../ports/scanner-registration-store.js';

export interface ScannerRegistrationStoreHarness {
  /** A store over this harness's migrated database, stamping records with `clock`. Once per test. */
  open(clock: () => Date): Promise<ScannerRegistrationStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

const scanner = (name: string, extra: Record<string, unknown> = {}): VulnerabilityScannerConfig =>
  vulnerabilityScannerSchema.parse({ name, url: `https://${name}.example`, ...extra });

export function scannerRegistrationStoreSuite(name: string, factory: () => Promise<ScannerRegistrationStoreHarness>): void {
  describe(`ScannerRegistrationStore: ${name}`, () => {
    let harness: ScannerRegistrationStoreHarness;
    let clock: TestClock;
    let store: ScannerRegistrationStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    it('creates registrations with their secret, source and author, lists them by name, and refuses a name taken', async () => {
      const trivy = scanner('trivy', { auth: { kind: 'basic', username: 'scangate', passwordFile: '/run/p' }, tlsVerify: false, caFile: '/etc/ca.pem', enabled: false });
      const created = await store.createScanner(trivy, 's3cret', 'api', 'user:alice');
      expect(created).toEqual({ scanner: trivy, secret: 's3cret', source: 'api', createdAt: clock.now(), updatedAt: clock.now(), updatedBy: 'user:alice' });
      await store.createScanner(scanner('clair'), undefined, 'config', 'config');
      expect((await store.listScanners()).map((s) => [s.scanner.name, s.source, s.secret])).toEqual([
        ['clair', 'config', undefined],
        ['trivy', 'api', 's3cret'],
      ]);
      expect(await store.getScanner('trivy')).toEqual(created);
      expect(await store.getScanner('nope')).toBeUndefined();
      expect(await store.createScanner(scanner('trivy', { url: 'https://other.example' }), 'x', 'api', 'admin')).toBeUndefined();
      expect(await store.getScanner('trivy')).toEqual(created);
    });

    it('updates a registration, keeping, replacing or removing its secret', async () => {
      const created = (await store.createScanner(scanner('trivy'), 'one', 'api', 'admin'))!;
      clock.advance(1000);
      const kept = await store.updateScanner(scanner('trivy', { url: 'https://moved.example' }), undefined, 'user:bob');
      expect(kept).toEqual({ ...created, scanner: scanner('trivy', { url: 'https://moved.example' }), updatedAt: clock.now(), updatedBy: 'user:bob' });
      expect((await store.updateScanner(scanner('trivy'), 'two', 'admin'))?.secret).toBe('two');
      expect((await store.updateScanner(scanner('trivy'), null, 'admin'))?.secret).toBeUndefined();
      expect(await store.updateScanner(scanner('nope'), 'x', 'admin')).toBeUndefined();
    });

    it('keeps one default: making a scanner the default, by create, update or setDefault, takes it from the other', async () => {
      await store.createScanner(scanner('a', { default: true }), undefined, 'api', 'admin');
      await store.createScanner(scanner('b', { default: true }), undefined, 'api', 'admin');
      const defaults = async () => (await store.listScanners()).filter((s) => s.scanner.default).map((s) => s.scanner.name);
      expect(await defaults()).toEqual(['b']);
      await store.updateScanner(scanner('a', { default: true }), undefined, 'admin');
      expect(await defaults()).toEqual(['a']);
      expect(await store.setDefault('b', 'user:carol')).toBe(true);
      expect(await defaults()).toEqual(['b']);
      expect(await store.setDefault('nope', 'admin')).toBe(false);
      expect(await defaults()).toEqual(['b']);
      expect(await store.setDefault(null, 'admin')).toBe(true);
      expect(await defaults()).toEqual([]);
      // A name taken leaves the default where it was.
      await store.setDefault('a', 'admin');
      expect(await store.createScanner(scanner('b', { default: true }), undefined, 'api', 'admin')).toBeUndefined();
      expect(await defaults()).toEqual(['a']);
    });

    it('records a config scanner once: created the first time, brought up to the file after, taking over a name of the API', async () => {
      expect(await store.recordConfigured(scanner('trivy'))).toEqual({ created: true });
      const first = (await store.getScanner('trivy'))!;
      expect(first).toMatchObject({ source: 'config', updatedBy: 'config', secret: undefined });
      clock.advance(1000);
      expect(await store.recordConfigured(scanner('trivy'))).toEqual({ created: false });
      expect(await store.getScanner('trivy')).toEqual(first); // unchanged: not even its updatedAt
      expect(await store.recordConfigured(scanner('trivy', { url: 'https://moved.example', default: true }))).toEqual({ created: false });
      expect(await store.getScanner('trivy')).toMatchObject({ scanner: { url: 'https://moved.example', default: true }, updatedAt: clock.now() });
      await store.createScanner(scanner('clair', { default: true }), 'key', 'api', 'admin');
      expect(await store.recordConfigured(scanner('clair'))).toEqual({ created: false });
      expect(await store.getScanner('clair')).toMatchObject({ source: 'config', secret: undefined, scanner: { default: false } });
      // clair took the default from trivy when made, and the file's clair is not one.
      expect((await store.listScanners()).filter((s) => s.scanner.default)).toEqual([]);
    });

    it('deletes a registration once', async () => {
      await store.createScanner(scanner('trivy'), undefined, 'api', 'admin');
      expect(await store.deleteScanner('trivy')).toBe(true);
      expect(await store.deleteScanner('trivy')).toBe(false);
      expect(await store.listScanners()).toEqual([]);
    });

    it('puts, replaces, lists and deletes namespace choices', async () => {
      expect(await store.putNamespaceChoice('lib', ['trivy', 'clair'], 'admin')).toEqual({ namespace: 'lib', scanners: ['trivy', 'clair'], updatedAt: clock.now(), updatedBy: 'admin' });
      clock.advance(1000);
      await store.putNamespaceChoice('org/team', ['trivy'], 'admin');
      await store.putNamespaceChoice('lib', ['clair'], 'user:bob');
      expect(await store.listNamespaceChoices()).toEqual([
        { namespace: 'lib', scanners: ['clair'], updatedAt: clock.now(), updatedBy: 'user:bob' },
        { namespace: 'org/team', scanners: ['trivy'], updatedAt: clock.now(), updatedBy: 'admin' },
      ]);
      expect(await store.deleteNamespaceChoice('lib')).toBe(true);
      expect(await store.deleteNamespaceChoice('lib')).toBe(false);
      expect((await store.listNamespaceChoices()).map((c) => c.namespace)).toEqual(['org/team']);
    });
  });
}
