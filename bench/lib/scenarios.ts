// The scenarios, each a pair of steps: prepare (once per repetition, shared by both
// registries, untimed) and run (per registry, timed, returns the bytes it moved).
// setup (per registry, untimed) makes sure what a pull scenario reads is there.
import { makePayload, type Payload } from './payload.js';
import type { RegistryClient } from './oci-client.js';

export interface BenchOptions {
  bigBytes: number;
  chunkBytes: number;
  smallCount: number;
  smallBytes: number;
  smallConcurrency: number;
  fanOutCount: number;
  fanOutBytes: number;
}

export interface Scenario<State = unknown> {
  readonly id: string;
  title(options: BenchOptions): string;
  /** Whether the server's resident memory is sampled while it runs (the 1 GiB transfers). */
  readonly tracksRss: boolean;
  prepare(options: BenchOptions, shared: SharedPayloads): Promise<State> | State;
  setup?(client: RegistryClient, state: State): Promise<void>;
  run(client: RegistryClient, state: State): Promise<number>;
}

/** Payloads made once per repetition and reused by the scenarios that read them back. */
export interface SharedPayloads {
  big?: Payload;
  small?: Payload[];
}

const BIG_REPO = 'bench/big';
const SMALL_REPO = 'bench/layers';
const FANOUT_REPO = 'bench/fanout';

function size(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

async function ensurePushed(client: RegistryClient, repo: string, payload: Payload): Promise<void> {
  if (!(await client.has(repo, payload.digest))) await client.pushMonolithic(repo, payload);
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function forEachConcurrently<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function bigPayload(options: BenchOptions, shared: SharedPayloads): Payload {
  shared.big ??= makePayload(options.bigBytes);
  return shared.big;
}

function smallPayloads(options: BenchOptions, shared: SharedPayloads): Payload[] {
  shared.small ??= Array.from({ length: options.smallCount }, () => makePayload(options.smallBytes));
  return shared.small;
}

const pushBigMonolithic: Scenario<Payload> = {
  id: 'push-big-monolithic',
  title: (o) => `push ${size(o.bigBytes)} blob, POST + PUT`,
  tracksRss: true,
  prepare: bigPayload,
  run: async (client, payload) => {
    await client.pushMonolithic(BIG_REPO, payload);
    return payload.size;
  },
};

const pushBigChunked: Scenario<{ payload: Payload; chunkBytes: number }> = {
  id: 'push-big-chunked',
  title: (o) => `push ${size(o.bigBytes)} blob, PATCH ${size(o.chunkBytes)} chunks + PUT`,
  tracksRss: true,
  // A payload of its own: the monolithic push already stored the shared one.
  prepare: (options) => ({ payload: makePayload(options.bigBytes), chunkBytes: options.chunkBytes }),
  run: async (client, { payload, chunkBytes }) => {
    await client.pushChunked(BIG_REPO, payload, chunkBytes);
    return payload.size;
  },
};

const pullBig: Scenario<Payload> = {
  id: 'pull-big',
  title: (o) => `pull ${size(o.bigBytes)} blob`,
  tracksRss: true,
  prepare: bigPayload,
  setup: (client, payload) => ensurePushed(client, BIG_REPO, payload),
  run: (client, payload) => client.pull(BIG_REPO, payload.digest, payload.size),
};

const pushSmall: Scenario<{ payloads: Payload[]; concurrency: number }> = {
  id: 'push-small',
  title: (o) => `push ${o.smallCount} x ${size(o.smallBytes)}, ${o.smallConcurrency} at a time`,
  tracksRss: false,
  prepare: (options, shared) => ({ payloads: smallPayloads(options, shared), concurrency: options.smallConcurrency }),
  run: async (client, { payloads, concurrency }) => {
    await forEachConcurrently(payloads, concurrency, (payload) => client.pushLayer(SMALL_REPO, payload));
    return payloads.reduce((sum, payload) => sum + payload.size, 0);
  },
};

const pullSmall: Scenario<{ payloads: Payload[]; concurrency: number }> = {
  id: 'pull-small',
  title: (o) => `pull ${o.smallCount} x ${size(o.smallBytes)}, ${o.smallConcurrency} at a time`,
  tracksRss: false,
  prepare: pushSmall.prepare,
  setup: (client, { payloads, concurrency }) =>
    forEachConcurrently(payloads, concurrency, (payload) => ensurePushed(client, SMALL_REPO, payload)),
  run: async (client, { payloads, concurrency }) => {
    let bytes = 0;
    await forEachConcurrently(payloads, concurrency, async (payload) => {
      // Not `bytes += await ...`: that reads `bytes` before the await and loses updates.
      const received = await client.pull(SMALL_REPO, payload.digest, payload.size);
      bytes += received;
    });
    return bytes;
  },
};

const pullFanOut: Scenario<{ payload: Payload; count: number }> = {
  id: 'pull-fanout',
  title: (o) => `${o.fanOutCount} parallel pulls of ${size(o.fanOutBytes)}`,
  tracksRss: false,
  prepare: (options) => ({ payload: makePayload(options.fanOutBytes), count: options.fanOutCount }),
  setup: (client, { payload }) => ensurePushed(client, FANOUT_REPO, payload),
  run: async (client, { payload, count }) => {
    const pulls = Array.from({ length: count }, () => client.pull(FANOUT_REPO, payload.digest, payload.size));
    const sizes = await Promise.all(pulls);
    return sizes.reduce((sum, size) => sum + size, 0);
  },
};

/** In the order they run within one repetition. */
export const scenarios: Scenario<never>[] = [
  pushBigMonolithic,
  pushBigChunked,
  pullBig,
  pushSmall,
  pullSmall,
  pullFanOut,
] as Scenario<never>[];
