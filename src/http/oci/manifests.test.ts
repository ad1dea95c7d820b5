// Manifests, tags, catalog and referrers over /v2/, through the real app and adapters.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../domain/media-types.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

async function pushBlob(name: string, content: string): Promise<{ digest: string; size: number }> {
  const body = Buffer.from(content);
  const digest = sha256(body);
  const res = await t.app.inject({
    method: 'POST',
    url: `/v2/${name}/blobs/uploads/?digest=${digest}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: body,
  });
  expect(res.statusCode).toBe(201);
  return { digest, size: body.length };
}

async function imageManifest(name: string, extra: Record<string, unknown> = {}, seed = name): Promise<string> {
  const config = await pushBlob(name, `{"config":"${seed}"}`);
  const layer = await pushBlob(name, `layer of ${seed}`);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    ...extra,
  });
}

function putManifest(name: string, reference: string, body: string, contentType: string = mediaTypes.ociManifest) {
  return t.app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${reference}`, headers: { 'content-type': contentType }, payload: body });
}

describe('manifests', () => {
  it('puts by tag and gets by tag and by digest, with the digest header', async () => {
    const body = await imageManifest('img/app');
    const put = await putManifest('img/app', 'v1', body);
    expect(put.statusCode).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(sha256(body));
    expect(put.headers.location).toBe(`/v2/img/app/manifests/${sha256(body)}`);
    for (const ref of ['v1', sha256(body)]) {
      const get = await t.app.inject({ method: 'GET', url: `/v2/img/app/manifests/${ref}` });
      expect(get.statusCode).toBe(200);
      expect(get.payload).toBe(body);
      expect(get.headers['content-type']).toBe(mediaTypes.ociManifest);
      expect(get.headers['docker-content-digest']).toBe(sha256(body));
      const head = await t.app.inject({ method: 'HEAD', url: `/v2/img/app/manifests/${ref}` });
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    }
  });

  it('puts by digest, checking that the bytes hash to it', async () => {
    const body = await imageManifest('img/bydigest');
    expect((await putManifest('img/bydigest', sha256(body), body)).statusCode).toBe(201);
    const wrong = await putManifest('img/bydigest', sha256('other'), body);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors[0].code).toBe('DIGEST_INVALID');
  });

  it('refuses a manifest whose blobs are missing with MANIFEST_BLOB_UNKNOWN', async () => {
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('absent'), size: 6 },
      layers: [],
    });
    const res = await putManifest('img/missing', 'v1', body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(res.json().errors[0].detail.digest).toBe(sha256('absent'));
  });

  it('refuses invalid manifests with MANIFEST_INVALID, never a 5xx', async () => {
    const cases: [string, string][] = [
      ['not json', mediaTypes.ociManifest],
      ['[]', mediaTypes.ociManifest],
      ['{"schemaVersion":1}', mediaTypes.ociManifest],
      [JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [] }), mediaTypes.ociManifest],
      [JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }), mediaTypes.ociManifest],
      [JSON.stringify({ schemaVersion: 2, manifests: [] }), 'application/x-unknown'],
    ];
    for (const [body, type] of cases) {
      const res = await putManifest('img/invalid', 'v1', body, type);
      expect(res.statusCode, body).toBe(400);
      expect(res.json().errors[0].code).toBe('MANIFEST_INVALID');
    }
  });

  it('refuses a manifest over the size cap with 413', async () => {
    const small = await startTestApp({ registry: { maxManifestBytes: 1024 } });
    try {
      const res = await small.app.inject({
        method: 'PUT',
        url: '/v2/img/big/manifests/v1',
        headers: { 'content-type': mediaTypes.ociManifest },
        payload: 'x'.repeat(2048),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().errors[0].code).toBe('MANIFEST_INVALID');
    } finally {
      await small.close();
    }
  });

  it('accepts an index whose children are present, and Docker schema 2 types', async () => {
    const child = await imageManifest('img/multi', {}, 'amd64');
    await putManifest('img/multi', sha256(child), child);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: [{ mediaType: mediaTypes.ociManifest, digest: sha256(child), size: Buffer.byteLength(child), platform: { os: 'linux', architecture: 'amd64' } }],
    });
    expect((await putManifest('img/multi', 'v1', index, mediaTypes.ociIndex)).statusCode).toBe(201);
    const orphan = JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.dockerManifestList,
      manifests: [{ mediaType: mediaTypes.dockerManifest, digest: sha256('nope'), size: 4 }],
    });
    const res = await putManifest('img/multi', 'v2', orphan, mediaTypes.dockerManifestList);
    expect(res.json().errors[0].code).toBe('MANIFEST_BLOB_UNKNOWN');
    const docker = JSON.parse(await imageManifest('img/docker')) as Record<string, unknown>;
    docker.mediaType = mediaTypes.dockerManifest;
    expect((await putManifest('img/docker', 'v1', JSON.stringify(docker), mediaTypes.dockerManifest)).statusCode).toBe(201);
  });

  it('answers 404 MANIFEST_UNKNOWN for a reference that can never be a tag', async () => {
    for (const method of ['GET', 'HEAD', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url: '/v2/img/app/manifests/.INVALID_MANIFEST_NAME' });
      expect(res.statusCode, method).toBe(404);
    }
    const put = await putManifest('img/app', '.bad', '{}');
    expect(put.statusCode).toBe(400);
    expect(put.json().errors[0].code).toBe('TAG_INVALID');
  });

  it('applies ?tag= on a PUT by digest and echoes each tag as OCI-Tag', async () => {
    const body = await imageManifest('img/tagparam');
    const put = await t.app.inject({
      method: 'PUT',
      url: `/v2/img/tagparam/manifests/${sha256(body)}?tag=one&tag=two`,
      headers: { 'content-type': mediaTypes.ociManifest },
      payload: body,
    });
    expect(put.statusCode).toBe(201);
    expect(put.headers['oci-tag']).toEqual(['one', 'two']);
    const tags = await t.app.inject({ method: 'GET', url: '/v2/img/tagparam/tags/list' });
    expect(tags.json().tags).toEqual(['one', 'two']);
  });

  it('deletes a tag by tag and a manifest by digest', async () => {
    const body = await imageManifest('img/delete');
    await putManifest('img/delete', 'v1', body);
    await putManifest('img/delete', 'v2', body);
    expect((await t.app.inject({ method: 'DELETE', url: '/v2/img/delete/manifests/v1' })).statusCode).toBe(202);
    expect((await t.app.inject({ method: 'GET', url: '/v2/img/delete/manifests/v1' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v2/img/delete/manifests/v2' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/v2/img/delete/manifests/${sha256(body)}` })).statusCode).toBe(202);
    const gone = await t.app.inject({ method: 'GET', url: '/v2/img/delete/manifests/v2' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().errors[0].code).toBe('MANIFEST_UNKNOWN');
  });
});

describe('tags and catalog', () => {
  beforeAll(async () => {
    const body = await imageManifest('list/app');
    for (const tag of ['c', 'a', 'b', 'B', 'a-b', 'a_b']) await putManifest('list/app', tag, body);
  });

  it('lists tags in byte order and paginates with n, last and a Link header', async () => {
    const all = await t.app.inject({ method: 'GET', url: '/v2/list/app/tags/list' });
    expect(all.json()).toEqual({ name: 'list/app', tags: ['B', 'a', 'a-b', 'a_b', 'b', 'c'] });
    const first = await t.app.inject({ method: 'GET', url: '/v2/list/app/tags/list?n=2' });
    expect(first.json().tags).toEqual(['B', 'a']);
    expect(first.headers.link).toBe('</v2/list/app/tags/list?n=2&last=a>; rel="next"');
    const next = await t.app.inject({ method: 'GET', url: '/v2/list/app/tags/list?n=2&last=a' });
    expect(next.json().tags).toEqual(['a-b', 'a_b']);
    const end = await t.app.inject({ method: 'GET', url: '/v2/list/app/tags/list?n=2&last=b' });
    expect(end.json().tags).toEqual(['c']);
    expect(end.headers.link).toBeUndefined();
    const zero = await t.app.inject({ method: 'GET', url: '/v2/list/app/tags/list?n=0' });
    expect(zero.json().tags).toEqual([]);
  });

  it('answers NAME_UNKNOWN for the tags of an unknown repository and 400 for a bad n', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/v2/no/such/tags/list' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errors[0].code).toBe('NAME_UNKNOWN');
    const bad = await t.app.inject({ method: 'GET', url: '/v2/list/app/tags/list?n=-1' });
    expect(bad.statusCode).toBe(400);
  });

  it('lists repositories in the catalog with pagination', async () => {
    const all = await t.app.inject({ method: 'GET', url: '/v2/_catalog' });
    const repositories = all.json().repositories as string[];
    expect(repositories).toContain('list/app');
    expect([...repositories].sort()).toEqual(repositories);
    const page = await t.app.inject({ method: 'GET', url: '/v2/_catalog?n=1' });
    expect(page.json().repositories).toHaveLength(1);
    expect(page.headers.link).toMatch(/^<\/v2\/_catalog\?n=1&last=.+>; rel="next"$/);
  });
});

describe('referrers and subject', () => {
  it('lists manifests whose subject is a digest, with the artifactType filter', async () => {
    const subject = await imageManifest('ref/app');
    await putManifest('ref/app', 'v1', subject);
    const subjectDescriptor = { mediaType: mediaTypes.ociManifest, digest: sha256(subject), size: Buffer.byteLength(subject) };
    const empty = await pushBlob('ref/app', '{}');
    const signature = JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      artifactType: 'application/vnd.example.signature',
      config: { mediaType: mediaTypes.ociEmpty, ...empty },
      layers: [{ mediaType: mediaTypes.ociEmpty, ...empty }],
      subject: subjectDescriptor,
      annotations: { 'org.example.signer': 'ci' },
    });
    const sbom = JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.example.sbom', ...empty },
      layers: [{ mediaType: mediaTypes.ociEmpty, ...empty }],
      subject: subjectDescriptor,
    });
    const put = await putManifest('ref/app', sha256(signature), signature);
    expect(put.statusCode).toBe(201);
    expect(put.headers['oci-subject']).toBe(sha256(subject));
    await putManifest('ref/app', sha256(sbom), sbom);

    const all = await t.app.inject({ method: 'GET', url: `/v2/ref/app/referrers/${sha256(subject)}` });
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe(mediaTypes.ociIndex);
    const index = all.json();
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toHaveLength(2);
    expect(index.manifests).toContainEqual({
      mediaType: mediaTypes.ociManifest,
      digest: sha256(signature),
      size: Buffer.byteLength(signature),
      artifactType: 'application/vnd.example.signature',
      annotations: { 'org.example.signer': 'ci' },
    });
    // Without artifactType, the config's media type stands in (image-spec).
    expect(index.manifests.find((m: { digest: string }) => m.digest === sha256(sbom)).artifactType).toBe('application/vnd.example.sbom');

    const filtered = await t.app.inject({ method: 'GET', url: `/v2/ref/app/referrers/${sha256(subject)}?artifactType=application/vnd.example.sbom` });
    expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
    expect(filtered.json().manifests).toHaveLength(1);

    const none = await t.app.inject({ method: 'GET', url: `/v2/ref/app/referrers/${sha256('unknown')}` });
    expect(none.statusCode).toBe(200);
    expect(none.json().manifests).toEqual([]);
    const bad = await t.app.inject({ method: 'GET', url: '/v2/ref/app/referrers/sha256:short' });
    expect(bad.statusCode).toBe(400);
  });
});
