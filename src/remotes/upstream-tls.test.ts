// TLS towards upstreams against real HTTPS servers whose certificates a throwaway CA (openssl)
// signed: a file source, and a docker-registry behind an HTTPS front that asks for a client
// certificate. A remote given the CA verifies the upstream; one without it gets a 502 that says
// to set caFile; tlsVerify: false still connects; an upstream that requires a client
// certificate works when certFile and keyFile are given, and says so when they are not. TLS
// files that cannot be read or do not fit are refused when the remote is loaded.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { startFileRemoteApp, type FileRemoteApp } from './files/testing/file-remote-app.js';
import { startStaticServer, type StaticServer } from './files/testing/static-server.js';
import { clientFor } from './remote-catalog.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startRemoteApp, type RemoteApp } from './testing/remote-app.js';
import { makeTestCertificates, type TestCertificates } from './testing/tls-certificates.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';
import { fileRemoteSchema, remoteSchema } from '../config/remote-schema.js';

let certs: TestCertificates;
let open: StaticServer;
let mutual: StaticServer;
let files: FileRemoteApp;

beforeAll(async () => {
  certs = await makeTestCertificates();
  open = await startStaticServer({ tls: certs.serverOptions() });
  mutual = await startStaticServer({ tls: certs.serverOptions(true) });
  for (const server of [open, mutual]) await server.put('a.txt', 'over TLS');
  const client = { certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
  files = await startFileRemoteApp([
    { name: 'ca', url: open.url, caFile: certs.caFile },
    { name: 'noca', url: open.url },
    { name: 'insecure', url: open.url, tlsVerify: false },
    { name: 'nocert', url: mutual.url, caFile: certs.caFile },
    { name: 'mtls', url: mutual.url, caFile: certs.caFile, ...client },
  ]);
});
afterAll(async () => {
  await files?.close();
  await open?.stop();
  await mutual?.stop();
  await certs?.remove();
});

const get = (url: string) => files.app.inject({ method: 'GET', url });

describe('TLS towards a file source', () => {
  it('verifies the upstream against caFile, and with tlsVerify false accepts it unverified', async () => {
    for (const name of ['ca', 'insecure']) {
      const answer = await get(`/files/${name}/-/a.txt`);
      expect([name, answer.statusCode, answer.payload]).toEqual([name, 200, 'over TLS']);
    }
  });

  it('answers 502 saying to set caFile when the certificate cannot be verified, and fetches nothing', async () => {
    const answer = await get('/files/noca/-/a.txt');
    expect(answer.statusCode).toBe(502);
    const message: string = answer.json().errors[0].message;
    expect(message).toMatch(/^remote noca: https:\/\/127\.0\.0\.1:\d+\/ presented a TLS certificate that could not be verified \(/);
    expect(message).toContain('set caFile to the CA that signed it');
    expect(await files.services.files.get('noca', 'a.txt')).toBeUndefined();
  });

  it('presents the client certificate an upstream requires, and says to set one when it is missing', async () => {
    const ok = await get('/files/mtls/-/a.txt');
    expect([ok.statusCode, ok.payload]).toEqual([200, 'over TLS']);
    // TLS 1.3: the upstream hangs up once the handshake is done, which is all the client sees.
    const refused = await get('/files/nocert/-/a.txt');
    expect([refused.statusCode, refused.headers['retry-after']]).toEqual([503, '30']);
    expect(refused.json().errors[0].message).toMatch(/^remote nocert: https:\/\/127\.0\.0\.1:\d+\/ closed the connection before answering \(.*\); if it requires a client certificate \(mutual TLS\), set certFile and keyFile/);
  });

  it('refuses TLS files that cannot be read or do not fit, naming them', async () => {
    const base = { name: 'x', kind: 'file', url: open.url };
    await expect(clientFor(fileRemoteSchema.parse({ ...base, caFile: '/nonexistent/ca.pem' }))).rejects.toThrow(/remote x: cannot read caFile \/nonexistent\/ca\.pem \(ENOENT\)/);
    const junk = join(certs.dir, 'junk.pem');
    await writeFile(junk, 'not a certificate');
    // A client certificate with another key than its own.
    const mismatched = fileRemoteSchema.parse({ ...base, certFile: certs.clientCertFile, keyFile: join(certs.dir, 'server.key') });
    await expect(clientFor(mismatched)).rejects.toThrow(/remote x: unusable TLS files \(certFile .*, keyFile .*server\.key\)/);
    await expect(clientFor(fileRemoteSchema.parse({ ...base, caFile: junk }))).rejects.toThrow(/remote x: unusable TLS files \(caFile .*junk\.pem\): no PEM certificate in it/);
    expect(fileRemoteSchema.safeParse({ ...base, certFile: certs.clientCertFile }).error?.issues.map((i) => i.message)).toEqual([
      'certFile needs keyFile (the private key of the client certificate)',
    ]);
  });
});

describe('TLS towards an OCI registry', () => {
  let registry: RunningRegistry;
  let front: UpstreamFront;
  let env: RemoteApp;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startDistribution();
    image = await pushImage(registry.url, 'library/app', 'v1', [randomBytes(4096)]);
    front = await startUpstreamFront({ target: registry.url, tls: certs.serverOptions(true) });
    env = await startRemoteApp([
      { name: 'hub', url: front.url, caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      { name: 'noca', url: front.url },
    ]);
  });
  afterAll(async () => {
    await env?.close();
    await front?.stop();
    await registry?.stop();
  });

  it('pulls through an upstream that requires a client certificate, verified against caFile', async () => {
    const manifest = await env.app.inject({ method: 'GET', url: '/v2/hub/library/app/manifests/v1' });
    expect([manifest.statusCode, manifest.headers['docker-content-digest']]).toEqual([200, image.manifestDigest]);
    const layer = await env.app.inject({ method: 'GET', url: `/v2/hub/library/app/blobs/${image.layerDigests[0]}` });
    expect(layer.statusCode).toBe(200);
  });

  it('answers 502 saying to set caFile without it', async () => {
    const answer = await env.app.inject({ method: 'GET', url: '/v2/noca/library/app/manifests/v1' });
    expect(answer.statusCode).toBe(502);
    expect(answer.json().errors[0].message).toMatch(/^remote noca: https:\/\/127\.0\.0\.1:\d+ presented a TLS certificate that could not be verified .*set caFile/);
    expect(remoteSchema.safeParse({ name: 'x', kind: 'oci', url: front.url, keyFile: certs.clientKeyFile }).error?.issues.map((i) => i.message)).toEqual([
      'keyFile needs certFile (the client certificate)',
    ]);
  });
});
