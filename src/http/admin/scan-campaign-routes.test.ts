// The admin API of scan campaigns and their schedules, through app.inject() on real SQLite
// stores (no worker runs the campaigns here: scan-campaigns.test.ts does, with a real adapter):
// start, list, progress with failed scans, stop; schedules made, changed, disabled and deleted;
// config schedules are 409; bad input is a 400 naming the field; no token is a 401.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, type Services } from '../../compose.js';
import { configSchema } from '../../config/schema.js';
import { digestOf } from '../../metadata/testing/fixtures.js';
import { createCampaignServices } from '../../vulnerabilities/campaign-services.js';
import { installErrorHandling } from '../errors.js';
import { adminRoutes } from './index.js';

const token = 'test-admin-token-for-scan-campaigns-0123';
let dir: string;
let services: Services;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-campaign-routes-'));
  const config = configSchema.parse({
    data: dir,
    vulnerabilityScanners: [
      { name: 'trivy', url: 'http://127.0.0.1:9' },
      { name: 'clair', url: 'http://127.0.0.1:9' },
    ],
    vulnerabilityScanning: { campaigns: { maxInFlight: 7 }, schedules: [{ name: 'nightly', cron: '0 2 * * *', scanners: ['trivy'] }] },
  });
  services = compose(config);
  await services.metadata.migrate();
  app = Fastify();
  installErrorHandling(app);
  await app.register(adminRoutes, { token, scanCampaigns: createCampaignServices(config, services) });
});

