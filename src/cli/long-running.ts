// What `serve` and `worker` share: load the config, make the logger, start, and stop on
// SIGTERM or SIGINT (handlers installed before start-up, see stopOnSignals).
import type { Logger } from 'pino';
import type { ConfigFlags } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { stopOnSignals } from '../main.js';
import { createLogger } from '../observability/logger.js';
import { loadFromOptions } from './options.js';

export async function runUntilSignalled(
  options: ConfigFlags,
  start: (config: Config, logger: Logger) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  const { config, file } = await loadFromOptions(options);
  const logger = createLogger({ level: config.log.level });
  if (file) logger.debug({ file }, 'configuration loaded');
  const starting = start(config, logger);
  stopOnSignals(starting, logger);
  await starting;
}
