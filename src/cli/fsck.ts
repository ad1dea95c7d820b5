// `scangate fsck`: re-hashes every stored blob and checks the database (blob links,
// manifests, file entries) against the store.
// Prints one line per fault and a summary; exits 1 on any fault, 0 when clean. The remotes'
// namespaces (the config file's and the admin API's) are pull-through mirrors, whose
// references arrive lazily (not faults).
import { Command } from 'commander';
import { composeMigrated } from '../compose.js';
import type { ConfigFlags } from '../config/load.js';
import { fsck, type Fault, type FsckReport } from '../registry/fsck.js';
import { formatBytes, progressBar } from './progress.js';
import { loadFromOptions, withConfigOptions } from './options.js';

interface FsckFlags extends ConfigFlags {
  json?: boolean;
}

export function fsckCommand(): Command {
  return withConfigOptions(new Command('fsck'), { listen: false })
    .description('verify every stored blob against its digest, every manifest against what it references and every file entry against its bytes; exit 1 on any fault')
    .option('--json', 'print the report as JSON instead of text')
    .action(async (options: FsckFlags) => {
      const { config } = await loadFromOptions(options);
      const services = await composeMigrated(config);
      try {
        const started = Date.now();
        const bar = progressBar(process.stderr, 'fsck: re-hashing');
        const report = await fsck(services, {
          mirrorNamespaces: [...config.remotes, ...(await services.remotes.listRemotes()).map((stored) => stored.remote)].map((remote) => remote.name),
          onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, `${p.blobsDone}/${p.blobsTotal} blobs, ${formatBytes(p.bytesDone)}`),
        });
        bar.finish();
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report, Date.now() - started));
        process.exitCode = report.faults.length > 0 ? 1 : 0;
      } finally {
        await services.close();
      }
    });
}

export function describeReport(report: FsckReport, elapsedMs: number): string {
  const lines = report.faults.map(describeFault);
  const faults = report.faults.length === 0 ? 'no faults' : count(report.faults.length, 'fault');
  lines.push(
    `fsck: ${faults}; checked ${count(report.blobsChecked, 'blob')} (${formatBytes(report.bytesChecked)}), ` +
      `${count(report.blobLinksChecked, 'blob link')}, ${count(report.manifestsChecked, 'manifest')}, ${count(report.filesChecked, 'file')} in ${(elapsedMs / 1000).toFixed(1)} s` +
      (report.unreferencedBlobs > 0 ? `; ${count(report.unreferencedBlobs, 'stored blob')} unreferenced (garbage, not a fault)` : ''),
  );
  return `${lines.join('\n')}\n`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function describeFault(fault: Fault): string {
  const where = fault.repository === undefined ? '' : fault.path === undefined ? ` in ${fault.repository}` : ` at /files/${fault.repository}/-/${fault.path}`;
  return `${fault.kind} ${fault.digest}${where}: ${fault.message}`;
}
