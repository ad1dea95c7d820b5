// The file a command scanner is given. Engines judge files by name and extension too, so a
// copy is named after the subject (`app.tar.gz`, `sha256-4f3c….tar.zst`), never a bare
// UUID, in a private temp directory removed after the scan. Every field a client chose is
// sanitised here: the names handed to the command start with a letter or digit and hold
// only [A-Za-z0-9._-], so none can read as an option or a path.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ScanSubject } from '../../ports/scanner.js';
import { untilAborted } from '../until-aborted.js';
import type { PlaceholderValues } from './argv-template.js';

const extensionsByMediaType: [RegExp, string][] = [
  [/tar\+gzip$|tar\.gzip$/, '.tar.gz'],
  [/tar\+zstd$/, '.tar.zst'],
  [/\.tar$|\/x-tar$/, '.tar'],
  [/[/+]json$/, '.json'],
  [/\/gzip$|\/x-gzip$/, '.gz'],
  [/\/zstd$/, '.zst'],
  [/\/zip$/, '.zip'],
  [/\/pdf$/, '.pdf'],
  [/^text\/plain$/, '.txt'],
  [/^text\/html$/, '.html'],
];

export function extensionFor(mediaType: string | undefined): string {
  if (!mediaType) return '.bin';
  const type = mediaType.split(';')[0]!.trim().toLowerCase();
  return extensionsByMediaType.find(([pattern]) => pattern.test(type))?.[1] ?? '.bin';
}

/** A safe file name: the subject's own (sanitised), else one made from the digest. */
export function scanFileName(subject: Pick<ScanSubject, 'filename' | 'digest' | 'mediaType'>): string {
  const own = sanitise(basename(subject.filename ?? ''));
  if (own) return own.includes('.') ? own : own + extensionFor(subject.mediaType);
  const fromDigest = sanitise((subject.digest ?? '').replace(':', '-')).slice(0, 80);
  return (fromDigest || 'subject') + extensionFor(subject.mediaType);
}

function sanitise(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 120);
}

/** Only values of their own strict shape pass into an argument; anything else becomes ''. */
export function placeholderValues(subject: ScanSubject, path: string): PlaceholderValues {
  const digest = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(subject.digest ?? '') ? subject.digest : '';
  const token = "[A-Za-z0-9][A-Za-z0-9!#&^_.+-]*";
  const mediaType = new RegExp(`^${token}/${token}$`).test(subject.mediaType ?? '') ? subject.mediaType : '';
  return { path, digest, mediaType, filename: scanFileName(subject) };
}

export interface ScanFile {
  path: string;
  /** Removes the temp copy (no-op when the subject's own file was used). */
  dispose(): Promise<void>;
}

/** The subject's own file when it has one, else a named temp copy of its bytes. */
export async function materialise(subject: ScanSubject, signal: AbortSignal): Promise<ScanFile> {
  if (subject.path) return { path: subject.path, dispose: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'scangate-scan-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, scanFileName(subject));
    await pipeline(untilAborted(await subject.open(), signal), createWriteStream(path, { mode: 0o600 }), { signal });
    return { path, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
