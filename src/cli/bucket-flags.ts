// The quick-start flags of `scangate bucket watch`: one bucket watcher from the command line,
// added to those of the config file and validated by the same schema, so a bad flag stops the
// start with a message naming it.
import { bucketSchema, bucketsSchema, type BucketConfig } from '../config/bucket-schema.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';

export interface BucketFlags {
  bucket?: string;
  name?: string;
  amqp?: string;
  queue?: string;
  s3Endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  onInfected?: string;
  maxSize?: string;
  concurrency?: string;
  poll?: string;
  publishExchange?: string;
  publishRoutingKey?: string;
  reportClean?: boolean;
}

const units: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `1048576`, `100M`, `2GiB`... (binary units). */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * units[match[2]!.toLowerCase()]!;
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** The config with the flags' bucket added (the config unchanged when no bucket flag is given). */
export function withFlagBucket(config: Config, flags: BucketFlags): Config {
  const entry = flagBucket(flags);
  if (entry === undefined) return config;
  const buckets = bucketsSchema.safeParse([...config.buckets, entry]);
  if (!buckets.success) throw new ConfigError('--bucket', buckets.error.issues.map((i) => i.message));
  return { ...config, buckets: buckets.data };
}

function flagBucket(flags: BucketFlags): BucketConfig | undefined {
  const { bucket, ...others } = flags;
  if (bucket === undefined) {
    const given = Object.entries(others).filter(([, v]) => v !== undefined).map(([k]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (given.length > 0) throw new ConfigError(given[0]!, [`${given.join(', ')} need --bucket`]);
    return undefined;
  }
  const problems: string[] = [];
  const number = (flag: string, text: string | undefined, parse: (t: string) => number | undefined) => {
    if (text === undefined) return undefined;
    const value = parse(text);
    if (value === undefined) problems.push(`${flag}: ${JSON.stringify(text)} is not a valid value`);
    return value;
  };
  const positive = (t: string) => (/^\d+(\.\d+)?$/.test(t) && Number(t) > 0 ? Number(t) : undefined);
  const maxSizeBytes = number('--max-size', flags.maxSize, parseByteSize);
  const concurrency = number('--concurrency', flags.concurrency, (t) => (/^\d+$/.test(t) && Number(t) > 0 ? Number(t) : undefined));
  const pollSeconds = number('--poll', flags.poll, positive);
  if ((flags.amqp === undefined) !== (flags.queue === undefined)) problems.push('--amqp and --queue go together');
  if (flags.publishExchange === undefined && (flags.publishRoutingKey !== undefined || flags.reportClean)) problems.push('--publish-routing-key and --report-clean need --publish-exchange');
  const raw = {
    bucket,
    ...(flags.name ? { name: flags.name } : {}),
    s3: {
      ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : {}),
      ...(flags.region ? { region: flags.region } : {}),
      ...(flags.pathStyle ? { forcePathStyle: true } : {}),
      ...(flags.accessKeyId ? { accessKeyId: flags.accessKeyId } : {}),
      ...(flags.secretAccessKey ? { secretAccessKey: flags.secretAccessKey } : {}),
    },
    ...(flags.amqp && flags.queue ? { amqp: { url: flags.amqp, queue: flags.queue } } : {}),
    ...(pollSeconds !== undefined ? { poll: { intervalSeconds: pollSeconds } } : {}),
    ...(flags.onInfected ? { onInfected: flags.onInfected } : {}),
    ...(maxSizeBytes !== undefined ? { maxSizeBytes } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(flags.publishExchange !== undefined
      ? { publish: { exchange: flags.publishExchange, ...(flags.publishRoutingKey !== undefined ? { routingKey: flags.publishRoutingKey } : {}), reportClean: flags.reportClean ?? false } }
      : {}),
  };
  const parsed = bucketSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join('.') || 'bucket'}: ${i.message}`));
  if (problems.length > 0 || !parsed.success) throw new ConfigError('--bucket', problems);
  return parsed.data;
}
