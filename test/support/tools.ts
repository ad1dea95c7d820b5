// Typed wrappers around the real OCI clients (skopeo, umoci, podman). Always argv arrays
// through execFile, never a shell; a non-zero exit throws with the command and its stderr.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export class ToolError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`\`${argv.join(' ')}\` failed (exit ${exitCode}):\n${stderr.trim() || stdout.trim()}`);
    this.name = 'ToolError';
  }
}

/** How a run that may be refused ended: its ToolError, or undefined when it succeeded.
 * Anything else (a bug in the harness) is rethrown, never mistaken for a refusal. */
export async function toolFailure(running: Promise<unknown>): Promise<ToolError | undefined> {
  try {
    await running;
    return undefined;
  } catch (error) {
    if (error instanceof ToolError) return error;
    throw error;
  }
}

/** Runs a program to completion and captures its output. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: { ...process.env, ...options.env },
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
        // --debug output of a 100 MB copy stays well under this.
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? error.signal ?? null;
        reject(new ToolError([file, ...args], code, stdout, stderr));
      },
    );
  });
}

// ---- skopeo -------------------------------------------------------------------------

export interface SkopeoOptions {
  /**
   * A private blob-info cache directory. skopeo remembers where it has seen each blob
   * (for root in /var/lib/containers/cache, with no flag to move it) and turns later pushes
   * into cross-repo mounts. As root it is moved by running skopeo as an unprivileged uid in
   * a user namespace, where it uses $XDG_DATA_HOME/containers/cache instead.
   */
  cacheDir?: string;
}

export interface CopyOptions {
  /** Copy every image of an index, not just the one for this platform. */
  all?: boolean;
  overrideArch?: string;
  overrideOs?: string;
  preserveDigests?: boolean;
  /** Manifest type to write: oci, v2s2. */
  format?: 'oci' | 'v2s2';
  /** Recompress layers on the way (`--dest-compress-format`), e.g. gzip -> zstd. */
  destCompressFormat?: 'gzip' | 'zstd';
}

export class Skopeo {
  constructor(private readonly options: SkopeoOptions = {}) {}

  async copy(source: string, destination: string, options: CopyOptions = {}): Promise<RunResult> {
    const global = [
      ...(options.overrideArch ? ['--override-arch', options.overrideArch] : []),
      ...(options.overrideOs ? ['--override-os', options.overrideOs] : []),
    ];
    const flags = [
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      ...(options.all ? ['--all'] : []),
      ...(options.preserveDigests ? ['--preserve-digests'] : []),
      ...(options.format ? ['--format', options.format] : []),
      ...(options.destCompressFormat ? ['--dest-compress', '--dest-compress-format', options.destCompressFormat] : []),
    ];
    return this.run([...global, 'copy', ...flags, source, destination], { timeoutMs: 300_000 });
  }

  /** The manifest exactly as served (`skopeo inspect --raw`). */
  async inspectRaw(reference: string): Promise<string> {
    return (await this.run(['inspect', '--raw', '--tls-verify=false', reference])).stdout;
  }

  async listTags(reference: string): Promise<string[]> {
    const { stdout } = await this.run(['list-tags', '--tls-verify=false', reference]);
    return (JSON.parse(stdout) as { Tags: string[] }).Tags;
  }

  async delete(reference: string): Promise<void> {
    await this.run(['delete', '--tls-verify=false', reference]);
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const argv = ['--insecure-policy', ...args];
    const cacheDir = this.options.cacheDir;
    if (cacheDir === undefined) return run('skopeo', argv, options);
    await mkdir(cacheDir, { recursive: true });
    const env = { ...options.env, XDG_DATA_HOME: cacheDir, HOME: cacheDir };
    if (process.geteuid?.() !== 0) return run('skopeo', argv, { ...options, env });
    // Our uid maps to 1000 inside, so files we own stay ours and skopeo is not root there.
    const unshare = ['--user', '--map-user=1000', '--map-group=1000', '--', 'skopeo', ...argv];
    return run('unshare', unshare, { ...options, env });
  }
}

