// Errors Fastify raises itself, before any route runs, still answer in the spec's shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './testing/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

describe('framework errors', () => {
  it('a URL with malformed percent-encoding is a 400 in the spec error shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v2/a%zz/tags/list' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED' }] });
  });

  it('an unknown path is a 404 in the spec error shape', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED' }] });
  });
});