afterAll(async () => {
  await app?.close();
  await services?.close();
  await rm(dir, { recursive: true, force: true });
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const admin = (method: Method, url: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('scan campaigns through the admin API', () => {
  let id: string;

  it('starts a campaign with the configured limits, or its own', async () => {
    const res = await admin('POST', '/admin/vulnerability-scans', { scope: 'namespace:lib', scanners: ['trivy'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    id = body.id;
    expect(body).toMatchObject({
      state: 'running',
      scope: 'namespace:lib',
      scanners: ['trivy'],
      trigger: 'manual',
      createdBy: 'admin',
      limits: { maxInFlight: 7, perMinute: null },
      progress: { total: null, enqueued: 0, completed: 0, failed: 0, cancelled: 0, inFlight: 0, walked: false },
      finishedAt: null,
    });
    const own = await admin('POST', '/admin/vulnerability-scans', { maxInFlight: 2, perMinute: 30 });
    expect(own.json()).toMatchObject({ scope: 'all', scanners: null, limits: { maxInFlight: 2, perMinute: 30 } });
  });

  it('refuses bad input with a 400 that says what is wrong', async () => {
    const cases: [unknown, RegExp][] = [
      [{ scope: 'everything' }, /scope: "everything" is not a scope/],
      [{ scope: 'namespace:Not Valid' }, /scope: "Not Valid" is not a namespace name/],
      [{ scanners: ['nope'] }, /no vulnerability scanner is registered as nope/],
      [{ scanners: [] }, /scanners/],
      [{ maxInFlight: 0 }, /maxInFlight/],
      [{ extra: true }, /extra/],
    ];
    for (const [body, message] of cases) {
      const res = await admin('POST', '/admin/vulnerability-scans', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors[0].message).toMatch(message);
    }
    expect((await admin('GET', '/admin/vulnerability-scans?state=bogus')).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/admin/vulnerability-scans' })).statusCode).toBe(401);
  });

  it('lists campaigns newest first and shows one with its failed scans', async () => {
    const list = (await admin('GET', '/admin/vulnerability-scans?state=running&limit=10')).json().campaigns;
    expect(list).toHaveLength(2);
    expect(list[1].id).toBe(id);
    const item = { campaign: id, scanner: 'trivy', digest: digestOf('broken') };
    await services.scanCampaigns.addItem({ ...item, repository: 'lib/app' });
    await services.scanCampaigns.finishItem(item, { state: 'failed', error: 'the adapter said 422' });
    const one = await admin('GET', `/admin/vulnerability-scans/${id}`);
    expect(one.json()).toMatchObject({ id, progress: { enqueued: 1, failed: 1, inFlight: 0 }, failures: [{ scanner: 'trivy', digest: digestOf('broken'), repository: 'lib/app', error: 'the adapter said 422' }] });
    expect((await admin('GET', '/admin/vulnerability-scans/nope')).statusCode).toBe(404);
  });

  it('stops a campaign (again: as it is), 404 for none', async () => {
    const stopped = await admin('POST', `/admin/vulnerability-scans/${id}/stop`);
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json()).toMatchObject({ id, state: 'stopped' });
    expect(stopped.json().finishedAt).not.toBeNull();
    expect((await admin('POST', `/admin/vulnerability-scans/${id}/stop`)).json()).toEqual(stopped.json());
    expect((await admin('POST', '/admin/vulnerability-scans/nope/stop')).statusCode).toBe(404);
  });
});

describe('scan schedules through the admin API', () => {
  const base = '/admin/vulnerability-scan-schedules';

  it('lists the config file schedules, which cannot be changed here', async () => {
    const list = (await admin('GET', base)).json().schedules;
    expect(list).toMatchObject([{ name: 'nightly', cron: '0 2 * * *', timezone: null, scope: 'all', scanners: ['trivy'], enabled: true, source: 'config', ticks: [] }]);
    expect(list[0].nextTick).toMatch(/T02:00:00\.000Z$/);
    const put = await admin('PUT', `${base}/nightly`, { cron: '0 3 * * *' });
    expect(put.statusCode).toBe(409);
    expect(put.json().errors[0].message).toMatch(/defined in the config file/);
    expect((await admin('DELETE', `${base}/nightly`)).statusCode).toBe(409);
    expect((await admin('POST', base, { name: 'nightly', cron: '0 3 * * *' })).statusCode).toBe(409);
  });

  it('makes, changes, disables and deletes a schedule', async () => {
    const created = await admin('POST', base, { name: 'weekly', cron: '0 4 * * 0', timezone: 'Europe/Paris', scope: 'repository:lib/app' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'weekly', timezone: 'Europe/Paris', scope: 'repository:lib/app', scanners: null, enabled: true, source: 'api', updatedBy: 'admin' });
    expect((await admin('POST', base, { name: 'weekly', cron: '0 4 * * 0' })).statusCode).toBe(409);

    const replaced = await admin('PUT', `${base}/weekly`, { cron: '*/10 * * * * *', scope: 'namespace:lib' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ cron: '*/10 * * * * *', scope: 'namespace:lib', timezone: null });
    expect((await admin('PUT', `${base}/daily`, { cron: '0 1 * * *' })).statusCode).toBe(201);

    // Disabling it stops its running campaign.
    const running = await services.scanCampaigns.createCampaign({ scope: { kind: 'all' }, scanners: null, trigger: 'schedule', schedule: 'weekly', createdBy: 'scheduler', limits: { maxInFlight: 1, perMinute: null } });
    const disabled = await admin('PUT', `${base}/weekly`, { cron: '*/10 * * * * *', enabled: false });
    expect(disabled.json()).toMatchObject({ enabled: false, nextTick: null });
    expect((await services.scanCampaigns.getCampaign(running.id))?.state).toBe('stopped');

    expect((await admin('GET', base)).json().schedules.map((s: { name: string }) => s.name)).toEqual(['nightly', 'daily', 'weekly']);
    expect((await admin('DELETE', `${base}/weekly`)).statusCode).toBe(204);
    expect((await admin('DELETE', `${base}/weekly`)).statusCode).toBe(404);
    expect((await admin('GET', `${base}/weekly`)).statusCode).toBe(404);
  });

  it('refuses a bad schedule with a 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'x', cron: 'every day' }, /cron: .*five, six, or seven/],
      [{ name: 'x', cron: '* * * * *', timezone: 'Mars/Olympus' }, /cron: .*timezone/i],
      [{ name: 'x', cron: '* * * * *', scope: 'namespace:' }, /scope: expected all, namespace:NAMESPACE or repository:REPOSITORY/],
      [{ name: 'x', cron: '* * * * *', scanners: ['nope'] }, /no vulnerability scanner is registered as nope/],
      [{ name: 'Bad Name', cron: '* * * * *' }, /name: /],
      [{ name: 'x', cron: '* * * * *', every: 'day' }, /every/],
    ];
    for (const [body, message] of cases) {
      const res = await admin('POST', base, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().errors[0].message).toMatch(message);
    }
    expect((await admin('PUT', `${base}/x`, { name: 'y', cron: '* * * * *' })).statusCode).toBe(400);
  });
});
