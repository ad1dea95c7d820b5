// A HarborAdapterClient from a registration (config entry or admin API): the auth secret, given
// inline or in a file, becomes the headers every request carries, and a caFile the CAs its TLS
// trusts. Files are read here, once per client: a change of file takes a new client.
import { readFile } from 'node:fs/promises';
import type { AdapterAuthConfig, VulnerabilityScannerConfig } from '../../config/vulnerability-scanner-schema.js';
import { HarborAdapterClient, type HarborClientOptions } from './client.js';

export async function harborClientFor(scanner: VulnerabilityScannerConfig, options: HarborClientOptions = {}): Promise<HarborAdapterClient> {
  const headers = await adapterAuthHeaders(scanner.auth);
  const ca = scanner.caFile === undefined ? undefined : await readNamed(scanner.caFile, `${scanner.name}: caFile`);
  return new HarborAdapterClient(scanner, headers, { ...options, ...(ca !== undefined ? { ca } : {}) });
}

/** Reads the auth config's secrets (files now) into the headers each request carries. */
export async function adapterAuthHeaders(auth: AdapterAuthConfig): Promise<Record<string, string>> {
  const secret = async (inline: string | undefined, file: string | undefined) => inline ?? (await readNamed(file!, 'auth secret file')).trim();
  switch (auth.kind) {
    case 'none':
      return {};
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${await secret(auth.password, auth.passwordFile)}`).toString('base64')}` };
    case 'bearer':
      return { authorization: `Bearer ${await secret(auth.token, auth.tokenFile)}` };
    case 'apikey':
      return { 'x-scanneradapter-api-key': await secret(auth.apiKey, auth.apiKeyFile) };
  }
}

/** A file's text; an error names what the file is for and the path, never its content. */
async function readNamed(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
