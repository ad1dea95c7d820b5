import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { parseByteSize, withFlagBucket } from './bucket-flags.js';

const base = configSchema.parse({});

describe('bucket watch flags', () => {
  it('make one bucket watcher, with the defaults of the config schema', () => {
    const config = withFlagBucket(base, {
      bucket: 'uploads',
      amqp: 'amqp://guest:guest@127.0.0.1:5672',
      queue: 'uploads-events',
      s3Endpoint: 'http://127.0.0.1:9000',
      pathStyle: true,
      onInfected: 'quarantine:uploads-quarantine',
      maxSize: '512M',
      publishExchange: 'scangate',
      reportClean: true,
    });
    expect(config.buckets).toEqual([
      {
        bucket: 'uploads',
        s3: { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true },
        amqp: { url: 'amqp://guest:guest@127.0.0.1:5672', queue: 'uploads-events' },
        onInfected: 'quarantine:uploads-quarantine',
        maxSizeBytes: 512 * 1024 * 1024,
        concurrency: 2,
        retry: { maxAttempts: 5, baseSeconds: 5, capSeconds: 300 },
        publish: { exchange: 'scangate', exchangeType: 'topic', routingKey: 'bucket.object.scanned', reportClean: true },
        cacheByEtag: true,
      },
    ]);
    expect(withFlagBucket(base, {})).toBe(base);
  });

  it('stop the start with a message naming what is wrong', () => {
    const problems = (flags: Parameters<typeof withFlagBucket>[1]) => {
      try {
        withFlagBucket(base, flags);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error('no error');
    };
    expect(problems({ queue: 'q' })).toMatch(/--queue need --bucket/);
    expect(problems({ bucket: 'b' })).toMatch(/a source of events: amqp, webhook or poll/);
    expect(problems({ bucket: 'b', amqp: 'amqp://h' })).toMatch(/--amqp and --queue go together/);
    expect(problems({ bucket: 'b', poll: '60', onInfected: 'burn' })).toMatch(/onInfected: expected delete, tag or quarantine:BUCKET/);
    expect(problems({ bucket: 'b', poll: '60', onInfected: 'quarantine:b' })).toMatch(/another bucket/);
    expect(problems({ bucket: 'b', poll: 'often', maxSize: 'huge' })).toMatch(/--max-size: "huge".*--poll: "often"|--poll: "often".*--max-size: "huge"/);
  });

  it('read sizes in binary units', () => {
    expect(parseByteSize('1048576')).toBe(1048576);
    expect(parseByteSize('64K')).toBe(65536);
    expect(parseByteSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('1.5G')).toBeUndefined();
    expect(parseByteSize('0')).toBeUndefined();
  });
});
