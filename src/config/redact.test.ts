import { describe, expect, it } from 'vitest';
import { hidden, redact } from './redact.js';

describe('redact', () => {
  it('hides passwords inside URLs and keeps the rest readable', () => {
    expect(redact({ database: { driver: 'postgres', url: 'postgres://scangate:s3cr3t@db:5432/scangate' } })).toEqual({
      database: { driver: 'postgres', url: `postgres://scangate:${hidden}@db:5432/scangate` },
    });
    expect(redact('postgres://db:5432/x')).toBe('postgres://db:5432/x');
    expect(redact('https://user@host/path')).toBe('https://user@host/path');
  });

  it('hides values of keys named like secrets, at any depth and in arrays', () => {
    const input = {
      listen: '127.0.0.1:5000',
      webhooks: [{ url: 'https://hook', secret: 'abc' }],
      auth: { adminPassword: 'pw', tokenTtl: 60, apiKey: 'k', authToken: 't', secret_key: 's', nested: { password: null } },
    };
    expect(redact(input)).toEqual({
      listen: '127.0.0.1:5000',
      webhooks: [{ url: 'https://hook', secret: hidden }],
      auth: { adminPassword: hidden, tokenTtl: 60, apiKey: hidden, authToken: hidden, secret_key: hidden, nested: { password: null } },
    });
  });

  it('does not change its input', () => {
    const input = { password: 'x' };
    redact(input);
    expect(input.password).toBe('x');
  });
});
