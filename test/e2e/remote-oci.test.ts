// Pull-through from a real upstream (Debian's docker-registry, behind a counting front)
// with a real clamd and skopeo: on_demand pulls bit-identical, streamed pulls without
// keeping the bytes, an upstream image with an EICAR layer is refused with 403 naming the
// signature and never stored as clean, 20 concurrent requests for an uncached blob cause
// one upstream fetch, and with the upstream stopped the cached image still pulls.
import { writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startUpstreamFront, type UpstreamFront } from '../../src/remotes/testing/upstream-front.js';
import { eicarBytes, testSignatureNames } from '../../src/scanners/clamd/test-signatures.js';
import { startClamd, type RunningClamd } from '../support/clamd.js';
import { startDistribution } from '../support/distribution-server.js';
import { buildFileImages, digestsOf, type FileImage } from '../support/file-images.js';
import { AdminClient, probeBlob } from '../support/gate.js';
import { manifestOfTag } from '../support/images.js';
import { blobFingerprint, writeRandomFile } from '../support/oci-layout.js';
import { runScangateCli, startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { Skopeo, ToolError, toolFailure } from '../support/tools.js';

const KiB = 1024;
const eicarSignature = new RegExp(`${testSignatureNames.eicarBody.replaceAll('.', '\\.')}|${testSignatureNames.eicarHash.replaceAll('.', '\\.')}`);

describe('remote OCI registry (pull-through)', () => {
  let work: TempDir;
  let clamd: RunningClamd;
  let upstream: RunningRegistry;
  let front: UpstreamFront;
  let scangate: RunningRegistry;
  let admin: AdminClient;
  let images: Record<'clean' | 'streamed' | 'infected' | 'many', FileImage>;
  let pulls = 0;

  beforeAll(async () => {
    work = await makeTempDir('e2e-remote-oci');
    [clamd, upstream] = await Promise.all([startClamd(), startDistribution()]);
    const files: Record<string, string> = {};
    for (const [name, size] of [['a', 512 * KiB], ['b', 128 * KiB], ['c', 256 * KiB], ['d', 768 * KiB]] as const) {
      files[name] = work.join(`${name}.bin`);
      await writeRandomFile(files[name], size);
    }
    files.eicar = work.join('eicar.com');
    await writeFile(files.eicar, eicarBytes());
    const layout = work.join('layout');
    const built = await buildFileImages(layout, [
      { tag: 'clean', files: [{ source: files.a!, pathInImage: '/data/a.bin' }, { source: files.b!, pathInImage: '/data/b.bin' }] },
      { tag: 'streamed', files: [{ source: files.c!, pathInImage: '/data/c.bin' }] },
      { tag: 'infected', files: [{ source: files.b!, pathInImage: '/data/b.bin' }, { source: files.eicar, pathInImage: '/eicar.com' }] },
      { tag: 'many', files: [{ source: files.d!, pathInImage: '/data/d.bin' }] },
    ]);
    images = { clean: built[0]!, streamed: built[1]!, infected: built[2]!, many: built[3]! };
    const loader = new Skopeo({ cacheDir: work.join('loader-cache') });
    for (const tag of Object.keys(images)) await loader.copy(`oci:${layout}:${tag}`, `docker://${upstream.host}/library/${tag}:v1`);
    front = await startUpstreamFront({ target: upstream.url });
    scangate = await startScangate({
      scan: ['--clamd', clamd.tcpAddress],
      args: ['--remote', `hub=${front.url},tag-ttl=0`, '--remote', `live=${front.url},policy=streamed`],
    });
    admin = await AdminClient.open(scangate.url, scangate.dataDir);
  });

  afterAll(async () => {
    await scangate?.stop();
    await front?.stop().catch(() => {});
    await upstream?.stop();
    await clamd?.dispose();
    await work?.remove();
  });

  /** skopeo copy from scangate into a fresh layout; resolves to the layout's directory. */
  async function pull(repository: string): Promise<string> {
    const destination = work.join(`pulled-${++pulls}`);
    const skopeo = new Skopeo({ cacheDir: work.join(`cache-${pulls}`) });
    await skopeo.copy(`docker://${scangate.host}/${repository}:v1`, `oci:${destination}:v1`);
    return destination;
  }

  async function expectIdentical(destination: string, image: FileImage): Promise<void> {
    expect((await manifestOfTag(destination, 'v1')).digest).toBe(image.manifest.digest);
    const pulled = await blobFingerprint(destination);
    for (const digest of digestsOf(image)) expect(pulled.get(digest), digest).toBe(digest);
  }

  const upstreamGets = (repository: string, digest: string) => front.count('GET', `/v2/${repository}/blobs/${digest}`);

  test('on_demand: skopeo pulls through scangate, bit-identical, and the second pull stays local', async () => {
    await expectIdentical(await pull('hub/library/clean'), images.clean);
    await expectIdentical(await pull('hub/library/clean'), images.clean);
    for (const layer of images.clean.layers) expect(upstreamGets('library/clean', layer.digest)).toBe(1);
    const states = await admin.states(digestsOf(images.clean));
    expect([...states.values()]).toEqual(digestsOf(images.clean).map(() => 'clean'));
  });

  test('streamed: skopeo pulls through, and the bytes are fetched again on the next pull', async () => {
    await expectIdentical(await pull('live/library/streamed'), images.streamed);
    await expectIdentical(await pull('live/library/streamed'), images.streamed);
    expect(upstreamGets('library/streamed', images.streamed.layers[0]!.digest)).toBe(2);
  });

  test('an upstream image with an EICAR layer is refused with 403 naming the signature, and never stored as clean', async () => {
    const failure = await toolFailure(pull('hub/library/infected'));
    expect(failure).toBeInstanceOf(ToolError);
    // skopeo shows only the status of a refused blob; the body (probed below) names the signature.
    expect(failure!.message).toMatch(/403 \(Forbidden\)/);
    const layer = images.infected.layers[1]!.digest;
    const probe = await probeBlob(scangate.url, 'hub/library/infected', layer);
    expect([probe.status, probe.error?.code]).toEqual([403, 'DENIED']);
    expect(probe.error?.message).toMatch(eicarSignature);
    expect((await admin.report(layer))?.state).toMatchObject({ state: 'infected', decidedBy: 'clamd' });
    expect(upstreamGets('library/infected', layer)).toBe(1);
  });

  test('20 concurrent requests for an uncached blob cause one upstream fetch', async () => {
    const layer = images.many.layers[0]!;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await request(`${scangate.url}/v2/hub/library/many/blobs/${layer.digest}`);
        const bytes = Buffer.from(await response.body.arrayBuffer());
        return { status: response.statusCode, size: bytes.length };
      }),
    );
    expect(answers).toEqual(Array(20).fill({ status: 200, size: layer.size }));
    expect(upstreamGets('library/many', layer.digest)).toBe(1);
  });

  test('scangate sync downloads, scans and tags an immediate remote\'s image, with a summary per tag', async () => {
    const result = await runScangateCli([
      'sync', 'pre', '--data', scangate.dataDir, '--clamd', clamd.tcpAddress,
      '--remote', `pre=${front.url},policy=immediate`, '--repository', 'library/clean', '--tag', 'v1',
    ]);
    expect(result.stdout).toContain(`pre/library/clean:v1 synced ${images.clean.manifest.digest}`);
    expect(result.stdout).toContain('sync: 1 synced, 0 refused, 0 errors');
    // The serving process sees the synced image as an ordinary local repository.
    await expectIdentical(await pull('pre/library/clean'), images.clean);
  });

  test('with the upstream stopped, the cached image still pulls; an uncached one says the upstream is down', async () => {
    await front.stop();
    await expectIdentical(await pull('hub/library/clean'), images.clean);
    const failure = await toolFailure(pull('hub/library/never'));
    expect(failure).toBeInstanceOf(ToolError);
    expect(failure!.message).toMatch(/cannot be reached|503|unavailable/i);
  });
});
