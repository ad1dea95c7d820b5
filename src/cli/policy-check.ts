// `scangate policy check --user U --action A --artifact REF`: explains, from the command
// line and the live database, what the registry would decide for one caller, one action
// and one artifact: the caller's roles, what the rule sees (target and creds), the rule's
// verdict and, for pulls, the vulnerability gate's. Exit 0 allow, 3 deny, 2 bad input.
import { Command } from 'commander';
import { composeMigrated, type Services } from '../compose.js';
import type { ConfigFlags } from '../config/load.js';
import { isDigest, type Digest } from '../domain/digest.js';
import { isRepositoryName, isTag, namespaceOf } from '../domain/names.js';
import { credsOf, type Caller } from '../http/auth/access-control.js';
import type { ManifestRecord } from '../ports/metadata-store.js';
import { buildTarget, loadPolicy, type ArtifactFacts } from '../policy/index.js';
import { artifactFactsFrom } from '../registry/artifact-facts.js';
import { PullVulnerabilityGate } from '../vulnerabilities/pull-gate.js';
import { loadFromOptions, withConfigOptions } from './options.js';
import { policyExitCodes } from './policy.js';

interface CheckFlags extends ConfigFlags {
  user: string;
  action: string;
  artifact: string;
  json?: boolean;
}

class BadInput extends Error {}

const checkHelp = `
--user names a user (alice), a robot (robot:ci) or nobody (anonymous).
--artifact is NAME:TAG, NAME@DIGEST, or NAME alone (a repository-level decision, as for
tags lists and uploads).
--action is a rule name: pull, push, delete, tag, read_report, trigger_scan,
read_property, set_property, delete_property, admin (or any rule of the policy).

Prints the verdict, the reason, the caller's roles and what the rule sees. For pulls of an
artifact, the namespace's vulnerability gate is checked too. The audit log is not written.
Exit codes: 0 allow, 3 deny, 2 bad input (unknown user, artifact or flag).
`;

export function policyCheckCommand(): Command {
  return withConfigOptions(new Command('check'), { listen: false })
    .description('explain what the registry decides for a user, an action and an artifact (exit 0 allow, 3 deny, 2 bad input)')
    .requiredOption('--user <name>', 'user name, robot:NAME, or anonymous')
    .requiredOption('--action <rule>', 'the action (a policy rule name), e.g. pull')
    .requiredOption('--artifact <ref>', 'NAME:TAG, NAME@DIGEST or NAME')
    .option('--json', 'print the explanation as JSON')
    .addHelpText('after', checkHelp)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : policyExitCodes.badInput))
    .action(async (flags: CheckFlags) => {
      process.exitCode = await runCheck(flags).catch((err: unknown) => {
        process.stderr.write(`scangate: ${err instanceof Error ? err.message : String(err)}\n`);
        return policyExitCodes.badInput;
      });
    });
}

interface Explanation {
  verdict: 'allow' | 'deny';
  action: string;
  caller: string;
  roles: unknown;
  artifact: string;
  digest?: string;
  policy: { allowed: boolean; reason: string };
  gate?: { allowed: boolean; reason: string };
  target: Record<string, unknown>;
  creds: Record<string, unknown>;
}

