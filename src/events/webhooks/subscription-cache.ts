// The subscriptions every emitted event is matched against, read from the database at most
// every `refreshMs` (so a change made by another process is seen within that) and at once
// after a change made through this process's admin API (invalidate()).
import type { DomainEvent } from '../../domain/events.js';
import type { Subscription, WebhookStore } from '../../ports/webhook-store.js';

/** Whether the subscription wants the event: enabled, of a type it names, in a namespace it names. */
export function wants(subscription: Subscription, event: DomainEvent): boolean {
  if (!subscription.enabled) return false;
  if (subscription.events.length > 0 && !subscription.events.includes(event.type)) return false;
  if (subscription.namespaces.length === 0) return true;
  return event.namespace !== null && subscription.namespaces.includes(event.namespace);
}

export class SubscriptionCache {
  #loaded: { at: number; subscriptions: Subscription[] } | undefined;
  #loading: Promise<Subscription[]> | undefined;

  constructor(
    private readonly store: Pick<WebhookStore, 'listSubscriptions'>,
    private readonly refreshMs = 2_000,
  ) {}

  /** The enabled subscriptions, as of at most refreshMs ago. */
  async current(): Promise<Subscription[]> {
    const loaded = this.#loaded;
    if (loaded && performance.now() - loaded.at < this.refreshMs) return loaded.subscriptions;
    return (this.#loading ??= this.#load().finally(() => (this.#loading = undefined)));
  }

  /** The next current() reads the database. */
  invalidate(): void {
    this.#loaded = undefined;
  }

  async #load(): Promise<Subscription[]> {
    const at = performance.now();
    const subscriptions = (await this.store.listSubscriptions()).filter((s) => s.enabled);
    this.#loaded = { at, subscriptions };
    return subscriptions;
  }
}
