import { describe, expect, it } from 'vitest';
import { redact } from './redact.js';
import { configSchema } from './schema.js';

const admission = (value: object) => configSchema.safeParse({ admission: value });
const problems = (value: object) => {
  const result = admission(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the admission config', () => {
  it('is off by default, and needs registry hosts when on', () => {
    expect(configSchema.parse({}).admission).toMatchObject({ enabled: false, foreignImages: 'allow', onUpdate: 'all', registryHosts: [] });
    expect(problems({ enabled: true })).toEqual([expect.stringMatching(/^admission\.registryHosts: the webhook needs the hosts/)]);
  });

  it('keeps hosts as references name them, lower case', () => {
    const parsed = admission({ enabled: true, registryHosts: ['Registry.Example.com', '127.0.0.1:5000', '[::1]:5000'] });
    expect(parsed.success && parsed.data.admission.registryHosts).toEqual(['registry.example.com', '127.0.0.1:5000', '[::1]:5000']);
    expect(problems({ registryHosts: ['https://registry.example.com'] })[0]).toMatch(/^admission\.registryHosts\.0: a host or HOST:PORT/);
  });

  it('takes a token or a token file, not both, and hides the token', () => {
    expect(problems({ token: 'short' })[0]).toMatch(/^admission\.token:/);
    expect(problems({ token: 'a'.repeat(16), tokenFile: '/etc/token' })).toEqual(['admission.tokenFile: give at most one of token and tokenFile']);
    expect(redact(configSchema.parse({ admission: { token: 'a'.repeat(16) } })).admission.token).toBe('********');
  });
});
