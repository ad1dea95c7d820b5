// A plain static HTTP file server for the file remotes' tests, started by the test: it serves a
// temp directory (GET and HEAD, ETag and Last-Modified, 304 to If-None-Match and
// If-Modified-Since), counts the requests it answers (so a test can prove one upstream fetch
// for many clients), can demand Basic credentials, hold its answers back for a while, serve
// HTTPS (with a certificate from tls-certificates.ts, asking for a client's or not), and be
// stopped to play an upstream that is down.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';

export interface StaticServerOptions {
  /** Credentials every request must carry (Basic). */
  username?: string;
  password?: string;
  /** Milliseconds to wait before answering a GET of a file (keeps a download in flight). */
  delayMs?: number;
  /** Serve HTTPS with these (TestCertificates.serverOptions()). */
  tls?: HttpsOptions;
}

export interface StaticServer {
  url: string;
  /** The directory served. */
  root: string;
  /** Writes a file under the root (directories made as needed). */
  put(path: string, bytes: Buffer | string): Promise<void>;
  /** Writes a PULP_MANIFEST (`path,sha256,size` lines) at `at` for the files given, as they are now. */
  writeManifest(paths: string[], at?: string, lie?: Record<string, string>): Promise<void>;
  /** Requests answered, by `METHOD /path` (no query), 304s included. */
  count(method: string, path: string): number;
  /** Answers of 304 Not Modified given. */
  notModified: number;
  options: StaticServerOptions;
  stop(): Promise<void>;
}

export async function startStaticServer(options: StaticServerOptions = {}): Promise<StaticServer> {
  const root = await mkdtemp(join(tmpdir(), 'scangate-static-'));
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const basic = `Basic ${Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64')}`;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    void answer(req, res).catch(() => res.destroy());
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);
  const served: StaticServer = {
    url: '',
    root,
    options,
    notModified: 0,
    put: async (path, bytes) => {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), bytes);
    },
    writeManifest: async (paths, at = 'PULP_MANIFEST', lie = {}) => {
      const base = dirname(at) === '.' ? '' : `${dirname(at)}/`;
      const lines = await Promise.all(
        paths.map(async (path) => {
          const bytes = await readFile(join(root, base, path));
          return `${path},${lie[path] ?? createHash('sha256').update(bytes).digest('hex')},${bytes.length}`;
        }),
      );
      await served.put(at, `${lines.join('\n')}\n`);
    },
    count: (method, path) => counts.get(`${method} ${path}`) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => void rm(root, { recursive: true, force: true }).then(() => resolve()));
      }),
  };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://static').pathname);
    if (options.username !== undefined && req.headers.authorization !== basic) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="static"' }).end();
      return;
    }
    counts.set(`${req.method} ${path}`, served.count(req.method ?? '', path) + 1);
    const file = join(root, path);
    const info = file.startsWith(root + sep) ? await stat(file).catch(() => undefined) : undefined;
    if (!info?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const lastModified = info.mtime.toUTCString();
    const since = req.headers['if-modified-since'];
    const unchanged =
      req.headers['if-none-match'] !== undefined
        ? req.headers['if-none-match'] === etag
        : since !== undefined && Math.floor(info.mtimeMs / 1000) <= Math.floor(Date.parse(since) / 1000);
    if (unchanged) {
      served.notModified++;
      res.writeHead(304, { etag, 'last-modified': lastModified }).end();
      return;
    }
    if (req.method === 'GET' && options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(info.size), etag, 'last-modified': lastModified });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return served;
}
