// scangate's default rules: one per action, over four roles (`admin` > `maintainer` >
// `member` > `reader`). A policy file overrides them by name, as an oslo.policy file
// overrides a service's registered defaults; `scangate policy defaults` prints them.
//
// What the rules see:
//   creds  — `roles`: the caller's roles in the target's namespace (plus global ones),
//            as the identity layer resolves them; `user_id`; `is_robot`.
//   target — `namespace`, `repository`, `tag`, `digest`, `scan_state` (pending, clean,
//            infected, failed), `vulnerabilities` ({critical, high, medium, low, unknown}
//            counts, present once a vulnerability scan has completed), `properties`
//            (annotations and API properties, nested), and each property again at the top
//            level as Glance rules expect (`%(x_billing)s`), where it does not clash with
//            the keys above (see target.ts). Rules that read more than namespace and
//            repository are decided where the artifact is resolved (docs/policy.md).
// The quarantine gate (nothing served before it is clean) and vulnerability gates are
// decided elsewhere; these rules only say who may ask.

export interface DefaultRule {
  name: string;
  rule: string;
  description: string;
}

export const defaultRules: readonly DefaultRule[] = [
  { name: 'is_admin', rule: 'role:admin', description: 'Administrators of the namespace (or of the whole registry).' },
  { name: 'is_maintainer', rule: 'rule:is_admin or role:maintainer', description: 'Maintainers manage a namespace\'s content; admins may too.' },
  { name: 'is_member', rule: 'rule:is_maintainer or role:member', description: 'Members push; maintainers and admins may too.' },
  { name: 'is_reader', rule: 'rule:is_member or role:reader', description: 'Readers pull; everyone above may too.' },
  { name: 'pull', rule: 'rule:is_reader', description: 'Download manifests and blobs (docker pull, GET /v2/.../blobs, files).' },
  { name: 'push', rule: 'rule:is_member', description: 'Upload blobs and manifests (docker push).' },
  { name: 'tag', rule: 'rule:is_member', description: 'Create or move a tag onto an existing manifest.' },
  { name: 'delete', rule: 'rule:is_maintainer', description: 'Delete a manifest, tag or blob.' },
  { name: 'read_report', rule: 'rule:is_reader', description: 'Read scan verdicts and vulnerability reports of an artifact.' },
  { name: 'trigger_scan', rule: 'rule:is_maintainer', description: 'Ask for a (re)scan of an artifact.' },
  { name: 'read_property', rule: 'rule:is_reader', description: 'Read an artifact\'s properties (property protections may hide some).' },
  { name: 'set_property', rule: 'rule:is_maintainer', description: 'Add or change an artifact property (property protections apply too).' },
  { name: 'delete_property', rule: 'rule:is_maintainer', description: 'Delete an artifact property (property protections apply too).' },
  { name: 'admin', rule: 'rule:is_admin', description: 'Admin API and CLI: users, robots, roles, keys, rescans, gates.' },
];

/** The defaults as a policy file's mapping (name -> rule). */
export function defaultRuleMap(): Record<string, string> {
  return Object.fromEntries(defaultRules.map(({ name, rule }) => [name, rule]));
}

/** The defaults as a commented YAML policy file, ready to copy and edit. */
export function defaultsYaml(): string {
  const lines = [
    '# scangate default policy (oslo.policy language). A policy file overrides these by name.',
    '# creds: roles (in the target\'s namespace), user_id, is_robot.',
    '# target: namespace, repository, tag, digest, scan_state, vulnerabilities.{critical,high,medium,low,unknown},',
    '#         properties.NAME, and each property NAME at the top level unless it clashes.',
  ];
  for (const { name, rule, description } of defaultRules) {
    lines.push('', `# ${description}`, `${JSON.stringify(name)}: ${JSON.stringify(rule)}`);
  }
  return `${lines.join('\n')}\n`;
}
