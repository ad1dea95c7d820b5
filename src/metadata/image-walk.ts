// The images of a scan scope in the manifests table (domain/scan-scope.ts says which manifests
// are images): one filter for the campaign's page-by-page walk and its up-front count.
// A namespace is matched by name range on the primary key: `NS` itself and every repository
// in ('NS/', 'NS0'), since '0' is the byte after '/'; that is byte order on both dialects (the
// key columns are in the "C" collation on PostgreSQL).
import type { Kysely, SelectQueryBuilder } from 'kysely';
import { imageConfigMediaTypes, imageManifestMediaTypes, type ScanScope } from '../domain/scan-scope.js';
import type { MetadataTables } from './schema.js';

type Manifests = SelectQueryBuilder<MetadataTables, 'manifests', object>;

export function imagesIn(db: Kysely<MetadataTables>, scope: ScanScope): Manifests {
  const images = db
    .selectFrom('manifests')
    .where('media_type', 'in', imageManifestMediaTypes)
    .where('subject', 'is', null)
    .where((eb) => eb.or([eb('artifact_type', 'is', null), eb('artifact_type', 'in', imageConfigMediaTypes)]));
  switch (scope.kind) {
    case 'all':
      return images;
    case 'repository':
      return images.where('repository', '=', scope.repository);
    case 'namespace': {
      const ns = scope.namespace;
      return images.where((eb) => eb.or([eb('repository', '=', ns), eb.and([eb('repository', '>', `${ns}/`), eb('repository', '<', `${ns}0`)])]));
    }
  }
}
