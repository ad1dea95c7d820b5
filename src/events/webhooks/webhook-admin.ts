// What the admin API does with webhooks (http/admin/webhook-routes.ts is only its HTTP face):
// subscriptions made through the API (those of the config file are listed, but belong to the
// file: changing one answers 409), their secrets (generated here, shown once, rotated with a
// grace period for the old one), the delivery log, and replays. A replay sends the same event
// again with the same webhook-id, so receivers that dedupe see it once.
//
// Subscription URLs are admin-only on purpose: scangate POSTs to whatever they name, from
// inside your network (see docs/webhooks.md, "Who may subscribe").
import { RegistryError } from '../../domain/errors.js';
import type { DomainEvent } from '../../domain/events.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { Delivery, DeliveryAttempt, DeliveryFilter, Subscription, SubscriptionSettings, WebhookStore } from '../../ports/webhook-store.js';
import { deliveryJob } from './delivery-job.js';
import { generateSecret } from './signing.js';
import type { SubscriptionCache } from './subscription-cache.js';

/** A subscription as the API shows it: never its secrets. */
export type SubscriptionView = Omit<Subscription, 'secret' | 'previousSecret' | 'createdAt' | 'updatedAt' | 'previousSecretExpiresAt'> & {
  /** Whether a previous secret still signs (a rotation's grace period, or the config's previousSecret). */
  previousSecretActive: boolean;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export interface DeliveryDetail {
  delivery: Delivery;
  attempts: DeliveryAttempt[];
  /** The event as emitted (undefined once pruned). */
  event: DomainEvent | undefined;
}

/** The most deliveries one range replay queues; a wider range is replayed in several calls. */
export const maxRangeReplay = 10_000;
const rangePage = 500;

export interface WebhookAdminDeps {
  store: WebhookStore;
  queue: Pick<JobQueue, 'enqueue'>;
  subscriptions: SubscriptionCache;
  /** Default grace of the old secret after a rotation. */
  rotationGraceSeconds: number;
  clock?: () => Date;
}

export class WebhookAdmin {
  readonly #clock: () => Date;

  constructor(private readonly deps: WebhookAdminDeps) {
    this.#clock = deps.clock ?? (() => new Date());
  }

  async list(): Promise<SubscriptionView[]> {
    const now = this.#clock();
    return (await this.deps.store.listSubscriptions()).map((s) => viewOf(s, now));
  }

  async get(name: string): Promise<SubscriptionView> {
    return viewOf(await this.#existing(name), this.#clock());
  }

  /** A new subscription with a generated secret (or the one given), shown in this answer only. */
  async create(input: SubscriptionSettings & { name: string; secret?: string | undefined }, actor: string): Promise<{ subscription: SubscriptionView; secret: string }> {
    const { secret: given, ...settings } = input;
    const secret = given ?? generateSecret();
    const created = await this.deps.store.createSubscription({ ...settings, source: 'api', secret, previousSecret: null, previousSecretExpiresAt: null }, actor);
    if (!created) {
      throw new RegistryError('UNSUPPORTED', `webhook ${input.name} exists; change it with PATCH /admin/webhooks/${input.name}`, { status: 409, detail: { reason: 'exists', webhook: input.name } });
    }
    this.deps.subscriptions.invalidate();
    return { subscription: viewOf(created, this.#clock()), secret };
  }

  async update(name: string, changes: Partial<SubscriptionSettings>, actor: string): Promise<SubscriptionView> {
    await this.#ownedByApi(name);
    const updated = await this.deps.store.updateSubscription(name, changes, actor);
    if (!updated) throw unknownWebhook(name);
    this.deps.subscriptions.invalidate();
    return viewOf(updated, this.#clock());
  }

  async delete(name: string): Promise<void> {
    await this.#ownedByApi(name);
    if (!(await this.deps.store.deleteSubscription(name))) throw unknownWebhook(name);
    this.deps.subscriptions.invalidate();
  }

  /**
   * A new secret, shown in this answer only; the current one keeps signing (both signatures
   * in every delivery) for `graceSeconds`, so receivers can switch without losing a delivery.
   */
  async rotateSecret(name: string, graceSeconds: number | undefined, actor: string): Promise<{ secret: string; previousSecretExpiresAt: string }> {
    const current = await this.#ownedByApi(name);
    const now = this.#clock();
    const expiresAt = new Date(now.getTime() + (graceSeconds ?? this.deps.rotationGraceSeconds) * 1000);
    const secret = generateSecret();
    const rotated = await this.deps.store.setSecrets(name, { secret, previousSecret: current.secret, previousSecretExpiresAt: expiresAt }, actor);
    if (!rotated) throw unknownWebhook(name);
    return { secret, previousSecretExpiresAt: expiresAt.toISOString() };
  }

  async deliveries(name: string, filter: DeliveryFilter): Promise<Delivery[]> {
    await this.#existing(name);
    return this.deps.store.listDeliveries(name, filter);
  }

  async delivery(name: string, id: string): Promise<DeliveryDetail> {
    const delivery = await this.#delivery(name, id);
    const [attempts, event] = await Promise.all([this.deps.store.listAttempts(id), this.deps.store.getEvent(delivery.eventId)]);
    return { delivery, attempts, event };
  }

  /** Sends the delivery again as a new round of attempts, whatever its state. */
  async replay(name: string, id: string): Promise<Delivery> {
    await this.#delivery(name, id);
    const replayed = await this.deps.store.replay(id, this.#clock());
    if (!replayed) throw unknownDelivery(name, id);
    await this.deps.queue.enqueue(deliveryJob(id));
    return replayed;
  }

  /** Replays every delivery of events that happened in [from, to) (at most maxRangeReplay). */
  async replayRange(name: string, from: Date, to: Date): Promise<{ replayed: number; truncated: boolean }> {
    await this.#existing(name);
    let replayed = 0;
    let since = from;
    const done = new Set<string>();
    while (replayed < maxRangeReplay) {
      const page = (await this.deps.store.deliveriesBetween(name, since, to, rangePage)).filter((d) => !done.has(d.id));
      if (page.length === 0) break;
      for (const delivery of page.slice(0, maxRangeReplay - replayed)) {
        await this.deps.store.replay(delivery.id, this.#clock());
        await this.deps.queue.enqueue(deliveryJob(delivery.id));
        done.add(delivery.id);
        replayed++;
      }
      // Pages by event time; deliveries at the page's last moment are skipped by id next round.
      since = page.at(-1)!.eventTime;
    }
    const truncated = replayed >= maxRangeReplay && (await this.deps.store.deliveriesBetween(name, since, to, rangePage)).some((d) => !done.has(d.id));
    return { replayed, truncated };
  }

  async #existing(name: string): Promise<Subscription> {
    const subscription = await this.deps.store.getSubscription(name);
    if (!subscription) throw unknownWebhook(name);
    return subscription;
  }

  async #ownedByApi(name: string): Promise<Subscription> {
    const subscription = await this.#existing(name);
    if (subscription.source === 'config') {
      throw new RegistryError('UNSUPPORTED', `webhook ${name} is defined in the config file: edit the file (and restart) to change it`, {
        status: 409,
        detail: { reason: 'config', webhook: name },
      });
    }
    return subscription;
  }

  async #delivery(name: string, id: string): Promise<Delivery> {
    await this.#existing(name);
    const delivery = await this.deps.store.getDelivery(id);
    if (!delivery || delivery.subscription !== name) throw unknownDelivery(name, id);
    return delivery;
  }
}

function viewOf(subscription: Subscription, now: Date): SubscriptionView {
  const { secret: _secret, previousSecret, previousSecretExpiresAt, createdAt, updatedAt, ...rest } = subscription;
  return {
    ...rest,
    previousSecretActive: previousSecret !== null && (previousSecretExpiresAt === null || previousSecretExpiresAt > now),
    previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}

function unknownWebhook(name: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `no webhook is named ${name}`, { status: 404, detail: { webhook: name } });
}

function unknownDelivery(name: string, id: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `webhook ${name} has no delivery ${id}`, { status: 404, detail: { webhook: name, delivery: id } });
}
