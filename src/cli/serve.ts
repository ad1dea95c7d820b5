// `scangate serve`: runs the registry until SIGTERM or SIGINT.
import { Command } from 'commander';
import type { ConfigFlags } from '../config/load.js';
import { startServer, stopOnSignals } from '../main.js';
import { createLogger } from '../observability/logger.js';
import { loadFromOptions, withConfigOptions, withScannerOptions } from './options.js';

export function serveCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('serve')), { noScan: true })
    .option('--no-auth', 'run with identity and policy off: anyone may pull, push and delete (for testing other parts)')
    .description('run the registry (logs one JSON line per event on stdout; SIGTERM drains and exits 0)')
    .action(async (options: ConfigFlags) => {
      const { config, file } = await loadFromOptions(options);
      const logger = createLogger({ level: config.log.level });
      if (file) logger.debug({ file }, 'configuration loaded');
      const starting = startServer(config, logger);
      stopOnSignals(starting, logger);
      await starting;
    });
}
