import { describe, expect, it } from 'vitest';
import { formatImageReference, parseImageReference } from './image-reference.js';

const digest = `sha256:${'a1'.repeat(32)}`;

function parsed(text: string) {
  const result = parseImageReference(text);
  if (!result.ok) throw new Error(result.problem);
  return result.reference;
}

describe('parseImageReference', () => {
  it.each([
    ['nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined],
    ['bitnami/redis:7', 'docker.io', 'bitnami/redis', '7', undefined],
    ['index.docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['registry.example.com/lib/app', 'registry.example.com', 'lib/app', 'latest', undefined],
    ['Registry.Example.com/lib/app:v1', 'registry.example.com', 'lib/app', 'v1', undefined],
    ['127.0.0.1:5000/lib/app:v1', '127.0.0.1:5000', 'lib/app', 'v1', undefined],
    ['localhost/app', 'localhost', 'app', 'latest', undefined],
    ['[::1]:5000/team/app:dev', '[::1]:5000', 'team/app', 'dev', undefined],
    [`registry.example.com/lib/app@${digest}`, 'registry.example.com', 'lib/app', undefined, digest],
    [`registry.example.com:5000/lib/app:v1@${digest}`, 'registry.example.com:5000', 'lib/app', 'v1', digest],
    ['ghcr.io/org/deep/path/tool:2024.1', 'ghcr.io', 'org/deep/path/tool', '2024.1', undefined],
  ])('%s -> %s / %s : %s @ %s', (text, domain, path, tag, wanted) => {
    expect(parsed(text)).toEqual({ domain, path, tag, digest: wanted });
  });

  it.each([
    ['', 'empty'],
    [' nginx', 'spaces'],
    ['Nginx', 'not a repository path'],
    ['registry.example.com/Lib/app', 'not a repository path'],
    ['registry.example.com/lib/app:', 'not a tag'],
    ['registry.example.com/lib/app:v1:v2', 'not a repository path'],
    ['registry.example.com/lib/app@sha256:xyz', 'not a digest'],
    ['registry.example.com/lib//app', 'not a repository path'],
    ['bad_host!/lib/app', 'not a repository path'],
    [`a/${'x'.repeat(260)}`, 'longer than'],
  ])('refuses %j (%s)', (text, why) => {
    const result = parseImageReference(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(why);
  });

  it('formats the normalised reference', () => {
    expect(formatImageReference(parsed('nginx'))).toBe('docker.io/library/nginx:latest');
    expect(formatImageReference(parsed(`127.0.0.1:5000/lib/app@${digest}`))).toBe(`127.0.0.1:5000/lib/app@${digest}`);
  });
});
