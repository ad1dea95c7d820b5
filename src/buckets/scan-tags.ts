// The tags scangate sets on a scanned object: `scan-status` (what a bucket policy reads),
// `scanned-at` and `scanner`. S3 replaces an object's whole tag set on every PutObjectTagging,
// so the object's other tags are kept and only these three are set; any the uploader set
// themselves (a `scan-status: clean` sent with the upload, say) are overwritten.
import type { Tag } from './s3-objects.js';

export type ScanStatus = 'clean' | 'infected' | 'error' | 'too-large';

export const scanTagKeys = { status: 'scan-status', at: 'scanned-at', scanner: 'scanner' } as const;

/** S3's limit on tags per object. */
export const maxTagsPerObject = 10;
const maxTagValueLength = 256;

export class TooManyTagsError extends Error {
  constructor(count: number) {
    super(`the object has ${count} tags of its own: with scangate's 3 that passes S3's limit of ${maxTagsPerObject}`);
    this.name = 'TooManyTagsError';
  }
}

export interface ScanTagValues {
  status: ScanStatus;
  at: Date;
  /** e.g. `clamav=ClamAV 1.4.6/27000`; empty when nothing scanned (too-large). */
  scanner: string;
}

/** The object's tags with scangate's three set; throws TooManyTagsError past S3's limit. */
export function mergeScanTags(existing: readonly Tag[], values: ScanTagValues): Tag[] {
  const ours = new Set<string>(Object.values(scanTagKeys));
  const kept = existing.filter((t) => t.Key !== undefined && !ours.has(t.Key));
  const set: Tag[] = [
    { Key: scanTagKeys.status, Value: values.status },
    { Key: scanTagKeys.at, Value: values.at.toISOString() },
    ...(values.scanner ? [{ Key: scanTagKeys.scanner, Value: tagValue(values.scanner) }] : []),
  ];
  if (kept.length + set.length > maxTagsPerObject) throw new TooManyTagsError(kept.length);
  return [...kept, ...set];
}

/** Who scanned, as one tag value: `name=engine/db` per scanner, space-separated. */
export function scannerTagText(scans: readonly { scanner: string; engine: string }[]): string {
  return scans.map((s) => `${s.scanner}=${s.engine}`).join(' ');
}

/** S3 allows letters, digits, spaces and `+ - = . _ : / @` in tag values, up to 256 characters. */
function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N}\p{Zs}+\-=._:/@]/gu, '_').slice(0, maxTagValueLength);
}
