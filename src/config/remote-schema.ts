// The `remotes:` section of the configuration: upstream registries mirrored under a local
// namespace (`/v2/NAME/<path>` is upstream `<path>`), and file sources mirrored under the file
// store (`/files/NAME/-/<path>` is `<url>/<path>`). Kept apart from schema.ts because the
// `--remote` flag (remote-flag.ts) builds entries of the same shape.
import { z } from 'zod';
import { filePathProblem } from '../domain/file-paths.js';

/** One path component of a repository name: the remote's local namespace. */
const remoteName = z
  .string()
  .regex(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/, 'one repository path component (lower-case letters, digits, . _ -), e.g. hub');

export const remotePolicies = ['on_demand', 'streamed', 'immediate'] as const;
export type RemotePolicy = (typeof remotePolicies)[number];

/** The keys of a remote, shared by the config entry and the admin API's body (which adds `password`). */
const remoteFields = z
  .object({
    /** The local namespace: `/v2/NAME/<path>` mirrors upstream `<path>`. */
    name: remoteName,
    kind: z.literal('oci'),
    /** The upstream registry's base URL, e.g. https://registry-1.docker.io. */
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL'),
    /** on_demand: fetched on first request and kept; streamed: fetched per request, never kept; immediate: by `scangate sync`. */
    policy: z.enum(remotePolicies).default('on_demand'),
    /** Credentials for the upstream (Basic, or to obtain a Bearer token from its realm). */
    username: z.string().min(1).optional(),
    /** A file holding the upstream password (or token); read at start, never logged. */
    passwordFile: z.string().min(1).optional(),
    /** false accepts any upstream TLS certificate (a test upstream with a self-signed one). */
    tlsVerify: z.boolean().default(true),
    /** A PEM file of the CA certificates that may sign the upstream's certificate (instead of the system's). */
    caFile: z.string().min(1).optional(),
    /** A PEM client certificate for an upstream that asks for one (mutual TLS); needs keyFile. */
    certFile: z.string().min(1).optional(),
    /** The PEM private key of certFile. */
    keyFile: z.string().min(1).optional(),
    /** How long a tag is trusted before it is checked upstream again. */
    tagTtlSeconds: z.number().int().nonnegative().default(300),
    /** Upstream repositories that may be mirrored (globs: `*` within a path component, `**` across); absent: all. */
    repositories: z.array(z.string().min(1)).min(1).optional(),
    /** Tags that may be mirrored (globs, `*` matches any run of characters); absent: all. Pulls by digest are not filtered. */
    tags: z.array(z.string().min(1)).min(1).optional(),
    /**
     * Docker Hub's implicit `library/`: a one-component path (`/v2/hub/alpine`) is upstream
     * `library/alpine`. Default: on when the URL's host is registry-1.docker.io or docker.io.
     */
    dockerHubLibraryPrefix: z.boolean().optional(),
  })
  .strict();

interface CheckedKeys {
  username?: string | undefined;
  passwordFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** A password from a file needs the name it belongs to; a client certificate needs its key, and the other way round. */
function checkCredentials(remote: CheckedKeys, ctx: z.RefinementCtx): void {
  if (remote.passwordFile !== undefined && remote.username === undefined) {
    ctx.addIssue({ code: 'custom', message: 'passwordFile needs a username', path: ['username'] });
  }
  if (remote.certFile !== undefined && remote.keyFile === undefined) {
    ctx.addIssue({ code: 'custom', message: 'certFile needs keyFile (the private key of the client certificate)', path: ['keyFile'] });
  }
  if (remote.keyFile !== undefined && remote.certFile === undefined) {
    ctx.addIssue({ code: 'custom', message: 'keyFile needs certFile (the client certificate)', path: ['certFile'] });
  }
}

/** The admin API's `password`: stored in the database, never returned. It needs a username, and excludes passwordFile. */
function checkApiPassword(remote: CheckedKeys & { password?: string | undefined }, ctx: z.RefinementCtx): void {
  checkCredentials(remote, ctx);
  if (remote.password !== undefined && remote.username === undefined) {
    ctx.addIssue({ code: 'custom', message: 'password needs a username', path: ['username'] });
  }
  if (remote.password !== undefined && remote.passwordFile !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'give password or passwordFile, not both', path: ['password'] });
  }
}

