// Standard Webhooks signatures (https://www.standardwebhooks.com): the `webhook-id`,
// `webhook-timestamp` and `webhook-signature` headers, where a signature is
// `v1,` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")) and the key is the base64 after
// `whsec_`. During a secret rotation the header carries one signature per valid secret,
// separated by spaces: a receiver that knows either secret verifies it.
import { createHmac, randomBytes } from 'node:crypto';
import type { Subscription } from '../../ports/webhook-store.js';

const secretPrefix = 'whsec_';

/** A new secret: 32 random bytes (the spec asks for 24 to 64). */
export function generateSecret(): string {
  return `${secretPrefix}${randomBytes(32).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret, 'base64');
}

export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The secrets a subscription signs with at `now`: its own, and the previous one during its grace. */
export function signingSecrets(subscription: Pick<Subscription, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: Date): string[] {
  const { previousSecret, previousSecretExpiresAt } = subscription;
  const previousValid = previousSecret !== null && (previousSecretExpiresAt === null || previousSecretExpiresAt > now);
  return previousValid ? [subscription.secret, previousSecret] : [subscription.secret];
}

/**
 * The three headers for one attempt. The id is the event's, the same on every retry and
 * replay (receivers dedupe on it); the timestamp is the attempt's, so a receiver's freshness
 * check passes on a retry hours later.
 */
export function signedHeaders(id: string, now: Date, body: string, secrets: readonly string[]): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => signature(secret, id, timestamp, body)).join(' '),
  };
}
