// The QuarantineStore conformance suite: every adapter's test file hands it a factory and
// runs it unchanged. Each test gets an empty, migrated database, a clock that moves when
// told, and a MetadataStore on the same database (repositoriesHolding reads its tables).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../domain/digest.js';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { AuditEntry, ContentState, QuarantineStore, VerdictRecord } from '../ports/quarantine-store.js';
import { digestOf, newManifest } from './testing/fixtures.js';

export interface QuarantineStoreHarness {
  /** Stores over this harness's migrated database, stamping states with `clock`. Once per test. */
  open(clock: () => Date): Promise<{ store: QuarantineStore; metadata: MetadataStore }>;
  /** Closes the stores' connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type QuarantineStoreFactory = () => Promise<QuarantineStoreHarness>;

const minute = 60_000;
const at = (clock: TestClock, offsetMs: number): Date => new Date(clock.now().getTime() + offsetMs);
const digests = (prefix: string, count: number): Digest[] => Array.from({ length: count }, (_, i) => digestOf(`${prefix}-${i}`));

export function quarantineStoreSuite(name: string, factory: QuarantineStoreFactory): void {
  describe(`QuarantineStore: ${name}`, () => {
    let harness: QuarantineStoreHarness;
    let clock: TestClock;
    let store: QuarantineStore;
    let metadata: MetadataStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      ({ store, metadata } = await harness.open(clock.now));
    });

    afterEach(() => harness.dispose());

    const verdict = (label: string, overrides: Partial<VerdictRecord> = {}): VerdictRecord => ({
      digest: digestOf(label),
      scanner: 'clamav',
      engine: 'ClamAV 1.4/27000',
      verdict: 'clean',
      findings: [],
      durationMs: 12,
      scannedAt: clock.now(),
      ...overrides,
    });
    const release = (digest: Digest) => store.setState(digest, 'blob', { state: 'clean', reason: null, decidedBy: 'clamav' });

    describe('admit and states', () => {
      it('admits an unknown digest as pending, stamped by the clock', async () => {
        const digest = digestOf('layer');
        expect(await store.getState(digest)).toBeUndefined();
        const record = await store.admit(digest, 'blob');
        expect(record).toEqual({ digest, kind: 'blob', state: 'pending', reason: null, decidedBy: null, createdAt: clock.now(), updatedAt: clock.now() });
        expect(await store.getState(digest)).toEqual(record);
      });

      it('admits a digest twice without touching its state', async () => {
        const digest = digestOf('layer');
        await store.admit(digest, 'blob');
        clock.advance(minute);
        await store.setState(digest, 'blob', { state: 'infected', reason: 'Eicar-Signature', decidedBy: 'clamav' });
        const decided = await store.getState(digest);
        clock.advance(minute);
        expect(await store.admit(digest, 'manifest')).toEqual(decided);
        expect(decided).toMatchObject({ kind: 'blob', state: 'infected', reason: 'Eicar-Signature', updatedAt: at(clock, -minute) });
      });

      it('admits one digest from many callers at once into one row', async () => {
        const digest = digestOf('layer');
        const records = await Promise.all(Array.from({ length: 20 }, () => store.admit(digest, 'blob')));
        for (const record of records) expect(record).toEqual(records[0]);
        expect(await store.countStates()).toEqual({ pending: 1, clean: 0, infected: 0, failed: 0 });
      });

      it('never lets a racing admit undo a verdict', async () => {
        const digest = digestOf('layer');
        const admits = Array.from({ length: 10 }, () => store.admit(digest, 'blob'));
        await Promise.all([...admits, release(digest)]);
        for (const record of await Promise.all(admits)) expect(['pending', 'clean']).toContain(record.state);
        expect((await store.getState(digest))?.state).toBe('clean');
        expect((await store.admit(digest, 'blob')).state).toBe('clean');
      });

      it('sets a state, returning the previous record at each transition', async () => {
        const digest = digestOf('manifest');
        expect(await store.setState(digest, 'manifest', { state: 'pending', reason: null, decidedBy: null })).toBeUndefined();
        const created = clock.now();
        const transitions: [ContentState, string | null, string | null][] = [
          ['clean', null, 'clamav,trivy'],
          ['infected', 'Eicar-Signature', 'clamav'],
          ['failed', 'clamd: connection refused', 'clamav'],
          ['clean', 'false positive, checked by hand', 'admin:ada'],
        ];
        let previous = await store.getState(digest);
        for (const [state, reason, decidedBy] of transitions) {
          clock.advance(minute);
          expect(await store.setState(digest, 'blob', { state, reason, decidedBy })).toEqual(previous);
          previous = await store.getState(digest);
          expect(previous).toEqual({ digest, kind: 'manifest', state, reason, decidedBy, createdAt: created, updatedAt: clock.now() });
        }
      });

      it('hands each of several racing updates a different previous record', async () => {
        const digest = digestOf('layer');
        const reasons = Array.from({ length: 12 }, (_, i) => `reason-${i}`);
        const previous = await Promise.all(reasons.map((reason) => store.setState(digest, 'blob', { state: 'failed', reason, decidedBy: 'x' })));
        // Only the first to write finds no record; each other one finds a different writer's.
        const seen = previous.map((record) => record?.reason);
        expect(seen.filter((reason) => reason === undefined)).toHaveLength(1);
        expect(new Set(seen).size).toBe(reasons.length);
        const last = (await store.getState(digest))?.reason;
        expect([undefined, ...reasons].filter((reason) => !seen.includes(reason))).toEqual([last]);
      });

      it('refuses a state outside the machine', async () => {
        const bogus = { state: 'maybe' as ContentState, reason: null, decidedBy: null };
        await expect(store.setState(digestOf('layer'), 'blob', bogus)).rejects.toThrow();
        expect(await store.getState(digestOf('layer'))).toBeUndefined();
      });

      it('gets many states in one call, across IN-list chunks', async () => {
        const known = digests('known', 520);
        for (let start = 0; start < known.length; start += 100) {
          await Promise.all(known.slice(start, start + 100).map((digest) => store.admit(digest, 'blob')));
        }
        await release(known[507]!);
        const asked = [...known, ...digests('unknown', 50), known[3]!];
        const states = await store.getStates(asked);
        expect(states.size).toBe(known.length);
        expect(states.get(known[0]!)?.state).toBe('pending');
        expect(states.get(known[507]!)?.state).toBe('clean');
        expect(states.has(digestOf('unknown-0'))).toBe(false);
        expect(await store.getStates([])).toEqual(new Map());
      });

      it('lists states by state, in digest order, page by page', async () => {
        const all = digests('item', 9);
        for (const [i, digest] of all.entries()) {
          await store.admit(digest, 'blob');
          if (i % 3 === 0) await release(digest);
        }
        const pending = all.filter((_, i) => i % 3 !== 0).sort();
        expect((await store.listStates({ state: 'pending' })).map((record) => record.digest)).toEqual(pending);
        const first = await store.listStates({ state: 'pending', limit: 4 });
        const second = await store.listStates({ state: 'pending', limit: 4, after: first.at(-1)!.digest });
        expect([...first, ...second].map((record) => record.digest)).toEqual(pending);
        expect((await store.listStates()).map((record) => record.digest)).toEqual([...all].sort());
        expect(await store.listStates({ state: 'infected' })).toEqual([]);
        expect(await store.listStates({ limit: 0 })).toEqual([]);
      });

      it('lists 100 states when no limit is given', async () => {
        await Promise.all(digests('item', 105).map((digest) => store.admit(digest, 'blob')));
        expect(await store.listStates()).toHaveLength(100);
      });

      it('counts states, with zeros for the empty ones', async () => {
        expect(await store.countStates()).toEqual({ pending: 0, clean: 0, infected: 0, failed: 0 });
        for (const digest of digests('p', 3)) await store.admit(digest, 'blob');
        for (const digest of digests('c', 2)) await release(digest);
        await store.setState(digestOf('i'), 'manifest', { state: 'infected', reason: 'x', decidedBy: 'clamav' });
        expect(await store.countStates()).toEqual({ pending: 3, clean: 2, infected: 1, failed: 0 });
      });
    });

    describe('verdict cache', () => {
      it('keeps a verdict with its findings as given', async () => {
        const infected = verdict('layer', {
          verdict: 'infected',
          findings: [{ signature: 'Eicar-Signature' }, { signature: 'exit 1', detail: 'found: ünïcødé "quoted"\nline 2' }],
          durationMs: 1234.6,
        });
        await store.recordVerdict(infected);
        expect(await store.findVerdict(infected.digest, 'clamav', infected.engine)).toEqual({ ...infected, durationMs: 1235 });
        expect(await store.findVerdict(infected.digest, 'clamav', 'ClamAV 1.4/27001')).toBeUndefined();
        expect(await store.findVerdict(infected.digest, 'trivy', infected.engine)).toBeUndefined();
      });

      it('replaces a verdict with the same (digest, scanner, engine) and keeps the others', async () => {
        await store.recordVerdict(verdict('layer'));
        await store.recordVerdict(verdict('layer', { engine: 'ClamAV 1.4/27001' }));
        const again = verdict('layer', { verdict: 'infected', findings: [{ signature: 'Win.Test' }], durationMs: 7, scannedAt: at(clock, minute) });
        await store.recordVerdict(again);
        expect(await store.findVerdict(again.digest, 'clamav', again.engine)).toEqual(again);
        expect(await store.findVerdict(again.digest, 'clamav', 'ClamAV 1.4/27001')).toMatchObject({ verdict: 'clean' });
      });

      it('gives the newest verdict of each scanner, whatever the engine', async () => {
        await store.recordVerdict(verdict('layer', { engine: 'e1', scannedAt: at(clock, 0) }));
        await store.recordVerdict(verdict('layer', { engine: 'e3', scannedAt: at(clock, 2 * minute), verdict: 'infected', findings: [{ signature: 'S' }] }));
        await store.recordVerdict(verdict('layer', { engine: 'e2', scannedAt: at(clock, minute) }));
        await store.recordVerdict(verdict('layer', { scanner: 'command', engine: 'scan.sh' }));
        await store.recordVerdict(verdict('other', { engine: 'e9', scannedAt: at(clock, 9 * minute) }));
        const latest = await store.latestVerdicts(digestOf('layer'));
        expect(latest.map((v) => [v.scanner, v.engine, v.verdict])).toEqual([
          ['clamav', 'e3', 'infected'],
          ['command', 'scan.sh', 'clean'],
        ]);
        expect(await store.latestVerdicts(digestOf('never'))).toEqual([]);
      });

      it('gives one newest verdict per scanner when two were made at the same moment', async () => {
        await store.recordVerdict(verdict('layer', { engine: 'e1' }));
        await store.recordVerdict(verdict('layer', { engine: 'e2' }));
        expect(await store.latestVerdicts(digestOf('layer'))).toHaveLength(1);
      });
    });

    describe('staleClean', () => {
      const current = 'ClamAV 1.4/27001';
      const old = 'ClamAV 1.4/27000';

      /** Clean digests in several situations, the stale ones in the order they must come. */
      async function mixedContent(): Promise<Digest[]> {
        const clean = async (label: string, verdicts: Partial<VerdictRecord>[]): Promise<Digest> => {
          await release(digestOf(label));
          for (const v of verdicts) await store.recordVerdict(verdict(label, v));
          return digestOf(label);
        };
        await clean('current', [{ engine: current }]);
        const staleLater = await clean('stale-later', [{ engine: old, scannedAt: at(clock, -minute) }]);
        const staleEarlier = await clean('stale-earlier', [{ engine: old, scannedAt: at(clock, -3 * minute) }]);
        await clean('rescanned', [
          { engine: old, scannedAt: at(clock, -5 * minute) },
          { engine: current, scannedAt: at(clock, -2 * minute) },
        ]);
        const neverByClamav = await clean('only-command', [{ scanner: 'command', engine: 'scan.sh' }]);
        clock.advance(minute);
        const releasedLater = await clean('released-unscanned', []);
        for (const state of ['pending', 'infected', 'failed'] as const) {
          await store.setState(digestOf(state), 'blob', { state, reason: null, decidedBy: null });
          await store.recordVerdict(verdict(state, { engine: old }));
        }
        return [neverByClamav, releasedLater, staleEarlier, staleLater];
      }

