// How every identity command runs: load the config, open the IdentityStore on the metadata
// database (migrated first), do the work through IdentityAdmin (src/auth/identity-admin.ts,
// which the /admin API shares), close the database, and turn what went wrong into a
// message and an exit code: 0 success, 1 a failed operation (unknown user, name taken...),
// 2 bad usage or configuration (invalid name, bad duration, bad config).
//
// The store comes from compose(), like the server's: the other adapters it builds cost
// nothing until used (no file or connection is opened for them).
import { Command } from 'commander';
import { composeMigrated } from '../../compose.js';
import { IdentityAdmin } from '../../auth/identity-admin.js';
import { InvalidNameError } from '../../auth/names.js';
import { PasswordPolicyError } from '../../auth/passwords.js';
import { ConfigError, type ConfigFlags } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { IdentityStore } from '../../ports/identity-store.js';
import { loadFromOptions, withConfigOptions } from '../options.js';

export const identityExitCodes = { ok: 0, failed: 1, badUsage: 2 } as const;

/** The command line asked for something impossible (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OpenedIdentityStore {
  store: IdentityStore;
  close(): Promise<void>;
}

/** The SQL IdentityStore on the configured database, migrated to the latest schema. */
export async function openIdentityStore(config: Config): Promise<OpenedIdentityStore> {
  const services = await composeMigrated(config);
  return { store: services.identity, close: () => services.close() };
}

/** Runs `work` against the configured store and sets the exit code; never throws. */
export async function runWithIdentityAdmin(flags: ConfigFlags, work: (admin: IdentityAdmin) => Promise<void>): Promise<void> {
  let opened: OpenedIdentityStore | undefined;
  try {
    const { config } = await loadFromOptions(flags);
    opened = await openIdentityStore(config);
    await work(new IdentityAdmin(opened.store));
    process.exitCode = identityExitCodes.ok;
  } catch (error) {
    process.stderr.write(`scangate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = exitCodeFor(error);
  } finally {
    await opened?.close();
  }
}

function exitCodeFor(error: unknown): number {
  const badUsage = [UsageError, ConfigError, InvalidNameError, PasswordPolicyError];
  return badUsage.some((kind) => error instanceof kind) ? identityExitCodes.badUsage : identityExitCodes.failed;
}

/**
 * Commander exits 1 on a usage error (unknown option, missing argument); these commands
 * promise 2. Applied to a command and every subcommand under it.
 */
export function exitTwoOnUsageErrors(command: Command): Command {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : identityExitCodes.badUsage));
  for (const sub of command.commands) exitTwoOnUsageErrors(sub);
  return command;
}

/** A leaf command with the shared config options (--config, --data, --log-level). */
export function identityCommand(name: string): Command {
  return withConfigOptions(new Command(name), { listen: false });
}
