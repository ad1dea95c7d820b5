// The values of listed properties, as the policy's target takes them.
import type { PropertyRecord } from '../ports/property-store.js';

/** name -> value (a null-prototype object: "__proto__" is just a name). */
export function propertyValues(records: readonly PropertyRecord[]): Record<string, string> {
  const values = Object.create(null) as Record<string, string>;
  for (const record of records) values[record.name] = record.value;
  return values;
}
