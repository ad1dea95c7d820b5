// The live set of Harbor scanner adapters: those of this process's config file (and
// `--adapter`) and those registered through the admin API (read from the database), with the
// namespaces' choices, and one client per adapter, built on first use. Every process sharing
// the database re-reads it every `reloadIntervalMs` (10 s), and at once (throttled) when a job
// names a scanner it does not know, so a registration made on one server scans on all of them.
// A client whose registration changed is replaced; the old one stays open for the scans that
// hold it (retireAfterMs), then closes.
import type { Logger } from 'pino';
import { vulnerabilityScannerSchema, type VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';
import type { ScannerRegistrationStore, ScannerSource, StoredScannerRegistration } from '../ports/scanner-registration-store.js';
import type { HarborAdapterClient, HarborClientOptions } from '../scanners/harbor/client.js';
import { harborClientFor } from '../scanners/harbor/client-from-config.js';
import { chooseScanners } from './scanner-choice.js';
import { splitSecret, withSecret } from './scanner-secret.js';

/** A scanner this process scans with, as the admin API shows it (never its secret). */
export interface RegisteredScanner {
  /** The registration without its inline secret. */
  scanner: VulnerabilityScannerConfig;
  source: ScannerSource;
  /** Whether an inline secret is set (shown as `"set"`). */
  secretSet: boolean;
  /** When it was first recorded and last changed, and by whom (absent until recorded). */
  stored?: Pick<StoredScannerRegistration, 'createdAt' | 'updatedAt' | 'updatedBy'>;
}

export interface NamespaceChoiceEntry {
  namespace: string;
  scanners: string[];
  source: ScannerSource;
  updatedAt?: Date;
  updatedBy?: string;
}

/** What a scan job finds when it looks its scanner up. */
export type ResolvedScanner =
  | { kind: 'live'; client: HarborAdapterClient }
  /** Registered by another process's config file: that process runs it. */
  | { kind: 'elsewhere' }
  /** Deleted or disabled: its scans end. */
  | { kind: 'gone'; reason: string };

export interface AdapterRegistryOptions {
  /** The config file's scanners (with `--adapter`'s), inline secrets included. */
  configured: readonly VulnerabilityScannerConfig[];
  /** The config file's namespace choices (vulnerabilityScanning.namespaces). */
  configuredNamespaces?: Readonly<Record<string, readonly string[]>>;
  /** The database's registrations; absent: only the config file's. */
  store?: ScannerRegistrationStore;
  logger: Logger;
  /** Re-read the database when the copy is this old (default 10 s); 0: never on a timer. */
  reloadIntervalMs?: number;
  /** A job naming an unknown scanner re-reads at most this often (default 1 s). */
  missReloadMs?: number;
  /** How long a replaced client stays open for the scans that hold it (default 11 minutes). */
  retireAfterMs?: number;
  /** Options of every client (metadata cache, timeouts). */
  clientOptions?: HarborClientOptions;
}

interface LiveScanner {
  entry: RegisteredScanner;
  /** The registration with its secret: what the client is built from. */
  full: VulnerabilityScannerConfig;
  fingerprint: string;
  client?: Promise<HarborAdapterClient>;
}

export class AdapterRegistry {
  #live = new Map<string, LiveScanner>();
  /** Config scanners of other processes (recorded in the database, not in this file). */
  #elsewhere = new Set<string>();
  #namespaces: NamespaceChoiceEntry[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #chain: Promise<void> = Promise.resolve();
  #freshening = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #retiring = new Set<Promise<HarborAdapterClient>>();
  readonly #listeners = new Set<() => void>();
  readonly #warned = new Set<string>();

  private constructor(private readonly options: AdapterRegistryOptions) {}

  /** The registry, loaded; with a store, re-read on a timer until close(). */
  static async open(options: AdapterRegistryOptions): Promise<AdapterRegistry> {
    const registry = new AdapterRegistry(options);
    await registry.reload();
    const interval = options.reloadIntervalMs ?? 10_000;
    if (options.store && interval > 0) {
      registry.#timer = setInterval(() => void registry.#freshen(), interval);
      registry.#timer.unref();
    }
    return registry;
  }

  /** Every scanner, by name. */
  entries(): RegisteredScanner[] {
    return [...this.#live.values()].map((live) => live.entry).sort((a, b) => (a.scanner.name < b.scanner.name ? -1 : 1));
  }

  entry(name: string): RegisteredScanner | undefined {
    return this.#live.get(name)?.entry;
  }

  /** Every namespace choice: the config file's, then the API's. */
  namespaceChoices(): NamespaceChoiceEntry[] {
    return this.#namespaces;
  }

  /** The scanners that scan `repository` (scanner-choice.ts): scan on push, rescans and campaigns ask this. */
  readonly scannersFor = (repository: string): string[] => {
    const scanners = this.entries().map(({ scanner }) => scanner);
    return chooseScanners({ scanners, namespaces: new Map(this.#namespaces.map((c) => [c.namespace, c.scanners])) }, repository);
  };

  /** The client of a registered scanner (built now if it is the first use); undefined when there is none. */
  async client(name: string): Promise<HarborAdapterClient | undefined> {
    const live = this.#live.get(name);
    if (!live) return undefined;
    if (!live.client) {
      const building = harborClientFor(live.full, this.options.clientOptions);
      live.client = building;
      // A client that could not be built (an unreadable file) is tried again next time.
      building.catch(() => {
        const now = this.#live.get(name);
        if (now?.client === building) now.client = undefined;
      });
    }
    return live.client;
  }

  /** For a scan job: the scanner's client, or why there is none; an unknown name re-reads the database first. */
  async resolve(name: string): Promise<ResolvedScanner> {
    if (!this.#live.has(name) && this.options.store && Date.now() - this.#loadedAt >= (this.options.missReloadMs ?? 1000)) await this.reload();
    const live = this.#live.get(name);
    if (live?.entry.scanner.enabled) return { kind: 'live', client: (await this.client(name))! };
    if (live) return { kind: 'gone', reason: `vulnerability scanner ${name} is disabled` };
    if (this.#elsewhere.has(name)) return { kind: 'elsewhere' };
    return { kind: 'gone', reason: `no vulnerability scanner named ${name} is registered any more` };
  }

  /** Health checks of the enabled scanners (/readyz): /metadata as the client caches it. */
  healthChecks(): Record<string, () => Promise<void>> {
    const enabled = this.entries().filter((e) => e.scanner.enabled);
    return Object.fromEntries(enabled.map(({ scanner: { name } }) => [name, async () => void (await (await this.client(name))?.health())]));
  }

  /** For the metrics: whether each enabled scanner answers, and how long its last /metadata took. */
  async healthSummary(): Promise<Record<string, { up: boolean; metadataSeconds?: number }>> {
    const checks = Object.entries(this.healthChecks());
    const results = await Promise.all(
      checks.map(async ([name, check]) => {
        const up = await check().then(() => true, () => false);
        const seconds = (await this.client(name).catch(() => undefined))?.lastMetadataCall?.seconds;
        return [name, { up, ...(seconds !== undefined ? { metadataSeconds: seconds } : {}) }] as const;
      }),
    );
    return Object.fromEntries(results);
  }

  /** Builds the clients of the config file's scanners now: a secret or CA file that cannot be read stops the start. */
  async checkConfigured(): Promise<void> {
    for (const scanner of this.options.configured) await this.client(scanner.name);
  }

  /** Called after every read. */
  onReload(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** A read of the database that starts after this call (an admin change is seen once it resolves). */
  reload(): Promise<void> {
    const next = this.#chain.catch(() => {}).then(() => this.#load());
    this.#chain = next;
    return next;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const clients = [...[...this.#live.values()].flatMap((live) => (live.client ? [live.client] : [])), ...this.#retiring];
    this.#live = new Map();
    this.#retiring.clear();
    await Promise.all(clients.map((client) => client.then((c) => c.close(), () => {})));
  }

  /** The timer's read, unless one is under way; a failure is logged and the copy kept. */
  async #freshen(): Promise<void> {
    if (this.#freshening) return;
    this.#freshening = true;
    try {
      await this.reload();
    } catch (err) {
      this.options.logger.warn({ err }, 'could not re-read the vulnerability scanners from the database; keeping those known');
    } finally {
      this.#freshening = false;
    }
  }

  async #load(): Promise<void> {
    const startedAt = Date.now();
    const store = this.options.store;
    const [rows, choices] = store ? await Promise.all([store.listScanners(), store.listNamespaceChoices()]) : [[], []];
    const byName = new Map(rows.map((row) => [row.scanner.name, row]));
    const next = new Map<string, LiveScanner>();
    for (const full of this.options.configured) {
      const { scanner, secret } = splitSecret(full);
      const row = byName.get(full.name);
      next.set(full.name, this.#liveScanner({ scanner, source: 'config', secretSet: secret !== undefined, ...(row ? { stored: storedOf(row) } : {}) }, full));
    }
    const elsewhere = new Set<string>();
    for (const row of rows) {
      if (next.has(row.scanner.name)) continue;
      if (row.source === 'config') elsewhere.add(row.scanner.name);
      else this.#storedScanner(row, next);
    }
    this.#swap(next);
    this.#elsewhere = elsewhere;
    this.#namespaces = this.#choicesOf(choices);
    this.#loadedAt = startedAt;
    for (const listener of this.#listeners) listener();
  }

  /** An API registration as it will run; one that is no longer valid is left out (logged once). */
  #storedScanner(row: StoredScannerRegistration, next: Map<string, LiveScanner>): void {
    const parsed = vulnerabilityScannerSchema.safeParse(withSecret(row.scanner, row.secret));
    if (!parsed.success) {
      this.#warnOnce(`invalid:${row.scanner.name}:${row.updatedAt.getTime()}`, { scanner: row.scanner.name, problems: parsed.error.issues.map((i) => i.message) }, 'a vulnerability scanner in the database is not valid; it scans nothing');
      return;
    }
    const entry: RegisteredScanner = { scanner: splitSecret(parsed.data).scanner, source: 'api', secretSet: row.secret !== undefined, stored: storedOf(row) };
    next.set(row.scanner.name, this.#liveScanner(entry, parsed.data));
  }

  /** The entry with its client: the one it has when nothing it is built from changed. */
  #liveScanner(entry: RegisteredScanner, full: VulnerabilityScannerConfig): LiveScanner {
    const { default: _, enabled: __, required: ___, ...connection } = full;
    const fingerprint = JSON.stringify(connection);
    const current = this.#live.get(full.name);
    if (current && current.fingerprint === fingerprint) return { ...current, entry, full };
    return { entry, full, fingerprint };
  }

  #choicesOf(stored: Awaited<ReturnType<ScannerRegistrationStore['listNamespaceChoices']>>): NamespaceChoiceEntry[] {
    const configured = Object.entries(this.options.configuredNamespaces ?? {}).map(([namespace, scanners]) => ({ namespace, scanners: [...scanners], source: 'config' as const }));
    const taken = new Set(configured.map((c) => c.namespace));
    const api = stored.filter((c) => !taken.has(c.namespace)).map((c) => ({ ...c, source: 'api' as const }));
    const choices = [...configured, ...api];
    for (const choice of choices) {
      const unknown = choice.scanners.filter((name) => !this.#live.has(name));
      if (unknown.length > 0) this.#warnOnce(`unknown:${choice.namespace}:${unknown.join(',')}`, { namespace: choice.namespace, unknown }, 'a namespace chose vulnerability scanners that are not registered; they are left out');
    }
    return choices;
  }

  /** From now on, `next`: replaced clients retired, the change logged. */
  #swap(next: Map<string, LiveScanner>): void {
    for (const [name, old] of this.#live) {
      const now = next.get(name);
      if (now?.fingerprint === old.fingerprint) continue;
      if (old.client) this.#retire(old.client);
      if (!now) this.options.logger.info({ scanner: name }, 'vulnerability scanner no longer registered');
    }
    for (const [name, now] of next) {
      if (this.#live.has(name)) continue;
      this.options.logger.info({ scanner: name, url: now.entry.scanner.url, source: now.entry.source }, 'vulnerability scanner registered');
    }
    this.#live = next;
  }

  #retire(client: Promise<HarborAdapterClient>): void {
    this.#retiring.add(client);
    const timer = setTimeout(() => {
      this.#retiring.delete(client);
      void client.then((c) => c.close(), () => {});
    }, this.options.retireAfterMs ?? 11 * 60_000);
    timer.unref();
  }

  /** Every process re-reads every few seconds: say each problem once. */
  #warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.options.logger.warn(fields, message);
  }
}

function storedOf(row: StoredScannerRegistration): NonNullable<RegisteredScanner['stored']> {
  return { createdAt: row.createdAt, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}
