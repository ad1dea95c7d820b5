// `scangate serve`: runs the registry until SIGTERM or SIGINT.
import { Command } from 'commander';
import type { ConfigFlags } from '../config/load.js';
import { startServer } from '../main.js';
import { runUntilSignalled } from './long-running.js';
import { withConfigOptions, withScannerOptions } from './options.js';

export function serveCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('serve')), { noScan: true })
    .option('--no-auth', 'run with identity and policy off: anyone may pull, push and delete (for testing other parts)')
    .description('run the registry (logs one JSON line per event on stdout; SIGTERM drains and exits 0)')
    .action((options: ConfigFlags) => runUntilSignalled(options, startServer));
}
