// The `remotes:` section of the configuration: upstream registries mirrored under a local
// namespace (`/v2/NAME/<path>` is upstream `<path>`). Kept apart from schema.ts because the
// `--remote` flag (remote-flag.ts) builds entries of the same shape.
import { z } from 'zod';

/** One path component of a repository name: the remote's local namespace. */
const remoteName = z
  .string()
  .regex(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/, 'one repository path component (lower-case letters, digits, . _ -), e.g. hub');

export const remotePolicies = ['on_demand', 'streamed', 'immediate'] as const;
export type RemotePolicy = (typeof remotePolicies)[number];

export const remoteSchema = z
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
    /** How long a tag is trusted before it is checked upstream again. */
    tagTtlSeconds: z.number().int().nonnegative().default(300),
    /** Upstream repositories that may be mirrored (globs: `*` within a path component, `**` across); absent: all. */
    repositories: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((r) => r.passwordFile === undefined || r.username !== undefined, {
    message: 'passwordFile needs a username',
    path: ['username'],
  });

export type RemoteConfig = z.infer<typeof remoteSchema>;

export const remotesSchema = z
  .array(remoteSchema)
  .default([])
  .superRefine((remotes, ctx) => {
    const names = remotes.map((r) => r.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', message: `remote name ${duplicate} is used twice` });
  });
