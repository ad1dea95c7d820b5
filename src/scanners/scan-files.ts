// What `scangate scan PATH...` scans and how: files, directories (recursively) and OCI image
// layouts (every blob under blobs/, named after the manifests and layers that reach it),
// each scanned by every configured scanner. The CLI turns the results into lines or JSON.
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Transform } from 'node:stream';
import { isScannerError, type Scanner, type ScanSubject } from '../ports/scanner.js';

/** One file to scan. */
export interface ScanTarget {
  /** What the output calls it: the path, and for a layout blob the roles that reach it. */
  name: string;
  path: string;
  size: number;
  /** Set when the file is a blob of an OCI image layout. */
  blob?: LayoutBlob;
}

export interface LayoutBlob {
  layout: string;
  digest: string;
  /** e.g. `v1 layer 2/3`, `v1 config`, `index v1`; empty when index.json does not reach it. */
  roles: string[];
  mediaType?: string;
  /** `org.opencontainers.image.title`, a name scanners that need a file can keep. */
  title?: string;
}

/** A path that could not be read, or a scan that could not finish. */
export interface ScanFailure {
  name: string;
  path: string;
  scanner?: string;
  message: string;
}

export interface ScanFinding {
  target: ScanTarget;
  scanner: string;
  signature: string;
  detail?: string;
}

export interface TargetOutcome {
  target: ScanTarget;
  findings: ScanFinding[];
  failures: ScanFailure[];
}

const refName = 'org.opencontainers.image.ref.name';
const titleName = 'org.opencontainers.image.title';
/** Manifests and indexes bigger than this are not read for names (their blobs are still scanned). */
const maxManifestBytes = 4 * 1024 * 1024;

// ---- finding what to scan -------------------------------------------------------------

/**
 * Every file under the paths. Paths given are followed if they are symlinks; inside a
 * directory symlinks and special files are skipped (a link could lead out of the tree, or
 * round in a loop). A directory holding `oci-layout` and `index.json` is an image layout.
 */
export async function findTargets(paths: readonly string[]): Promise<{ targets: ScanTarget[]; failures: ScanFailure[] }> {
  const targets: ScanTarget[] = [];
  const failures: ScanFailure[] = [];
  const visit = async (path: string, given: boolean): Promise<void> => {
    const info = await (given ? stat(path) : lstat(path)).catch((err: unknown) => {
      failures.push({ name: path, path, message: errorText(err) });
    });
    if (!info) return;
    if (info.isFile()) targets.push({ name: path, path, size: info.size });
    else if (info.isDirectory()) await visitDirectory(path);
    else if (given) failures.push({ name: path, path, message: 'not a regular file or a directory' });
  };
  const visitDirectory = async (dir: string): Promise<void> => {
    const names = await readdir(dir).catch((err: unknown) => void failures.push({ name: dir, path: dir, message: errorText(err) }));
    if (!names) return;
    const layout = names.includes('oci-layout') && names.includes('index.json') && names.includes('blobs');
    for (const name of names.sort()) {
      if (layout && name === 'blobs') targets.push(...(await layoutBlobs(dir, failures)));
      else await visit(join(dir, name), false);
    }
  };
  for (const path of paths) await visit(path, true);
  return { targets, failures };
}

/** The blobs of a layout (blobs/ALG/HEX), named by what reaches them from index.json. */
async function layoutBlobs(layout: string, failures: ScanFailure[]): Promise<ScanTarget[]> {
  const roles = await layoutRoles(layout);
  const targets: ScanTarget[] = [];
  const blobsDir = join(layout, 'blobs');
  const algorithms = await readdir(blobsDir).catch((err: unknown) => void failures.push({ name: blobsDir, path: blobsDir, message: errorText(err) }));
  for (const algorithm of (algorithms ?? []).sort()) {
    const algorithmDir = join(blobsDir, algorithm);
    const names = await readdir(algorithmDir).catch((err: unknown) => void failures.push({ name: algorithmDir, path: algorithmDir, message: errorText(err) }));
    for (const hex of (names ?? []).sort()) {
      const path = join(algorithmDir, hex);
      const info = await lstat(path).catch((err: unknown) => void failures.push({ name: path, path, message: errorText(err) }));
      if (!info?.isFile()) continue;
      const digest = `${algorithm}:${hex}`;
      const known = roles.get(digest);
      const blob: LayoutBlob = { layout, digest, roles: known?.roles ?? [], mediaType: known?.mediaType, title: known?.title };
      const name = `${path} (${blob.roles.length > 0 ? blob.roles.join('; ') : 'not reached from index.json'})`;
      targets.push({ name, path, size: info.size, blob });
    }
  }
  return targets;
}

