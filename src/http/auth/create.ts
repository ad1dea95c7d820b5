// Turns `auth` config into the access control the app uses, at start: the first-start
// admin (its password goes to a file, never to the log), the token service over the keys in
// the IdentityStore, the authenticator and the policy (defaults plus the policy file).
import type { Logger } from 'pino';
import { Authenticator } from '../../auth/authenticate.js';
import { bootstrapInitialAdmin } from '../../auth/bootstrap.js';
import { RegistryTokenService } from '../../auth/token-service.js';
import type { Config } from '../../config/schema.js';
import type { IdentityStore } from '../../ports/identity-store.js';
import { loadPolicy } from '../../policy/index.js';
import { AccessControl } from './access-control.js';
import { loadPropertyProtections, noProtections } from '../../policy/property-protections.js';
import { fileDecisionAudit } from '../../observability/decision-audit.js';
import { join, resolve } from 'node:path';

/** Undefined when auth is off (`serve --no-auth`), after saying so loudly. */
export async function createAccessControl(config: Config, store: IdentityStore, dataDir: string, logger: Logger): Promise<AccessControl | undefined> {
  const auth = config.auth;
  if (!auth.enabled) {
    logger.warn('AUTH IS OFF (auth.enabled false / --no-auth): anyone who can reach this port may pull, push and delete anything');
    return undefined;
  }
  const bootstrap = await bootstrapInitialAdmin(store, dataDir);
  if (bootstrap.created) logger.warn({ user: bootstrap.name, passwordFile: bootstrap.passwordFile }, 'first start: created the admin user; its password is in the file named here (read it, then change it)');
  const policy = await loadPolicy(auth.policyFile);
  for (const problem of policy.problems) logger.warn({ rule: problem.rule, problem: problem.message }, 'policy problem: this rule denies where it cannot be evaluated');
  const protections = auth.propertyProtectionsFile
    ? await loadPropertyProtections(auth.propertyProtectionsFile, { format: auth.propertyProtectionsFormat, policy })
    : noProtections;
  // A file with no sections would allow everything (old Glance) or deny everything (new
  // Glance): neither is what someone who configured one meant.
  if (auth.propertyProtectionsFile && protections.empty) {
    throw new Error(`property protections file ${auth.propertyProtectionsFile} has no sections; add sections such as [.*] with create/read/update/delete, or remove auth.propertyProtectionsFile to turn protections off`);
  }
  const tokens = new RegistryTokenService(store, { issuer: auth.service, defaultTtlSeconds: auth.tokenTtlSeconds });
  const authenticator = new Authenticator({ store, tokens, service: auth.service });
  const auditFile = resolve(dataDir, auth.auditFile ?? join('audit', 'decisions.log'));
  const audit = fileDecisionAudit(auditFile, auth.audit);
  logger.info({ service: auth.service, policyFile: auth.policyFile ?? null, anonymousPull: auth.anonymousPull, audit: auth.audit, auditFile }, 'identity and policy on');
  return new AccessControl({
    authenticator,
    tokens,
    policy,
    store,
    service: auth.service,
    ...(auth.realm !== undefined ? { realm: auth.realm } : {}),
    tokenTtlSeconds: auth.tokenTtlSeconds,
    anonymousPull: auth.anonymousPull,
    audit,
    protections,
  });
}
