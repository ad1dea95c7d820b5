// A front for a real upstream registry (Debian's docker-registry) in tests: it forwards
// every request, counts them (so a test can prove one upstream fetch per blob), can demand
// Basic credentials or the registry token challenge (docker-registry's own token auth needs
// a token server), can serve HTTPS (with a certificate from tls-certificates.ts, asking for a
// client's or not), and can be stopped to play an upstream that is down.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';

/** Passes bytes on at about `bytesPerSecond`, in slices of a tenth of a second. */
function throttled(bytesPerSecond: number): Transform {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const pieces: Buffer[] = [];
      for (let at = 0; at < chunk.length; at += slice) pieces.push(chunk.subarray(at, at + slice));
      const next = () => {
        const piece = pieces.shift();
        if (!piece) return callback();
        this.push(piece);
        setTimeout(next, 100);
      };
      next();
    },
  });
}

export interface FrontOptions {
  /** The registry to forward to, e.g. http://127.0.0.1:5001. */
  target: string;
  auth?: 'none' | 'basic' | 'token';
  username?: string;
  password?: string;
  /** Flip the last byte of every blob it forwards (an upstream sending bytes that do not match). */
  corruptBlobs?: boolean;
  /** Forward blob bytes at about this rate (a slow upstream, so a client can hang up mid-fetch). */
  blobBytesPerSecond?: number;
  /** Serve HTTPS with these (TestCertificates.serverOptions()). */
  tls?: HttpsOptions;
}

export interface UpstreamFront {
  url: string;
  /** Requests forwarded, by `METHOD /path` (no query). */
  counts: Map<string, number>;
  /** GET /token requests answered with a token. */
  tokensIssued: number;
  count(method: string, path: string): number;
  stop(): Promise<void>;
}

export async function startUpstreamFront(options: FrontOptions): Promise<UpstreamFront> {
  const sockets = new Set<Socket>();
  const issued = new Set<string>();
  const front: UpstreamFront = {
    url: '',
    counts: new Map(),
    tokensIssued: 0,
    count: (method, path) => front.counts.get(`${method} ${path}`) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const basic = `Basic ${Buffer.from(`${options.username ?? ''}:${options.password ?? ''}`).toString('base64')}`;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://front').pathname;
    if (path === '/token') return issueToken(req, res);
    if (!authorized(req)) return challenge(req, res, path);
    front.counts.set(`${req.method} ${path}`, front.count(req.method ?? '', path) + 1);
    forward(req, res);
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handle) : createServer(handle);
  const issueToken = (req: IncomingMessage, res: ServerResponse) => {
    if (options.username !== undefined && req.headers.authorization !== basic) return void res.writeHead(401).end();
    const token = `t${Math.random().toString(36).slice(2)}`;
    issued.add(token);
    front.tokensIssued++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
  };
  const authorized = (req: IncomingMessage) => {
    const given = req.headers.authorization;
    if (options.auth === 'basic') return given === basic;
    if (options.auth === 'token') return given !== undefined && given.startsWith('Bearer ') && issued.has(given.slice(7));
    return true;
  };
  const challenge = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const repository = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(path)?.[1] ?? '';
    const header =
      options.auth === 'basic'
        ? 'Basic realm="front"'
        : `Bearer realm="${front.url}/token",service="front",scope="repository:${repository}:pull"`;
    res.writeHead(401, { 'www-authenticate': header, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
  };
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', options.target);
    const { authorization: _, host: __, ...headers } = req.headers;
    const corrupt = options.corruptBlobs === true && req.method === 'GET' && target.pathname.includes('/blobs/');
    const upstream = httpRequest(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      const rate = options.blobBytesPerSecond;
      if (rate !== undefined && req.method === 'GET' && target.pathname.includes('/blobs/')) return void answer.pipe(throttled(rate)).pipe(res);
      if (!corrupt) return void answer.pipe(res);
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        if (body.length > 0) body[body.length - 1]! ^= 0xff;
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return front;
}
