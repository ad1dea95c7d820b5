// Keeps asking a registry for a set of blobs and manifests, for as long as a test runs
// (through crashes and restarts: a refused connection is just noted), and records every
// 200 with the moment it arrived. A test then checks each against when the scan ended.
import { request } from 'undici';

export interface WatchTarget {
  repository: string;
  digest: string;
  kind: 'blob' | 'manifest';
}

export interface Served {
  target: WatchTarget;
  /** Date.now() when the 200's headers arrived. */
  at: number;
}

export interface ServingWatch {
  /** Stops polling; resolves to every 200 seen, and how many requests were made. */
  stop(): Promise<{ served: Served[]; requests: number }>;
}

const manifestAccept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

/** Polls every target in turn (one request at a time) against `baseUrl()`, which may change on restart. */
export function watchServing(baseUrl: () => string, targets: () => readonly WatchTarget[]): ServingWatch {
  const served: Served[] = [];
  let requests = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const round = targets();
      for (const target of round) {
        if (stopped) break;
        requests++;
        if (await answers200(baseUrl(), target)) served.push({ target, at: Date.now() });
      }
      if (round.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { served, requests };
    },
  };
}

async function answers200(baseUrl: string, target: WatchTarget): Promise<boolean> {
  const path = target.kind === 'blob' ? 'blobs' : 'manifests';
  let response;
  try {
    response = await request(`${baseUrl}/v2/${target.repository}/${path}/${target.digest}`, {
      headers: target.kind === 'manifest' ? { accept: manifestAccept } : {},
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
  } catch {
    return false; // the server is down (killed, restarting): nothing was served
  }
  // A 200 counts even if the body is cut short (the server killed while sending).
  await response.body.dump().catch(() => {});
  return response.statusCode === 200;
}
