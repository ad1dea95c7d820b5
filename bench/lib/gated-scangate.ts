// scangate with its scan gate on, scanning with the benchmark's clamd: a YAML config naming
// that clamd and the scan concurrency, started by servers.ts like the throughput benchmark's
// scangate (same launcher, logs and cleanup). The admin token lets the benchmark ask how
// much content is still pending.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryClient } from './oci-client.js';
import { startScangate, type RunningRegistry } from './servers.js';

export interface GatedScangateOptions {
  repoRoot: string;
  /** Where the config file is written (the benchmark's temp dir). */
  workDir: string;
  clamdAddress: string;
  /** scanning.concurrency: scans running at once. */
  concurrency: number;
  nodeArgs: string[];
  label: string;
}

export interface GatedScangate {
  registry: RunningRegistry;
  /** `Authorization` header for the admin API. */
  adminHeaders: Record<string, string>;
}

export async function startGatedScangate(options: GatedScangateOptions): Promise<GatedScangate> {
  const configFile = join(options.workDir, `${options.label}.yml`);
  writeFileSync(
    configFile,
    [
      'scanning:',
      '  scanners:',
      `    - { name: clamav, kind: clamd, address: "${options.clamdAddress}" }`,
      `  concurrency: ${options.concurrency}`,
      // Long enough that a 200 MB scan on a busy machine never outlasts the PUT's wait.
      '  manifestWaitSeconds: 300',
      '',
    ].join('\n'),
  );
  const registry = await startScangate(options.label, { repoRoot: options.repoRoot, nodeArgs: options.nodeArgs, configFile });
  const token = readFileSync(join(registry.dir, 'data', 'admin-token'), 'utf8').trim();
  return { registry, adminHeaders: { authorization: `Bearer ${token}` } };
}

export type StateCounts = Record<'pending' | 'clean' | 'infected' | 'failed', number>;

export async function stateCounts(client: RegistryClient, gated: GatedScangate): Promise<StateCounts> {
  const body = (await client.getJson('/admin/quarantine?state=pending&limit=1', gated.adminHeaders)) as { counts: StateCounts };
  return body.counts;
}
