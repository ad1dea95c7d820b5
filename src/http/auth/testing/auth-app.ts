// A real app with identity and policy on, for module tests driven with app.inject():
// SQLite in a temp dir shared by the metadata and identity stores, the first-start admin,
// and helpers to add users and robots with roles.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { hashPassword } from '../../../auth/passwords.js';
import { createRobotAccount } from '../../../auth/robots.js';
import { configSchema, type ConfigInput } from '../../../config/schema.js';
import { openDatabase } from '../../../metadata/database.js';
import { SqlIdentityStore } from '../../../metadata/sql-identity-store.js';
import { SqlMetadataStore } from '../../../metadata/sql-metadata-store.js';
import { SqlPropertyStore } from '../../../metadata/sql-property-store.js';
import { SqlVulnerabilityStore } from '../../../metadata/sql-vulnerability-store.js';
import { SqlVulnerabilityReportStore } from '../../../metadata/sql-vulnerability-report-store.js';
import { SqlReportSigningKeyStore } from '../../../metadata/sql-report-signing-key-store.js';
import { FilesystemBlobStore } from '../../../storage/fs-blob-store.js';
import { buildApp } from '../../app.js';
import type { AccessControl } from '../access-control.js';
import { createAccessControl } from '../create.js';
import type { Events } from '../../../ports/event-sink.js';

export interface AuthTestApp {
  app: FastifyInstance;
  access: AccessControl;
  identity: SqlIdentityStore;
  properties: SqlPropertyStore;
  vulnerabilities: SqlVulnerabilityStore;
  reports: SqlVulnerabilityReportStore;
  reportKeys: SqlReportSigningKeyStore;
  dataDir: string;
  adminPassword: string;
  /** A user with `role` on `namespace`; returns its Basic header. */
  addUser(name: string, password: string, bindings: { namespace: string; role: string }[]): Promise<string>;
  /** A robot owned by admin with `role` on `namespace`; returns its Basic header. */
  addRobot(name: string, bindings: { namespace: string; role: string }[]): Promise<string>;
  close(): Promise<void>;
}

export const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${name}:${secret}`).toString('base64')}`;

/** `auth` may name files relative to the app's data dir through `prepare`, called first with it; `events` receives what the app emits. */
export async function startAuthTestApp(auth: ConfigInput['auth'] = {}, prepare?: (dataDir: string) => Promise<ConfigInput['auth']>, events?: Events): Promise<AuthTestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-auth-app-'));
  if (prepare) auth = { ...auth, ...(await prepare(dataDir)) };
  const config = configSchema.parse({ data: dataDir, storage: { driver: 'filesystem', fsync: false }, auth });
  const db = openDatabase(config.database, dataDir);
  const metadata = new SqlMetadataStore(db, { ownsDatabase: false });
  await metadata.migrate();
  const identity = new SqlIdentityStore(db);
  const logger = pino({ level: 'silent' });
  const access = (await createAccessControl(config, identity, dataDir, logger))!;
  const blobs = new FilesystemBlobStore({ root: join(dataDir, 'blobs'), fsync: false });
  const properties = new SqlPropertyStore(db);
  const vulnerabilities = new SqlVulnerabilityStore(db);
  const reports = new SqlVulnerabilityReportStore(db);
  const reportKeys = new SqlReportSigningKeyStore(db);
  const app = await buildApp({ config, blobs, metadata, logger, access, properties, vulnerabilities, vulnerabilityReports: reports, reportSigningKeys: reportKeys, ...(events ? { events } : {}) });
  const adminPassword = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim();
  const admin = (await identity.findUserByName('admin'))!;
  return {
    app,
    access,
    identity,
    properties,
    vulnerabilities,
    reports,
    reportKeys,
    dataDir,
    adminPassword,
    async addUser(name, password, bindings) {
      await identity.createUser({ name, passwordHash: await hashPassword(password) }, bindings);
      return basic(name, password);
    },
    async addRobot(name, bindings) {
      const { robot, token } = await createRobotAccount(identity, { name, ownerId: admin.id });
      for (const binding of bindings) await identity.bind({ principal: { kind: 'robot', id: robot.id }, ...binding });
      return basic(name, token);
    },
    async close() {
      await app.close();
      await access.close();
      await db.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
