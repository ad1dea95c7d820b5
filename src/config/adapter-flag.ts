// `serve --adapter NAME=URL` (repeatable): a Harbor scanner adapter for a quick start, without
// a config file. Each value becomes one `vulnerabilityScanners:` entry (validated by the same
// schema afterwards) that every repository requires, whatever its namespace chooses; a value
// without NAME= or URL yields a problem naming the flag.

export type ParsedAdapterFlag = { entry: Record<string, unknown> } | { problem: string };

export function parseAdapterFlag(value: string): ParsedAdapterFlag {
  const equals = value.indexOf('=');
  if (equals <= 0) return { problem: `--adapter ${value}: no NAME= before the URL (expected NAME=URL)` };
  const url = value.slice(equals + 1);
  if (!url) return { problem: `--adapter ${value}: no URL after NAME= (expected NAME=URL)` };
  return { entry: { name: value.slice(0, equals), url, required: true } };
}
