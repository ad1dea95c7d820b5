// What the admin API does with scanner registrations (http/admin/vulnerability-scanner-routes.ts
// is only its HTTP face). Scanners of the config file are listed but belong to the file (a
// change answers 409); those registered here are stored with their secret (never shown again:
// "set"). A new registration is checked first: the adapter must answer GET /metadata as a
// scanner adapter producing a report scangate reads, unless forced. This process re-reads the
// registry after each change; other processes follow within their reload interval.
import type { Logger } from 'pino';
import type { VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';
import { RegistryError } from '../domain/errors.js';
import { isRepositoryName, namespaceOf } from '../domain/names.js';
import type { ScannerRegistrationStore } from '../ports/scanner-registration-store.js';
import { isAdapterError } from '../scanners/harbor/adapter-error.js';
import type { AdapterMetadata, HarborAdapterClient } from '../scanners/harbor/client.js';
import { harborClientFor } from '../scanners/harbor/client-from-config.js';
import { readableReportTypes } from '../scanners/harbor/protocol.js';
import type { AdapterRegistry, NamespaceChoiceEntry, RegisteredScanner } from './adapter-registry.js';
import { announceRegistered, type ScannerRegisteredListener } from './scanner-registrations.js';
import { secretField, splitSecret } from './scanner-secret.js';
import { healthOf, metadataView, scannerView, secretSetMarker, withTimeout, type MetadataView, type ScannerView } from './scanner-views.js';

export interface ScannerAdminDeps {
  registry: AdapterRegistry;
  store: ScannerRegistrationStore;
  onScannerRegistered: ScannerRegisteredListener;
  logger: Logger;
  /** How long a health check or a check of a new registration may take (default 5 s). */
  checkTimeoutMs?: number;
}

export interface NamespaceChoiceView {
  namespace: string;
  /** What the namespace chose; null: nothing (the default scanner, else every one, applies). */
  chosen: string[] | null;
  source: 'config' | 'api' | null;
  /** The scanners its repositories are scanned by now (required ones included). */
  effective: string[];
  updatedAt?: string;
  updatedBy?: string;
}

export class ScannerAdmin {
  readonly #timeoutMs: number;

  constructor(private readonly deps: ScannerAdminDeps) {
    this.#timeoutMs = deps.checkTimeoutMs ?? 5_000;
  }

  async list(): Promise<ScannerView[]> {
    await this.deps.registry.reload();
    return Promise.all(this.deps.registry.entries().map((entry) => this.#viewWithHealth(entry)));
  }

  async get(name: string): Promise<ScannerView> {
    await this.deps.registry.reload();
    return this.#viewWithHealth(this.#existing(name));
  }

  /** A new registration (checked against the adapter unless `force`); 409 when the name is taken. */
  async create(input: VulnerabilityScannerConfig, force: boolean, actor: string): Promise<ScannerView> {
    await this.deps.registry.reload();
    this.#refuseConfigDefault(input);
    if (!force) await this.#check(input);
    const { scanner, secret } = splitSecret(input);
    if (!(await this.deps.store.createScanner(scanner, secret, 'api', actor))) {
      throw new RegistryError('UNSUPPORTED', `vulnerability scanner ${input.name} exists; change it with PUT /admin/vulnerability-scanners/${input.name}`, {
        status: 409,
        detail: { reason: 'exists', scanner: input.name },
      });
    }
    await this.deps.registry.reload();
    await announceRegistered(this.deps.onScannerRegistered, input.name, 'api', this.deps.logger);
    return this.get(input.name);
  }

  /**
   * The body of an update with the stored secret put back where the client left it out (or
   * sent back "set"): the API never shows a secret, so a client cannot send it again.
   */
  async withKeptSecret(name: string, body: unknown): Promise<unknown> {
    if (!isObject(body) || !isObject(body.auth)) return body;
    const stored = await this.deps.store.getScanner(name);
    const field = secretField(body.auth.kind as never);
    if (!stored?.secret || !field || stored.scanner.auth.kind !== body.auth.kind) return body;
    const given = body.auth[field];
    const fileGiven = Object.keys(body.auth).some((key) => key.endsWith('File'));
    if ((given !== undefined && given !== secretSetMarker) || fileGiven) return body;
    return { ...body, auth: { ...body.auth, [field]: stored.secret } };
  }

  /** Replaces an API registration (checked again when where or how it connects changed, unless `force`). */
  async update(input: VulnerabilityScannerConfig, force: boolean, actor: string): Promise<ScannerView> {
    await this.deps.registry.reload();
    this.#refuseConfigured(this.#existing(input.name));
    this.#refuseConfigDefault(input);
    const stored = await this.deps.store.getScanner(input.name);
    const { scanner, secret } = splitSecret(input);
    if (!force && stored && connectionOf(stored.scanner, stored.secret) !== connectionOf(scanner, secret)) await this.#check(input);
    if (!(await this.deps.store.updateScanner(scanner, secret ?? null, actor))) throw unknownScanner(input.name);
    return this.#reloaded(input.name);
  }

  async delete(name: string): Promise<void> {
    await this.deps.registry.reload();
    this.#refuseConfigured(this.#existing(name));
    const choosers = this.deps.registry.namespaceChoices().filter((c) => c.scanners.includes(name));
    if (choosers.length > 0) {
      const namespaces = choosers.map((c) => c.namespace);
      throw new RegistryError('UNSUPPORTED', `vulnerability scanner ${name} is chosen by namespace ${namespaces.join(', ')}: change their choice first`, {
        status: 409,
        detail: { reason: 'chosen', scanner: name, namespaces },
      });
    }
    if (!(await this.deps.store.deleteScanner(name))) throw unknownScanner(name);
    await this.deps.registry.reload();
  }

  /** Makes `name` the default scanner. */
  async setDefault(name: string, actor: string): Promise<void> {
    await this.deps.registry.reload();
    this.#refuseConfigDefault({ name, default: true });
    this.#refuseConfigured(this.#existing(name));
    if (!(await this.deps.store.setDefault(name, actor))) throw unknownScanner(name);
    await this.deps.registry.reload();
  }

  /** `name` is no longer the default: no scanner is (namespaces without a choice get every one). */
  async unsetDefault(name: string, actor: string): Promise<void> {
    await this.deps.registry.reload();
    const entry = this.#existing(name);
    if (!entry.scanner.default) throw new RegistryError('UNSUPPORTED', `vulnerability scanner ${name} is not the default`, { status: 404, detail: { scanner: name } });
    this.#refuseConfigured(entry);
    await this.deps.store.setDefault(null, actor);
    await this.deps.registry.reload();
  }

  /** The adapter's metadata (as cached, 30 s). */
  async metadata(name: string): Promise<MetadataView> {
    await this.deps.registry.reload();
    this.#existing(name);
    const client = (await this.deps.registry.client(name))!;
    return metadataView(await this.#ask(name, client, (c) => withTimeout(c.metadata(), this.#timeoutMs)));
  }

  /** Asks the adapter now (not the cache): its metadata and how long the answer took. */
  async ping(name: string): Promise<MetadataView & { metadataSeconds: number }> {
    await this.deps.registry.reload();
    this.#existing(name);
    return this.#pingWith(name, (await this.deps.registry.client(name))!);
  }

  /** A registration tried without storing it. */
  async pingUnregistered(input: VulnerabilityScannerConfig): Promise<MetadataView & { metadataSeconds: number }> {
    const client = await this.#clientFor(input);
    try {
      return await this.#pingWith(input.name, client);
    } finally {
      await client.close();
    }
  }

  async namespaceChoices(): Promise<NamespaceChoiceView[]> {
    await this.deps.registry.reload();
    return this.deps.registry.namespaceChoices().map((choice) => this.#choiceView(choice.namespace, choice));
  }

  async namespaceChoice(namespace: string): Promise<NamespaceChoiceView> {
    checkNamespace(namespace);
    await this.deps.registry.reload();
    return this.#choiceView(namespace, this.#choiceOf(namespace));
  }

  async putNamespaceChoice(namespace: string, scanners: string[], actor: string): Promise<NamespaceChoiceView> {
    checkNamespace(namespace);
    await this.deps.registry.reload();
    this.#refuseConfiguredChoice(namespace);
    const unknown = scanners.filter((name) => !this.deps.registry.entry(name));
    if (unknown.length > 0) throw new RegistryError('UNSUPPORTED', `invalid body: scanners: no vulnerability scanner is named ${unknown.join(', ')}`, { status: 400, detail: { unknown } });
    await this.deps.store.putNamespaceChoice(namespace, [...new Set(scanners)], actor);
    return this.namespaceChoice(namespace);
  }

  async deleteNamespaceChoice(namespace: string): Promise<void> {
    checkNamespace(namespace);
    await this.deps.registry.reload();
    this.#refuseConfiguredChoice(namespace);
    if (!(await this.deps.store.deleteNamespaceChoice(namespace))) {
      throw new RegistryError('UNSUPPORTED', `namespace ${namespace} chose no vulnerability scanners`, { status: 404, detail: { namespace } });
    }
    await this.deps.registry.reload();
  }

  async #viewWithHealth(entry: RegisteredScanner): Promise<ScannerView> {
    return scannerView(entry, await healthOf(entry, () => this.deps.registry.client(entry.scanner.name), this.#timeoutMs));
  }

  async #reloaded(name: string): Promise<ScannerView> {
    await this.deps.registry.reload();
    return this.#viewWithHealth(this.#existing(name));
  }

  #existing(name: string): RegisteredScanner {
    const entry = this.deps.registry.entry(name);
    if (!entry) throw unknownScanner(name);
    return entry;
  }

  #refuseConfigured(entry: RegisteredScanner): void {
    if (entry.source !== 'config') return;
    const name = entry.scanner.name;
    throw conflict(`vulnerability scanner ${name} is registered by the config file (or --adapter): edit the file (and restart) to change it`, { reason: 'config', scanner: name });
  }

  #configDefault(): string | undefined {
    return this.deps.registry.entries().find((e) => e.source === 'config' && e.scanner.default)?.scanner.name;
  }

  #refuseConfigDefault(input: Pick<VulnerabilityScannerConfig, 'name' | 'default'>): void {
    const configDefault = this.#configDefault();
    if (input.default && configDefault && configDefault !== input.name) {
      throw conflict(`the config file makes ${configDefault} the default vulnerability scanner: edit the file to change it`, { reason: 'config', scanner: configDefault });
    }
  }

  #choiceOf(namespace: string): NamespaceChoiceEntry | undefined {
    return this.deps.registry.namespaceChoices().find((c) => c.namespace === namespace);
  }

  #refuseConfiguredChoice(namespace: string): void {
    if (this.#choiceOf(namespace)?.source !== 'config') return;
    throw conflict(`namespace ${namespace} chooses its vulnerability scanners in the config file (vulnerabilityScanning.namespaces): edit the file to change it`, { reason: 'config', namespace });
  }

  #choiceView(namespace: string, choice: NamespaceChoiceEntry | undefined): NamespaceChoiceView {
    return {
      namespace,
      chosen: choice ? choice.scanners : null,
      source: choice ? choice.source : null,
      effective: this.deps.registry.scannersFor(`${namespace}/x`),
      ...(choice?.updatedAt ? { updatedAt: choice.updatedAt.toISOString() } : {}),
      ...(choice?.updatedBy ? { updatedBy: choice.updatedBy } : {}),
    };
  }

  /** The adapter must answer /metadata and produce a report scangate reads: else 502 (unreachable) or 422. */
  async #check(input: VulnerabilityScannerConfig): Promise<void> {
    const client = await this.#clientFor(input);
    try {
      const metadata = await this.#ask(input.name, client, (c) => c.metadata(AbortSignal.timeout(this.#timeoutMs)), 'register it anyway with ?force=true');
      if (metadata.reportMimeType === undefined) {
        throw notAnAdapter(input.name, `it produces no vulnerability report scangate reads (${readableReportTypes.join(', ')})`, 'register it anyway with ?force=true');
      }
    } finally {
      await client.close();
    }
  }

  async #pingWith(name: string, client: HarborAdapterClient): Promise<MetadataView & { metadataSeconds: number }> {
    const metadata = await this.#ask(name, client, (c) => c.metadata(AbortSignal.timeout(this.#timeoutMs), { fresh: true }));
    return { ...metadataView(metadata), metadataSeconds: client.lastMetadataCall?.seconds ?? 0 };
  }

  /** A call to the adapter, its failures as the API's errors: 502 unreachable, 422 not an adapter. */
  async #ask(name: string, client: HarborAdapterClient, call: (client: HarborAdapterClient) => Promise<AdapterMetadata>, hint?: string): Promise<AdapterMetadata> {
    try {
      return await call(client);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const aborted = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      if (aborted || (isAdapterError(err) && err.retryable)) {
        throw new RegistryError('UNAVAILABLE', `vulnerability scanner ${name} cannot be reached: ${aborted ? `no answer within ${this.#timeoutMs / 1000} s` : message}${hint ? `; ${hint}` : ''}`, {
          status: 502,
          detail: { reason: 'unreachable', scanner: name },
        });
      }
      throw notAnAdapter(name, message, hint);
    }
  }

  async #clientFor(input: VulnerabilityScannerConfig): Promise<HarborAdapterClient> {
    try {
      return await harborClientFor(input, { requestTimeoutMs: this.#timeoutMs });
    } catch (err) {
      throw new RegistryError('UNSUPPORTED', `invalid vulnerability scanner ${input.name}: ${(err as Error).message}`, { status: 400, detail: { scanner: input.name } });
    }
  }
}

