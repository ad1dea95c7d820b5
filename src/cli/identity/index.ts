// The identity admin commands (user, robot, role, keys), for program.ts. Each exits 0 on
// success, 1 when the operation failed, 2 on bad usage or configuration (run.ts).
import type { Command } from 'commander';
import { keysCommand } from './keys.js';
import { robotCommand } from './robots.js';
import { roleCommand } from './roles.js';
import { exitTwoOnUsageErrors } from './run.js';
import { userCommand } from './users.js';

export function identityCommands(): Command[] {
  return [userCommand(), robotCommand(), roleCommand(), keysCommand()].map(exitTwoOnUsageErrors);
}
