// `scangate fsck` as an operator runs it, on a data directory holding a file of the file
// store (written through the same composition the server uses): its bytes count as
// referenced, and once they rot on disk the entry is named as a fault, with exit 1.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScangate } from '../../test/support/run-scangate.js';
import { composeMigrated } from '../compose.js';
import { configSchema } from '../config/schema.js';
import { digestBytes, type Digest } from '../domain/digest.js';
import { putBlobBytes } from '../storage/put-bytes.js';

let dir: string;
let digest: Digest;
const content = 'a release tarball, as far as fsck can tell';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-fsck-cli-'));
  const services = await composeMigrated(configSchema.parse({ data: dir, storage: { driver: 'filesystem', fsync: false } }));
  try {
    const bytes = new TextEncoder().encode(content);
    digest = digestBytes(bytes);
    await putBlobBytes(services.blobs, bytes, digest);
    await services.files.put({ repository: 'team/dist', path: 'releases/app.tar.gz', digest, size: bytes.length, mediaType: 'application/gzip' });
  } finally {
    await services.close();
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const fsck = (...args: string[]) => runScangate(['fsck', '--data', dir, '--log-level', 'warn', ...args]);

describe('scangate fsck with file entries', () => {
  it('checks them and counts their bytes as referenced', async () => {
    const run = await fsck('--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ faults: [], blobsChecked: 1, filesChecked: 1, unreferencedBlobs: 0 });
    const text = await fsck();
    expect(text.stdout).toMatch(/^fsck: no faults; checked 1 blob .*, 0 blob links, 0 manifests, 1 file in /m);
    expect(text.stdout).not.toContain('unreferenced');
  });

  it('names an entry whose bytes rotted, by its URL, and exits 1', async () => {
    const hex = digest.slice('sha256:'.length);
    await writeFile(join(dir, 'blobs', 'blobs', 'sha256', hex.slice(0, 2), hex), content.toUpperCase());
    const run = await fsck();
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain(`file-corrupt ${digest} at /files/team/dist/-/releases/app.tar.gz: file content does not hash to its digest`);
  });
});
