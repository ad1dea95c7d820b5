// Blob push and pull over /v2/, through the real app and adapters (app.inject()).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/test-app.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const sha512 = (b: Buffer) => `sha512:${createHash('sha512').update(b).digest('hex')}`;
const octets = { 'content-type': 'application/octet-stream' };

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

async function startUpload(name: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/` });
  expect(res.statusCode).toBe(202);
  expect(res.headers['docker-upload-uuid']).toBeTruthy();
  return res.headers.location as string;
}

describe('base endpoint', () => {
  it('answers 200 with the API version header', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v2/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });
});

describe('monolithic upload', () => {
  it('stores a blob in one POST and serves it back', async () => {
    const body = Buffer.from('hello scangate');
    const digest = sha256(body);
    const res = await t.app.inject({ method: 'POST', url: `/v2/mono/app/blobs/uploads/?digest=${digest}`, headers: octets, payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/v2/mono/app/blobs/${digest}`);
    expect(res.headers['docker-content-digest']).toBe(digest);
    const get = await t.app.inject({ method: 'GET', url: `/v2/mono/app/blobs/${digest}` });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.equals(body)).toBe(true);
    expect(get.headers['content-length']).toBe(String(body.length));
    const head = await t.app.inject({ method: 'HEAD', url: `/v2/mono/app/blobs/${digest}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(body.length));
    expect(head.headers['docker-content-digest']).toBe(digest);
    expect(head.payload).toBe('');
  });

  it('refuses a body that does not match its digest, and keeps nothing', async () => {
    const digest = sha256(Buffer.from('something else'));
    const res = await t.app.inject({ method: 'POST', url: `/v2/mono/app/blobs/uploads/?digest=${digest}`, headers: octets, payload: 'tampered' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('DIGEST_INVALID');
    const get = await t.app.inject({ method: 'GET', url: `/v2/mono/app/blobs/${digest}` });
    expect(get.statusCode).toBe(404);
    expect(get.json().errors[0].code).toBe('BLOB_UNKNOWN');
  });

  it('accepts sha512 digests', async () => {
    const body = Buffer.from('sha512 content');
    const digest = sha512(body);
    const res = await t.app.inject({ method: 'POST', url: `/v2/mono/app/blobs/uploads/?digest=${digest}`, headers: octets, payload: body });
    expect(res.statusCode).toBe(201);
    const get = await t.app.inject({ method: 'GET', url: `/v2/mono/app/blobs/${digest}` });
    expect(get.rawPayload.equals(body)).toBe(true);
  });

  it('rejects malformed and unsupported digests with DIGEST_INVALID', async () => {
    for (const digest of ['sha256:abc', 'md5:d41d8cd98f00b204e9800998ecf8427e', 'nonsense']) {
      const res = await t.app.inject({ method: 'POST', url: `/v2/mono/app/blobs/uploads/?digest=${digest}`, headers: octets, payload: 'x' });
      expect(res.statusCode, digest).toBe(400);
      expect(res.json().errors[0].code).toBe('DIGEST_INVALID');
    }
  });
});

describe('POST then PUT, and chunked PATCH uploads', () => {
  it('completes a POST + PUT upload', async () => {
    const body = Buffer.from('post then put');
    const location = await startUpload('two/step');
    const res = await t.app.inject({ method: 'PUT', url: `${location}?digest=${sha256(body)}`, headers: octets, payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.headers['docker-content-digest']).toBe(sha256(body));
  });

  it('appends chunks in order, reports status, and refuses an out-of-order chunk with 416', async () => {
    const whole = Buffer.from('0123456789abcdefghij');
    const location = await startUpload('chunked/app');
    const first = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...octets, 'content-range': '0-9' },
      payload: whole.subarray(0, 10),
    });
    expect(first.statusCode).toBe(202);
    expect(first.headers.range).toBe('0-9');
    const status = await t.app.inject({ method: 'GET', url: location });
    expect(status.statusCode).toBe(204);
    expect(status.headers.range).toBe('0-9');
    const skipped = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...octets, 'content-range': '15-19' },
      payload: whole.subarray(15),
    });
    expect(skipped.statusCode).toBe(416);
    expect(skipped.json().errors[0].code).toBe('RANGE_INVALID');
    expect(skipped.headers.range).toBe('0-9');
    const second = await t.app.inject({
      method: 'PATCH',
      url: location,
      headers: { ...octets, 'content-range': '10-19' },
      payload: whole.subarray(10),
    });
    expect(second.statusCode).toBe(202);
    const done = await t.app.inject({ method: 'PUT', url: `${location}?digest=${sha256(whole)}` });
    expect(done.statusCode).toBe(201);
    const get = await t.app.inject({ method: 'GET', url: `/v2/chunked/app/blobs/${sha256(whole)}` });
    expect(get.rawPayload.equals(whole)).toBe(true);
  });

  it('accepts streamed PATCHes without Content-Range and a final chunk on PUT', async () => {
    const location = await startUpload('chunked/stream');
    await t.app.inject({ method: 'PATCH', url: location, headers: octets, payload: 'abc' });
    const done = await t.app.inject({ method: 'PUT', url: `${location}?digest=${sha256(Buffer.from('abcdef'))}`, headers: octets, payload: 'def' });
    expect(done.statusCode).toBe(201);
  });

  it('cancels an upload, after which it is unknown', async () => {
    const location = await startUpload('cancel/app');
    expect((await t.app.inject({ method: 'DELETE', url: location })).statusCode).toBe(204);
    const status = await t.app.inject({ method: 'GET', url: location });
    expect(status.statusCode).toBe(404);
    expect(status.json().errors[0].code).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('does not let an upload session be used through another repository', async () => {
    const location = await startUpload('owner/repo');
    const stolen = location.replace('/owner/repo/', '/other/repo/');
    const res = await t.app.inject({ method: 'PATCH', url: stolen, headers: octets, payload: 'x' });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors[0].code).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('ends the session on a digest mismatch at PUT', async () => {
    const location = await startUpload('mismatch/app');
    const res = await t.app.inject({ method: 'PUT', url: `${location}?digest=${sha256(Buffer.from('y'))}`, headers: octets, payload: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('DIGEST_INVALID');
    expect((await t.app.inject({ method: 'GET', url: location })).statusCode).toBe(404);
  });

  it('needs a digest on the closing PUT', async () => {
    const location = await startUpload('nodigest/app');
    const res = await t.app.inject({ method: 'PUT', url: location });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe('DIGEST_INVALID');
  });
});

describe('cross-repository mount', () => {
  it('mounts a blob from a repository that holds it, and falls back to an upload otherwise', async () => {
    const body = Buffer.from('mount me');
    const digest = sha256(body);
    await t.app.inject({ method: 'POST', url: `/v2/mount/src/blobs/uploads/?digest=${digest}`, headers: octets, payload: body });
    const mounted = await t.app.inject({ method: 'POST', url: `/v2/mount/dst/blobs/uploads/?mount=${digest}&from=mount/src` });
    expect(mounted.statusCode).toBe(201);
    expect(mounted.headers.location).toBe(`/v2/mount/dst/blobs/${digest}`);
    expect((await t.app.inject({ method: 'HEAD', url: `/v2/mount/dst/blobs/${digest}` })).statusCode).toBe(200);

    const missing = sha256(Buffer.from('nowhere'));
    const fallback = await t.app.inject({ method: 'POST', url: `/v2/mount/dst/blobs/uploads/?mount=${missing}&from=mount/src` });
    expect(fallback.statusCode).toBe(202);
    expect(fallback.headers.location).toMatch(/^\/v2\/mount\/dst\/blobs\/uploads\//);
    const wrongSource = await t.app.inject({ method: 'POST', url: `/v2/mount/third/blobs/uploads/?mount=${digest}&from=mount/none` });
    expect(wrongSource.statusCode).toBe(202);
  });
});

describe('blob reads', () => {
  const body = Buffer.from('0123456789');
  const digest = sha256(body);
  beforeAll(async () => {
    await t.app.inject({ method: 'POST', url: `/v2/ranges/app/blobs/uploads/?digest=${digest}`, headers: octets, payload: body });
  });

  it.each([
    ['bytes=0-0', '0', 'bytes 0-0/10'],
    ['bytes=2-5', '2345', 'bytes 2-5/10'],
    ['bytes=7-', '789', 'bytes 7-9/10'],
    ['bytes=-3', '789', 'bytes 7-9/10'],
    ['bytes=8-100', '89', 'bytes 8-9/10'],
  ])('serves %s as 206', async (range, expected, contentRange) => {
    const res = await t.app.inject({ method: 'GET', url: `/v2/ranges/app/blobs/${digest}`, headers: { range } });
    expect(res.statusCode).toBe(206);
    expect(res.payload).toBe(expected);
    expect(res.headers['content-range']).toBe(contentRange);
  });

  it('answers 416 for an unsatisfiable range', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v2/ranges/app/blobs/${digest}`, headers: { range: 'bytes=10-12' } });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */10');
  });

  it('hides a blob from repositories it is not linked into', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v2/ranges/other/blobs/${digest}` });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors[0].code).toBe('BLOB_UNKNOWN');
  });

  it('deletes a blob from a repository', async () => {
    const del = await t.app.inject({ method: 'DELETE', url: `/v2/ranges/app/blobs/${digest}` });
    expect(del.statusCode).toBe(202);
    expect((await t.app.inject({ method: 'GET', url: `/v2/ranges/app/blobs/${digest}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/v2/ranges/app/blobs/${digest}` })).statusCode).toBe(404);
  });
});

describe('bad input', () => {
  it('rejects invalid repository names with NAME_INVALID', async () => {
    for (const name of ['UPPER/case', 'a//b', '-lead', 'trail-']) {
      const res = await t.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/` });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().errors[0].code).toBe('NAME_INVALID');
    }
  });

  it('answers unknown endpoints and methods in the error shape', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/v2/app/nothing/here' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errors[0].code).toBe('UNSUPPORTED');
    const method = await t.app.inject({ method: 'PATCH', url: '/v2/app/tags/list' });
    expect(method.statusCode).toBe(405);
    expect(method.json().errors[0].code).toBe('UNSUPPORTED');
  });
});
