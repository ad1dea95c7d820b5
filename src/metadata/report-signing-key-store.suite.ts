// The shared suite of the ReportSigningKeyStore port: every adapter runs it
// (report-signing-key-sqlite.test.ts, report-signing-key-postgres.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewReportSigningKey, ReportSigningKeyStore } from '../ports/report-signing-key-store.js';

export interface ReportSigningKeyHarness {
  /** A store on an empty, migrated database whose clock reads `now()`. */
  open(now: () => Date): Promise<ReportSigningKeyStore>;
  dispose(): Promise<void>;
}

function key(kid: string): NewReportSigningKey {
  return { kid, algorithm: 'EdDSA', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: kid, kid }, privateJwk: JSON.stringify({ kty: 'OKP', d: `private-${kid}` }) };
}

export function reportSigningKeyStoreSuite(name: string, harness: () => Promise<ReportSigningKeyHarness>): void {
  describe(`ReportSigningKeyStore (${name})`, () => {
    let h: ReportSigningKeyHarness;
    let store: ReportSigningKeyStore;
    let clock = 1_000;
    beforeEach(async () => {
      h = await harness();
      store = await h.open(() => new Date(clock));
    });
    afterEach(async () => h.dispose());

    it('has no key at first; a rotation makes one current and retires the one before, which stays listed', async () => {
      expect(await store.current()).toBeUndefined();
      expect(await store.list()).toEqual([]);
      clock = 1_000;
      const first = await store.rotate(key('first'));
      expect(first).toMatchObject({ kid: 'first', algorithm: 'EdDSA', retiredAt: null, createdAt: new Date(1_000) });
      clock = 2_000;
      await store.rotate(key('second'));
      expect((await store.current())?.kid).toBe('second');
      const listed = await store.list();
      expect(listed.map((k) => [k.kid, k.retiredAt?.getTime() ?? null])).toEqual([
        ['second', null],
        ['first', 2_000],
      ]);
      expect(listed[1]).toMatchObject({ publicJwk: { kty: 'OKP', kid: 'first' }, privateJwk: key('first').privateJwk });
    });

    it('deletes a key (it no longer verifies) and says whether there was one', async () => {
      await store.rotate(key('first'));
      clock += 1;
      await store.rotate(key('second'));
      expect(await store.delete('first')).toBe(true);
      expect(await store.delete('first')).toBe(false);
      expect((await store.list()).map((k) => k.kid)).toEqual(['second']);
    });
  });
}
