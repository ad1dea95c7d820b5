// One AMQP connection with a confirm channel, opened on first use and opened again after the
// broker or the network closed it. publish() resolves only when the broker has confirmed the
// message (it is then on disk for a persistent message to a durable queue), which is what
// lets a consumer ack the message it came from: nothing is lost between the two.
import { connect, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import type { Logger } from 'pino';

export class AmqpLink {
  #connection: Promise<ChannelModel> | undefined;
  #channel: Promise<ConfirmChannel> | undefined;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  /** The connection, opened if need be. */
  connection(): Promise<ChannelModel> {
    if (this.#closed) return Promise.reject(new Error('the AMQP link is closed'));
    this.#connection ??= this.#open();
    return this.#connection;
  }

  /** The confirm channel, opened if need be. */
  confirmChannel(): Promise<ConfirmChannel> {
    this.#channel ??= this.connection().then(async (connection) => {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (err: Error) => this.logger.warn({ err }, 'AMQP publishing channel failed'));
      channel.on('close', () => (this.#channel = undefined));
      return channel;
    });
    this.#channel.catch(() => (this.#channel = undefined));
    return this.#channel;
  }

  /** Publishes and waits for the broker's confirm; rejects when it refuses or the channel closes. */
  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const channel = await this.confirmChannel();
    await new Promise<void>((resolve, reject) => {
      channel.publish(exchange, routingKey, content, options, (err: unknown) => (err ? reject(asError(err)) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = await this.#connection?.catch(() => undefined);
    this.#connection = undefined;
    this.#channel = undefined;
    await connection?.close().catch(() => {});
  }

  async #open(): Promise<ChannelModel> {
    try {
      const connection = await connect(this.url);
      // Without a listener an 'error' would end the process; 'close' follows it.
      connection.on('error', (err: Error) => this.logger.warn({ err }, 'AMQP connection failed'));
      connection.on('close', () => {
        this.#connection = undefined;
        this.#channel = undefined;
      });
      return connection;
    } catch (err) {
      this.#connection = undefined;
      throw err;
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(`the broker refused the message: ${String(err)}`);
}
