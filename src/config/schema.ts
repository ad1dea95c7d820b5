// The configuration schema: the one source of both validation and types. Every object is
// strict, so an unknown or misspelt key stops the start with a message naming it.
import { z } from 'zod';
import { isRepositoryName } from '../domain/names.js';
import { admissionSchema } from './admission-schema.js';
import { bucketsSchema } from './bucket-schema.js';
import { remotesSchema } from './remote-schema.js';
import { vulnerabilityScannersSchema, vulnerabilityScanningSchema } from './vulnerability-scanner-schema.js';
import { eventsSchema, webhooksSchema } from './webhook-schema.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:5000');

const sqliteDatabase = z
  .object({
    driver: z.literal('sqlite'),
    /** Defaults to DATA/scangate.db. */
    path: z.string().min(1).optional(),
  })
  .strict();

const postgresDatabase = z
  .object({
    driver: z.literal('postgres'),
    /** postgres://user:password@host:port/db — the password is hidden by `config print`. */
    url: z.string().min(1),
    poolSize: z.number().int().positive().default(10),
  })
  .strict();

const filesystemStorage = z
  .object({
    driver: z.literal('filesystem'),
    /** Defaults to DATA/blobs. */
    path: z.string().min(1).optional(),
    /** fsync each blob before it is committed, so a power cut cannot lose an acknowledged push. */
    fsync: z.boolean().default(true),
  })
  .strict();

const scannerName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _ (it names the scanner in reports)');

const clamdScanner = z
  .object({
    name: scannerName,
    kind: z.literal('clamd'),
    /** `tcp://HOST:PORT` or `unix:///PATH` of a running clamd. Leave out with `managed: true`. */
    address: z.string().min(1).optional(),
    /** Start clamd as a child process, with its config and signatures under DATA/clamd. */
    managed: z.boolean().default(false),
    /**
     * clamd reads stored blobs where they are (SCAN <path>) instead of being sent their bytes
     * (INSTREAM). Default: on for the managed clamd (it runs here, as scangate's user), off
     * for one at an address; turn it on when that clamd runs on this host and may read the
     * data directory. Only the filesystem blob store has files to give it.
     */
    scanInPlace: z.boolean().optional(),
    timeoutSeconds: z.number().positive().default(600),
  })
  .strict()
  .refine((c) => c.managed || c.address !== undefined, { message: 'a clamd scanner needs an address, or managed: true' });

const commandScanner = z
  .object({
    name: scannerName,
    kind: z.literal('command'),
    /** argv with `{path}` (and `{digest}`, `{mediaType}`, `{filename}`), run without a shell. */
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    /** A command whose first output line names the engine and signature version. */
    versionCommand: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    timeoutSeconds: z.number().positive().default(600),
  })
  .strict();

export type ScannerConfig = z.infer<typeof clamdScanner> | z.infer<typeof commandScanner>;

const scanning = z
  .object({
    /** false runs a registry with no gate at all (`serve --no-scan`): loudly logged. */
    enabled: z.boolean().default(true),
    /** The scanners; by default a clamd that scangate starts itself. */
    scanners: z
      .array(z.discriminatedUnion('kind', [clamdScanner, commandScanner]))
      .default([{ name: 'clamav', kind: 'clamd', managed: true, timeoutSeconds: 600 }]),
    /** Namespace -> the scanners it requires. A namespace not listed requires every scanner. */
    require: z.record(z.string(), z.array(scannerName)).default({}),
    /** false: `serve` runs no scan jobs or rescans itself; `scangate worker` processes do. */
    workers: z.boolean().default(true),
    /** Scans running at once in this process. */
    concurrency: z.number().int().positive().default(2),
    /** How long a manifest PUT waits for its blobs' verdicts before it is accepted as pending. */
    manifestWaitSeconds: z.number().nonnegative().default(60),
    /** What happens to infected bytes: moved to an admin-only quarantine area, or deleted. */
    onInfected: z.enum(['quarantine', 'delete']).default('quarantine'),
    /** Scan jobs retry scanner errors with exponential backoff and jitter, then fail. */
    retry: z
      .object({
        maxAttempts: z.number().int().positive().default(8),
        baseSeconds: z.number().positive().default(1),
        capSeconds: z.number().positive().default(120),
      })
      .strict()
      .default({ maxAttempts: 8, baseSeconds: 1, capSeconds: 120 }),
    /** Background rescans of released content after a signature-database update. */
    rescan: z
      .object({
        intervalSeconds: z.number().positive().default(60),
        /** Most digests queued for rescan per interval (a rate limit). */
        batch: z.number().int().positive().default(200),
      })
      .strict()
      .default({ intervalSeconds: 60, batch: 200 }),
  })
  .strict()
  .superRefine((value, ctx) => {
    const names = value.scanners.map((s) => s.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate) ctx.addIssue({ code: 'custom', path: ['scanners'], message: `scanner name ${duplicate} is used twice` });
    for (const [namespace, required] of Object.entries(value.require)) {
      for (const name of required) {
        if (!names.includes(name)) ctx.addIssue({ code: 'custom', path: ['require', namespace], message: `no scanner is named ${name}` });
      }
    }
  });

