// `serve --adapter NAME=URL` and the vulnerabilityScanners config it becomes.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

describe('--adapter and vulnerabilityScanners', () => {
  it('registers one adapter per flag that every repository requires, with no auth and TLS verified', async () => {
    const { config } = await loadConfig({ flags: { adapter: ['trivy=http://127.0.0.1:8080', 'clair=https://clair.example/'] }, env: {} });
    expect(config.vulnerabilityScanners).toEqual([
      { name: 'trivy', url: 'http://127.0.0.1:8080', auth: { kind: 'none' }, tlsVerify: true, default: false, required: true, enabled: true },
      { name: 'clair', url: 'https://clair.example/', auth: { kind: 'none' }, tlsVerify: true, default: false, required: true, enabled: true },
    ]);
    expect(config.vulnerabilityScanning).toMatchObject({ onPush: true, timeoutSeconds: 600 });
  });

  it('names the flag when a value is malformed', async () => {
    await expect(loadConfig({ flags: { adapter: ['http://no-name'] }, env: {} })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ flags: { adapter: ['trivy=not a url'] }, env: {} })).rejects.toThrow(/vulnerabilityScanners/);
  });
});
