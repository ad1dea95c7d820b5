// What the properties API reads and changes properties on: an artifact (a manifest in a
// repository) or a file entry, resolved from its URL, with what the policy knows about it.
// The routes handle both through this one shape (src/http/properties/routes.ts).
import type { RegistryError } from '../../domain/errors.js';
import type { PropertySubject } from '../../ports/property-store.js';
import type { ArtifactFacts } from '../../policy/index.js';

export interface PropertyHolder {
  subject: PropertySubject;
  /** `artifact:billing/app:v1` or `file:team/dist/-/app.tar.gz`: names it in denials and audit lines. */
  resource: string;
  /** What rules and policy-mode protections see (its properties among them). */
  facts: ArtifactFacts;
  /** Properties it has of its own, shown but never changed here (a manifest's annotations); none for files. */
  fixed: Readonly<Record<string, string>>;
  /** Why a patch may not change a fixed property. */
  fixedReason(name: string): string;
  /** The fields that name it in answers: repository and digest, and a file's path. */
  identity: Readonly<Record<string, string>>;
  /** The error when it is not there (or gone before a change was written). */
  unknown(): RegistryError;
}
