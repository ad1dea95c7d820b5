// Where the filesystem blob store keeps things. Committed blobs live at
// ROOT/blobs/<alg>/<first two hex>/<hex> (two-hex fan-out keeps directories small);
// staged uploads at ROOT/uploads/<id>. Both trees are on one filesystem, so a commit
// is a single atomic rename from one to the other.
import { join } from 'node:path';
import { parseDigest, type Digest } from '../domain/digest.js';

// Upload ids come from crypto.randomUUID(); anything else (e.g. `../blobs/...`) is refused
// before it reaches a path.
const uploadIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUploadId(id: string): boolean {
  return uploadIdPattern.test(id);
}

export class FsLayout {
  readonly blobsDir: string;
  readonly uploadsDir: string;
  /** Infected blobs moved out of the servable tree, for admins (same filesystem: a rename). */
  readonly quarantineDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
    this.quarantineDir = join(root, 'quarantine');
  }

  blobPath(digest: Digest): string {
    return this.fannedOut(this.blobsDir, digest);
  }

  quarantinePath(digest: Digest): string {
    return this.fannedOut(this.quarantineDir, digest);
  }

  private fannedOut(dir: string, digest: Digest): string {
    const parsed = parseDigest(digest);
    if (!parsed) throw new TypeError(`not a supported digest: ${digest}`);
    return join(dir, parsed.algorithm, parsed.hex.slice(0, 2), parsed.hex);
  }

  uploadPath(id: string): string {
    if (!isUploadId(id)) throw new TypeError(`not an upload id: ${id}`);
    return join(this.uploadsDir, id);
  }
}
