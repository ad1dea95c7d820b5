// RabbitMQ for tests: the broker on the machine (127.0.0.1:5672, guest/guest; scripts/test.sh
// starts it where it is not running; SCANGATE_TEST_AMQP_URL points elsewhere), names unique
// per test, and everything a test declared deleted afterwards.
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';

export const testAmqpUrl = process.env['SCANGATE_TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueName(prefix: string): string {
  return `scangate-test.${prefix}.${randomBytes(4).toString('hex')}`;
}

export interface Collector<T> {
  readonly messages: T[];
  /** Resolves once `count` messages have arrived (or throws after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
}

export interface TestAmqp {
  channel: ConfirmChannel;
  /** Publishes to a queue through the default exchange and waits for the broker's confirm. */
  send(queue: string, body: string | object): Promise<void>;
  /** Collects the JSON messages published to `exchange` (a durable topic exchange). */
  collect<T = unknown>(exchange: string, routingKey?: string): Promise<Collector<T>>;
  /** Waits for one message in `queue` and takes it (acked). */
  take(queue: string, timeoutMs?: number): Promise<GetMessage>;
  /** Whether the queue exists now (probed on a channel of its own: a miss closes it). */
  queueExists(queue: string): Promise<boolean>;
  /** Remembers a queue or exchange to delete at dispose(). */
  owns(kind: 'queue' | 'exchange', name: string): void;
  dispose(): Promise<void>;
}

export async function openTestAmqp(): Promise<TestAmqp> {
  let connection: ChannelModel;
  try {
    connection = await connect(testAmqpUrl);
  } catch (err) {
    throw new Error(`RabbitMQ is not reachable at ${testAmqpUrl.replace(/:[^:@/]*@/, ':***@')} (${(err as Error).message}): these tests need it and do not skip; scripts/test.sh starts it`, { cause: err });
  }
  const channel = await connection.createConfirmChannel();
  const queues = new Set<string>();
  const exchanges = new Set<string>();
  const poll = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return {
    channel,
    send: async (queue, body) => {
      channel.sendToQueue(queue, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), { persistent: true, contentType: 'application/json' });
      await channel.waitForConfirms();
    },
    collect: async <T>(exchange: string, routingKey = '#') => {
      exchanges.add(exchange);
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, exchange, routingKey);
      const messages: T[] = [];
      await channel.consume(queue, (m) => m && messages.push(JSON.parse(m.content.toString()) as T), { noAck: true });
      return {
        messages,
        waitFor: (count, timeoutMs = 30_000) => poll(`${count} messages on ${exchange} (have ${messages.length})`, timeoutMs, async () => (messages.length >= count ? messages : undefined)),
      };
    },
    take: (queue, timeoutMs = 30_000) =>
      poll(`a message in ${queue}`, timeoutMs, async () => {
        const message = await channel.get(queue, { noAck: true });
        return message === false ? undefined : message;
      }),
    queueExists: async (queue) => {
      const probe = await connection.createChannel();
      probe.on('error', () => {});
      try {
        await probe.checkQueue(queue);
        await probe.close();
        return true;
      } catch {
        return false;
      }
    },
    owns: (kind, name) => void (kind === 'queue' ? queues : exchanges).add(name),
    dispose: async () => {
      for (const queue of queues) await channel.deleteQueue(queue).catch(() => {});
      for (const exchange of exchanges) await channel.deleteExchange(exchange).catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

/** The queues and exchange a bucket watcher declares for `queue`, to delete afterwards. */
export function ownTopology(amqp: TestAmqp, queue: string): void {
  for (const q of [queue, `${queue}.retry`, `${queue}.dead`]) amqp.owns('queue', q);
  amqp.owns('exchange', `${queue}.dead`);
}
