// Stores a small, already-in-memory byte string (a manifest, a config) as a blob: the same
// staged write and verified commit as any upload, cancelled if anything fails.
import type { Digest } from '../domain/digest.js';
import type { BlobInfo, BlobStore } from '../ports/blob-store.js';

export async function putBlobBytes(store: BlobStore, bytes: Uint8Array, expected: Digest): Promise<BlobInfo> {
  const upload = await store.createUpload();
  try {
    await upload.append(oneChunk(bytes));
    return await upload.commit(expected);
  } catch (err) {
    await upload.cancel().catch(() => {}); // the original error is the one worth reporting
    throw err;
  }
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
