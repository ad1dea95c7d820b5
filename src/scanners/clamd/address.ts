// Where clamd listens: `tcp://host:port` or `unix:///path/to/clamd.sock`.
import type { NetConnectOpts } from 'node:net';

export function parseClamdAddress(address: string): NetConnectOpts {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`clamd address must be tcp://HOST:PORT or unix:///PATH, got ${JSON.stringify(address)}`);
  }
  if (url.protocol === 'unix:' && url.pathname.length > 1 && !url.host) {
    return { path: decodeURIComponent(url.pathname) };
  }
  if (url.protocol === 'tcp:' && url.hostname && url.port) {
    // URL keeps the brackets of an IPv6 literal; net.connect wants the bare address.
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
  }
  throw new Error(`clamd address must be tcp://HOST:PORT or unix:///PATH, got ${JSON.stringify(address)}`);
}
