// clamd's answers, parsed. Anything not understood is an error, never a clean verdict.
import { engineVersion, type EngineVersion } from '../../ports/scanner.js';

export type ScanReply = { kind: 'clean' } | { kind: 'infected'; signature: string } | { kind: 'error'; message: string };

/**
 * `stream: OK`, `stream: <signature> FOUND`, or `<anything> ERROR`; after a SCAN the reply
 * names the file instead of `stream` (`/path: OK`), which `subject` says.
 */
export function parseScanReply(reply: string, subject = 'stream'): ScanReply {
  const text = reply.trim();
  if (text.endsWith('ERROR')) return { kind: 'error', message: text };
  const prefix = `${subject}: `;
  if (!text.startsWith(prefix)) return { kind: 'error', message: `unexpected reply ${JSON.stringify(text)}` };
  const rest = text.slice(prefix.length);
  if (rest === 'OK') return { kind: 'clean' };
  const found = /^(.+) FOUND$/.exec(rest);
  if (found?.[1]) return { kind: 'infected', signature: found[1] };
  return { kind: 'error', message: `unexpected reply ${JSON.stringify(text)}` };
}

export function isSizeLimitReply(message: string): boolean {
  return /size limit exceeded/i.test(message);
}

/**
 * `ClamAV 1.4.6/27000/Mon Jan  1 09:00:00 2024` -> engine `ClamAV 1.4.6`, database `27000`.
 * With only custom (unofficial) databases clamd prints just `ClamAV 1.4.6`: database ''.
 */
export function parseVersionReply(reply: string): EngineVersion {
  const text = reply.trim();
  if (!text.startsWith('ClamAV ')) throw new Error(`unexpected VERSION reply ${JSON.stringify(text)}`);
  const [engine = text, database = ''] = text.split('/');
  return engineVersion(engine.trim(), database.trim());
}
