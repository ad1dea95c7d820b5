// The queues and exchanges of one bucket's AMQP source, all durable:
//
//   QUEUE          the notifications (x-dead-letter-exchange: QUEUE.dead, so that what the
//                  broker itself dead-letters, past a TTL or length limit, lands there too)
//   QUEUE.retry    failed messages wait here for their backoff (per-message TTL), then the
//                  broker dead-letters them back to QUEUE through the default exchange
//   QUEUE.dead     a fanout exchange and its queue: poison messages, with the reason in
//                  the x-scangate-reason header
//
// Several workers (processes) may declare them at once: a declaration that matches is a no-op.
import type { Channel } from 'amqplib';
import type { BucketConfig } from '../config/bucket-schema.js';

export type AmqpSourceConfig = NonNullable<BucketConfig['amqp']>;

export interface AmqpTopology {
  queue: string;
  retryQueue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

export function topologyOf(config: AmqpSourceConfig): AmqpTopology {
  return {
    queue: config.queue,
    retryQueue: config.retryQueue ?? `${config.queue}.retry`,
    deadLetterExchange: config.deadLetterExchange ?? `${config.queue}.dead`,
    deadLetterQueue: config.deadLetterQueue ?? `${config.queue}.dead`,
  };
}

export async function declareTopology(channel: Channel, config: AmqpSourceConfig): Promise<AmqpTopology> {
  const t = topologyOf(config);
  try {
    await channel.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
    await channel.assertQueue(t.deadLetterQueue, { durable: true });
    await channel.bindQueue(t.deadLetterQueue, t.deadLetterExchange, '');
    await channel.assertQueue(t.queue, { durable: true, arguments: { 'x-dead-letter-exchange': t.deadLetterExchange } });
    await channel.assertQueue(t.retryQueue, { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': t.queue } });
    if (config.bind) {
      await channel.assertExchange(config.bind.exchange, config.bind.type, { durable: true });
      await channel.bindQueue(t.queue, config.bind.exchange, config.bind.routingKey);
    }
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const hint = /PRECONDITION_FAILED/.test(message)
      ? ` (a queue or exchange of that name exists with other settings: delete it, or name others in buckets[].amqp; ${t.queue} needs x-dead-letter-exchange ${t.deadLetterExchange})`
      : '';
    throw new Error(`declaring the AMQP queues of ${t.queue} failed: ${message}${hint}`, { cause: err });
  }
  return t;
}
