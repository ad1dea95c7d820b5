// scangate killed with SIGKILL, even in the middle of an upload, restarts on the same data
// dir with everything it acknowledged intact; SIGTERM exits 0; fsck finds no fault.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildImage, manifestOfTag, type BuiltImage } from '../support/images.js';
import { blobFingerprint } from '../support/oci-layout.js';
import { runScangateCli, startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { Skopeo } from '../support/tools.js';

const MiB = 1024 * 1024;

describe('scangate restart', () => {
  let work: TempDir;
  let skopeo: Skopeo;
  let image: BuiltImage;
  /** The first process; its stop() removes the data dir that the restarts share. */
  let first: RunningRegistry;

  beforeAll(async () => {
    work = await makeTempDir('e2e-restart');
    skopeo = new Skopeo({ cacheDir: work.join('skopeo-cache') });
    image = await buildImage(work.join('layout'), work.join('scratch'), { tag: 'base', layerSizes: [4096, 2 * MiB] });
    first = await startScangate();
  });

  afterAll(async () => {
    await first?.stop();
    await work?.remove();
  });

  /** Streams random bytes into a new upload and SIGKILLs the server after `killAfter` bytes. */
  async function killDuringUpload(registry: RunningRegistry, killAfter: number): Promise<void> {
    const start = await request(`${registry.url}/v2/e2e/crash/blobs/uploads/`, { method: 'POST' });
    await start.body.dump();
    expect(start.statusCode).toBe(202);
    async function* body() {
      for (let sent = 0; ; sent += MiB) {
        if (sent >= killAfter) {
          await registry.kill();
          return;
        }
        yield randomBytes(MiB);
      }
    }
    const patch = request(new URL(String(start.headers.location), registry.url), {
      method: 'PATCH',
      body: Readable.from(body()),
      headers: { 'content-type': 'application/octet-stream' },
    });
    await expect(patch).rejects.toThrow();
  }

  test('after SIGKILL mid-upload a restart serves every pushed image and fsck finds no fault', async () => {
    const reference = `docker://${first.host}/e2e/survivor:v1`;
    await skopeo.copy(`oci:${image.layout}:base`, reference);
    await killDuringUpload(first, 8 * MiB);

    const second = await startScangate({ dataDir: first.dataDir });
    const back = work.join('back');
    await skopeo.copy(`docker://${second.host}/e2e/survivor:v1`, `oci:${back}:v1`);
    expect((await manifestOfTag(back, 'v1')).digest).toBe(image.manifest.digest);
    expect(await blobFingerprint(back)).toEqual(await blobFingerprint(image.layout));

    const status = await second.stop();
    expect(status, `scangate exit on SIGTERM; logs:\n${second.logs()}`).toEqual({ code: 0, signal: null });

    const fsck = await runScangateCli(['fsck', '--data', first.dataDir, '--json', '--log-level', 'warn']);
    const report = JSON.parse(fsck.stdout) as { faults: unknown[]; manifestsChecked: number };
    expect(report.faults).toEqual([]);
    expect(report.manifestsChecked).toBeGreaterThanOrEqual(1);
  });
});
