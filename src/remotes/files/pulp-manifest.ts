// PULP_MANIFEST: the index of a file source as Pulp's file plugin publishes and syncs it, one
// line per file, `relative_path,sha256,size` (blank lines and lines starting with `#` are
// skipped). It is what lets a file remote know a file's digest before downloading it: bytes
// that do not hash to it are never stored or served, and a path it does not list is not there.
//
// A path may itself hold commas, so the sha256 and the size are taken as the last two fields.
// A line that is not well formed, or whose path the file store would refuse, is left out (and
// reported): its file is then unknown, never served unverified. So is a path listed twice with
// different digests, as nobody can tell which one is meant.
import type { Digest } from '../../domain/digest.js';
import { filePathProblem } from '../../domain/file-paths.js';

export interface ManifestEntry {
  /** Relative to the manifest's directory; also the file's path under the remote. */
  path: string;
  digest: Digest;
  size: number;
}

/** Up to `n` entries sorted by path (UTF-8 byte order), after `last`, under `prefix`: as FileStore.list pages. */
export interface ManifestPage {
  n: number;
  last?: string;
  prefix?: string;
}

const sha256Hex = /^[0-9a-fA-F]{64}$/;
const decimal = /^\d{1,15}$/;

export class PulpManifest {
  private readonly byPath: Map<string, ManifestEntry>;
  /** Sorted by path, as listings are. */
  private readonly sorted: ManifestEntry[];

  private constructor(
    entries: ManifestEntry[],
    /** Lines left out, each with its number and why (for the log). */
    readonly problems: string[],
  ) {
    this.byPath = new Map(entries.map((entry) => [entry.path, entry]));
    this.sorted = entries
      .map((entry) => ({ entry, key: Buffer.from(entry.path) }))
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .map(({ entry }) => entry);
  }

  static parse(text: string): PulpManifest {
    const entries = new Map<string, ManifestEntry>();
    const conflicting = new Set<string>();
    const problems: string[] = [];
    for (const [index, raw] of text.split('\n').entries()) {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '' || line.startsWith('#')) continue;
      const parsed = parseLine(line);
      if (typeof parsed === 'string') {
        problems.push(`line ${index + 1}: ${parsed}`);
        continue;
      }
      const earlier = entries.get(parsed.path);
      if (earlier && earlier.digest !== parsed.digest) {
        conflicting.add(parsed.path);
        problems.push(`line ${index + 1}: ${parsed.path} is listed again with another sha256; it is left out`);
      }
      entries.set(parsed.path, parsed);
    }
    for (const path of conflicting) entries.delete(path);
    return new PulpManifest([...entries.values()], problems);
  }

  get(path: string): ManifestEntry | undefined {
    return this.byPath.get(path);
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Every entry, sorted by path. */
  entries(): readonly ManifestEntry[] {
    return this.sorted;
  }

  page(page: ManifestPage): ManifestEntry[] {
    const { n, last, prefix = '' } = page;
    // The first path after `last` that can be under the prefix.
    const start = Math.max(last === undefined ? 0 : this.firstIndex(last, true), this.firstIndex(prefix, false));
    const found: ManifestEntry[] = [];
    for (let i = start; i < this.sorted.length && found.length < n; i++) {
      const entry = this.sorted[i]!;
      if (entry.path.startsWith(prefix)) found.push(entry);
      else if (byteOrder(entry.path, prefix) > 0) break; // past every path under the prefix
    }
    return found;
  }

  /** Index of the first entry whose path sorts after `path` (or at it, unless `after`): a binary search. */
  private firstIndex(path: string, after: boolean): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const order = byteOrder(this.sorted[mid]!.path, path);
      if (order < 0 || (after && order === 0)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** One line as an entry, or why it is not one. */
function parseLine(line: string): ManifestEntry | string {
  const sizeAt = line.lastIndexOf(',');
  const digestAt = sizeAt > 0 ? line.lastIndexOf(',', sizeAt - 1) : -1;
  if (digestAt <= 0) return 'expected relative_path,sha256,size';
  const path = line.slice(0, digestAt);
  const hex = line.slice(digestAt + 1, sizeAt).trim();
  const size = line.slice(sizeAt + 1).trim();
  if (!sha256Hex.test(hex)) return `${JSON.stringify(hex)} is not a sha256 (64 hexadecimal digits)`;
  if (!decimal.test(size)) return `${JSON.stringify(size)} is not a size in bytes`;
  const problem = filePathProblem(path.split('/'));
  if (problem !== undefined) return `path ${JSON.stringify(path)} is refused: ${problem}`;
  return { path, digest: `sha256:${hex.toLowerCase()}` as Digest, size: Number(size) };
}

/** UTF-8 byte order, as the file store sorts paths (not UTF-16 code units, as `<` does). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