async function runCheck(flags: CheckFlags): Promise<number> {
  const ref = parseArtifactRef(flags.artifact);
  const { config } = await loadFromOptions(flags);
  const policy = await loadPolicy(config.auth.policyFile);
  for (const problem of policy.problems) process.stderr.write(`policy problem in rule ${problem.rule}: ${problem.message}\n`);
  const services = await composeMigrated(config);
  try {
    const caller = await findCaller(services, flags.user);
    const namespace = namespaceOf(ref.repository);
    const manifest = ref.reference === undefined ? undefined : await findManifest(services, ref.repository, ref.reference);
    const facts: ArtifactFacts = manifest
      ? await artifactFactsFrom(services).forManifest(ref.repository, manifest, ref.reference === manifest.digest ? undefined : ref.reference)
      : { namespace, repository: ref.repository };
    const target = buildTarget(facts);
    const creds = await credsOf(services.identity, caller, namespace);
    const decision = policy.decideRule(flags.action, target, creds);
    const gate = manifest && flags.action === 'pull' ? await new PullVulnerabilityGate(services.vulnerabilities, services.metadata).check(ref.repository, manifest) : undefined;
    const allowed = decision.allowed && (gate?.allowed ?? true);
    const explanation: Explanation = {
      verdict: allowed ? 'allow' : 'deny',
      action: flags.action,
      caller: caller.kind === 'anonymous' ? 'anonymous' : `${caller.kind}:${caller.name}`,
      roles: creds['roles'],
      artifact: flags.artifact,
      ...(manifest ? { digest: manifest.digest } : {}),
      policy: decision,
      ...(gate ? { gate: gate.allowed ? { allowed: true, reason: 'no gate blocks it' } : { allowed: false, reason: gate.reason } } : {}),
      target,
      creds,
    };
    process.stdout.write(flags.json ? `${JSON.stringify(explanation, null, 2)}\n` : describe(explanation));
    return allowed ? policyExitCodes.allow : policyExitCodes.deny;
  } finally {
    await services.close();
  }
}

function describe(e: Explanation): string {
  const lines = [
    e.verdict,
    `  action:   ${e.action}`,
    `  caller:   ${e.caller} (roles in this namespace: ${(e.roles as string[]).join(', ') || 'none'})`,
    `  artifact: ${e.artifact}${e.digest && !e.artifact.endsWith(e.digest) ? ` -> ${e.digest}` : ''}`,
    `  policy:   ${e.policy.reason}`,
  ];
  if (e.gate) lines.push(`  gate:     ${e.gate.allowed ? 'the vulnerability gate lets it through' : e.gate.reason}`);
  lines.push(`  target:   ${JSON.stringify(e.target)}`, `  creds:    ${JSON.stringify(e.creds)}`);
  return `${lines.join('\n')}\n`;
}

export function parseArtifactRef(text: string): { repository: string; reference?: string } {
  const at = text.indexOf('@');
  let repository = text;
  let reference: string | undefined;
  if (at >= 0) {
    [repository, reference] = [text.slice(0, at), text.slice(at + 1)];
    if (!isDigest(reference)) throw new BadInput(`--artifact ${text}: ${reference} is not a digest (sha256:<64 hex>)`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon > text.lastIndexOf('/')) {
      [repository, reference] = [text.slice(0, colon), text.slice(colon + 1)];
      if (!isTag(reference)) throw new BadInput(`--artifact ${text}: ${reference} is not a valid tag`);
    }
  }
  if (!isRepositoryName(repository)) throw new BadInput(`--artifact ${text}: ${repository} is not a valid repository name`);
  return reference === undefined ? { repository } : { repository, reference };
}

async function findCaller(services: Services, name: string): Promise<Caller> {
  if (name === 'anonymous') return { kind: 'anonymous' };
  if (name.startsWith('robot:')) {
    const robot = await services.identity.findRobotByName(name.slice('robot:'.length));
    if (!robot) throw new BadInput(`no robot account named ${name.slice('robot:'.length)} (see: scangate robot list)`);
    return { kind: 'robot', id: robot.id, name: robot.name, ownerId: robot.ownerId };
  }
  const user = await services.identity.findUserByName(name.startsWith('user:') ? name.slice('user:'.length) : name);
  if (!user) throw new BadInput(`no user named ${name} (see: scangate user list)`);
  if (user.disabled) process.stderr.write(`note: user ${user.name} is disabled: the registry refuses every request of theirs before the policy is asked\n`);
  return { kind: 'user', id: user.id, name: user.name };
}

async function findManifest(services: Services, repository: string, reference: string): Promise<ManifestRecord> {
  const digest = isDigest(reference) ? reference : await services.metadata.resolveTag(repository, reference);
  const manifest = digest && (await services.metadata.getManifest(repository, digest as Digest));
  if (!manifest) throw new BadInput(`no manifest ${reference} in ${repository}`);
  return manifest;
}
