// Debian's docker-registry (CNCF distribution) as a reference: the e2e files run against
// it with E2E_REGISTRY=distribution, which tells a broken test from a broken scangate.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistryProcess, type RunningRegistry } from './server-process.js';

function configYaml(host: string, dataDir: string): string {
  return [
    'version: 0.1',
    'log: { level: warn }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dataDir, 'storage'))} }, delete: { enabled: true } }`,
    `http: { addr: ${JSON.stringify(host)} }`,
    '',
  ].join('\n');
}

export async function startDistribution(): Promise<RunningRegistry> {
  return startRegistryProcess({
    name: 'docker-registry',
    command: 'docker-registry',
    prepare: (host, dataDir) => writeFile(join(dataDir, 'config.yml'), configYaml(host, dataDir)),
    args: (_host, dataDir) => ['serve', join(dataDir, 'config.yml')],
    readyPaths: ['/v2/'],
    readyTimeoutMs: 20_000,
  });
}

/** The registry the e2e files test: scangate unless E2E_REGISTRY=distribution. */
export async function startRegistryUnderTest(): Promise<RunningRegistry> {
  if (process.env.E2E_REGISTRY === 'distribution') return startDistribution();
  const { startScangate } = await import('./scangate-server.js');
  return startScangate();
}