const apiPassword = { password: z.string().min(1).optional() };

export const remoteSchema = remoteFields.superRefine(checkCredentials);

export type RemoteConfig = z.infer<typeof remoteSchema>;

/**
 * A file remote: a plain HTTP(S) file source mirrored under the file store, `/files/NAME/-/<path>`
 * being `<url>/<path>` (docs/remotes.md, "File remotes"). With a `manifest` (Pulp's
 * PULP_MANIFEST: `path,sha256,size` lines) only the files it lists exist, each verified
 * against its sha256; without one any path is fetched and its digest is what arrived.
 */
const fileRemoteFields = remoteFields
  .pick({ name: true, url: true, policy: true, username: true, passwordFile: true, tlsVerify: true, caFile: true, certFile: true, keyFile: true })
  .extend({
    kind: z.literal('file'),
    /** The manifest's path relative to `url` (e.g. PULP_MANIFEST); the files it lists are relative to its directory. */
    manifest: z
      .string()
      .refine((path) => filePathProblem(path.split('/')) === undefined, 'a relative path such as PULP_MANIFEST or dist/PULP_MANIFEST')
      .optional(),
    /** How long the manifest, or a file fetched without one, is trusted before it is checked upstream again. */
    ttlSeconds: z.number().int().nonnegative().default(300),
  })
  .strict();

function checkFileRemote(remote: { policy: RemotePolicy; manifest?: string | undefined }, ctx: z.RefinementCtx): void {
  if (remote.policy === 'immediate' && remote.manifest === undefined) {
    ctx.addIssue({ code: 'custom', message: 'policy immediate needs a manifest: it is the list of files `scangate sync` brings', path: ['manifest'] });
  }
}

export const fileRemoteSchema = fileRemoteFields.superRefine((remote, ctx) => {
  checkCredentials(remote, ctx);
  checkFileRemote(remote, ctx);
});

export type FileRemoteConfig = z.infer<typeof fileRemoteSchema>;

/** Any entry of `remotes:`: an OCI registry (`kind: oci`) or a file source (`kind: file`). */
export type AnyRemoteConfig = RemoteConfig | FileRemoteConfig;

/** One `remotes:` entry of either kind (what the admin API stores is read back through it). */
export const anyRemoteSchema = z.discriminatedUnion('kind', [remoteSchema, fileRemoteSchema]);

/**
 * A remote as the admin API takes it, of either kind: the config entry's keys, plus `password`
 * (stored in the database; never returned). Either `password` or `passwordFile`, and either
 * needs a username.
 */
export const remoteApiSchema = z.discriminatedUnion('kind', [
  remoteFields.extend(apiPassword).strict().superRefine(checkApiPassword),
  fileRemoteFields
    .extend(apiPassword)
    .strict()
    .superRefine((remote, ctx) => {
      checkApiPassword(remote, ctx);
      checkFileRemote(remote, ctx);
    }),
]);

export type RemoteApiInput = z.infer<typeof remoteApiSchema>;

export const isOciRemote = (remote: AnyRemoteConfig): remote is RemoteConfig => remote.kind === 'oci';
export const isFileRemote = (remote: AnyRemoteConfig): remote is FileRemoteConfig => remote.kind === 'file';

/** Docker Hub's registry hosts, where a one-component repository is `library/NAME` upstream. */
const dockerHubHosts = new Set(['registry-1.docker.io', 'docker.io']);

/** Whether the remote maps `NAME/x` to upstream `library/x` (its own setting, or Docker Hub's host). */
export function usesLibraryPrefix(remote: Pick<RemoteConfig, 'url' | 'dockerHubLibraryPrefix'>): boolean {
  return remote.dockerHubLibraryPrefix ?? dockerHubHosts.has(new URL(remote.url).hostname.toLowerCase());
}

export const remotesSchema = z
  .array(anyRemoteSchema)
  .default([])
  .superRefine((remotes, ctx) => {
    const names = remotes.map((r) => r.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', message: `remote name ${duplicate} is used twice` });
  });
