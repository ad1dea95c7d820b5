// The options every command shares: where the config comes from and the few values that
// are commonly set per run. Precedence is flags > env > file > defaults (config/load.ts).
import type { Command } from 'commander';
import { loadConfig, type ConfigFlags, type LoadedConfig } from '../config/load.js';

export interface SharedOptionSet {
  /** `--listen` only where an address means something (serve, config print). */
  listen: boolean;
}

export function withConfigOptions(command: Command, set: SharedOptionSet = { listen: true }): Command {
  command.option('-c, --config <file>', 'YAML configuration file (env SCANGATE_CONFIG)');
  if (set.listen) command.option('--listen <host:port>', 'address to listen on (env SCANGATE_LISTEN; default 127.0.0.1:5000)');
  return command
    .option('--data <dir>', 'data directory (env SCANGATE_DATA; default ./data)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env SCANGATE_LOG_LEVEL; default info)');
}

/** Loads the effective config from a command's parsed options and the process environment. */
export function loadFromOptions(options: ConfigFlags): Promise<LoadedConfig> {
  const { config, listen, data, logLevel } = options;
  return loadConfig({ flags: { config, listen, data, logLevel }, env: process.env });
}
