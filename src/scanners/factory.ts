// Builds the configured scanners (an explicit map from `kind` to constructor), starting
// the managed clamd where the config asks for one.
import type { Logger } from 'pino';
import type { Config, ScannerConfig } from '../config/schema.js';
import type { Scanner } from '../ports/scanner.js';
import { ClamdScanner } from './clamd/clamd-scanner.js';
import { startManagedClamd, type ManagedClamd } from './clamd/managed-clamd.js';
import { CommandScanner } from './command/command-scanner.js';

export interface ScannerRuntime {
  scanners: Scanner[];
  /** Closes the scanners and stops a managed clamd. */
  close(): Promise<void>;
}

export async function createScanners(config: Config['scanning'], dataDir: string, logger: Logger): Promise<ScannerRuntime> {
  const managed: ManagedClamd[] = [];
  const scanners: Scanner[] = [];
  const build: { [K in ScannerConfig['kind']]: (c: Extract<ScannerConfig, { kind: K }>) => Promise<Scanner> } = {
    clamd: async (c) => {
      let address = c.address;
      if (address === undefined) {
        const clamd = await startManagedClamd(dataDir, logger);
        managed.push(clamd);
        address = clamd.address;
      }
      return new ClamdScanner({ name: c.name, address, timeoutMs: c.timeoutSeconds * 1000, scanInPlace: c.scanInPlace ?? c.managed });
    },
    command: async (c) =>
      new CommandScanner({
        name: c.name,
        command: c.command,
        ...(c.versionCommand ? { versionCommand: c.versionCommand } : {}),
        timeoutMs: c.timeoutSeconds * 1000,
      }),
  };
  const close = async () => {
    await Promise.allSettled(scanners.map((s) => s.close?.()));
    await Promise.allSettled(managed.map((m) => m.stop()));
  };
  try {
    for (const c of config.scanners) {
      scanners.push(await (build[c.kind] as (c: ScannerConfig) => Promise<Scanner>)(c));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { scanners, close };
}
