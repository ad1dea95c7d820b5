// `scangate role bind|unbind|list`: which roles a user or robot holds in which namespaces.
// Role names are data: any well-formed name binds; the policy decides what it allows.
import { Command } from 'commander';
import type { ConfigFlags } from '../../config/load.js';
import { printTableOrJson } from './format.js';
import { principalOf, type PrincipalFlags } from './principals.js';
import { identityCommand, runWithIdentityAdmin } from './run.js';

interface BindFlags extends ConfigFlags, PrincipalFlags {
  namespace: string;
  role: string;
}

interface ListFlags extends ConfigFlags, PrincipalFlags {
  json?: boolean;
}

export function roleCommand(): Command {
  return new Command('role')
    .description('bind roles to users and robots per namespace: bind, unbind, list')
    .addCommand(bindingCommand('bind'))
    .addCommand(bindingCommand('unbind'))
    .addCommand(listCommand());
}

function bindingCommand(verb: 'bind' | 'unbind'): Command {
  return withPrincipalOptions(identityCommand(verb))
    .description(verb === 'bind' ? 'give a user or robot a role in a namespace (or * for all)' : 'take a role in a namespace away from a user or robot')
    .requiredOption('--namespace <ns>', 'a namespace (first path component of repositories), or * for every namespace')
    .requiredOption('--role <role>', 'a role name, e.g. admin, maintainer, member, reader')
    .action((flags: BindFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const { namespace, role } = flags;
        const principal = principalOf(flags);
        const who = `${principal.kind} ${principal.name}`;
        if (verb === 'bind') {
          const added = await admin.bind({ principal, namespace, role });
          process.stdout.write(added ? `${who} now has role ${role} in ${namespace}\n` : `${who} had role ${role} in ${namespace} already\n`);
        } else {
          await admin.unbind({ principal, namespace, role });
          process.stdout.write(`${who} no longer has role ${role} in ${namespace}\n`);
        }
      }),
    );
}

function listCommand(): Command {
  return withPrincipalOptions(identityCommand('list'))
    .description('list role bindings: all, or those of one user or robot')
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const filtered = flags.user !== undefined || flags.robot !== undefined;
        const bindings = await admin.listBindings({ principal: filtered ? principalOf(flags) : undefined });
        printTableOrJson(flags.json, bindings, ['KIND', 'NAME', 'NAMESPACE', 'ROLE'], bindings.map((b) => [b.kind, b.name, b.namespace, b.role]));
      }),
    );
}

function withPrincipalOptions(command: Command): Command {
  return command.option('--user <name>', 'a user').option('--robot <name>', 'a robot account');
}
