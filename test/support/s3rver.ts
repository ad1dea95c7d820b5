/// <reference path="./s3rver-module.d.ts" />
// A real S3 server for tests: s3rver (an S3 API in Node over a temp directory) on a free
// loopback port, with an AWS SDK client configured the way scangate's is, and its event
// records re-shaped the way AWS sends them (keys form-encoded) for a test to publish.
// s3rver's quirks (see ../../shared notes): x-amz-tagging on PutObject is ignored,
// DeleteObjectTagging is not implemented, If-Match is not checked.
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { BucketConfig } from '../../src/config/bucket-schema.js';
import { encodeEventKey } from '../../src/buckets/s3-events.js';
import { quietSdkNodeVersionNotice } from '../../src/buckets/s3-objects.js';
import { makeTempDir } from './temp-dir.js';

export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** One S3 event notification, as s3rver emits it (keys raw) or as AWS sends it (keys encoded). */
export interface S3Notification {
  Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string; eTag?: string; size?: number } } }[];
}

export interface RunningS3 {
  endpoint: string;
  client: S3Client;
  /** The `s3:` config of a bucket watcher on this server. */
  config: BucketConfig['s3'];
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: PutObjectCommandInput['Body']): Promise<{ etag: string; event: S3Notification }>;
  /** The object's tags as a plain map; undefined when the object does not exist. */
  tags(bucket: string, key: string): Promise<Record<string, string> | undefined>;
  exists(bucket: string, key: string): Promise<boolean>;
  stop(): Promise<void>;
}

/** A bucket name of its own per test (S3 names: lower case, 3-63 characters). */
export function uniqueBucket(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The notification AWS sends for a PUT (an ObjectCreated:Put record), from what the PUT returned. */
export function awsPutEvent(object: { bucket: string; key: string; etag: string; size: number }): S3Notification {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: object.bucket, arn: `arn:aws:s3:::${object.bucket}` },
          object: { key: encodeEventKey(object.key), size: object.size, eTag: object.etag, sequencer: Date.now().toString(16).toUpperCase() },
        },
      } as S3Notification['Records'][number],
    ],
  };
}

/** An S3 client for an s3rver at `endpoint`, configured as scangate's is. */
export function s3rverClient(endpoint: string): S3Client {
  quietSdkNodeVersionNotice();
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: s3rverCredentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** s3rver's record re-shaped as AWS sends it: the key form-encoded (`+` for space). */
export function awsShaped(event: S3Notification): S3Notification {
  return {
    Records: event.Records.map((r) => ({ ...r, s3: { ...r.s3, object: { ...r.s3.object, key: encodeEventKey(r.s3.object.key) } } })),
  };
}

export async function startS3rver(): Promise<RunningS3> {
  const dir = await makeTempDir('scangate-s3');
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir.path, silent: true });
  const events: S3Notification[] = [];
  server.on('event', (event: S3Notification) => events.push(event));
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const config: BucketConfig['s3'] = { endpoint, region: 'us-east-1', forcePathStyle: true, ...s3rverCredentials };
  const client = s3rverClient(endpoint);
  return {
    endpoint,
    client,
    config,
    createBucket: async (name) => void (await client.send(new CreateBucketCommand({ Bucket: name }))),
    put: async (bucket, key, body) => {
      const before = events.length;
      const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      // s3rver emits its event before it answers the PUT.
      const event = events.slice(before).find((e) => e.Records[0]?.s3.object.key === key && e.Records[0]?.s3.bucket.name === bucket);
      if (!event) throw new Error(`s3rver emitted no event for s3://${bucket}/${key}`);
      return { etag: put.ETag!.replace(/"/g, ''), event: awsShaped(event) };
    },
    tags: async (bucket, key) => {
      try {
        const { TagSet } = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
        return Object.fromEntries((TagSet ?? []).map((t) => [t.Key!, t.Value!]));
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    exists: async (bucket, key) => {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw err;
      }
    },
    stop: async () => {
      client.destroy();
      await server.close();
      await dir.remove();
    },
  };
}
