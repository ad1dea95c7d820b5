// Times one scenario on one registry, with what makes the figure trustworthy around it:
// dirty pages flushed first (so one registry's writeback never lands in the other's
// timing), the client's own CPU use, and the server's resident memory where asked.
import { execFileSync } from 'node:child_process';
import type { RegistryClient } from './oci-client.js';
import { cpuSeconds, resetPeakRss, sampleRss, type RssReport } from './rss.js';
import type { Scenario } from './scenarios.js';
import type { RunningRegistry } from './servers.js';

export interface Measurement {
  scenario: string;
  registry: string;
  repetition: number;
  bytes: number;
  seconds: number;
  /** MB/s with MB = 10^6 bytes. */
  throughput: number;
  /** The client's CPU time over wall time, in % of one core (100 = one core busy). */
  clientCpuPercent: number;
  /** The server's CPU seconds (all threads) per GB moved: what the transfer cost it. */
  serverCpuSecondsPerGB: number;
  rss?: RssReport;
}

export async function measure<State>(
  scenario: Scenario<State>,
  state: State,
  registry: RunningRegistry,
  client: RegistryClient,
  repetition: number,
): Promise<Measurement> {
  await scenario.setup?.(client, state);
  execFileSync('sync');
  if (scenario.tracksRss) resetPeakRss(registry.pid);
  const stopSampling = scenario.tracksRss ? sampleRss(registry.pid) : undefined;
  const cpuBefore = process.cpuUsage();
  const serverCpuBefore = cpuSeconds(registry.pid);
  const started = process.hrtime.bigint();
  let bytes: number;
  let rss: RssReport | undefined;
  try {
    bytes = await scenario.run(client, state);
  } finally {
    rss = stopSampling?.();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu = cpuSeconds(registry.pid) - serverCpuBefore;
  return {
    scenario: scenario.id,
    registry: registry.label,
    repetition,
    bytes,
    seconds,
    throughput: bytes / 1e6 / seconds,
    clientCpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    serverCpuSecondsPerGB: serverCpu / (bytes / 1e9),
    ...(rss ? { rss } : {}),
  };
}
