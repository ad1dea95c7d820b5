// ScannerRegistrationStore: the Harbor scanner adapters scangate knows, kept in the metadata
// database so that every process sharing it scans with the same ones, and the scanners each
// namespace chose. Adapter: SQL (src/metadata/sql-scanner-registration-store.ts); every
// adapter runs src/metadata/scanner-registration-store.suite.ts.
//
// Registrations come from the admin API (`source: api`) and from the config file or
// `--adapter` (`source: config`: recorded at start so that the system knows which scanners it
// has seen before; the file stays their truth). The store keeps what it is given; the one rule
// it enforces is that at most one registration of the API is the default (setting one clears
// the others in the same transaction). Validation and who may change what live in
// src/vulnerabilities/scanner-admin.ts.
import type { VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';

export type ScannerSource = 'config' | 'api';

export interface StoredScannerRegistration {
  /** The registration, with its inline secret (auth password, token or apiKey) taken out. */
  scanner: VulnerabilityScannerConfig;
  /** The inline secret given with it, stored as given; never shown by the API. */
  secret: string | undefined;
  source: ScannerSource;
  createdAt: Date;
  updatedAt: Date;
  /** Who registered or last changed it: the admin API's actor, or `config`. */
  updatedBy: string;
}

export interface NamespaceScannerChoice {
  namespace: string;
  /** The scanners that scan the namespace's repositories, by name. */
  scanners: string[];
  updatedAt: Date;
  updatedBy: string;
}

export interface ScannerRegistrationStore {
  /** Every registration, by name. */
  listScanners(): Promise<StoredScannerRegistration[]>;
  getScanner(name: string): Promise<StoredScannerRegistration | undefined>;
  /** Stores a new registration; undefined (and nothing changed) when the name is taken. */
  createScanner(scanner: VulnerabilityScannerConfig, secret: string | undefined, source: ScannerSource, actor: string): Promise<StoredScannerRegistration | undefined>;
  /**
   * Replaces the registration named `scanner.name` (its source stays). `secret`: a new one,
   * `null` to remove it, `undefined` to keep the stored one. Undefined when there is none.
   */
  updateScanner(scanner: VulnerabilityScannerConfig, secret: string | null | undefined, actor: string): Promise<StoredScannerRegistration | undefined>;
  /**
   * Records a scanner of the config file: created (`created: true`, the first time this name
   * is seen) or its stored definition brought up to the file's, becoming `source: config`.
   * Several processes starting at once: exactly one of them sees `created`.
   */
  recordConfigured(scanner: VulnerabilityScannerConfig): Promise<{ created: boolean }>;
  /** False when there was no such registration. */
  deleteScanner(name: string): Promise<boolean>;
  /** Makes `name` the API's default scanner (null: none); false when there is no such registration. */
  setDefault(name: string | null, actor: string): Promise<boolean>;

  listNamespaceChoices(): Promise<NamespaceScannerChoice[]>;
  /** Creates or replaces a namespace's choice. */
  putNamespaceChoice(namespace: string, scanners: readonly string[], actor: string): Promise<NamespaceScannerChoice>;
  /** False when the namespace had no choice. */
  deleteNamespaceChoice(namespace: string): Promise<boolean>;
}