const auth = z
  .object({
    /** false turns identity and policy off (`serve --no-auth`): anyone may do anything. Loudly logged. */
    enabled: z.boolean().default(true),
    /** The token's audience and the challenge's `service`. */
    service: z.string().min(1).default('scangate'),
    /** The token endpoint's URL for challenges; default `http://HOST/token` from the request's Host. */
    realm: z.string().url().optional(),
    /** Lifetime of the registry tokens /token issues (at most an hour). */
    tokenTtlSeconds: z.number().int().positive().max(3600).default(300),
    /** An oslo.policy file (JSON or YAML) laid over the default rules by name. */
    policyFile: z.string().min(1).optional(),
    /** Callers without credentials may pull wherever the policy allows it (creds with no roles). */
    anonymousPull: z.boolean().default(false),
    /** Property protections in Glance's format (regex sections with create/read/update/delete). */
    propertyProtectionsFile: z.string().min(1).optional(),
    /** `roles`: the sections list roles; `policies`: each names a policy rule (Glance's property_protection_rule_format). */
    propertyProtectionsFormat: z.enum(['roles', 'policies']).default('roles'),
    /** Which access decisions go to the audit log: `denials`, `all` (one line per request) or `off`. */
    audit: z.enum(['off', 'denials', 'all']).default('denials'),
    /** The audit log file; default DATA/audit/decisions.log. */
    auditFile: z.string().min(1).optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** Where the HTTP server listens. */
    listen: hostPort.default('127.0.0.1:5000'),
    /** The directory for everything scangate keeps on the embedded default. */
    data: z.string().min(1).default('./data'),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    database: z.discriminatedUnion('driver', [sqliteDatabase, postgresDatabase]).default({ driver: 'sqlite' }),
    storage: z.discriminatedUnion('driver', [filesystemStorage]).default({ driver: 'filesystem', fsync: true }),
    registry: z
      .object({
        /** Manifests larger than this are refused (the spec suggests at least 4 MiB). */
        maxManifestBytes: z.number().int().positive().default(4 * 1024 * 1024),
        /** Staged uploads untouched for this long are swept away. */
        uploadTtlSeconds: z.number().int().positive().default(24 * 60 * 60),
        /** Default and maximum page size for tags and _catalog listings. */
        maxPageSize: z.number().int().positive().default(1000),
        /**
         * Namespaces of more than one path component (`org/team`): a repository under one
         * belongs to the longest that matches; any other to its first path component.
         */
        namespaces: z.array(z.string().refine(isRepositoryName, 'a namespace is a repository name such as org/team')).default([]),
      })
      .strict()
      .default({ maxManifestBytes: 4 * 1024 * 1024, uploadTtlSeconds: 24 * 60 * 60, maxPageSize: 1000, namespaces: [] }),
    scanning: scanning.default(() => scanning.parse({})),
    auth: auth.default(() => auth.parse({})),
    /** Upstream registries mirrored under a local namespace (pull-through caches; docs/remotes.md). */
    remotes: remotesSchema,
    /** Vulnerability scanners behind Harbor scanner adapters (docs/vulnerability-scanners.md). */
    vulnerabilityScanners: vulnerabilityScannersSchema,
    /** When and how images are sent to them. */
    vulnerabilityScanning: vulnerabilityScanningSchema,
    /** The Kubernetes validating admission webhook (docs/admission.md). */
    admission: admissionSchema,
    /** Signed webhook deliveries of domain events (docs/webhooks.md). */
    webhooks: webhooksSchema.default(() => webhooksSchema.parse({})),
    /** Where domain events are logged. */
    events: eventsSchema.default(() => eventsSchema.parse({})),
    /** S3 buckets whose new objects are scanned from their event notifications (docs/buckets.md). */
    buckets: bucketsSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
