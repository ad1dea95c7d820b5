// What every e2e file needs: the registry under test, a scratch dir, and a skopeo with a
// private blob-info cache, set up in beforeAll and torn down in afterAll of the caller.
import { afterAll, beforeAll } from 'vitest';
import { startRegistryUnderTest } from './distribution-server.js';
import type { RunningRegistry } from './server-process.js';
import { makeTempDir, type TempDir } from './temp-dir.js';
import { Skopeo } from './tools.js';

export interface E2eContext {
  registry: RunningRegistry;
  work: TempDir;
  skopeo: Skopeo;
}

/** Registers the hooks; the returned object is filled in once beforeAll has run. */
export function useE2eContext(name: string): E2eContext {
  const context = {} as E2eContext;
  beforeAll(async () => {
    context.work = await makeTempDir(`e2e-${name}`);
    context.skopeo = new Skopeo({ cacheDir: context.work.join('skopeo-cache') });
    context.registry = await startRegistryUnderTest();
  });
  afterAll(async () => {
    await context.registry?.stop();
    await context.work?.remove();
  });
  return context;
}
