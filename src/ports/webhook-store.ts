// WebhookStore: webhook subscriptions, the events they were sent, and the delivery log (one
// delivery per event and subscription, with every attempt). Adapter: SQL on the metadata
// database (src/metadata/sql-webhook-store.ts); every adapter runs
// src/metadata/webhook-store.suite.ts.
//
// The store keeps and decides nothing about HTTP: the delivery job (src/events/webhooks/
// delivery-job.ts) sends, and records here what happened. A delivery is the unit the API
// lists and replays; its id is not the webhook-id receivers see (that is the event's id, the
// same for every attempt and replay).
import type { DomainEvent, EventType } from '../domain/events.js';

export type PayloadStyle = 'summary' | 'full';
export type PayloadFormat = 'cloudevents' | 'harbor';
/** `config`: from the config file (read-only through the API); `api`: made through the API. */
export type SubscriptionSource = 'config' | 'api';

/** What an admin chooses about a subscription. */
export interface SubscriptionSettings {
  url: string;
  /** The event types it wants; empty: every type. */
  events: EventType[];
  /** The namespaces it wants events of; empty: every namespace, and events with none. */
  namespaces: string[];
  payload: PayloadStyle;
  format: PayloadFormat;
  enabled: boolean;
}

export interface NewSubscription extends SubscriptionSettings {
  name: string;
  source: SubscriptionSource;
  /** `whsec_<base64>` (Standard Webhooks). */
  secret: string;
  previousSecret: string | null;
  /** Until when previousSecret still signs; null: for as long as it is set (config). */
  previousSecretExpiresAt: Date | null;
}

export interface Subscription extends NewSubscription {
  createdAt: Date;
  updatedAt: Date;
  /** The admin API's actor, or `config`. */
  updatedBy: string;
}

/** pending: queued or waiting for a retry; delivered: a 2xx; dead: no attempts left, or refused for good. */
export type DeliveryState = 'pending' | 'delivered' | 'dead';
export const deliveryStates = ['pending', 'delivered', 'dead'] as const satisfies readonly DeliveryState[];

export interface Delivery {
  id: string;
  subscription: string;
  eventId: string;
  eventType: EventType;
  eventTime: Date;
  state: DeliveryState;
  /** Attempts since it was queued, or since its last replay. */
  attempts: number;
  /** How often it was replayed. */
  replays: number;
  /** When a pending delivery is tried next (null before its first attempt). */
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AttemptOutcome = 'delivered' | 'retrying' | 'dead';

export interface DeliveryAttempt {
  deliveryId: string;
  /** Which round: 0 until the first replay. */
  replay: number;
  /** 1 for the first attempt of the round. */
  attempt: number;
  startedAt: Date;
  durationMs: number;
  /** The receiver's HTTP status; null when none came (connection refused, timeout). */
  statusCode: number | null;
  error: string | null;
  /** The start of the receiver's answer (a few hundred bytes), for diagnosis. */
  responseSnippet: string | null;
  outcome: AttemptOutcome;
}

export interface DeliveryFilter {
  state?: DeliveryState;
  /** Created before this moment (the next page: the last one's createdAt). */
  before?: Date;
  /** Newest first; default 100. */
  limit?: number;
}

export interface WebhookStore {
  /** Every subscription, by name. */
  listSubscriptions(): Promise<Subscription[]>;
  getSubscription(name: string): Promise<Subscription | undefined>;
  /** Undefined (and nothing changed) when the name is taken. */
  createSubscription(subscription: NewSubscription, actor: string): Promise<Subscription | undefined>;
  /** Undefined when there is no such subscription. */
  updateSubscription(name: string, changes: Partial<SubscriptionSettings>, actor: string): Promise<Subscription | undefined>;
  /** Replaces the secrets (a rotation). Undefined when there is no such subscription. */
  setSecrets(name: string, secrets: Pick<NewSubscription, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, actor: string): Promise<Subscription | undefined>;
  /** Deletes it with its deliveries and their attempts. False when there was none. */
  deleteSubscription(name: string): Promise<boolean>;
  /**
   * Makes the subscriptions of source `config` exactly these: each created or replaced by
   * name, the others of source config deleted. A name an API subscription holds is left to it
   * and returned, so the caller can say so.
   */
  syncConfigSubscriptions(subscriptions: readonly NewSubscription[]): Promise<{ conflicts: string[] }>;

  /**
   * Stores the events and one pending delivery per (event, subscription named), in one
   * transaction; an event or delivery stored already is left as it is. Returns the deliveries
   * created. Subscriptions deleted meanwhile are skipped.
   */
  recordEvents(items: readonly { event: DomainEvent; subscriptions: readonly string[] }[]): Promise<Delivery[]>;
  getEvent(id: string): Promise<DomainEvent | undefined>;

  getDelivery(id: string): Promise<Delivery | undefined>;
  listDeliveries(subscription: string, filter?: DeliveryFilter): Promise<Delivery[]>;
  /** The subscription's deliveries of events that happened in [from, to), oldest first, at most `limit`. */
  deliveriesBetween(subscription: string, from: Date, to: Date, limit: number): Promise<Delivery[]>;
  /** Pending deliveries, oldest first, after the one with id `after` (to walk them in pages). */
  pendingDeliveries(limit: number, after?: string): Promise<Delivery[]>;

  /** Counts an attempt as begun (attempts + 1) and returns the delivery then; undefined unless pending. */
  startAttempt(id: string, now: Date): Promise<Delivery | undefined>;
  /**
   * Logs the attempt and moves the delivery to its outcome (pending with nextAttemptAt for a
   * retry). False, with only the log written, when the delivery was replayed meanwhile (the
   * replay's round decides its state).
   */
  finishAttempt(attempt: DeliveryAttempt, next: { lastError: string | null; nextAttemptAt: Date | null }): Promise<boolean>;
  /** The attempts of a delivery, oldest first. */
  listAttempts(deliveryId: string): Promise<DeliveryAttempt[]>;
  /** Pending again, as new: attempts 0, replays + 1. Undefined when there is no such delivery. */
  replay(id: string, now: Date): Promise<Delivery | undefined>;
  /**
   * Deletes finished (delivered, dead) deliveries last changed before `before`, their
   * attempts, and events no delivery refers to any more. Returns the deliveries deleted.
   */
  prune(before: Date): Promise<number>;
}
