// /admin/webhooks through app.inject(): subscriptions (the secret shown once), validation in
// the error shape, the config file's subscriptions read-only, rotation, and the delivery log
// with its replays, over real stores and a real receiver.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../../domain/events.js';
import { generateSecret } from '../../events/webhooks/signing.js';
import { WebhookReceiver } from '../../events/webhooks/testing/receiver.js';
import { startEventsTestApp, type EventsTestApp } from '../../events/testing/events-app.js';

let harness: EventsTestApp;
let receiver: WebhookReceiver;
const configSecret = generateSecret();

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  harness = await startEventsTestApp({ subscriptions: [{ name: 'from-file', url: 'https://hooks.example/file', secret: configSecret, events: ['scan.failed'] }] });
});
afterAll(async () => {
  await harness.close();
  await receiver.close();
});

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return harness.app.inject({ method, url, headers: { authorization: `Bearer ${harness.adminToken}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
}

describe('/admin/webhooks', () => {
  it('needs the admin token', async () => {
    expect((await harness.app.inject({ method: 'GET', url: '/admin/webhooks' })).statusCode).toBe(401);
  });

  it('creates a subscription with defaults and a generated secret shown only in that answer', async () => {
    const created = await call('POST', '/admin/webhooks', { name: 'ci', url: receiver.url, events: ['artifact.pushed', 'scan.completed'], namespaces: ['team'] });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.subscription).toMatchObject({ name: 'ci', source: 'api', url: receiver.url, events: ['artifact.pushed', 'scan.completed'], namespaces: ['team'], payload: 'summary', format: 'cloudevents', enabled: true, updatedBy: 'admin', previousSecretActive: false });
    expect(JSON.stringify(body.subscription)).not.toContain('whsec_');

    const listed = (await call('GET', '/admin/webhooks')).json();
    expect(listed.webhooks.map((w: { name: string; source: string }) => [w.name, w.source])).toEqual([
      ['ci', 'api'],
      ['from-file', 'config'],
    ]);
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    expect((await call('GET', '/admin/webhooks/ci')).json()).toEqual(body.subscription);
    expect((await call('POST', '/admin/webhooks', { name: 'ci', url: receiver.url })).statusCode).toBe(409);
  });

  it('refuses bad input with 400 in the error shape, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'Bad Name', url: receiver.url }, 'name'],
      [{ name: 'x', url: 'ftp://example.com' }, 'url'],
      [{ name: 'x', url: receiver.url, events: ['artifact.exploded'] }, 'events.0'],
      [{ name: 'x', url: receiver.url, format: 'xml' }, 'format'],
      [{ name: 'x', url: receiver.url, secret: 'not-a-secret' }, 'secret'],
      [{ name: 'x', url: receiver.url, colour: 'blue' }, 'body'],
    ];
    for (const [payload, field] of cases) {
      const answer = await call('POST', '/admin/webhooks', payload);
      expect(answer.statusCode, JSON.stringify(payload)).toBe(400);
      expect(answer.json().errors[0]).toMatchObject({ code: 'UNSUPPORTED' });
      expect(answer.json().errors[0].message).toContain(field);
    }
    expect((await call('PATCH', '/admin/webhooks/ci', {})).statusCode).toBe(400);
    expect((await call('PATCH', '/admin/webhooks/ci', { name: 'renamed' })).statusCode).toBe(400);
    expect((await call('GET', '/admin/webhooks/ci/deliveries?state=lost')).statusCode).toBe(400);
    expect((await call('POST', '/admin/webhooks/ci/replay', { from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' })).statusCode).toBe(400);
    expect((await call('POST', '/admin/webhooks/ci/replay', { from: 'yesterday', to: '2030-01-01T00:00:00Z' })).statusCode).toBe(400);
    expect((await call('GET', '/admin/webhooks/nope')).statusCode).toBe(404);
  });

  it('changes a subscription, but not one of the config file (409)', async () => {
    const patched = await call('PATCH', '/admin/webhooks/ci', { payload: 'full', format: 'harbor' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ payload: 'full', format: 'harbor', events: ['artifact.pushed', 'scan.completed'] });
    await call('PATCH', '/admin/webhooks/ci', { format: 'cloudevents', payload: 'summary' });
    for (const answer of [
      await call('PATCH', '/admin/webhooks/from-file', { enabled: false }),
      await call('DELETE', '/admin/webhooks/from-file'),
      await call('POST', '/admin/webhooks/from-file/rotate-secret', {}),
    ]) {
      expect(answer.statusCode).toBe(409);
      expect(answer.json().errors[0].detail).toMatchObject({ reason: 'config', webhook: 'from-file' });
    }
  });

  it('rotates the secret: the new one shown once, the old one still signing during the grace', async () => {
    const rotated = await call('POST', '/admin/webhooks/ci/rotate-secret', { graceSeconds: 600 });
    expect(rotated.statusCode).toBe(200);
    const { secret, previousSecretExpiresAt } = rotated.json();
    expect(secret).toMatch(/^whsec_/);
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect((await call('GET', '/admin/webhooks/ci')).json()).toMatchObject({ previousSecretActive: true, previousSecretExpiresAt });
    const stored = (await harness.services.webhooks.getSubscription('ci'))!;
    expect(stored.secret).toBe(secret);
  });

  it('lists deliveries by state, shows one with its attempts and event, and replays one and a range', async () => {
    const digest = `sha256:${'f'.repeat(64)}`;
    const event = newEvent('artifact.pushed', { repository: 'team/app', digest, tag: 'v1', actor: 'user:alice' }, { mediaType: 'm', size: 1, tags: ['v1'] });
    harness.events.events.emit(event);
    await receiver.waitFor(1);
    const delivered = await harness.until(async () => {
      const answer = (await call('GET', '/admin/webhooks/ci/deliveries?state=delivered')).json();
      return answer.deliveries.length === 1 ? answer.deliveries[0] : undefined;
    });
    expect(delivered).toMatchObject({ subscription: 'ci', eventId: event.id, eventType: 'artifact.pushed', state: 'delivered', attempts: 1, lastStatus: 204 });
    expect((await call('GET', '/admin/webhooks/ci/deliveries?state=dead')).json().deliveries).toEqual([]);

    const detail = (await call('GET', `/admin/webhooks/ci/deliveries/${delivered.id}`)).json();
    expect(detail.event).toEqual(event);
    expect(detail.attempts).toMatchObject([{ attempt: 1, statusCode: 204, outcome: 'delivered' }]);
    expect((await call('GET', '/admin/webhooks/from-file/deliveries/' + delivered.id)).statusCode).toBe(404);

    const replay = await call('POST', `/admin/webhooks/ci/deliveries/${delivered.id}/replay`);
    expect(replay.statusCode).toBe(202);
    expect(replay.json().delivery).toMatchObject({ id: delivered.id, state: 'pending', replays: 1 });
    const second = (await receiver.waitFor(2))[1]!;
    expect(second.headers['webhook-id']).toBe(event.id);
    const stored = (await harness.services.webhooks.getSubscription('ci'))!;
    expect(new Webhook(stored.secret).verify(second.body, second.headers)).toMatchObject({ id: event.id });

    const range = await call('POST', '/admin/webhooks/ci/replay', { from: new Date(Date.parse(event.time) - 1000).toISOString(), to: new Date(Date.parse(event.time) + 1000).toISOString() });
    expect(range.statusCode).toBe(202);
    expect(range.json()).toEqual({ replayed: 1, truncated: false });
    expect((await receiver.waitFor(3))[2]!.headers['webhook-id']).toBe(event.id);
  });

  it('deletes a subscription with its deliveries', async () => {
    expect((await call('DELETE', '/admin/webhooks/ci')).statusCode).toBe(204);
    expect((await call('GET', '/admin/webhooks/ci')).statusCode).toBe(404);
    expect((await call('DELETE', '/admin/webhooks/ci')).statusCode).toBe(404);
    expect(await harness.services.webhooks.listDeliveries('ci')).toEqual([]);
  });
});
