// The few S3 calls bucket scanning makes, over @aws-sdk/client-s3, with S3's answers turned
// into what the scanner needs to know: the object is gone (NoSuchKey), or it is no longer the
// version that was asked for (another ETag: overwritten). Works with AWS, MinIO, Ceph and
// s3rver: path-style addressing by config, and checksums only where an operation requires one
// (`WHEN_REQUIRED`: otherwise the SDK frames streamed bodies in ways some servers store as is).
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectTaggingCommand,
  S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import type { BucketConfig } from '../config/bucket-schema.js';
import { unquoteEtag } from './s3-events.js';

export type { Tag };

/** What HeadObject says about the current version of an object. */
export interface ObjectHead {
  /** Without quotes. */
  etag: string;
  size: number;
  /** Set in versioned buckets: then every call below names exactly this version. */
  versionId?: string;
  /** Hex SHA-256 of the whole object, when it was uploaded with a full-object SHA-256 checksum. */
  sha256?: string;
  contentType?: string;
}

/** One version of one object, as the calls below take it. */
export interface ObjectVersion {
  bucket: string;
  key: string;
  etag: string;
  versionId?: string;
}

export interface ListedObject {
  key: string;
  etag: string;
  size: number;
}

/** The object does not exist (any more). */
export class ObjectGoneError extends Error {
  constructor(bucket: string, key: string) {
    super(`s3://${bucket}/${key} no longer exists`);
    this.name = 'ObjectGoneError';
  }
}

/** The object is not the version that was asked for any more: it was overwritten. */
export class ObjectChangedError extends Error {
  constructor(version: ObjectVersion, found: string | undefined) {
    super(`s3://${version.bucket}/${version.key} changed while it was handled (ETag ${version.etag}, now ${found ?? 'unknown'})`);
    this.name = 'ObjectChangedError';
  }
}

export interface BucketObjects {
  head(bucket: string, key: string): Promise<ObjectHead | undefined>;
  /** The object's bytes, refused unless they are still `version`. */
  open(version: ObjectVersion, signal?: AbortSignal): Promise<Readable>;
  tags(version: ObjectVersion): Promise<Tag[]>;
  /** Replaces the whole tag set (S3 has no merge). */
  putTags(version: ObjectVersion, tags: Tag[]): Promise<void>;
  delete(version: ObjectVersion): Promise<void>;
  /** Copies `from` (only if it is still that version) to `to`. */
  copy(from: ObjectVersion, to: { bucket: string; key: string }): Promise<void>;
  list(bucket: string, prefix: string, continuationToken?: string): Promise<{ objects: ListedObject[]; next?: string }>;
  close(): void;
}

export class S3BucketObjects implements BucketObjects {
  readonly #client: S3Client;

  constructor(config: BucketConfig['s3']) {
    quietSdkNodeVersionNotice();
    this.#client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
        : {}),
    });
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
      if (head.ETag === undefined) throw new Error(`HeadObject s3://${bucket}/${key} answered without an ETag`);
      const sha256 = fullObjectSha256(head.ChecksumSHA256, head.ChecksumType);
      return {
        etag: unquoteEtag(head.ETag),
        size: head.ContentLength ?? 0,
        ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}),
        ...(sha256 ? { sha256 } : {}),
        ...(head.ContentType ? { contentType: head.ContentType } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async open(version: ObjectVersion, signal?: AbortSignal): Promise<Readable> {
    try {
      const got = await this.#client.send(
        new GetObjectCommand({ ...where(version), IfMatch: `"${version.etag}"` }),
        signal ? { abortSignal: signal } : {},
      );
      const body = got.Body as Readable | undefined;
      // Not every S3 server honours If-Match (s3rver does not): check what came back too.
      if (got.ETag === undefined || unquoteEtag(got.ETag) !== version.etag) {
        body?.destroy();
        throw new ObjectChangedError(version, got.ETag && unquoteEtag(got.ETag));
      }
      if (!body) throw new Error(`GetObject s3://${version.bucket}/${version.key} answered without a body`);
      return body;
    } catch (err) {
      throw translate(err, version);
    }
  }

  async tags(version: ObjectVersion): Promise<Tag[]> {
    try {
      return (await this.#client.send(new GetObjectTaggingCommand(where(version)))).TagSet ?? [];
    } catch (err) {
      throw translate(err, version);
    }
  }

  async putTags(version: ObjectVersion, tags: Tag[]): Promise<void> {
    try {
      await this.#client.send(new PutObjectTaggingCommand({ ...where(version), Tagging: { TagSet: tags } }));
    } catch (err) {
      throw translate(err, version);
    }
  }

  async delete(version: ObjectVersion): Promise<void> {
    await this.#client.send(new DeleteObjectCommand(where(version)));
  }

  async copy(from: ObjectVersion, to: { bucket: string; key: string }): Promise<void> {
    const source = `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: to.bucket,
          Key: to.key,
          CopySource: from.versionId ? `${source}?versionId=${encodeURIComponent(from.versionId)}` : source,
          CopySourceIfMatch: `"${from.etag}"`,
        }),
      );
    } catch (err) {
      throw translate(err, from);
    }
  }

  async list(bucket: string, prefix: string, continuationToken?: string): Promise<{ objects: ListedObject[]; next?: string }> {
    const page = await this.#client.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), ...(continuationToken ? { ContinuationToken: continuationToken } : {}) }),
    );
    const objects = (page.Contents ?? []).flatMap((o) => (o.Key !== undefined && o.ETag !== undefined ? [{ key: o.Key, etag: unquoteEtag(o.ETag), size: o.Size ?? 0 }] : []));
    return { objects, ...(page.IsTruncated && page.NextContinuationToken ? { next: page.NextContinuationToken } : {}) };
  }

  close(): void {
    this.#client.destroy();
  }
}

/**
 * scangate runs on Node 20 on purpose; the SDK's notice that its later releases will want
 * Node 22 would otherwise be printed at every start. Call before the first S3Client.
 */
export function quietSdkNodeVersionNotice(): void {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
}

function where(version: ObjectVersion) {
  return { Bucket: version.bucket, Key: version.key, ...(version.versionId ? { VersionId: version.versionId } : {}) };
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchVersion' || statusOf(err) === 404;
}

/** S3's 404 and 412 in the terms above; anything else as it came. */
function translate(err: unknown, version: ObjectVersion): unknown {
  if (err instanceof ObjectChangedError || err instanceof ObjectGoneError) return err;
  if ((err as { name?: string } | null)?.name === 'NoSuchBucket') return err;
  if (isNotFound(err)) return new ObjectGoneError(version.bucket, version.key);
  if (statusOf(err) === 412 || (err as { name?: string } | null)?.name === 'PreconditionFailed') return new ObjectChangedError(version, undefined);
  return err;
}

/** The hex SHA-256 of the whole object, from a full-object checksum (a multipart one, `...-N`, is not). */
function fullObjectSha256(checksum: string | undefined, type: string | undefined): string | undefined {
  if (!checksum || type === 'COMPOSITE' || checksum.includes('-')) return undefined;
  const bytes = Buffer.from(checksum, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}
