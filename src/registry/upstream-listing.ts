// The listing of a file remote with a manifest: the files its manifest lists, each shown as the
// entry stored here when it was fetched (and kept), else by what the manifest says of it. Its
// scan state is its content's, by digest: a streamed file's bytes are never kept, but once
// scanned its verdict is known; content never scanned here is `unfetched`.
import type { Digest } from '../domain/digest.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { UpstreamFile } from './file-remote-source.js';
import type { FileListing, FileScanState } from './files.js';

/** A file the remote's manifest lists that is not stored here (not fetched yet, or streamed). */
export interface UpstreamListedFile {
  path: string;
  digest: Digest;
  size: number;
  scanState: FileScanState | 'unfetched';
}

/** What a listing shows of the stored entries' states (FileService's scan states). */
export type ScanStatesOf = (digests: readonly Digest[]) => Promise<{ of(digest: Digest): FileScanState }>;

/** A page of `n` from `rows` (one more than the page, when there may be a next page), with scan states. */
export async function listUpstream(rows: readonly UpstreamFile[], n: number, states: Pick<QuarantineStore, 'getStates'>, storedStates: ScanStatesOf): Promise<FileListing> {
  const page = rows.slice(0, n);
  const digests = page.map((file) => file.digest);
  const [known, stored] = await Promise.all([states.getStates(digests), storedStates(digests)]);
  const files = page.map((file) => {
    if (file.stored) return { ...file.stored, scanState: stored.of(file.digest) };
    return { path: file.path, digest: file.digest, size: file.size, scanState: known.get(file.digest)?.state ?? ('unfetched' as const) };
  });
  return rows.length > n ? { files, next: { n, last: page[page.length - 1]!.path } } : { files };
}
