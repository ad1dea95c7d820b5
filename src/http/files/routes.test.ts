// The file store through app.inject(): uploads (PUT and multipart), downloads (whole and
// ranged), listings, deletes and bad input, with the scan gate on (a TestScanner that
// passes these bytes) and auth off.
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFilesApp, type FilesApp } from './testing/files-app.js';
import { fileRequests, sha256Hex } from './testing/requests.js';

let t: FilesApp;
beforeAll(async () => {
  t = await startFilesApp();
});
afterAll(async () => t.close());

const http = fileRequests(() => t.app);
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

describe('uploading and downloading a file', () => {
  it('stores a PUT body under its sha256 and serves it back with its headers', async () => {
    const content = 'hello, files\n';
    const put = await http.put('/files/team/dist/-/releases/v1/hello.txt', content, { 'content-type': 'text/plain; charset=utf-8' });
    expect(put.statusCode).toBe(201);
    const hex = sha256Hex(content);
    expect(put.headers.location).toBe('/files/team/dist/-/releases/v1/hello.txt');
    expect(put.headers.etag).toBe(`"sha256:${hex}"`);
    expect(put.json()).toMatchObject({ path: 'releases/v1/hello.txt', digest: `sha256:${hex}`, size: content.length, mediaType: 'text/plain; charset=utf-8', scanState: 'clean' });

    const get = await http.get('/files/team/dist/-/releases/v1/hello.txt');
    expect(get.statusCode).toBe(200);
    expect(get.payload).toBe(content);
    expect(get.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(content.length),
      etag: `"sha256:${hex}"`,
      'content-digest': `sha-256=:${b64(hex)}:`,
      'repr-digest': `sha-256=:${b64(hex)}:`,
      'accept-ranges': 'bytes',
      'content-disposition': `attachment; filename="hello.txt"; filename*=UTF-8''hello.txt`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    expect(new Date(get.headers['last-modified'] as string).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const head = await t.app.inject({ method: 'HEAD', url: '/files/team/dist/-/releases/v1/hello.txt' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(content.length));
    expect(head.headers['content-digest']).toBe(`sha-256=:${b64(hex)}:`);
    expect(head.payload).toBe('');
  });

  it('streams a large body in (a stream, not a buffer) and keeps every byte', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const chunks = 12;
    const nth = (i: number) => Buffer.from(chunk.map((b) => (b + i) & 0xff));
    async function* body() {
      for (let i = 0; i < chunks; i++) yield nth(i);
    }
    const expected = sha256Hex(Buffer.concat(Array.from({ length: chunks }, (_, i) => nth(i))));
    const put = await t.app.inject({ method: 'PUT', url: '/files/team/big/-/disk.img', payload: Readable.from(body()), headers: { 'content-type': 'application/octet-stream' } });
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({ digest: `sha256:${expected}`, size: chunk.length * chunks });
    const get = await http.get('/files/team/big/-/disk.img');
    expect(sha256Hex(get.rawPayload)).toBe(expected);
  });

  it('keeps the original name, in UTF-8, for downloads', async () => {
    const put = await http.put(`/files/team/names/-/docs/${encodeURIComponent('résumé (final).pdf')}`, 'pdf', { 'content-type': 'application/pdf' });
    expect(put.statusCode).toBe(201);
    expect(put.json().path).toBe('docs/résumé (final).pdf');
    const get = await http.get('/files/team/names/-/docs/r%C3%A9sum%C3%A9%20(final).pdf');
    expect(get.headers['content-disposition']).toBe(`attachment; filename="r_sum_ (final).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28final%29.pdf`);
  });

  it('defaults the media type to application/octet-stream and refuses one that is not a media type', async () => {
    const put = await t.app.inject({ method: 'PUT', url: '/files/team/types/-/raw.bin', payload: Buffer.from([1, 2, 3]) });
    expect(put.statusCode).toBe(201);
    expect(put.json().mediaType).toBe('application/octet-stream');
    const bad = await http.put('/files/team/types/-/bad.bin', 'x', { 'content-type': `text/plain; x=${'y'.repeat(300)}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].message).toMatch(/not a media type/);
    // Fastify refuses what does not even parse as a Content-Type, in the same error shape.
    const unparsable = await http.put('/files/team/types/-/bad.bin', 'x', { 'content-type': 'not a type' });
    expect(unparsable.statusCode).toBe(415);
    expect(unparsable.json().errors[0].code).toBe('UNSUPPORTED');
  });

  it('replaces a file on a second PUT; other entries sharing the old bytes keep them', async () => {
    await http.put('/files/team/over/-/app.tar.gz', 'version one');
    await http.put('/files/team/over/-/copy-of-one.tar.gz', 'version one');
    const second = await http.put('/files/team/over/-/app.tar.gz', 'version two');
    expect(second.statusCode).toBe(201);
    expect((await http.get('/files/team/over/-/app.tar.gz')).payload).toBe('version two');
    expect((await http.get('/files/team/over/-/copy-of-one.tar.gz')).payload).toBe('version one');
    const listed = (await http.get('/files/team/over/-/')).json().files;
    expect(listed.map((f: { path: string; digest: string }) => [f.path, f.digest])).toEqual([
      ['app.tar.gz', `sha256:${sha256Hex('version two')}`],
      ['copy-of-one.tar.gz', `sha256:${sha256Hex('version one')}`],
    ]);
  });

  it('uploads a multipart form into a directory, named by the form\'s filename', async () => {
    const post = await http.postForm('/files/team/forms/-/uploads/', { name: 'report.csv', content: 'a,b\n1,2\n', type: 'text/csv' });
    expect(post.statusCode).toBe(201);
    expect(post.headers.location).toBe('/files/team/forms/-/uploads/report.csv');
    expect(post.json()).toMatchObject({ path: 'uploads/report.csv', mediaType: 'text/csv', digest: `sha256:${sha256Hex('a,b\n1,2\n')}` });
    expect((await http.get('/files/team/forms/-/uploads/report.csv')).payload).toBe('a,b\n1,2\n');
    const atRoot = await http.postForm('/files/team/forms/-/', { name: 'C:\\Users\\me\\root.txt', content: 'r' });
    expect(atRoot.json().path).toBe('root.txt');
  });

  it('refuses forms without a file field, with a bad file name, or that are not multipart', async () => {
    const wrongField = await http.postForm('/files/team/forms/-/', { name: 'x.txt', content: 'x', field: 'upload' });
    expect(wrongField.statusCode).toBe(400);
    expect(wrongField.json().errors[0].message).toMatch(/name the field "file"/);
    const dots = await http.postForm('/files/team/forms/-/', { name: '..', content: 'x' });
    expect(dots.statusCode).toBe(400);
    expect(dots.json().errors[0].code).toBe('FILE_PATH_INVALID');
    const raw = await http.put('/files/team/forms/-/ok.txt', 'x');
    expect(raw.statusCode).toBe(201);
    const notForm = await t.app.inject({ method: 'POST', url: '/files/team/forms/-/', payload: 'x', headers: { 'content-type': 'text/plain' } });
    expect(notForm.statusCode).toBe(415);
    const broken = await t.app.inject({ method: 'POST', url: '/files/team/forms/-/', payload: '--nope\r\ngarbage', headers: { 'content-type': 'multipart/form-data; boundary=nope' } });
    expect(broken.statusCode).toBeGreaterThanOrEqual(400);
    expect(broken.statusCode).toBeLessThan(500);
  });
});

describe('ranges', () => {
  const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  beforeAll(async () => {
    expect((await http.put('/files/team/ranges/-/data.bin', content)).statusCode).toBe(201);
  });

  it('serves one range with 206 and Content-Range, and the whole file\'s digest as Repr-Digest', async () => {
    const res = await http.get('/files/team/ranges/-/data.bin', { range: 'bytes=0-99' });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe('bytes 0-99/1000');
    expect(res.headers['content-length']).toBe('100');
    expect(res.rawPayload.equals(content.subarray(0, 100))).toBe(true);
    expect(res.headers['content-digest']).toBeUndefined();
    expect(res.headers['repr-digest']).toBe(`sha-256=:${b64(sha256Hex(content))}:`);
    const suffix = await http.get('/files/team/ranges/-/data.bin', { range: 'bytes=-10' });
    expect(suffix.rawPayload.equals(content.subarray(990))).toBe(true);
  });

  it('answers 416 with Content-Range for a range past the end', async () => {
    const res = await http.get('/files/team/ranges/-/data.bin', { range: 'bytes=1000-' });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */1000');
    expect(res.json().errors[0].code).toBe('RANGE_INVALID');
  });
});

describe('digests sent by the client', () => {
  const content = 'checked bytes';
  const hex = sha256Hex(content);

  it('accepts a matching ?sha256=, Content-Digest or Digest', async () => {
    expect((await http.put(`/files/team/digests/-/q.txt?sha256=${hex.toUpperCase()}`, content)).statusCode).toBe(201);
    expect((await http.put('/files/team/digests/-/cd.txt', content, { 'content-digest': `sha-512=:AAAA:, sha-256=:${b64(hex)}:` })).statusCode).toBe(201);
    expect((await http.put('/files/team/digests/-/d.txt', content, { digest: `SHA-256=${b64(hex)}` })).statusCode).toBe(201);
    const form = await http.postForm(`/files/team/digests/-/?sha256=${hex}`, { name: 'f.txt', content });
    expect(form.statusCode).toBe(201);
  });

  it('refuses a mismatch with 400 DIGEST_INVALID and keeps nothing', async () => {
    const wrong = sha256Hex('other bytes');
    const res = await http.put(`/files/team/digests/-/bad.txt?sha256=${wrong}`, content);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ code: 'DIGEST_INVALID', detail: { expected: `sha256:${wrong}`, actual: `sha256:${hex}` } });
    expect((await http.get('/files/team/digests/-/bad.txt')).statusCode).toBe(404);
    const form = await http.postForm(`/files/team/digests/-/?sha256=${wrong}`, { name: 'bad-form.txt', content });
    expect(form.statusCode).toBe(400);
    expect((await http.get('/files/team/digests/-/bad-form.txt')).statusCode).toBe(404);
    const staged = await t.services.blobs.sweepStaging(0);
    expect(staged).toBe(0);
  });

  it('refuses malformed or disagreeing digests', async () => {
    expect((await http.put('/files/team/digests/-/x.txt?sha256=abc', content)).json().errors[0].code).toBe('DIGEST_INVALID');
    expect((await http.put('/files/team/digests/-/x.txt', content, { 'content-digest': 'sha-256=:not base64!:' })).statusCode).toBe(400);
    expect((await http.put(`/files/team/digests/-/x.txt?sha256=${hex}`, content, { digest: `sha-256=${b64(sha256Hex('x'))}` })).statusCode).toBe(400);
  });
});

describe('listing', () => {
  beforeAll(async () => {
    for (const path of ['a.txt', 'b/one.txt', 'b/two.txt', 'b/sub/three.txt', 'c.txt']) {
      expect((await http.put(`/files/team/list/-/${path}`, path)).statusCode).toBe(201);
    }
  });

  it('lists a repository\'s files with digest, size, type, date and scan state', async () => {
    const res = await http.get('/files/team/list/-/');
    expect(res.statusCode).toBe(200);
    const files = res.json().files;
    expect(files.map((f: { path: string }) => f.path)).toEqual(['a.txt', 'b/one.txt', 'b/sub/three.txt', 'b/two.txt', 'c.txt']);
    expect(files[0]).toEqual({ path: 'a.txt', digest: `sha256:${sha256Hex('a.txt')}`, size: 5, mediaType: 'application/octet-stream', createdAt: expect.any(String), scanState: 'clean' });
    expect((await http.get('/files/team/empty/-/')).json()).toEqual({ files: [] });
  });

  it('lists a directory, or a prefix of it', async () => {
    const dir = (await http.get('/files/team/list/-/b/')).json().files.map((f: { path: string }) => f.path);
    expect(dir).toEqual(['b/one.txt', 'b/sub/three.txt', 'b/two.txt']);
    const prefixed = (await http.get('/files/team/list/-/b/?prefix=t')).json().files.map((f: { path: string }) => f.path);
    expect(prefixed).toEqual(['b/two.txt']);
  });

  it('pages with n and last, and links the next page', async () => {
    const first = await http.get('/files/team/list/-/?n=2');
    expect(first.json().files.map((f: { path: string }) => f.path)).toEqual(['a.txt', 'b/one.txt']);
    expect(first.headers.link).toBe('</files/team/list/-/?n=2&last=b%2Fone.txt>; rel="next"');
    const second = await http.get('/files/team/list/-/?n=2&last=b%2Fone.txt');
    expect(second.json().files.map((f: { path: string }) => f.path)).toEqual(['b/sub/three.txt', 'b/two.txt']);
    const last = await http.get('/files/team/list/-/?n=2&last=b%2Ftwo.txt');
    expect(last.json().files.map((f: { path: string }) => f.path)).toEqual(['c.txt']);
    expect(last.headers.link).toBeUndefined();
    expect((await http.get('/files/team/list/-/?n=0')).json()).toEqual({ files: [] });
    const bad = await http.get('/files/team/list/-/?n=-1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });
});

describe('deleting', () => {
  it('removes the entry; the same bytes elsewhere stay', async () => {
    await http.put('/files/team/del/-/gone.txt', 'shared');
    await http.put('/files/team/del/-/kept.txt', 'shared');
    const del = await t.app.inject({ method: 'DELETE', url: '/files/team/del/-/gone.txt' });
    expect(del.statusCode).toBe(204);
    expect((await http.get('/files/team/del/-/gone.txt')).statusCode).toBe(404);
    expect((await http.get('/files/team/del/-/kept.txt')).payload).toBe('shared');
    const again = await t.app.inject({ method: 'DELETE', url: '/files/team/del/-/gone.txt' });
    expect(again.statusCode).toBe(404);
    expect(again.json().errors[0].code).toBe('FILE_UNKNOWN');
  });
});

describe('bad URLs', () => {
  // Sent over a socket as written: app.inject() (like a browser) would resolve dot segments.
  let base: string;
  beforeAll(async () => {
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  const invalid = [
    ['..', '/files/team/x/-/a/../b.txt'],
    ['encoded ..', '/files/team/x/-/a/%2E%2E/b.txt'],
    ['.', '/files/team/x/-/./b.txt'],
    ['a leading ..', '/files/team/x/-/../../etc/passwd'],
    ['empty segment', '/files/team/x/-/a//b.txt'],
    ['%2F inside a name', '/files/team/x/-/a%2Fb.txt'],
    ['backslash', '/files/team/x/-/a%5Cb.txt'],
    ['control character', '/files/team/x/-/a%0Ab.txt'],
  ] as const;

  for (const [what, path] of invalid) {
    it(`answers 400 FILE_PATH_INVALID for ${what}, on PUT, POST and GET`, async () => {
      const put = await rawRequest(base, 'PUT', path, 'x');
      expect(put.status, put.body).toBe(400);
      expect(JSON.parse(put.body).errors[0].code).toBe('FILE_PATH_INVALID');
      expect((await rawRequest(base, 'GET', path)).status).toBe(400);
      expect((await rawRequest(base, 'POST', `${path}/`)).status).toBe(400);
    });
  }

  it('answers 400 for broken percent-encoding (Fastify refuses the URL)', async () => {
    expect((await http.put('/files/team/x/-/a%E9.txt', 'x')).statusCode).toBe(400);
  });

  it('answers 400 for a bad repository name and 404 without the /-/ separator', async () => {
    expect((await http.put('/files/Team/X/-/a.txt', 'x')).json().errors[0].code).toBe('NAME_INVALID');
    expect((await http.get('/files/team/x/a.txt')).statusCode).toBe(404);
    expect((await http.get('/files/team/x/-/missing.txt')).json().errors[0].code).toBe('FILE_UNKNOWN');
  });

  it('answers 405 for a method the URL does not take', async () => {
    const putDir = await http.put('/files/team/x/-/dir/', 'x');
    expect(putDir.statusCode).toBe(405);
    expect(putDir.headers.allow).toBe('GET, HEAD, POST');
    const postFile = await http.postForm('/files/team/x/-/file.txt', { name: 'f', content: 'x' });
    expect(postFile.statusCode).toBe(405);
    expect(postFile.json().errors[0].message).toMatch(/end the URL with \//);
  });
});

/** A request with its path sent exactly as given. */
function rawRequest(base: string, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
