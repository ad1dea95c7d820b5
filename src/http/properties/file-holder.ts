// A file as a property holder: the entry at a path in a repository (not a directory), with
// the facts a rule over it sees when the file is pulled (src/http/files/access.ts): its
// content's digest and scan state, and its properties. Files have no fixed properties.
import type { Digest } from '../../domain/digest.js';
import type { FileStore } from '../../ports/file-store.js';
import type { PropertyStore } from '../../ports/property-store.js';
import { propertyValues } from '../../properties/values.js';
import { fileFacts } from '../../registry/artifact-facts.js';
import { fileUnknown, type FileScanState } from '../../registry/files.js';
import type { PropertyHolder } from './holder.js';
import type { PropertiesPath } from './paths.js';

export type FilePath = Extract<PropertiesPath, { kind: 'file' }>;

/** The file store's entries and the scan state of their content. */
export interface FileEntries {
  entries: Pick<FileStore, 'get'>;
  scanState(digest: Digest): Promise<FileScanState>;
}

export function fileHolders(files: FileEntries, properties: Pick<PropertyStore, 'list'>): (path: FilePath) => Promise<PropertyHolder> {
  return async ({ repository, path }) => {
    const file = await files.entries.get(repository, path);
    if (!file) throw fileUnknown(repository, path);
    const subject = { kind: 'file', repository, path } as const;
    const [state, stored] = await Promise.all([files.scanState(file.digest), properties.list(subject)]);
    return {
      subject,
      resource: `file:${repository}/-/${path}`,
      facts: fileFacts(file, state, propertyValues(stored)),
      fixed: {},
      fixedReason: (name) => `${name} cannot be changed`,
      identity: { repository, path, digest: file.digest },
      unknown: () => fileUnknown(repository, path),
    };
  };
}
