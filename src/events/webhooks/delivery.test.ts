// Deliveries end to end in one process: events emitted through the recorder, written by the
// webhook sink, delivered by the worker pool to a real HTTP receiver that verifies every
// signature with the standardwebhooks library.
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newEvent, type DomainEvent } from '../../domain/events.js';
import type { Delivery } from '../../ports/webhook-store.js';
import { startEventsTestApp, type EventsTestApp } from '../testing/events-app.js';
import { WebhookReceiver, type Received } from './testing/receiver.js';

let harness: EventsTestApp;
let receiver: WebhookReceiver;

beforeAll(async () => {
  harness = await startEventsTestApp();
});
afterAll(() => harness.close());
afterEach(() => receiver?.close());

let subscriptionCount = 0;
/** A subscription (through the admin side) to the events of its own namespace, and its receiver. */
async function subscribe(extra: { format?: 'cloudevents' | 'harbor'; payload?: 'summary' | 'full' } = {}) {
  receiver = await new WebhookReceiver().start();
  const name = `hook-${++subscriptionCount}`;
  const { secret } = await harness.events.admin.create(
    { name, url: receiver.url, events: [], namespaces: [name], payload: extra.payload ?? 'summary', format: extra.format ?? 'cloudevents', enabled: true },
    'test',
  );
  return { name, secret, namespace: name };
}

function pushed(repository: string, at = new Date()): DomainEvent {
  return newEvent('artifact.pushed', { repository, digest: `sha256:${'d'.repeat(64)}`, tag: 'v1', actor: 'user:alice' }, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 99, tags: ['v1'] }, at);
}

function verified(secret: string, request: Received): Record<string, any> {
  return new Webhook(secret).verify(request.body, request.headers) as Record<string, any>;
}

async function onlyDelivery(name: string, state: Delivery['state']): Promise<Delivery> {
  return harness.until(async () => {
    const [delivery] = await harness.services.webhooks.listDeliveries(name);
    return delivery?.state === state ? delivery : undefined;
  });
}

