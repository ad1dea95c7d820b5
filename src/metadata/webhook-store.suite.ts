// The WebhookStore conformance suite: every adapter's test file hands it a factory and runs it
// unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEvent, type DomainEvent } from '../domain/events.js';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { DeliveryAttempt, NewSubscription, WebhookStore } from '../ports/webhook-store.js';

export interface WebhookStoreHarness {
  /** A store over this harness's migrated database, stamping records with `clock`. Once per test. */
  open(clock: () => Date): Promise<WebhookStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type WebhookStoreFactory = () => Promise<WebhookStoreHarness>;

const subscription = (name: string, extra: Partial<NewSubscription> = {}): NewSubscription => ({
  name,
  source: 'api',
  url: `https://${name}.example/hook`,
  events: [],
  namespaces: [],
  payload: 'summary',
  format: 'cloudevents',
  enabled: true,
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  previousSecret: null,
  previousSecretExpiresAt: null,
  ...extra,
});

const pushed = (repository: string, at: Date): DomainEvent =>
  newEvent('artifact.pushed', { repository, digest: 'sha256:' + 'a'.repeat(64), tag: 'v1', actor: 'user:alice' }, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, tags: ['v1'] }, at);

const attempt = (deliveryId: string, extra: Partial<DeliveryAttempt> = {}): DeliveryAttempt => ({
  deliveryId,
  replay: 0,
  attempt: 1,
  startedAt: new Date('2030-01-01T00:00:00Z'),
  durationMs: 12,
  statusCode: 500,
  error: null,
  responseSnippet: 'oops',
  outcome: 'retrying',
  ...extra,
});