/** Where and how a registration connects: a change of it is checked against the adapter again. */
function connectionOf(scanner: VulnerabilityScannerConfig, secret: string | undefined): string {
  const { default: _, enabled: __, required: ___, ...connection } = scanner;
  return JSON.stringify([connection, secret ?? null]);
}

/** A namespace as namespaceOf() answers it: one path component, or a prefix of registry.namespaces. */
function checkNamespace(namespace: string): void {
  if (isRepositoryName(namespace) && namespaceOf(`${namespace}/x`) === namespace) return;
  throw new RegistryError('UNSUPPORTED', `invalid namespace ${JSON.stringify(namespace)}: expected one path component such as lib, or a prefix that registry.namespaces lists`, {
    status: 400,
    detail: { namespace },
  });
}

function notAnAdapter(name: string, why: string, hint?: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `vulnerability scanner ${name} does not answer as a Harbor scanner adapter: ${why}${hint ? `; ${hint}` : ''}`, {
    status: 422,
    detail: { reason: 'not-an-adapter', scanner: name },
  });
}

function unknownScanner(name: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `no vulnerability scanner is named ${name}`, { status: 404, detail: { scanner: name } });
}

function conflict(message: string, detail: Record<string, string>): RegistryError {
  return new RegistryError('UNSUPPORTED', message, { status: 409, detail });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
