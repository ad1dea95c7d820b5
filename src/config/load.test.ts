import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, yaml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

async function loadError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadConfig', () => {
  it('gives the defaults without a file, env or flags', async () => {
    const { config, file } = await loadConfig({ env: {} });
    expect(file).toBeUndefined();
    expect(config.listen).toBe('127.0.0.1:5000');
    expect(config.data).toBe('./data');
    expect(config.database).toEqual({ driver: 'sqlite' });
    expect(config.storage).toEqual({ driver: 'filesystem', fsync: true });
    expect(config.registry.maxManifestBytes).toBe(4 * 1024 * 1024);
    expect(config.auth).toEqual({ enabled: true, service: 'scangate', tokenTtlSeconds: 300, anonymousPull: false, propertyProtectionsFormat: 'roles', audit: 'denials' });
  });

  it('turns auth off with --no-auth, over the file', async () => {
    const file = await configFile('auth.yaml', 'auth:\n  enabled: true\n  anonymousPull: true\n  realm: https://registry.example/token\n');
    const { config } = await loadConfig({ flags: { config: file, auth: false }, env: {} });
    expect(config.auth).toMatchObject({ enabled: false, anonymousPull: true, realm: 'https://registry.example/token' });
    const error = await loadError(loadConfig({ flags: { config: await configFile('ttl.yaml', 'auth:\n  tokenTtlSeconds: 7200\n') }, env: {} }));
    expect(error.problems[0]).toMatch(/^auth\.tokenTtlSeconds: /);
  });

  it('reads the file named by SCANGATE_CONFIG and fills in defaults', async () => {
    const file = await configFile('env.yml', 'listen: 0.0.0.0:6000\nregistry:\n  maxPageSize: 50\n');
    const { config } = await loadConfig({ env: { SCANGATE_CONFIG: file } });
    expect(config.listen).toBe('0.0.0.0:6000');
    expect(config.registry).toEqual({ maxManifestBytes: 4 * 1024 * 1024, uploadTtlSeconds: 86400, maxPageSize: 50, namespaces: [] });
  });

  it('names an unknown key with its full path and the file', async () => {
    const file = await configFile('scangate.yml', 'registry:\n  maxManifestByte: 10\n');
    const err = await loadError(loadConfig({ flags: { config: file }, env: {} }));
    expect(err.message).toBe(`config error in ${file}: registry.maxManifestByte: unknown key`);
  });

  it('names a key of the wrong type', async () => {
    const file = await configFile('type.yml', 'registry:\n  uploadTtlSeconds: soon\nstorage:\n  driver: filesystem\n  fsync: maybe\n');
    const err = await loadError(loadConfig({ flags: { config: file }, env: {} }));
    expect(err.problems).toHaveLength(2);
    expect(err.problems).toEqual(
      expect.arrayContaining(['storage.fsync: expected boolean, received string', 'registry.uploadTtlSeconds: expected number, received string']),
    );
  });

  it('names a missing required key and an unknown driver', async () => {
    const pg = await configFile('pg.yml', 'database:\n  driver: postgres\n');
    expect((await loadError(loadConfig({ flags: { config: pg }, env: {} }))).problems).toEqual(['database.url: required (expected string)']);
    const bad = await configFile('driver.yml', 'database:\n  driver: mysql\n');
    expect((await loadError(loadConfig({ flags: { config: bad }, env: {} }))).problems[0]).toMatch(/^database\.driver: /);
  });

  it('reports an unreadable file and broken YAML', async () => {
    const missing = join(dir, 'nope.yml');
    expect((await loadError(loadConfig({ flags: { config: missing }, env: {} }))).message).toContain('ENOENT');
    const broken = await configFile('broken.yml', 'listen: [\n');
    expect((await loadError(loadConfig({ flags: { config: broken }, env: {} }))).source).toBe(broken);
    const list = await configFile('list.yml', '- a\n- b\n');
    expect((await loadError(loadConfig({ flags: { config: list }, env: {} }))).problems).toEqual(['(top level): expected a mapping of keys']);
  });

  it('treats an empty file as all defaults', async () => {
    const file = await configFile('empty.yml', '# nothing here\n');
    const { config } = await loadConfig({ flags: { config: file }, env: {} });
    expect(config.listen).toBe('127.0.0.1:5000');
  });

  it('lays env over the file and flags over env', async () => {
    const file = await configFile('layers.yml', 'listen: 127.0.0.1:7000\ndata: /file\nlog:\n  level: warn\n');
    const env = { SCANGATE_LISTEN: '127.0.0.1:7001', SCANGATE_DATA: '/env', SCANGATE_LOG_LEVEL: 'debug' };
    const fromEnv = (await loadConfig({ flags: { config: file }, env })).config;
    expect([fromEnv.listen, fromEnv.data, fromEnv.log.level]).toEqual(['127.0.0.1:7001', '/env', 'debug']);
    const flags = { config: file, listen: '127.0.0.1:7002', data: '/flag', logLevel: 'error' };
    const fromFlags = (await loadConfig({ flags, env })).config;
    expect([fromFlags.listen, fromFlags.data, fromFlags.log.level]).toEqual(['127.0.0.1:7002', '/flag', 'error']);
  });

  it('prefers --config over SCANGATE_CONFIG', async () => {
    const a = await configFile('a.yml', 'data: /a\n');
    const b = await configFile('b.yml', 'data: /b\n');
    const loaded = await loadConfig({ flags: { config: b }, env: { SCANGATE_CONFIG: a } });
    expect([loaded.file, loaded.config.data]).toEqual([b, '/b']);
  });

  it('selects PostgreSQL from SCANGATE_DATABASE_URL, keeping the file pool size', async () => {
    const file = await configFile('pool.yml', 'database:\n  driver: postgres\n  url: postgres://file/db\n  poolSize: 3\n');
    const env = { SCANGATE_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/scangate' };
    expect((await loadConfig({ flags: { config: file }, env })).config.database).toEqual({
      driver: 'postgres',
      url: 'postgres://u:p@127.0.0.1:5432/scangate',
      poolSize: 3,
    });
    expect((await loadConfig({ env })).config.database).toEqual({ driver: 'postgres', url: env.SCANGATE_DATABASE_URL, poolSize: 10 });
    expect((await loadError(loadConfig({ env: { SCANGATE_DATABASE_URL: 'mysql://x' } }))).source).toBe('SCANGATE_DATABASE_URL');
  });

  it('blames the env var or flag that set a bad value, not the file', async () => {
    const file = await configFile('fine.yml', 'data: /ok\n');
    const fromEnv = await loadError(loadConfig({ flags: { config: file }, env: { SCANGATE_LISTEN: 'nowhere' } }));
    expect(fromEnv.message).toBe('config error in SCANGATE_LISTEN: listen: expected HOST:PORT, e.g. 127.0.0.1:5000');
    const fromFlag = await loadError(loadConfig({ flags: { config: file, logLevel: 'loud' } }));
    expect(fromFlag.source).toBe('--log-level');
    expect(fromFlag.problems[0]).toMatch(/^log\.level: /);
  });
});
