// Throwaway TLS material for tests of HTTPS upstreams, made with Debian's `openssl` in a temp
// dir: a CA, a server certificate it signed for 127.0.0.1 (and localhost), and a client
// certificate it signed (mutual TLS). EC keys, so that making them takes a few milliseconds.
// `serverOptions` is what an https server started by the test listens with.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** PEM files: the CA, and the client certificate with its key (for a remote's caFile, certFile, keyFile). */
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** For https.createServer: the server's certificate; with `requireClientCertificate`, it asks for one signed by the CA. */
  serverOptions(requireClientCertificate?: boolean): { key: Buffer; cert: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean };
  remove(): Promise<void>;
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-tls-'));
  const at = (name: string) => join(dir, name);
  const key = (name: string) => run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', at(name)]);
  await Promise.all([key('ca.key'), key('server.key'), key('client.key')]);
  await run('openssl', ['req', '-x509', '-new', '-key', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=scangate test CA']);
  await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = async (name: string, subject: string) => {
    await run('openssl', ['req', '-new', '-key', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject]);
    await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at(`${name}.pem`), '-days', '2', '-extfile', at(`${name}.ext`)]);
  };
  await sign('server', '/CN=127.0.0.1');
  await sign('client', '/CN=scangate');
  const [serverKey, serverCert, ca] = await Promise.all([readFile(at('server.key')), readFile(at('server.pem')), readFile(at('ca.pem'))]);
  return {
    dir,
    caFile: at('ca.pem'),
    clientCertFile: at('client.pem'),
    clientKeyFile: at('client.key'),
    serverOptions: (requireClientCertificate = false) => ({
      key: serverKey,
      cert: serverCert,
      ...(requireClientCertificate ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
    }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
