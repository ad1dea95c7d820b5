// Debian's clamav-testfiles (clam.exe hidden in archives, packers, documents and mail),
// each pushed as the one layer of an image, against a clamd with a signature made from
// clam.exe: every push is refused and no layer is ever served.
//
// A layer wraps each file in two more archive levels (gzip, tar). clam_cache_emax.tgz is
// built to sit at the edge of clamd's own default MaxRecursion (17): inside a layer clamd
// stops at the limit (Heuristics.Limits.Exceeded.MaxRecursion) before it reaches clam.exe.
// scangate's clamd config therefore allows 20 levels, which finds it; the last test sets
// clamd's default back and checks the gate makes the limit a final error (`failed`: the
// push is refused and nothing is served).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clamTestFilesDir } from '../../src/scanners/clamd/test-signatures.js';
import { startClamd, type RunningClamd } from '../support/clamd.js';
import { buildFileImages, type FileImage } from '../support/file-images.js';
import { AdminClient, mapLimit, probeBlob, probeManifest, scanCounts } from '../support/gate.js';
import { startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { Skopeo, toolFailure } from '../support/tools.js';

const pushesAtOnce = 4;

describe('gate: clamav-testfiles', () => {
  let work: TempDir;
  let clamd: RunningClamd;
  let scangate: RunningRegistry;
  let names: string[];
  let images: FileImage[];

  beforeAll(async () => {
    work = await makeTempDir('e2e-gate-testfiles');
    names = (await readdir(clamTestFilesDir)).sort();
    // Tags are the file names made tag-safe; each image has the file as its only layer.
    const specs = names.map((name, i) => ({
      tag: `t${i}-${name.replace(/[^\w.-]/g, '_')}`.slice(0, 120),
      files: [{ source: join(clamTestFilesDir, name), pathInImage: `/malware/${name}` }],
    }));
    images = await buildFileImages(work.join('layout'), specs);
    clamd = await startClamd({ clamExe: true });
    scangate = await startScangate({ scan: ['--clamd', clamd.tcpAddress] });
  }, 180_000);

  afterAll(async () => {
    await scangate?.stop();
    await clamd?.dispose();
    await work?.remove();
  });

  test('every file pushed as a layer is refused, with its layer and a signature named', async () => {
    expect(names.length).toBeGreaterThanOrEqual(44);
    const failures = await mapLimit(images, pushesAtOnce, async (image) => {
      // A blob-info cache per push: none may skip an upload on another push's account.
      const skopeo = new Skopeo({ cacheDir: work.join('cache', image.tag) });
      const pushed = skopeo.copy(`oci:${work.join('layout')}:${image.tag}`, `docker://${scangate.host}/testfiles/${image.tag.toLowerCase()}:v1`);
      return (await toolFailure(pushed))?.message ?? `${image.tag}: accepted`;
    });
    for (const [i, image] of images.entries()) {
      expect(failures[i], image.tag).toMatch(new RegExp(`malware found in layer 1 ${image.layers[0]!.digest}: \\S+ \\(found by clamd\\)`));
    }
    expect((await scanCounts(scangate.url)).infected).toBe(images.length);
  }, 150_000);

  test('no layer is servable: every blob GET is 403 DENIED and every state infected', async () => {
    const admin = await AdminClient.open(scangate.url, scangate.dataDir);
    for (const image of images) {
      const layer = image.layers[0]!.digest;
      const probe = await probeBlob(scangate.url, `testfiles/${image.tag.toLowerCase()}`, layer);
      expect({ tag: image.tag, status: probe.status, code: probe.error?.code }).toEqual({ tag: image.tag, status: 403, code: 'DENIED' });
      expect((await admin.report(layer))?.state.state, image.tag).toBe('infected');
    }
  });

  test("at clamd's own default MaxRecursion the too-deep layer ends failed: push refused, never served", async () => {
    const image = images.find((i) => i.tag.endsWith('clam_cache_emax.tgz'))!;
    const layer = image.layers[0]!.digest;
    const shallow = await startClamd({ clamExe: true, extra: { MaxRecursion: 17 } });
    const gate = await startScangate({ scan: ['--clamd', shallow.tcpAddress] });
    try {
      const skopeo = new Skopeo({ cacheDir: work.join('cache-emax') });
      const repository = 'testfiles/emax';
      const push = await toolFailure(skopeo.copy(`oci:${work.join('layout')}:${image.tag}`, `docker://${gate.host}/${repository}:v1`));
      expect(push?.message).toMatch(/could not be scanned.*Heuristics\.Limits\.Exceeded\.MaxRecursion/s);
      const admin = await AdminClient.open(gate.url, gate.dataDir);
      const state = await admin.decided(layer, 30_000);
      expect(state).toMatchObject({ state: 'failed', reason: expect.stringMatching(/Heuristics\.Limits\.Exceeded\.MaxRecursion/) });
      expect((await probeBlob(gate.url, repository, layer)).status).toBe(403);
      expect((await probeManifest(gate.url, repository, 'v1')).status).toBe(404);
    } finally {
      await gate.stop();
      await shallow.dispose();
    }
  });
});
