import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookSecretSchema } from '../../config/webhook-schema.js';
import { generateSecret, signedHeaders, signingSecrets } from './signing.js';

describe('Standard Webhooks signing', () => {
  it('signs so that the standardwebhooks library verifies, with the event id and the attempt time', () => {
    const secret = generateSecret();
    expect(webhookSecretSchema.safeParse(secret).success).toBe(true);
    const now = new Date();
    const body = JSON.stringify({ hello: 'world', ü: '✓' });
    const headers = signedHeaders('0b9f3c1e-event', now, body, [secret]);
    expect(headers['webhook-id']).toBe('0b9f3c1e-event');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(headers['webhook-signature']).toBe(new Webhook(secret).sign('0b9f3c1e-event', now, body));
    expect(new Webhook(secret).verify(body, headers)).toEqual({ hello: 'world', ü: '✓' });
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(/No matching signature/);
  });

  it('signs with both secrets during a rotation, so a receiver with either verifies', () => {
    const [fresh, old] = [generateSecret(), generateSecret()];
    const now = new Date();
    const inGrace = signingSecrets({ secret: fresh, previousSecret: old, previousSecretExpiresAt: new Date(now.getTime() + 1000) }, now);
    expect(inGrace).toEqual([fresh, old]);
    const headers = signedHeaders('id-1', now, '{}', inGrace);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [fresh, old]) expect(new Webhook(secret).verify('{}', headers)).toEqual({});

    expect(signingSecrets({ secret: fresh, previousSecret: old, previousSecretExpiresAt: now }, now)).toEqual([fresh]);
    // A previous secret from the config file has no expiry: it signs until it is removed.
    expect(signingSecrets({ secret: fresh, previousSecret: old, previousSecretExpiresAt: null }, now)).toEqual([fresh, old]);
    expect(signingSecrets({ secret: fresh, previousSecret: null, previousSecretExpiresAt: null }, now)).toEqual([fresh]);
  });
});
