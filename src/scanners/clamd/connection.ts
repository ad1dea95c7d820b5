// One clamd connection per command: connect, send a `z`-command (NUL-terminated, so the
// reply ends with NUL too), read the reply. clamd closes the connection after replying.
import { connect, type NetConnectOpts, type Socket } from 'node:net';

export interface ReplyOutcome {
  /** Text up to the first NUL (or up to the close when none came), NUL excluded. */
  text: string;
  /** True when the NUL terminator arrived: the reply is whole. */
  complete: boolean;
  /** A socket error seen before the reply was whole (EPIPE, ECONNRESET...). */
  error?: Error;
}

/** Connects, or rejects with the connection error; the signal destroys the attempt. */
export function openSocket(target: NetConnectOpts, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = connect(target);
    const onAbort = () => socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const settle = (err?: Error) => {
      socket.off('connect', onConnect).off('error', settle);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(socket);
    };
    const onConnect = () => settle();
    socket.once('connect', onConnect).once('error', settle);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Collects the reply; never rejects: the caller decides what an incomplete reply means. */
export function readReply(socket: Socket): Promise<ReplyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: Error | undefined;
    let done = false;
    const finish = (complete: boolean) => {
      if (done) return;
      done = true;
      const all = Buffer.concat(chunks);
      const end = all.indexOf(0);
      resolve({ text: all.subarray(0, end < 0 ? all.length : end).toString('utf8'), complete, error });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(0)) finish(true);
    });
    socket.on('error', (err) => (error ??= err));
    socket.once('close', () => finish(false));
  });
}

/** Sends a short command such as `zPING` and returns its reply text. */
export async function sendCommand(target: NetConnectOpts, command: string, signal: AbortSignal): Promise<string> {
  const socket = await openSocket(target, signal);
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const reply = readReply(socket);
    socket.write(`${command}\0`);
    const outcome = await reply;
    if (signal.aborted) throw signal.reason;
    if (!outcome.complete) {
      throw new Error(`connection closed before the ${command} reply was complete`, { cause: outcome.error });
    }
    return outcome.text;
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}
