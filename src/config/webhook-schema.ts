// The `webhooks:` and `events:` config keys (docs/webhooks.md): subscriptions kept in the
// file, how deliveries are made and retried, and where events are logged. The admin API
// validates its subscriptions with the same settings schema.
import { z } from 'zod';
import { eventTypes } from '../domain/events.js';

/** Standard Webhooks: `whsec_` and the base64 of 24 to 64 random bytes. */
export const webhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a secret is whsec_ followed by base64 (Standard Webhooks)')
  .refine((secret) => {
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'a secret holds 24 to 64 bytes (32 to 88 base64 characters)');

export const subscriptionNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (at most 63; it names the subscription in the API)');

const webhookUrl = z
  .string()
  .url()
  .refine((url) => /^https?:$/.test(new URL(url).protocol), 'an http:// or https:// URL');

/** What a subscription says, each field required: the admin API's PATCH takes any of them. */
const settingsFields = {
  url: webhookUrl,
  /** Event types it wants; empty: every type. */
  events: z.array(z.enum(eventTypes)),
  /** Namespaces it wants events of; empty: all (and events of no namespace). */
  namespaces: z.array(z.string().min(1)),
  /** `summary`: the fact and a link to the report; `full`: with the report. */
  payload: z.enum(['summary', 'full']),
  /** `cloudevents` (CloudEvents 1.0 JSON, structured mode) or `harbor` (Harbor's webhook payload). */
  format: z.enum(['cloudevents', 'harbor']),
  enabled: z.boolean(),
};

/** Changes to a subscription: no defaults, so what is left out stays as it is. */
export const subscriptionPatchSchema = z.object(settingsFields).partial().strict();

/** A subscription as the file and the API write it, with the defaults filled in. */
export const subscriptionSettingsSchema = z
  .object({
    ...settingsFields,
    events: settingsFields.events.default([]),
    namespaces: settingsFields.namespaces.default([]),
    payload: settingsFields.payload.default('summary'),
    format: settingsFields.format.default('cloudevents'),
    enabled: settingsFields.enabled.default(true),
  })
  .strict();

const configSubscription = subscriptionSettingsSchema
  .extend({
    name: subscriptionNameSchema,
    secret: webhookSecretSchema,
    /** During a rotation: the old secret, still signed with until it is removed from the file. */
    previousSecret: webhookSecretSchema.optional(),
  })
  .strict();

export type ConfigSubscription = z.infer<typeof configSubscription>;

const retry = z
  .object({
    /** Attempts before a delivery is dead (the dead-letter state; replayable from the API). */
    maxAttempts: z.number().int().positive().default(12),
    /** The bound of the delay before the first retry; it doubles per retry up to capSeconds. */
    baseSeconds: z.number().positive().default(10),
    capSeconds: z.number().positive().default(2 * 60 * 60),
  })
  .strict();

export const webhooksSchema = z
  .object({
    /** The URL scangate is reached at, for links in payloads (default `http://` + listen). */
    publicUrl: webhookUrl.optional(),
    /** How long one POST may take, connect to last byte. */
    timeoutSeconds: z.number().positive().default(10),
    /** Deliveries sent at once by this process. */
    concurrency: z.number().int().positive().default(4),
    retry: retry.default(() => retry.parse({})),
    /** Finished deliveries (and events no longer needed) are deleted after this long. */
    retentionDays: z.number().positive().default(30),
    /** How long the old secret keeps signing after a rotation through the API (default: its request may say). */
    rotationGraceSeconds: z.number().int().nonnegative().default(24 * 60 * 60),
    subscriptions: z.array(configSubscription).default([]),
  })
  .strict()
  .superRefine((value, ctx) => {
    const names = value.subscriptions.map((s) => s.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', path: ['subscriptions'], message: `subscription name ${duplicate} is used twice` });
  });

export const eventsSchema = z
  .object({
    /** Every event as a log line at this level, or `off`. */
    log: z.enum(['off', 'debug', 'info']).default('debug'),
  })
  .strict();
