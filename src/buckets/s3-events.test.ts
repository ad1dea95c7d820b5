import { describe, expect, it } from 'vitest';
import { decodeEventKey, encodeEventKey, parseNotification } from './s3-events.js';

/** One record as AWS documents it (event structure, version 2.1). */
function awsRecord(overrides: { eventName?: string; key?: string; bucket?: string; eTag?: string; versionId?: string } = {}) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-west-2',
    eventTime: '1970-01-01T00:00:00.000Z',
    eventName: overrides.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: 'AIDAJDPLRKLG7UEXAMPLE' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'testConfigRule',
      bucket: { name: overrides.bucket ?? 'uploads', ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: 'arn:aws:s3:::uploads' },
      object: {
        key: overrides.key ?? 'HappyFace.jpg',
        size: 1024,
        eTag: overrides.eTag ?? 'd41d8cd98f00b204e9800998ecf8427e',
        ...(overrides.versionId !== undefined ? { versionId: overrides.versionId } : {}),
        sequencer: '0055AED6DCD90281E5',
      },
    },
  };
}

describe('parseNotification', () => {
  it('reads AWS object-created records, keys decoded', () => {
    const body = Buffer.from(JSON.stringify({ Records: [awsRecord({ key: 'photos/my+holiday%2B2024%C3%BC.jpg', versionId: '096fKKXTRRtIp' })] }));
    expect(parseNotification(body)).toEqual({
      kind: 'objects',
      created: [
        {
          eventName: 'ObjectCreated:Put',
          bucket: 'uploads',
          key: 'photos/my holiday+2024ü.jpg',
          size: 1024,
          etag: 'd41d8cd98f00b204e9800998ecf8427e',
          versionId: '096fKKXTRRtIp',
          sequencer: '0055AED6DCD90281E5',
        },
      ],
      ignored: [],
    });
  });

  it('reads MinIO messages (EventName and Key at the top) and ignores removals and tagging', () => {
    const minio = {
      EventName: 's3:ObjectCreated:Put',
      Key: 'uploads/a.txt',
      Records: [
        awsRecord({ eventName: 's3:ObjectCreated:CompleteMultipartUpload', key: 'a.txt', eTag: '"abc-3"', versionId: 'null' }),
        awsRecord({ eventName: 's3:ObjectCreated:PutTagging', key: 'a.txt' }),
        awsRecord({ eventName: 's3:ObjectRemoved:Delete', key: 'b.txt' }),
      ],
    };
    const parsed = parseNotification(JSON.stringify(minio));
    expect(parsed).toMatchObject({ kind: 'objects', ignored: ['s3:ObjectCreated:PutTagging', 's3:ObjectRemoved:Delete'] });
    expect(parsed.kind === 'objects' && parsed.created).toEqual([
      { eventName: 's3:ObjectCreated:CompleteMultipartUpload', bucket: 'uploads', key: 'a.txt', size: 1024, etag: 'abc-3', sequencer: '0055AED6DCD90281E5' },
    ]);
  });

  it("recognises AWS's test event", () => {
    expect(parseNotification('{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-01-01T00:00:00.000Z","Bucket":"uploads"}')).toEqual({ kind: 'test' });
  });

  it('calls anything else invalid, saying why', () => {
    expect(parseNotification('garbage{')).toEqual({ kind: 'invalid', reason: 'not JSON' });
    expect(parseNotification('{"Records":[]}')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('Records') });
    expect(parseNotification({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: {} } }] })).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('s3.bucket.name') });
    expect(parseNotification(JSON.stringify({ Records: [awsRecord({ key: 'bad%zz' })] }))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('URL-encoded') });
  });
});

describe('event keys', () => {
  it('round-trip the way AWS encodes them', () => {
    for (const key of ['a.txt', 'dir/sub dir/file name.txt', 'a+b=c&d?.txt', 'ü/日本.bin', '100%.txt']) {
      expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    }
    expect(encodeEventKey('dir/a b+c.txt')).toBe('dir/a+b%2Bc.txt');
  });
});
