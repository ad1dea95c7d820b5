// File remotes in the configuration: `kind: file` entries of `remotes:` and `--remote
// NAME=URL,kind=file,...`, with their defaults and the messages for what is wrong.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { fileRemoteSchema, isFileRemote, isOciRemote } from './remote-schema.js';

async function problems(remote: string[]): Promise<string[]> {
  const err = await loadConfig({ env: {}, flags: { remote } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems;
}

describe('file remotes config', () => {
  it('turns --remote NAME=URL,kind=file,... into a file remote with defaults, beside OCI ones', async () => {
    const { config } = await loadConfig({
      env: {},
      flags: { remote: ['dl=https://files.example/pub,kind=file,manifest=PULP_MANIFEST,policy=streamed,ttl=60', 'hub=https://registry-1.docker.io'] },
    });
    expect(config.remotes).toEqual([
      { name: 'dl', kind: 'file', url: 'https://files.example/pub', manifest: 'PULP_MANIFEST', policy: 'streamed', ttlSeconds: 60, tlsVerify: true },
      { name: 'hub', kind: 'oci', url: 'https://registry-1.docker.io', policy: 'on_demand', tlsVerify: true, tagTtlSeconds: 300 },
    ]);
    expect(config.remotes.filter(isFileRemote).map((r) => r.name)).toEqual(['dl']);
    expect(config.remotes.filter(isOciRemote).map((r) => r.name)).toEqual(['hub']);
    expect(fileRemoteSchema.parse({ name: 'raw', kind: 'file', url: 'http://u' })).toEqual({ name: 'raw', kind: 'file', url: 'http://u', policy: 'on_demand', ttlSeconds: 300, tlsVerify: true });
  });

  it('names what is wrong', async () => {
    expect(await problems(['dl=http://u,kind=file,policy=immediate'])).toEqual([
      'remotes.0.manifest: policy immediate needs a manifest: it is the list of files `scangate sync` brings',
    ]);
    expect((await problems(['dl=http://u,kind=file,manifest=../PULP_MANIFEST']))[0]).toMatch(/^remotes\.0\.manifest: a relative path/);
    expect(await problems(['dl=http://u,kind=file,tag-ttl=5'])).toEqual(['remotes.0.tagTtlSeconds: unknown key']);
    expect((await problems(['dl=http://u,kind=ftp']))[0]).toMatch(/^remotes\.0\.kind: /);
    expect((await problems(['dl=http://u,kind=file', 'dl=http://v']))[0]).toMatch(/remote name dl is used twice/);
    expect((await problems(['dl=http://u,kind=file,user=bob,password-file=/f,password-file=/g']))[0]).toMatch(/"password-file" given twice/);
  });
});
