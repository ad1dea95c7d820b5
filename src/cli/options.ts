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
  const { config, listen, data, logLevel, scan, auth, clamd, scanCommand, remote, adapter } = options;
  return loadConfig({ flags: { config, listen, data, logLevel, scan, auth, clamd, scanCommand, remote, adapter }, env: process.env });
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The scanner shorthands that need no config file (serve, worker, scan). */
export function withScannerOptions(command: Command, set: { noScan: boolean }): Command {
  command
    .option('--clamd <address>', 'scan with the clamd at tcp://HOST:PORT or unix:///PATH (repeatable; every repository requires it)', collect)
    .option('--scan-command <argv>', "scan with a command, e.g. 'clamscan --no-summary {path}' (exit 0 clean, 1 infected; repeatable)", collect);
  if (set.noScan) command.option('--no-scan', 'run with no scan gate at all: content is served unscanned (for testing the registry alone)');
  return command;
}
