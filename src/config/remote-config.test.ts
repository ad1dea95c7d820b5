import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';
import { RemoteMap } from '../remotes/remote-map.js';
import { remoteApiSchema, remoteSchema, usesLibraryPrefix } from './remote-schema.js';

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

  it('names a passwordFile without a username', () => {
    const result = remoteSchema.safeParse({ name: 'hub', kind: 'oci', url: 'http://u', passwordFile: '/f' });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['username', 'passwordFile needs a username']]);
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

  it('takes the TLS files of --remote, and names a client certificate without its key', async () => {
    const { config } = await loadConfig({ env: {}, flags: { remote: ['hub=https://r.example,ca-file=/ca.pem,cert-file=/c.pem,key-file=/k.pem'] } });
    expect(config.remotes[0]).toMatchObject({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', tlsVerify: true });
    expect((await loadError({ env: {}, flags: { remote: ['hub=https://r.example,cert-file=/c.pem'] } })).problems).toEqual([
      'remotes.0.keyFile: certFile needs keyFile (the private key of the client certificate)',
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

  it('mirrors only the tags its globs allow, and says so with a 404 MANIFEST_UNKNOWN', () => {
    const tagged = new RemoteMap([remoteSchema.parse({ name: 't', kind: 'oci', url: 'http://u', tags: ['v1.*', 'stable', '*-alpine'] })]);
    const route = tagged.route('t/library/app')!;
    for (const tag of ['v1.2', 'v1.2.3', 'stable', '3.20-alpine']) expect(tagged.mirrorsTag(route, tag), tag).toBe(true);
    for (const tag of ['v2.0', 'v1', 'stable2', 'latest']) expect(tagged.mirrorsTag(route, tag), tag).toBe(false);
    expect(() => tagged.checkTag(route, 'latest')).toThrow(expect.objectContaining({ code: 'MANIFEST_UNKNOWN', message: expect.stringMatching(/does not mirror tag latest of library\/app \(see remotes\[\]\.tags\)/) }));
    expect(map.mirrorsTag(map.route('hub/x')!, 'anything')).toBe(true);
  });

  it('takes new remotes in place of the old ones on replace()', () => {
    const live = new RemoteMap([remoteSchema.parse({ name: 'a', kind: 'oci', url: 'http://u' })]);
    live.replace([remoteSchema.parse({ name: 'b', kind: 'oci', url: 'http://v', tags: ['x'] })]);
    expect([live.covers('a/x'), live.covers('b/x')]).toEqual([false, true]);
    expect(live.mirrorsTag(live.route('b/x')!, 'y')).toBe(false);
  });
});

describe("Docker Hub's implicit library/ prefix", () => {
  const remote = (url: string, dockerHubLibraryPrefix?: boolean) =>
    remoteSchema.parse({ name: 'hub', kind: 'oci', url, ...(dockerHubLibraryPrefix === undefined ? {} : { dockerHubLibraryPrefix }) });

  it('is on for registry-1.docker.io and docker.io, off elsewhere, unless set', () => {
    expect(usesLibraryPrefix(remote('https://registry-1.docker.io'))).toBe(true);
    expect(usesLibraryPrefix(remote('https://docker.io/'))).toBe(true);
    expect(usesLibraryPrefix(remote('https://Registry-1.Docker.IO:443'))).toBe(true);
    expect(usesLibraryPrefix(remote('https://mirror.gcr.io'))).toBe(false);
    expect(usesLibraryPrefix(remote('https://docker.io.example.com'))).toBe(false);
    expect(usesLibraryPrefix(remote('https://registry-1.docker.io', false))).toBe(false);
    expect(usesLibraryPrefix(remote('http://127.0.0.1:5001', true))).toBe(true);
  });

  it('maps a one-component path to library/NAME upstream, and leaves longer paths alone', () => {
    const hub = new RemoteMap([remote('https://registry-1.docker.io')]);
    expect(hub.route('hub/alpine')?.upstreamRepository).toBe('library/alpine');
    expect(hub.route('hub/library/alpine')?.upstreamRepository).toBe('library/alpine');
    expect(hub.route('hub/bitnami/redis')?.upstreamRepository).toBe('bitnami/redis');
    expect(new RemoteMap([remote('https://registry-1.docker.io', false)]).route('hub/alpine')?.upstreamRepository).toBe('alpine');
    expect(new RemoteMap([remote('https://quay.io')]).route('hub/alpine')?.upstreamRepository).toBe('alpine');
  });

  it('checks the repository globs against the upstream name, prefix included', () => {
    const hub = new RemoteMap([{ ...remote('https://registry-1.docker.io'), repositories: ['library/*'] }]);
    expect(hub.route('hub/alpine')?.upstreamRepository).toBe('library/alpine');
    expect(() => hub.route('hub/bitnami/redis')).toThrow(/does not mirror bitnami\/redis/);
  });
});

describe('the admin API schema of a remote', () => {
  it('takes a password (with a username), never with passwordFile', () => {
    expect(remoteApiSchema.parse({ name: 'hub', kind: 'oci', url: 'http://u', username: 'u', password: 'p' })).toMatchObject({ password: 'p', policy: 'on_demand' });
    const problems = (value: object) => remoteApiSchema.safeParse(value).error?.issues.map((i) => i.message);
    expect(problems({ name: 'hub', kind: 'oci', url: 'http://u', password: 'p' })).toEqual(['password needs a username']);
    expect(problems({ name: 'hub', kind: 'oci', url: 'http://u', username: 'u', password: 'p', passwordFile: '/f' })).toEqual(['give password or passwordFile, not both']);
    expect(remoteSchema.safeParse({ name: 'hub', kind: 'oci', url: 'http://u', username: 'u', password: 'p' }).success).toBe(false);
  });
});
