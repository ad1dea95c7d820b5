// `scangate bucket watch`: scans the new objects of S3 buckets from their event notifications
// (docs/buckets.md) until SIGTERM or SIGINT, then stops consuming, lets running scans finish
// and exits 0. The buckets come from `buckets:` in the config, plus one from the flags.
import { Command } from 'commander';
import type { ConfigFlags } from '../config/load.js';
import { withFlagBucket, type BucketFlags } from './bucket-flags.js';
import { runUntilSignalled } from './long-running.js';
import { withConfigOptions, withScannerOptions } from './options.js';

export function bucketCommand(): Command {
  return new Command('bucket').description('scan the objects of S3 buckets as they arrive (docs/buckets.md)').addCommand(watchCommand());
}

function watchCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('watch'), { listen: false }), { noScan: false })
    .description(
      'consume S3 event notifications (AWS, MinIO) and scan each new object: tag it scan-status=clean|infected|error|too-large, ' +
        'delete or quarantine infected ones, publish the results; SIGTERM finishes running scans and exits 0',
    )
    .option('--bucket <name>', 'the S3 bucket to watch (with the flags below; adds to buckets: of the config)')
    .option('--name <name>', 'names the watcher in logs and results (default the bucket)')
    .option('--amqp <url>', 'the AMQP broker its notifications are sent to, e.g. amqp://user:pass@host:5672')
    .option('--queue <name>', 'the queue they arrive in (declared durable, with QUEUE.retry and the dead-letter QUEUE.dead)')
    .option('--poll <seconds>', 'also list the bucket every SECONDS and handle what no event brought')
    .option('--s3-endpoint <url>', 'the S3 endpoint (MinIO, Ceph...); default AWS')
    .option('--region <region>', 'the S3 region (default us-east-1)')
    .option('--path-style', 'path-style addressing (ENDPOINT/BUCKET/KEY), as MinIO and Ceph want')
    .option('--access-key-id <id>', 'S3 credentials (default: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, instance roles)')
    .option('--secret-access-key <secret>', 'S3 secret key (prefer the AWS_SECRET_ACCESS_KEY environment variable: flags show in ps)')
    .option('--on-infected <action>', 'delete, tag, or quarantine:BUCKET (copy there, then delete) (default tag)')
    .option('--max-size <bytes>', 'objects larger than this are tagged too-large, never clean (e.g. 512M; default 1G)')
    .option('--concurrency <n>', 'objects handled at once (the AMQP prefetch; default 2)')
    .option('--publish-exchange <name>', 'publish each result as JSON to this exchange (declared durable, topic)')
    .option('--publish-routing-key <key>', 'the routing key of results (default bucket.object.scanned)')
    .option('--report-clean', 'publish clean results too (by default only infected, too-large and errors)')
    .action((options: ConfigFlags & BucketFlags) =>
      runUntilSignalled(options, async (config, logger) => {
        // Loaded here, not with the CLI: the S3 and AMQP clients cost ~15-25 MB of memory,
        // which every other command (serve included) would otherwise carry.
        const { startBucketWatch } = await import('../buckets/run.js');
        return startBucketWatch(withFlagBucket(config, options), logger);
      }),
    );
}
