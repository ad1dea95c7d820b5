import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { RemoteMap } from '../remotes/remote-map.js';

async function loadError(flags: Parameters<typeof loadConfig>[0]): Promise<ConfigError> {
  const err = await loadConfig(flags).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('remotes config', () => {
  it('has no remotes by default', async () => {
    expect((await loadConfig({ env: {} })).config.remotes).toEqual([]);
  });

  it('turns --remote flags into remotes with defaults', async () => {
    const { config } = await loadConfig({
      env: {},
      flags: { remote: ['hub=https://registry-1.docker.io', 'q=http://127.0.0.1:5001,policy=streamed,user=bob,password-file=/run/pw'] },
    });
    expect(config.remotes).toEqual([
      { name: 'hub', kind: 'oci', url: 'https://registry-1.docker.io', policy: 'on_demand', tlsVerify: true, tagTtlSeconds: 300 },
      { name: 'q', kind: 'oci', url: 'http://127.0.0.1:5001', policy: 'streamed', username: 'bob', passwordFile: '/run/pw', tlsVerify: true, tagTtlSeconds: 300 },
    ]);
  });

  it('names the flag and the part that is wrong', async () => {
    expect((await loadError({ env: {}, flags: { remote: ['https://x.example'] } })).message).toMatch(/--remote https:\/\/x\.example: no NAME= before the URL/);
    expect((await loadError({ env: {}, flags: { remote: ['hub=http://x,colour=red'] } })).problems[0]).toMatch(/unknown option "colour=red"/);
    const policy = await loadError({ env: {}, flags: { remote: ['hub=http://x,policy=sometimes'] } });
    expect(policy.source).toBe('--remote');
    expect(policy.problems[0]).toMatch(/^remotes\.0\.policy: /);
    expect((await loadError({ env: {}, flags: { remote: ['hub=http://a', 'hub=http://b'] } })).problems[0]).toMatch(/remote name hub is used twice/);
    expect((await loadError({ env: {}, flags: { remote: ['Hub/x=http://a'] } })).problems[0]).toMatch(/^remotes\.0\.name: /);
  });
});

describe('RemoteMap', () => {
  const map = new RemoteMap([
    { name: 'hub', kind: 'oci', url: 'http://u', policy: 'on_demand', tlsVerify: true, tagTtlSeconds: 300 },
    { name: 'q', kind: 'oci', url: 'http://v', policy: 'on_demand', tlsVerify: true, tagTtlSeconds: 300, repositories: ['library/*', 'team/**'] },
  ]);

  it('maps NAME/<path> to upstream <path>', () => {
    expect(map.route('hub/library/alpine')).toMatchObject({ upstreamRepository: 'library/alpine' });
    expect(map.route('hub')).toBeUndefined();
    expect(map.route('local/x')).toBeUndefined();
    expect(map.covers('hub/x')).toBe(true);
  });

  it('refuses upstream repositories outside the remote globs', () => {
    expect(map.route('q/library/alpine')?.upstreamRepository).toBe('library/alpine');
    expect(map.route('q/team/a/b')?.upstreamRepository).toBe('team/a/b');
    expect(() => map.route('q/library/a/b')).toThrow(/does not mirror library\/a\/b/);
    expect(() => map.route('q/other')).toThrow(/NAME_UNKNOWN|does not mirror/);
  });
});
