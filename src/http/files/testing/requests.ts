// Requests the file store's module tests send: a raw PUT, a browser's multipart form, a GET.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

export interface FileRequests {
  put(url: string, body: Buffer | string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  postForm(url: string, file: { name: string; content: Buffer | string; type?: string; field?: string }, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A multipart/form-data body holding one file part, as a browser sends it. */
export function multipartForm(file: { name: string; content: Buffer | string; type?: string; field?: string }): { payload: Buffer; contentType: string } {
  const boundary = `----scangate${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), Buffer.from(file.content), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

export function fileRequests(app: () => FastifyInstance, defaults: () => Record<string, string> = () => ({})): FileRequests {
  return {
    put: (url, body, headers = {}) => app().inject({ method: 'PUT', url, payload: body, headers: { ...defaults(), ...headers } }),
    postForm: (url, file, headers = {}) => {
      const { payload, contentType } = multipartForm(file);
      return app().inject({ method: 'POST', url, payload, headers: { ...defaults(), 'content-type': contentType, ...headers } });
    },
    get: (url, headers = {}) => app().inject({ method: 'GET', url, headers: { ...defaults(), ...headers } }),
  };
}