describe('webhook deliveries', () => {
  it('delivers a CloudEvent signed per Standard Webhooks, which the standardwebhooks library verifies', async () => {
    const { name, secret, namespace } = await subscribe();
    const event = pushed(`${namespace}/app`);
    harness.events.events.emit(event);
    const [request] = await receiver.waitFor(1);
    expect(request!.headers['content-type']).toBe('application/cloudevents+json');
    expect(request!.headers['webhook-id']).toBe(event.id);
    expect(verified(secret, request!)).toMatchObject({ specversion: '1.0', id: event.id, type: 'io.scangate.artifact.pushed', data: { repository: `${namespace}/app`, tag: 'v1' } });
    const delivery = await onlyDelivery(name, 'delivered');
    expect(delivery).toMatchObject({ eventId: event.id, attempts: 1, lastStatus: 204 });
  });

  it('retries after a 500 and delivers on the 200, with the same webhook-id, logging both attempts', async () => {
    const { name, secret, namespace } = await subscribe();
    receiver.script.push({ status: 500, body: 'receiver is down' }, { status: 200 });
    const event = pushed(`${namespace}/app`);
    harness.events.events.emit(event);
    const requests = await receiver.waitFor(2);
    for (const request of requests) expect(verified(secret, request).id).toBe(event.id);
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
    const delivery = await onlyDelivery(name, 'delivered');
    const attempts = await harness.services.webhooks.listAttempts(delivery.id);
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome, a.error, a.responseSnippet])).toEqual([
      [1, 500, 'retrying', 'HTTP 500', 'receiver is down'],
      [2, 200, 'delivered', null, null],
    ]);
    expect(attempts.every((a) => a.durationMs >= 0)).toBe(true);
    // Each attempt is counted on /metrics, by subscription and outcome.
    const exposition = await harness.until(async () => {
      const { body } = await harness.metrics.render();
      return body.includes(`scangate_webhook_delivery_attempts_total{subscription="${name}",outcome="delivered"} 1`) ? body : undefined;
    });
    expect(exposition).toContain(`scangate_webhook_delivery_attempts_total{subscription="${name}",outcome="retrying"} 1`);
    expect(exposition).toContain(`scangate_webhook_delivery_seconds_count{subscription="${name}"} 2`);
  });

  it('is dead after maxAttempts, and a replay of it arrives again with the same webhook-id', async () => {
    const { name, secret, namespace } = await subscribe();
    receiver.fallback = { status: 503 };
    const event = pushed(`${namespace}/app`);
    harness.events.events.emit(event);
    await receiver.waitFor(3);
    const dead = await onlyDelivery(name, 'dead');
    expect(dead).toMatchObject({ attempts: 3, lastStatus: 503, lastError: 'HTTP 503' });
    expect((await harness.services.webhooks.listDeliveries(name, { state: 'dead' })).map((d) => d.id)).toEqual([dead.id]);

    receiver.fallback = { status: 204 };
    await harness.events.admin.replay(name, dead.id);
    const requests = await receiver.waitFor(4);
    expect(verified(secret, requests[3]!).id).toBe(event.id);
    expect(requests[3]!.headers['webhook-id']).toBe(event.id);
    const replayed = await onlyDelivery(name, 'delivered');
    expect(replayed).toMatchObject({ id: dead.id, replays: 1, attempts: 1 });
    expect((await harness.services.webhooks.listAttempts(dead.id)).map((a) => [a.replay, a.attempt, a.outcome])).toEqual([
      [0, 1, 'retrying'],
      [0, 2, 'retrying'],
      [0, 3, 'dead'],
      [1, 1, 'delivered'],
    ]);
  });

  it('replays the deliveries of a time range, and only those', async () => {
    const { name, secret, namespace } = await subscribe();
    const base = Date.now() - 60_000;
    const sent = [0, 10_000, 20_000].map((offset) => pushed(`${namespace}/app`, new Date(base + offset)));
    for (const event of sent) harness.events.events.emit(event);
    await receiver.waitFor(3);
    await harness.until(async () => ((await harness.services.webhooks.listDeliveries(name, { state: 'delivered' })).length === 3 ? true : undefined));
    expect(await harness.events.admin.replayRange(name, new Date(base + 5_000), new Date(base + 20_001))).toEqual({ replayed: 2, truncated: false });
    const again = (await receiver.waitFor(5)).slice(3);
    expect(again.map((r) => verified(secret, r).id).sort()).toEqual([sent[1]!.id, sent[2]!.id].sort());
  });

  it('signs with both secrets during a rotation: a receiver with either verifies', async () => {
    const { name, secret: old, namespace } = await subscribe();
    const { secret: fresh, previousSecretExpiresAt } = await harness.events.admin.rotateSecret(name, 3600, 'test');
    expect(Date.parse(previousSecretExpiresAt)).toBeGreaterThan(Date.now());
    harness.events.events.emit(pushed(`${namespace}/app`));
    const [request] = await receiver.waitFor(1);
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verified(old, request!)).toBeDefined();
    expect(verified(fresh, request!)).toBeDefined();

    // With no grace left, only the new secret signs.
    const { secret: newest } = await harness.events.admin.rotateSecret(name, 0, 'test');
    harness.events.events.emit(pushed(`${namespace}/app`));
    const [, second] = await receiver.waitFor(2);
    expect(verified(newest, second!)).toBeDefined();
    expect(() => verified(fresh, second!)).toThrow(/No matching signature/);
  });

  it("sends Harbor's payload shape to a harbor subscription, with the full report when asked", async () => {
    const { secret, namespace } = await subscribe({ format: 'harbor', payload: 'full' });
    const digest = `sha256:${'e'.repeat(64)}`;
    harness.events.events.emit(
      newEvent('scan.completed', { repository: `${namespace}/app`, digest, actor: 'scanner:clamav' }, { scanner: 'clamav', scan: 'malware', contentKind: 'blob', verdict: 'infected', engine: 'ClamAV/1', durationMs: 5, report: { findings: [{ signature: 'Eicar-Signature' }] } }),
    );
    const [request] = await receiver.waitFor(1);
    expect(request!.headers['content-type']).toBe('application/json');
    const body = verified(secret, request!);
    expect(body).toMatchObject({ type: 'SCANNING_COMPLETED', operator: 'scanner:clamav', event_data: { repository: { repo_full_name: `${namespace}/app` } } });
    expect(body['event_data'].resources[0]).toMatchObject({ digest, scan_overview: { 'application/vnd.scangate.malware.report; version=1.0': { severity: 'Critical' } } });
    expect(body['event_data'].scangate.report).toEqual({ findings: [{ signature: 'Eicar-Signature' }] });
  });

  it('waits at least what Retry-After asks, and gives up at once on 410 Gone', async () => {
    const { name, namespace } = await subscribe();
    receiver.script.push({ status: 429, headers: { 'retry-after': '30' } });
    harness.events.events.emit(pushed(`${namespace}/app`));
    await receiver.waitFor(1);
    const waiting = await harness.until(async () => {
      const [delivery] = await harness.services.webhooks.listDeliveries(name);
      return delivery?.nextAttemptAt ? delivery : undefined;
    });
    const [attempt] = await harness.services.webhooks.listAttempts(waiting.id);
    expect(waiting.nextAttemptAt!.getTime() - attempt!.startedAt.getTime()).toBeGreaterThanOrEqual(30_000);

    const gone = await subscribe();
    receiver.fallback = { status: 410 };
    harness.events.events.emit(pushed(`${gone.namespace}/app`));
    const dead = await onlyDelivery(gone.name, 'dead');
    expect(dead).toMatchObject({ attempts: 1, lastStatus: 410 });
  });

  it('writes nothing for an event no subscription wants, and queues again a pending delivery whose job was lost', async () => {
    const unwanted = pushed('nobody-listens/app');
    harness.events.events.emit(unwanted);
    await harness.events.webhooks.flush();
    expect(await harness.services.webhooks.getEvent(unwanted.id)).toBeUndefined();

    // A crash between writing the delivery and its job: the sweep at start queues it.
    const { name, secret, namespace } = await subscribe();
    const orphan = pushed(`${namespace}/app`);
    await harness.services.webhooks.recordEvents([{ event: orphan, subscriptions: [name] }]);
    expect(await harness.events.webhooks.sweep()).toBeGreaterThanOrEqual(1);
    const [request] = await receiver.waitFor(1);
    expect(verified(secret, request!).id).toBe(orphan.id);
  });
});
