// One POST of a delivery with undici: a timeout from connect to the last byte, no redirects
// followed (a subscription names its endpoint exactly), and only the start of the answer read
// (kept in the delivery log), so a receiver that streams a large body costs nothing.
import { request } from 'undici';
import type { AttemptResult } from './retry-schedule.js';

const snippetBytes = 512;

export interface SendResult {
  result: AttemptResult;
  durationMs: number;
  snippet: string | null;
}

export type Sender = (url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal) => Promise<SendResult>;

export const sendWithUndici: Sender = async (url, headers, body, timeoutMs, signal) => {
  const started = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { ...headers, 'user-agent': 'scangate-webhooks' },
      body,
      signal: AbortSignal.any([signal, timeout]),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const snippet = await readStart(response.body);
    const retryAfter = response.headers['retry-after'];
    return {
      result: { status: response.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter },
      durationMs: performance.now() - started,
      snippet,
    };
  } catch (err) {
    // The caller's own abort (the worker stopping) is not the receiver's failure: rethrown.
    if (signal.aborted) throw err;
    const message = timeout.aborted ? `no answer within ${timeoutMs} ms` : describe(err);
    return { result: { error: message }, durationMs: performance.now() - started, snippet: null };
  }
};

async function readStart(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= snippetBytes) break;
    }
  } finally {
    body.destroy();
  }
  if (length === 0) return null;
  return Buffer.concat(chunks).subarray(0, snippetBytes).toString('utf8');
}

function describe(err: unknown): string {
  const error = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = error.code ?? error.cause?.code;
  const message = error.cause?.message ?? error.message ?? String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
