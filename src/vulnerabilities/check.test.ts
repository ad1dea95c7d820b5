import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../metadata/database.js';
import { migrateToLatest } from '../metadata/migrations/index.js';
import type { MetadataTables } from '../metadata/schema.js';
import { SqlVulnerabilityStore } from '../metadata/sql-vulnerability-store.js';
import { digestOf } from '../metadata/testing/fixtures.js';
import { checkVulnerabilityGate, vulnerabilityDenial } from './check.js';

const now = new Date('2030-01-01T00:00:00Z');
const index = digestOf('index');
const child = digestOf('child');
const openssl = { cve: 'CVE-2024-1234', package: 'openssl', version: '3.0.1', fixedVersion: null, severity: 'critical' as const };

describe('checkVulnerabilityGate', () => {
  let dir: string;
  let db: Kysely<MetadataTables>;
  let store: SqlVulnerabilityStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scangate-vulnerability-check-'));
    db = openDatabase({ driver: 'sqlite' }, dir);
    await migrateToLatest(db, 'sqlite');
    store = new SqlVulnerabilityStore(db, { clock: () => now });
  });

  afterEach(async () => {
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const check = (repository = 'library/nginx') => checkVulnerabilityGate(store, { repository, digests: [index, child], now });

  it('allows everything while no gate applies', async () => {
    await store.recordScan(child, 'trivy', [openssl], now);
    await store.putGate({ scope: 'other', severity: 'low', blockUnscanned: true }, 'admin');
    expect(await check()).toEqual({ allowed: true });
  });

  it('decides with the most specific gate, the findings of the children and the allowlist', async () => {
    await store.recordScan(index, 'trivy', [], now);
    await store.recordScan(child, 'trivy', [openssl], now);
    await store.putGate({ scope: '*', severity: 'none', blockUnscanned: false }, 'admin');
    expect(await check()).toEqual({ allowed: true });
    await store.putGate({ scope: 'library', severity: 'high', blockUnscanned: false }, 'admin');
    const denied = await check();
    expect(denied).toMatchObject({ allowed: false, rule: 'severity', blocking: [{ cve: 'CVE-2024-1234' }] });
    await store.addAllowlistEntry({ cve: 'CVE-2024-1234', scope: { kind: 'repository', repository: 'library/nginx' }, expiresAt: new Date(now.getTime() + 1), reason: 'r', author: 'admin' });
    expect(await check()).toEqual({ allowed: true });
    expect(await check('library/redis')).toMatchObject({ allowed: false });
  });

  it('blocks unscanned children when the gate says so', async () => {
    await store.recordScan(index, 'trivy', [], now);
    await store.putGate({ scope: 'library/nginx', severity: 'none', blockUnscanned: true }, 'admin');
    expect(await check()).toMatchObject({ allowed: false, rule: 'unscanned', unscanned: [child] });
  });

  it('turns a denial into a 403 DENIED naming the rule', async () => {
    await store.putGate({ scope: '*', severity: 'critical', blockUnscanned: true }, 'admin');
    const decision = await check();
    if (decision.allowed) throw new Error('expected a denial');
    const error = vulnerabilityDenial(decision);
    expect(error.status).toBe(403);
    expect(error.toBody()).toEqual({
      errors: [{ code: 'DENIED', message: decision.reason, detail: { rule: 'vulnerability:unscanned', blocking: [], unscanned: [index, child] } }],
    });
  });
});
