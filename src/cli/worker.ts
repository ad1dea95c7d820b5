// `scangate worker`: runs only the scan workers and the rescan scheduler until SIGTERM or
// SIGINT, then stops claiming, lets running scans finish (up to a deadline) and exits 0.
import { Command } from 'commander';
import type { ConfigFlags } from '../config/load.js';
import { startWorker } from '../worker.js';
import { runUntilSignalled } from './long-running.js';
import { withConfigOptions, withScannerOptions } from './options.js';

export function workerCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('worker'), { listen: false }), { noScan: false })
    .description(
      'run only the scan workers and rescans on the configured database and blob store, no HTTP listener ' +
        '(next to `serve` with scanning.workers: false, or as extra workers); SIGTERM finishes running scans and exits 0',
    )
    .action((options: ConfigFlags) => runUntilSignalled(options, startWorker));
}
