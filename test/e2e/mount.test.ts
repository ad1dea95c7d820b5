// Cross-repository blob mount on a running scangate, over plain HTTP and through skopeo:
// a mountable blob answers 201 at once; anything else falls back to an ordinary upload (202).
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { beforeAll, describe, expect, test } from 'vitest';
import { useE2eContext } from '../support/e2e-context.js';
import { buildImage, manifestOfTag, type BuiltImage } from '../support/images.js';
import { readBlobJson, sha256OfBytes, type Descriptor } from '../support/oci-layout.js';

describe('cross-repository mount', () => {
  const e2e = useE2eContext('mount');
  let image: BuiltImage;
  let layer: Descriptor;

  async function pushImage(name: string, layerSizes: number[], repository: string): Promise<BuiltImage> {
    const built = await buildImage(e2e.work.join(name), e2e.work.join('scratch'), { tag: 'base', layerSizes });
    await e2e.skopeo.copy(`oci:${built.layout}:base`, `docker://${e2e.registry.host}/${repository}:v1`);
    return built;
  }

  beforeAll(async () => {
    image = await pushImage('layout', [50_000, 700_000], 'e2e/mount-a');
    layer = (await readBlobJson<{ layers: Descriptor[] }>(image.layout, image.manifest.digest)).layers[1]!;
    await pushImage('other', [3000], 'e2e/mount-other');
  });

  async function post(path: string) {
    const response = await request(`${e2e.registry.url}${path}`, { method: 'POST' });
    const body = await response.body.text();
    const describe = `POST ${path} -> ${response.statusCode} ${body}`;
    return { status: response.statusCode, headers: response.headers, body, describe };
  }

  test('mounting a blob the source repository has answers 201 and the blob is in the target', async () => {
    const answer = await post(`/v2/e2e/mount-b/blobs/uploads/?mount=${layer.digest}&from=e2e/mount-a`);
    expect(answer.status, answer.describe).toBe(201);
    expect(answer.headers['docker-content-digest']).toBe(layer.digest);
    const location = new URL(String(answer.headers.location), e2e.registry.url);
    expect(location.pathname).toBe(`/v2/e2e/mount-b/blobs/${layer.digest}`);

    const blob = await request(`${e2e.registry.url}/v2/e2e/mount-b/blobs/${layer.digest}`);
    const bytes = Buffer.from(await blob.body.arrayBuffer());
    expect(blob.statusCode).toBe(200);
    expect(bytes.length).toBe(layer.size);
    expect(sha256OfBytes(bytes)).toBe(layer.digest);
  });

  test('an unknown digest falls back to an upload session that completes normally', async () => {
    const content = randomBytes(10_000);
    const digest = sha256OfBytes(content);
    const answer = await post(`/v2/e2e/mount-unknown/blobs/uploads/?mount=${digest}&from=e2e/mount-a`);
    expect(answer.status, answer.describe).toBe(202);

    const session = new URL(String(answer.headers.location), e2e.registry.url);
    session.searchParams.set('digest', digest);
    const put = await request(session, {
      method: 'PUT',
      body: content,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const putBody = await put.body.text();
    expect(put.statusCode, `PUT ${session} -> ${put.statusCode} ${putBody}`).toBe(201);
    expect(put.headers['docker-content-digest']).toBe(digest);
  });

  test.each([
    ['a repository that does not exist', 'e2e/never-pushed'],
    ['a repository without that blob', 'e2e/mount-other'],
  ])('mounting from %s falls back to an upload session (202)', async (_, from) => {
    const answer = await post(`/v2/e2e/mount-c/blobs/uploads/?mount=${layer.digest}&from=${from}`);
    expect(answer.status, answer.describe).toBe(202);
    expect(answer.headers.location).toBeTruthy();
    const absent = await request(`${e2e.registry.url}/v2/e2e/mount-c/blobs/${layer.digest}`, { method: 'HEAD' });
    await absent.body.dump();
    expect(absent.statusCode).toBe(404);

    const cancel = await request(new URL(String(answer.headers.location), e2e.registry.url), { method: 'DELETE' });
    await cancel.body.dump();
    expect(cancel.statusCode).toBe(204);
  });

  test('skopeo copies between two repositories of the same registry', async () => {
    const target = `docker://${e2e.registry.host}/e2e/mount-copy:v1`;
    const { stderr } = await e2e.skopeo.run([
      '--debug', 'copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${e2e.registry.host}/e2e/mount-a:v1`, target,
    ]);
    // skopeo learnt where the layers live from the push and the read: it must mount them.
    expect(stderr).toMatch(/mount=sha256/);
    const source = await e2e.skopeo.inspectRaw(`docker://${e2e.registry.host}/e2e/mount-a:v1`);
    expect(await e2e.skopeo.inspectRaw(target)).toBe(source);

    const back = e2e.work.join('back');
    await e2e.skopeo.copy(target, `oci:${back}:v1`);
    expect((await manifestOfTag(back, 'v1')).digest).toBe(image.manifest.digest);
  });
});
