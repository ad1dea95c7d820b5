// Where bucket results go: an AMQP exchange (config `publish`: exchange, routing key), or
// the log when nothing else is configured. The AMQP message is the result as JSON, persistent,
// with `type` bucket.object.scanned and a message id that names the object version, so a
// consumer can drop the duplicates at-least-once delivery may bring.
import type { Logger } from 'pino';
import type { BucketConfig } from '../config/bucket-schema.js';
import { AmqpLink } from './amqp-link.js';
import { bucketObjectScanned, type BucketResultPublisher, type BucketScanResult } from './result.js';

export class LogResultPublisher implements BucketResultPublisher {
  constructor(private readonly logger: Logger) {}

  async publish(result: BucketScanResult): Promise<void> {
    const level = result.status === 'clean' ? 'info' : 'warn';
    this.logger[level]({ result }, `s3://${result.bucket}/${result.key}: ${result.status}`);
  }

  async close(): Promise<void> {}
}

export type PublishConfig = NonNullable<BucketConfig['publish']>;

export class AmqpResultPublisher implements BucketResultPublisher {
  readonly #link: AmqpLink;
  #declared: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly config: PublishConfig,
    logger: Logger,
  ) {
    this.#link = new AmqpLink(url, logger);
  }

  async publish(result: BucketScanResult): Promise<void> {
    await this.#declare();
    const content = Buffer.from(JSON.stringify(result));
    await this.#link.publish(this.config.exchange, this.config.routingKey, content, {
      persistent: true,
      contentType: 'application/json',
      type: bucketObjectScanned,
      messageId: `${result.bucket}/${result.key}@${result.etag}#${result.status}`,
      timestamp: Math.floor(Date.now() / 1000),
    });
  }

  async close(): Promise<void> {
    await this.#link.close();
  }

  /** Declares the exchange once per channel (the default exchange, '', needs none). */
  #declare(): Promise<void> {
    if (this.config.exchange === '') return Promise.resolve();
    this.#declared ??= this.#link
      .confirmChannel()
      .then(async (channel) => {
        await channel.assertExchange(this.config.exchange, this.config.exchangeType, { durable: true });
        channel.once('close', () => (this.#declared = undefined));
      })
      .catch((err: unknown) => {
        this.#declared = undefined;
        throw err;
      });
    return this.#declared;
  }
}

/** The publisher a bucket's config asks for. */
export function resultPublisherFor(bucket: BucketConfig, logger: Logger): BucketResultPublisher {
  const publish = bucket.publish;
  if (!publish) return new LogResultPublisher(logger);
  return new AmqpResultPublisher(publish.url ?? bucket.amqp!.url, publish, logger);
}
