// What happens to an object once it is judged: tagged with its status (always, unless it is
// deleted), or, when infected and the config says so, deleted or moved to a quarantine bucket
// (copied, the copy tagged, then the original deleted).
//
// In an unversioned bucket a key can be overwritten at any moment, and S3 has no conditional
// tagging or delete there: a tag meant for the scanned upload could land on the next one. So
// before deleting, and around setting `clean`, the object's ETag is checked again; a change
// throws ObjectChangedError and the caller handles the version that is there now (re-tagging
// it within milliseconds). In a versioned bucket every call names the exact version, and no
// check is needed: docs/buckets.md recommends versioning for that reason.
import type { OnInfected } from '../config/bucket-schema.js';
import { ObjectChangedError, ObjectGoneError, type BucketObjects, type ObjectVersion } from './s3-objects.js';
import { mergeScanTags, type ScanTagValues } from './scan-tags.js';

export type TakenAction =
  | { action: 'tagged' }
  | { action: 'deleted' }
  | { action: 'quarantined'; to: { bucket: string; key: string } };

export class ObjectActions {
  constructor(
    private readonly objects: BucketObjects,
    private readonly onInfected: OnInfected,
  ) {}

  async apply(version: ObjectVersion, values: ScanTagValues): Promise<TakenAction> {
    if (values.status === 'infected' && this.onInfected.action === 'delete') {
      await this.deleteIfUnchanged(version);
      return { action: 'deleted' };
    }
    if (values.status === 'infected' && this.onInfected.action === 'quarantine') {
      // Under the source bucket's name: several watched buckets may share one quarantine.
      const to = { bucket: this.onInfected.bucket, key: `${version.bucket}/${version.key}` };
      await this.objects.copy(version, to);
      await this.setTags({ ...to, etag: version.etag }, values);
      await this.deleteIfUnchanged(version);
      return { action: 'quarantined', to };
    }
    await this.tag(version, values);
    return { action: 'tagged' };
  }

  /** Sets the scan tags on exactly this version, or throws ObjectChangedError. */
  async tag(version: ObjectVersion, values: ScanTagValues): Promise<void> {
    // `clean` is what opens the object to readers: checked just before too, so that an
    // upload made during the scan meets the gap of one round trip, not of the whole scan.
    if (!version.versionId && values.status === 'clean') await this.checkUnchanged(version);
    await this.setTags(version, values);
    if (!version.versionId) await this.checkUnchanged(version);
  }

  private async setTags(version: ObjectVersion, values: ScanTagValues): Promise<void> {
    const existing = await this.objects.tags(version);
    await this.objects.putTags(version, mergeScanTags(existing, values));
  }

  private async deleteIfUnchanged(version: ObjectVersion): Promise<void> {
    if (!version.versionId) await this.checkUnchanged(version);
    await this.objects.delete(version);
  }

  private async checkUnchanged(version: ObjectVersion): Promise<void> {
    const now = await this.objects.head(version.bucket, version.key);
    if (!now) throw new ObjectGoneError(version.bucket, version.key);
    if (now.etag !== version.etag) throw new ObjectChangedError(version, now.etag);
  }
}