// ---- umoci --------------------------------------------------------------------------

/** umoci over one OCI layout directory; `image` names are `tag` within it. */
export class Umoci {
  constructor(readonly layout: string) {}

  async init(): Promise<void> {
    await this.run(['init', '--layout', this.layout]);
  }

  async newImage(tag: string): Promise<void> {
    await this.run(['new', '--image', this.ref(tag)]);
  }

  /** Adds `file` at `pathInImage` as one new layer on `tag`. */
  async insert(tag: string, file: string, pathInImage: string): Promise<void> {
    await this.run(['insert', '--image', this.ref(tag), file, pathInImage], { timeoutMs: 300_000 });
  }

  async config(tag: string, settings: { architecture?: string; os?: string; entrypoint?: string[] }): Promise<void> {
    const flags: string[] = [];
    if (settings.architecture) flags.push('--architecture', settings.architecture);
    if (settings.os) flags.push('--os', settings.os);
    for (const part of settings.entrypoint ?? []) flags.push('--config.entrypoint', part);
    await this.run(['config', '--image', this.ref(tag), ...flags]);
  }

  /** Removes blobs no tag reaches (umoci leaves every intermediate manifest behind). */
  async gc(): Promise<void> {
    await this.run(['gc', '--layout', this.layout]);
  }

  ref(tag: string): string {
    return `${this.layout}:${tag}`;
  }

  private run(args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run('umoci', args, options);
  }
}

// ---- podman -------------------------------------------------------------------------

/** podman with its own throwaway storage (vfs: no overlay or fuse needed in a container). */
export class Podman {
  constructor(private readonly stateDir: string) {}

  async pull(reference: string): Promise<string> {
    const { stdout } = await this.run(['pull', '--quiet', '--tls-verify=false', reference], { timeoutMs: 300_000 });
    return stdout.trim();
  }

  async push(image: string, destination: string, options: PodmanPushOptions = {}): Promise<void> {
    const flags = [
      ...(options.digestFile ? ['--digestfile', options.digestFile] : []),
      ...(options.compression ? ['--compression-format', options.compression] : []),
    ];
    await this.run(['push', '--quiet', '--tls-verify=false', ...flags, image, destination], { timeoutMs: 300_000 });
  }

  async tag(image: string, name: string): Promise<void> {
    await this.run(['tag', image, name]);
  }

  async rmi(image: string): Promise<void> {
    await this.run(['rmi', '--force', image]);
  }

  /** `podman image inspect`, parsed: Id, Digest, RepoDigests, RootFS and the rest. */
  async inspectImage(image: string): Promise<PodmanImage> {
    const { stdout } = await this.run(['image', 'inspect', image]);
    const [first] = JSON.parse(stdout) as PodmanImage[];
    if (!first) throw new Error(`podman image inspect ${image} returned nothing`);
    return first;
  }

  async run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    await mkdir(join(this.stateDir, 'tmp'), { recursive: true });
    const storage = [
      '--storage-driver', 'vfs',
      '--root', join(this.stateDir, 'root'),
      '--runroot', join(this.stateDir, 'run'),
      '--tmpdir', join(this.stateDir, 'tmp'),
      '--events-backend', 'file',
      '--cgroup-manager', 'cgroupfs',
    ];
    // TMPDIR: podman stages big layers there; keep them with the rest of this state.
    return run('podman', [...storage, ...args], { ...options, env: { TMPDIR: join(this.stateDir, 'tmp'), ...options.env } });
  }
}

export interface PodmanPushOptions {
  /** Where podman writes the digest of the pushed manifest. */
  digestFile?: string;
  /** Recompress layers on push (gzip is podman's default). */
  compression?: 'gzip' | 'zstd';
}

export interface PodmanImage {
  Id: string;
  Digest: string;
  RepoDigests: string[];
  RepoTags: string[];
  Architecture: string;
  Os: string;
  RootFS: { Type: string; Layers: string[] };
  Size: number;
}
