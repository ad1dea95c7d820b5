import { describe, expect, it } from 'vitest';
import { accessAllows, formatBasicChallenge, formatBearerChallenge, formatScope, grantAccess, parseScopes, ScopeError, type Authorize } from './scope.js';

describe('scopes', () => {
  it('parses repository and registry scopes, one per parameter or space-separated', () => {
    expect(parseScopes('repository:team/app:pull,push', 'registry:catalog:* repository:x:pull')).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
      { type: 'repository', name: 'x', actions: ['pull'] },
    ]);
  });

  it('takes the name between the first and the last colon, drops a resource class and repeated actions', () => {
    expect(parseScopes('repository(plugin):team/app:pull,pull')).toEqual([{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    expect(parseScopes('files:bucket:a:b.txt:pull')).toEqual([{ type: 'files', name: 'bucket:a:b.txt', actions: ['pull'] }]);
  });

  it('refuses malformed scopes with a ScopeError', () => {
    for (const bad of ['repository', 'repository:app', 'repository:App:pull', 'repository:app:', 'repository:app:pull,', 'Repo:app:pull', 'registry::*', ':app:pull', 'repository:app:pull;rm']) {
      expect(() => parseScopes(bad), bad).toThrow(ScopeError);
    }
    expect(parseScopes('', '  ')).toEqual([]);
  });

  it('formats scopes back', () => {
    const text = 'repository:team/app:pull,push';
    expect(formatScope(parseScopes(text)[0]!)).toBe(text);
  });
});

describe('challenges', () => {
  it('formats a Bearer challenge with realm, service, scopes and error', () => {
    const scopes = parseScopes('repository:team/app:pull,push', 'repository:x:pull');
    expect(formatBearerChallenge({ realm: 'https://reg.example/token', service: 'reg.example', scopes, error: 'insufficient_scope' })).toBe(
      'Bearer realm="https://reg.example/token",service="reg.example",scope="repository:team/app:pull,push repository:x:pull",error="insufficient_scope"',
    );
    expect(formatBearerChallenge({ realm: 'http://h/token', service: 's' })).toBe('Bearer realm="http://h/token",service="s"');
  });

  it('escapes quotes and refuses control characters', () => {
    expect(formatBasicChallenge('say "hi"\\')).toBe('Basic realm="say \\"hi\\"\\\\"');
    expect(() => formatBearerChallenge({ realm: 'x\r\nSet-Cookie: a=b', service: 's' })).toThrow(TypeError);
  });
});

describe('granting access', () => {
  const policy: Record<string, string[]> = { 'team/app': ['pull'], 'team/own': ['*'], catalog: ['*'] };
  const authorize: Authorize<string> = (_principal, resource) => policy[resource.name] ?? [];

  it('grants the intersection of what was asked and what the policy allows', async () => {
    const access = await grantAccess('alice', parseScopes('repository:team/app:pull,push repository:team/own:pull,delete repository:other:pull'), authorize);
    expect(access).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull'] },
      { type: 'repository', name: 'team/own', actions: ['pull', 'delete'] },
    ]);
  });

  it('treats a requested * as an action of its own, and merges scopes on one resource', async () => {
    expect(await grantAccess('alice', parseScopes('registry:catalog:*'), authorize)).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    expect(await grantAccess('alice', parseScopes('repository:team/app:*'), authorize)).toEqual([]);
    expect(await grantAccess('alice', parseScopes('repository:team/own:pull', 'repository:team/own:push'), authorize)).toEqual([
      { type: 'repository', name: 'team/own', actions: ['pull', 'push'] },
    ]);
  });

  it('passes the principal, the resource and the requested actions to the policy', async () => {
    const calls: unknown[] = [];
    await grantAccess({ id: 7 }, parseScopes('repository:a/x:pull,push'), (principal, resource, requested) => {
      calls.push([principal, resource, requested]);
      return [];
    });
    expect(calls).toEqual([[{ id: 7 }, { type: 'repository', name: 'a/x' }, ['pull', 'push']]]);
  });

  it('checks an access claim for one resource and action only', () => {
    const access = [{ type: 'repository', name: 'a/x', actions: ['pull'] }, { type: 'registry', name: 'catalog', actions: ['*'] }];
    expect(accessAllows(access, 'repository', 'a/x', 'pull')).toBe(true);
    expect(accessAllows(access, 'repository', 'a/x', 'push')).toBe(false);
    expect(accessAllows(access, 'repository', 'a/y', 'pull')).toBe(false);
    expect(accessAllows(access, 'registry', 'catalog', '*')).toBe(true);
  });
});