export function webhookStoreSuite(name: string, factory: WebhookStoreFactory): void {
  describe(`WebhookStore: ${name}`, () => {
    let harness: WebhookStoreHarness;
    let clock: TestClock;
    let store: WebhookStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    it('creates subscriptions once, lists them by name, updates settings and secrets, deletes them', async () => {
      const created = await store.createSubscription(subscription('ci', { events: ['artifact.pushed'], namespaces: ['team'], format: 'harbor' }), 'user:alice');
      expect(created).toEqual({ ...subscription('ci', { events: ['artifact.pushed'], namespaces: ['team'], format: 'harbor' }), createdAt: clock.now(), updatedAt: clock.now(), updatedBy: 'user:alice' });
      expect(await store.createSubscription(subscription('ci', { url: 'https://other.example' }), 'admin')).toBeUndefined();
      await store.createSubscription(subscription('a-first'), 'admin');
      expect((await store.listSubscriptions()).map((s) => s.name)).toEqual(['a-first', 'ci']);

      clock.advance(1000);
      const updated = await store.updateSubscription('ci', { enabled: false, payload: 'full', events: [] }, 'admin');
      expect(updated).toMatchObject({ enabled: false, payload: 'full', events: [], namespaces: ['team'], format: 'harbor', updatedAt: clock.now(), updatedBy: 'admin' });
      const expires = new Date(clock.now().getTime() + 60_000);
      const rotated = await store.setSecrets('ci', { secret: 'whsec_bmV3', previousSecret: 'whsec_b2xk', previousSecretExpiresAt: expires }, 'admin');
      expect(rotated).toMatchObject({ secret: 'whsec_bmV3', previousSecret: 'whsec_b2xk', previousSecretExpiresAt: expires });
      expect(await store.updateSubscription('nope', { enabled: true }, 'admin')).toBeUndefined();

      expect(await store.deleteSubscription('ci')).toBe(true);
      expect(await store.deleteSubscription('ci')).toBe(false);
      expect(await store.getSubscription('ci')).toBeUndefined();
    });

    it('syncs the config file subscriptions: adds, changes only what changed, removes the stale, leaves API names alone', async () => {
      await store.createSubscription(subscription('mine'), 'user:bob');
      expect(await store.syncConfigSubscriptions([subscription('file-a', { source: 'config' }), subscription('file-b', { source: 'config' }), subscription('mine', { source: 'config' })])).toEqual({ conflicts: ['mine'] });
      const before = (await store.getSubscription('file-a'))!;
      expect(before).toMatchObject({ source: 'config', updatedBy: 'config' });
      clock.advance(1000);
      await store.syncConfigSubscriptions([subscription('file-a', { source: 'config' }), subscription('file-b', { source: 'config', url: 'https://moved.example' })]);
      expect(await store.getSubscription('file-a')).toEqual(before);
      expect(await store.getSubscription('file-b')).toMatchObject({ url: 'https://moved.example', updatedAt: clock.now() });
      await store.syncConfigSubscriptions([subscription('file-b', { source: 'config', url: 'https://moved.example' })]);
      expect((await store.listSubscriptions()).map((s) => [s.name, s.source])).toEqual([
        ['file-b', 'config'],
        ['mine', 'api'],
      ]);
      await store.syncConfigSubscriptions([]);
      expect((await store.listSubscriptions()).map((s) => s.name)).toEqual(['mine']);
    });

    it('records an event once with one pending delivery per subscription that still exists', async () => {
      await store.createSubscription(subscription('a'), 'admin');
      await store.createSubscription(subscription('b'), 'admin');
      const event = pushed('team/app', clock.now());
      const created = await store.recordEvents([{ event, subscriptions: ['a', 'b', 'gone'] }]);
      expect(created.map((d) => d.subscription).sort()).toEqual(['a', 'b']);
      expect(created[0]).toMatchObject({ eventId: event.id, eventType: 'artifact.pushed', eventTime: new Date(event.time), state: 'pending', attempts: 0, replays: 0, nextAttemptAt: null, lastStatus: null });
      expect(await store.getEvent(event.id)).toEqual(event);
      // The same event again (a flush retried after a crash) creates nothing twice.
      expect(await store.recordEvents([{ event, subscriptions: ['a'] }])).toEqual([]);
      expect(await store.recordEvents([{ event: pushed('x', clock.now()), subscriptions: [] }])).toEqual([]);
      expect(await store.listDeliveries('a')).toHaveLength(1);
      expect(await store.getDelivery(created[0]!.id)).toEqual(created[0]);
    });

    it('counts attempts, logs each one and moves the delivery to its outcome', async () => {
      await store.createSubscription(subscription('a'), 'admin');
      const [delivery] = await store.recordEvents([{ event: pushed('team/app', clock.now()), subscriptions: ['a'] }]);
      const first = (await store.startAttempt(delivery!.id, clock.now()))!;
      expect(first.attempts).toBe(1);
      const retryAt = new Date(clock.now().getTime() + 5000);
      expect(await store.finishAttempt(attempt(delivery!.id), { lastError: 'HTTP 500', nextAttemptAt: retryAt })).toBe(true);
      expect(await store.getDelivery(delivery!.id)).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500', nextAttemptAt: retryAt });

      expect((await store.startAttempt(delivery!.id, clock.now()))!.attempts).toBe(2);
      expect(await store.finishAttempt(attempt(delivery!.id, { attempt: 2, statusCode: 204, responseSnippet: null, outcome: 'delivered' }), { lastError: null, nextAttemptAt: null })).toBe(true);
      expect(await store.getDelivery(delivery!.id)).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 204, lastError: null, nextAttemptAt: null });
      // Delivered: no further attempt starts (a job run twice sends once).
      expect(await store.startAttempt(delivery!.id, clock.now())).toBeUndefined();
      expect((await store.listAttempts(delivery!.id)).map((a) => [a.attempt, a.statusCode, a.outcome, a.responseSnippet])).toEqual([
        [1, 500, 'retrying', 'oops'],
        [2, 204, 'delivered', null],
      ]);
      expect((await store.listAttempts(delivery!.id))[0]).toEqual(attempt(delivery!.id));
    });

    it('replays a delivery as a new round; an attempt of the old round does not decide its state', async () => {
      await store.createSubscription(subscription('a'), 'admin');
      const [delivery] = await store.recordEvents([{ event: pushed('team/app', clock.now()), subscriptions: ['a'] }]);
      await store.startAttempt(delivery!.id, clock.now());
      await store.finishAttempt(attempt(delivery!.id, { outcome: 'dead' }), { lastError: 'HTTP 500', nextAttemptAt: null });
      expect((await store.getDelivery(delivery!.id))!.state).toBe('dead');
      expect(await store.replay(delivery!.id, clock.now())).toMatchObject({ state: 'pending', attempts: 0, replays: 1, nextAttemptAt: null });
      expect(await store.replay('no-such-delivery', clock.now())).toBeUndefined();
      // An attempt of round 0 finishing late is logged but leaves the replay pending.
      expect(await store.finishAttempt(attempt(delivery!.id, { attempt: 2, statusCode: 200, outcome: 'delivered' }), { lastError: null, nextAttemptAt: null })).toBe(false);
      expect((await store.getDelivery(delivery!.id))!.state).toBe('pending');
      expect((await store.startAttempt(delivery!.id, clock.now()))!.attempts).toBe(1);
      await store.finishAttempt(attempt(delivery!.id, { replay: 1, statusCode: 200, outcome: 'delivered' }), { lastError: null, nextAttemptAt: null });
      expect((await store.listAttempts(delivery!.id)).map((a) => [a.replay, a.attempt, a.outcome])).toEqual([
        [0, 1, 'dead'],
        [0, 2, 'delivered'],
        [1, 1, 'delivered'],
      ]);
    });

    it('lists deliveries newest first by state and page, in an event-time range, and the pending ones', async () => {
      await store.createSubscription(subscription('a'), 'admin');
      await store.createSubscription(subscription('b'), 'admin');
      const times: Date[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        times.push(clock.now());
        const [delivery] = await store.recordEvents([{ event: pushed(`team/app${i}`, clock.now()), subscriptions: ['a'] }]);
        ids.push(delivery!.id);
        clock.advance(1000);
      }
      await store.recordEvents([{ event: pushed('other', times[1]!), subscriptions: ['b'] }]);
      await store.startAttempt(ids[1]!, clock.now());
      await store.finishAttempt(attempt(ids[1]!, { outcome: 'dead' }), { lastError: 'x', nextAttemptAt: null });

      expect((await store.listDeliveries('a')).map((d) => d.id)).toEqual([...ids].reverse());
      expect((await store.listDeliveries('a', { state: 'dead' })).map((d) => d.id)).toEqual([ids[1]]);
      expect((await store.listDeliveries('a', { limit: 2 })).map((d) => d.id)).toEqual([ids[3], ids[2]]);
      expect((await store.listDeliveries('a', { before: times[2]!, limit: 10 })).map((d) => d.id)).toEqual([ids[1], ids[0]]);
      expect((await store.deliveriesBetween('a', times[1]!, times[3]!, 10)).map((d) => d.id)).toEqual([ids[1], ids[2]]);
      expect((await store.deliveriesBetween('a', times[0]!, times[3]!, 1)).map((d) => d.id)).toEqual([ids[0]]);

      const pending = await store.pendingDeliveries(10);
      expect(pending.map((d) => d.id).sort()).toEqual(pending.map((d) => d.id));
      expect(pending).toHaveLength(4);
      expect(pending.map((d) => d.id)).not.toContain(ids[1]);
      const page = await store.pendingDeliveries(2);
      expect(await store.pendingDeliveries(10, page[1]!.id)).toEqual(pending.slice(2));
    });

    it('deletes a subscription with its deliveries and attempts', async () => {
      await store.createSubscription(subscription('a'), 'admin');
      const [delivery] = await store.recordEvents([{ event: pushed('team/app', clock.now()), subscriptions: ['a'] }]);
      await store.startAttempt(delivery!.id, clock.now());
      await store.finishAttempt(attempt(delivery!.id), { lastError: null, nextAttemptAt: null });
      await store.deleteSubscription('a');
      expect(await store.getDelivery(delivery!.id)).toBeUndefined();
      expect(await store.listAttempts(delivery!.id)).toEqual([]);
    });

    it('prunes finished deliveries older than the cut-off and the events nothing refers to any more', async () => {
      await store.createSubscription(subscription('a'), 'admin');
      const oldEvent = pushed('team/old', clock.now());
      const keptEvent = pushed('team/kept', clock.now());
      const [done] = await store.recordEvents([{ event: oldEvent, subscriptions: ['a'] }]);
      const [waiting] = await store.recordEvents([{ event: keptEvent, subscriptions: ['a'] }]);
      await store.startAttempt(done!.id, clock.now());
      await store.finishAttempt(attempt(done!.id, { outcome: 'delivered', statusCode: 200 }), { lastError: null, nextAttemptAt: null });
      clock.advance(60_000);
      expect(await store.prune(new Date(clock.now().getTime() - 30_000))).toBe(1);
      expect(await store.getDelivery(done!.id)).toBeUndefined();
      expect(await store.getEvent(oldEvent.id)).toBeUndefined();
      expect(await store.getDelivery(waiting!.id)).toBeDefined();
      expect(await store.getEvent(keptEvent.id)).toEqual(keptEvent);
      expect(await store.prune(new Date(clock.now().getTime() - 30_000))).toBe(0);
    });
  });
}
