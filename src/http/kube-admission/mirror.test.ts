// Images of a pull-through mirror are served by scangate too: the webhook resolves their tag
// upstream (a real docker-registry) on first sight, judges what arrived, and for an index
// fetches the child manifests it has not seen, so that they get scanned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../../test/support/server-process.js';
import { mediaTypes } from '../../domain/media-types.js';
import { pushImage, type PushedImage } from '../../remotes/testing/push-image.js';
import { postReview, startAdmissionApp, until, type AdmissionApp } from './testing/admission-app.js';

let upstream: RunningRegistry;
let t: AdmissionApp;
let app: PushedImage;

beforeAll(async () => {
  upstream = await startDistribution();
  app = await pushImage(upstream.url, 'library/app', 'v1', [Buffer.from('mirrored layer')]);
  // An index over the same image, in a repository of its own (distribution wants its children there).
  await pushImage(upstream.url, 'library/multi', 'single', [Buffer.from('mirrored layer')]);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: [{ mediaType: mediaTypes.ociManifest, digest: app.manifestDigest, size: app.manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
  });
  const put = await fetch(`${upstream.url}/v2/library/multi/manifests/v1`, { method: 'PUT', body: index, headers: { 'content-type': mediaTypes.ociIndex } });
  expect(put.status).toBe(201);
  t = await startAdmissionApp({}, [{ name: 'hub', kind: 'oci', url: upstream.url }]);
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

const pod = (image: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'shop',
    operation: 'CREATE',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'app', image }] } },
    oldObject: null,
  },
});
const decide = async (image: string) => (await postReview(t.app, pod(image))).body.response;


describe('admission of pull-through images', () => {
  it('resolves the tag upstream on first sight, then wants a vulnerability report like any image', async () => {
    const image = 'registry.example.com/hub/library/app:v1';
    let message = '';
    // The manifest is fetched and scanned for malware on first sight (its layers when pulled).
    await until(async () => {
      message = (await decide(image)).status?.message ?? '';
      return !message.includes('not scanned yet');
    });
    expect(message).toBe(`image "${image}" (${app.manifestDigest}) in container "app": not scanned for vulnerabilities yet; retry once its scan has completed`);
    await t.services.vulnerabilities.recordScan(app.manifestDigest, 'trivy', [], new Date());
    expect(await decide(image)).toMatchObject({ allowed: true });
    expect((await decide('registry.example.com/hub/library/app:v9')).status.message).toContain('not found in scangate: no manifest hub/library/app:v9');
  });

  it("fetches an index's child manifests it has not seen, and judges them (this one was scanned under the other repository)", async () => {
    expect(await t.services.metadata.getManifest('hub/library/multi', app.manifestDigest)).toBeUndefined();
    await until(async () => (await decide('registry.example.com/hub/library/multi:v1')).allowed === true);
    expect(await t.services.metadata.getManifest('hub/library/multi', app.manifestDigest)).toMatchObject({ digest: app.manifestDigest });
  });
});