      it('finds clean digests not scanned with the current engine, never-scanned and oldest first', async () => {
        const expected = await mixedContent();
        expect(await store.staleClean('clamav', current, 100)).toEqual(expected);
      });

      it('stops at the limit', async () => {
        const expected = await mixedContent();
        for (const limit of [1, 2, 3]) expect(await store.staleClean('clamav', current, limit)).toEqual(expected.slice(0, limit));
        expect(await store.staleClean('clamav', current, 0)).toEqual([]);
      });

      it('looks at one scanner only', async () => {
        await mixedContent();
        const cleanWithoutCommandVerdict = ['current', 'stale-later', 'stale-earlier', 'rescanned'].map((label) => digestOf(label));
        const stale = await store.staleClean('command', 'scan.sh', 100);
        expect(stale).toHaveLength(5);
        expect(stale).toEqual(expect.arrayContaining([...cleanWithoutCommandVerdict, digestOf('released-unscanned')]));
        expect(stale).not.toContain(digestOf('only-command'));
      });

      it('is empty when everything clean was scanned with the current engine', async () => {
        await release(digestOf('layer'));
        await store.recordVerdict(verdict('layer', { engine: current }));
        await store.recordVerdict(verdict('pending', { engine: old }));
        expect(await store.staleClean('clamav', current, 10)).toEqual([]);
      });
    });

    describe('audit log', () => {
      const entry = (label: string, offsetMs: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
        digest: digestOf(label),
        action: 'release',
        actor: 'admin:ada',
        reason: `reason at ${offsetMs}`,
        at: at(clock, offsetMs),
        ...overrides,
      });

      it('lists entries newest first, for one digest or all, up to a limit', async () => {
        const entries = [
          entry('a', 0, { action: 'quarantine', actor: 'clamav', reason: 'Eicar-Signature' }),
          entry('b', 3 * minute, { action: 'delete', reason: 'ünïcødé' }),
          entry('a', 2 * minute, { action: 'release' }),
          entry('a', minute, { action: 'rescan', actor: 'admin:bob' }),
        ];
        for (const e of entries) await store.appendAudit(e);
        expect(await store.listAudit()).toEqual([entries[1], entries[2], entries[3], entries[0]]);
        expect(await store.listAudit(digestOf('a'))).toEqual([entries[2], entries[3], entries[0]]);
        expect(await store.listAudit(digestOf('a'), 2)).toEqual([entries[2], entries[3]]);
        expect(await store.listAudit(digestOf('none'))).toEqual([]);
      });

      it('keeps entries made at the same moment, in a stable order', async () => {
        for (const actor of ['x', 'y', 'z']) await store.appendAudit(entry('a', 0, { actor }));
        const listed = await store.listAudit();
        expect(listed.map((e) => e.actor).sort()).toEqual(['x', 'y', 'z']);
        expect(await store.listAudit()).toEqual(listed);
      });

      it('lists 100 entries when no limit is given', async () => {
        for (let i = 0; i < 101; i++) await store.appendAudit(entry('a', i));
        const listed = await store.listAudit();
        expect(listed).toHaveLength(100);
        expect(listed[0]?.at).toEqual(at(clock, 100));
      });

      it('refuses an action it does not know', async () => {
        await expect(store.appendAudit(entry('a', 0, { action: 'shrug' as AuditEntry['action'] }))).rejects.toThrow();
      });
    });

    describe('repositoriesHolding', () => {
      it('names each repository holding the digest as a blob or a manifest, once, in byte order', async () => {
        const blob = { digest: digestOf('shared'), size: 10 };
        await metadata.linkBlob('b-repo', blob);
        await metadata.linkBlob('a/repo', blob);
        await metadata.linkBlob('elsewhere', { digest: digestOf('other'), size: 1 });
        await metadata.putManifest(newManifest('c', 'x', { digest: blob.digest }));
        await metadata.putManifest(newManifest('a/repo', 'x', { digest: blob.digest }));
        await metadata.putManifest(newManifest('B', 'y', { digest: blob.digest }), 'latest');
        expect(await store.repositoriesHolding(blob.digest)).toEqual(['B', 'a/repo', 'b-repo', 'c']);

        await metadata.unlinkBlob('b-repo', blob.digest);
        await metadata.deleteManifest('c', blob.digest);
        expect(await store.repositoriesHolding(blob.digest)).toEqual(['B', 'a/repo']);
        expect(await store.repositoriesHolding(digestOf('nowhere'))).toEqual([]);
      });
    });
  });
}