interface Descriptor {
  digest: string;
  mediaType?: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

type Roles = Map<string, { roles: string[]; mediaType?: string; title?: string }>;

/** digest -> its roles (`v1 manifest`, `v1 layer 2/3`...), walking index.json and what it reaches. */
async function layoutRoles(layout: string): Promise<Roles> {
  const roles: Roles = new Map();
  const note = (d: Descriptor, role: string) => {
    const entry = roles.get(d.digest) ?? { roles: [], mediaType: d.mediaType, title: d.annotations?.[titleName] };
    entry.roles.push(role);
    roles.set(d.digest, entry);
  };
  const walked = new Set<string>();
  const walk = async (d: Descriptor, label: string): Promise<void> => {
    const json = walked.has(d.digest) ? undefined : await readJson(blobFile(layout, d.digest));
    walked.add(d.digest);
    const children = descriptors(json?.manifests);
    note(d, children ? `index ${label}` : `${label} manifest`);
    for (const child of children ?? []) await walk(child, `${label} ${platformOf(child) ?? shortDigest(child.digest)}`);
    const [config] = descriptors([json?.config]) ?? [];
    if (config) note(config, `${label} config`);
    const layers = descriptors(json?.layers) ?? [];
    layers.forEach((layer, i) => note(layer, `${label} layer ${i + 1}/${layers.length}`));
  };
  const index = await readJson(join(layout, 'index.json'));
  for (const d of descriptors(index?.manifests) ?? []) await walk(d, d.annotations?.[refName] ?? shortDigest(d.digest));
  return roles;
}

function blobFile(layout: string, digest: string): string | undefined {
  const match = /^([a-z0-9]+):([a-zA-Z0-9=_-]+)$/.exec(digest);
  return match ? join(layout, 'blobs', match[1]!, match[2]!) : undefined;
}

/** A small JSON object from a file, or undefined (missing, too big, not JSON). */
async function readJson(path: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!path) return undefined;
  try {
    if ((await stat(path)).size > maxManifestBytes) return undefined;
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The well-formed descriptors of a JSON array, or undefined when it is not an array. */
function descriptors(value: unknown): Descriptor[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((d): d is Descriptor => typeof d === 'object' && d !== null && typeof (d as Descriptor).digest === 'string');
}

function platformOf(d: Descriptor): string | undefined {
  const p = d.platform;
  return p?.os && p.architecture ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : undefined;
}

function shortDigest(digest: string): string {
  return digest.slice(0, digest.indexOf(':') + 13);
}

// ---- scanning ---------------------------------------------------------------------------

export interface ScanTargetsOptions {
  concurrency: number;
  signal?: AbortSignal;
  /** Bytes read by the scanners so far, against the total (every file once per scanner). */
  onProgress?(bytesDone: number, bytesTotal: number, filesDone: number): void;
  /** Called as each target is done, so findings print while the rest is scanned. */
  onOutcome?(outcome: TargetOutcome): void;
  /** Engine and database of each scanner, as its first scan reports it. */
  onEngine?(scanner: string, engine: string): void;
}

/** Scans every target with every scanner, `concurrency` targets at a time. */
export async function scanTargets(targets: readonly ScanTarget[], scanners: readonly Scanner[], options: ScanTargetsOptions): Promise<TargetOutcome[]> {
  const bytesTotal = targets.reduce((sum, t) => sum + t.size, 0) * scanners.length;
  let bytesDone = 0;
  let filesDone = 0;
  const engines = new Set<string>();
  const progress = (bytes: number) => {
    bytesDone += bytes;
    options.onProgress?.(bytesDone, bytesTotal, filesDone);
  };
  const outcomes: TargetOutcome[] = [];
  let next = 0;
  const lane = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const outcome: TargetOutcome = { target, findings: [], failures: [] };
      for (const scanner of scanners) {
        let counted = 0;
        const subject = subjectOf(target, (bytes) => ((counted += bytes), progress(bytes)));
        await scanOne(scanner, subject, outcome, options.signal, (engine) => {
          if (!engines.has(scanner.name)) options.onEngine?.(scanner.name, engine);
          engines.add(scanner.name);
        });
        // A scanner that read the file itself (a command given its path) or read part of it.
        progress(Math.max(0, target.size - counted));
      }
      filesDone += 1;
      progress(0);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, targets.length)) }, lane));
  return outcomes;
}

async function scanOne(scanner: Scanner, subject: ScanSubject, outcome: TargetOutcome, signal: AbortSignal | undefined, onEngine: (engine: string) => void) {
  const { target } = outcome;
  if (signal?.aborted) {
    outcome.failures.push({ name: target.name, path: target.path, scanner: scanner.name, message: `${scanner.name}: not scanned: interrupted` });
    return;
  }
  try {
    const result = await scanner.scan(subject, signal);
    onEngine(result.engine.key);
    for (const f of result.findings) {
      outcome.findings.push({ target, scanner: scanner.name, signature: f.signature, ...(f.detail ? { detail: f.detail } : {}) });
    }
    if (result.verdict === 'infected' && result.findings.length === 0) outcome.findings.push({ target, scanner: scanner.name, signature: 'unnamed finding' });
  } catch (err) {
    const message = signal?.aborted ? `${scanner.name}: not scanned: interrupted` : isScannerError(err) ? err.message : `${scanner.name}: ${errorText(err)}`;
    outcome.failures.push({ name: target.name, path: target.path, scanner: scanner.name, message });
  }
}

/**
 * The file as a scan subject, counting bytes as they are read. A plain file is handed over
 * by path too (its name means something); a layout blob is not (its name is a bare hash),
 * so a command scanner gets a copy named after its title or digest and media type.
 */
function subjectOf(target: ScanTarget, onBytes: (bytes: number) => void): ScanSubject {
  const open = async () => {
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    // Errors reach the reader through the counter; destroying the counter closes the file.
    return pipeline(createReadStream(target.path), counter, () => {});
  };
  const blob = target.blob;
  if (!blob) return { open, path: target.path, filename: target.path, size: target.size };
  return { open, digest: blob.digest, size: target.size, ...(blob.mediaType ? { mediaType: blob.mediaType } : {}), ...(blob.title ? { filename: blob.title } : {}) };
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file or directory' : err.message;
}
