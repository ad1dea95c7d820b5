// The configuration schema: the one source of both validation and types. Every object is
// strict, so an unknown or misspelt key stops the start with a message naming it.
import { z } from 'zod';

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
      })
      .strict()
      .default({ maxManifestBytes: 4 * 1024 * 1024, uploadTtlSeconds: 24 * 60 * 60, maxPageSize: 1000 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
