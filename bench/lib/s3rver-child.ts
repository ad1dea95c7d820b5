/// <reference path="../../test/support/s3rver-module.d.ts" />
// s3rver in a process of its own (argv: the directory it keeps buckets in): the benchmark's S3
// server must not share an event loop with the benchmark's clients. Prints `{"port":N}` once
// listening; SIGTERM closes it.
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3rver-child DIR');
const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once('SIGTERM', () => void server.close().finally(() => process.exit(0)));
