// `serve --remote NAME=URL[,policy=on_demand|streamed|immediate][,user=U,password-file=F]`:
// a remote for a quick start, without a config file; `kind=file` (with `manifest=PULP_MANIFEST`
// and `ttl=SECONDS`) makes it a file remote, mirrored under /files/NAME/-/; `ca-file=`, `cert-file=` and
// `key-file=` are the TLS options of either kind. Each value becomes one `remotes:` entry
// (validated by the same schema afterwards); a malformed value yields a problem that names
// the flag and the part, which config/load.ts reports as a ConfigError.

const optionKeys: Record<string, string> = {
  kind: 'kind',
  policy: 'policy',
  user: 'username',
  'password-file': 'passwordFile',
  'tls-verify': 'tlsVerify',
  'tag-ttl': 'tagTtlSeconds',
  manifest: 'manifest',
  ttl: 'ttlSeconds',
  'ca-file': 'caFile',
  'cert-file': 'certFile',
  'key-file': 'keyFile',
};

const usage =
  'expected NAME=URL[,kind=oci|file][,policy=on_demand|streamed|immediate][,user=U,password-file=F][,manifest=PULP_MANIFEST][,ca-file=F][,cert-file=F,key-file=F]';

export type ParsedRemoteFlag = { entry: Record<string, unknown> } | { problem: string };

/** One `--remote` value as a raw `remotes:` entry (the schema checks the values). */
export function parseRemoteFlag(value: string): ParsedRemoteFlag {
  const fail = (why: string) => ({ problem: `--remote ${value}: ${why} (${usage})` });
  const equals = value.indexOf('=');
  if (equals <= 0) return fail('no NAME= before the URL');
  const name = value.slice(0, equals);
  const [url, ...options] = value.slice(equals + 1).split(',');
  if (!url) return fail('no URL after NAME=');
  const entry: Record<string, unknown> = { name, url };
  for (const option of options) {
    const eq = option.indexOf('=');
    const key = optionKeys[eq > 0 ? option.slice(0, eq) : option];
    if (eq <= 0 || key === undefined) return fail(`unknown option "${option}"`);
    if (key in entry) return fail(`"${option.slice(0, eq)}" given twice`);
    entry[key] = typedOption(key, option.slice(eq + 1));
  }
  return { entry: { kind: 'oci', ...entry } };
}

function typedOption(key: string, raw: string): unknown {
  if (key === 'tlsVerify') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (key === 'tagTtlSeconds' || key === 'ttlSeconds') return /^\d+$/.test(raw) ? Number(raw) : raw;
  return raw;
}
