// Identity and policy end to end: scangate with auth on, real clients through the real
// token flow (401 challenge -> GET /token with Basic credentials -> Bearer JWT). skopeo and
// podman with the first-start admin's password; a robot (member of namespace `a`) pushes
// `a/x` and nothing outside `a` (made with `scangate robot add` and `role bind`); a token for `a/x` opens no other repository.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildImage, type BuiltImage } from '../support/images.js';
import { runScangateCli, startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { Podman, Skopeo, ToolError, toolFailure } from '../support/tools.js';

/** A robot made with the admin CLI on the server's own data dir, while the server runs. */
async function createRobot(dataDir: string, name: string, namespace: string, role: string): Promise<string> {
  const added = await runScangateCli(['robot', 'add', name, '--owner', 'admin', '--data', dataDir]);
  await runScangateCli(['role', 'bind', '--robot', name, '--namespace', namespace, '--role', role, '--data', dataDir]);
  return added.stdout.trim();
}

describe('auth end to end', () => {
  let registry: RunningRegistry;
  let work: TempDir;
  let skopeo: Skopeo;
  let image: BuiltImage;
  let adminCreds: string;
  let robotCreds: string;

  const copy = (source: string, destination: string, creds: { src?: string; dest?: string }) =>
    skopeo.run([
      'copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      ...(creds.src ? ['--src-creds', creds.src] : []),
      ...(creds.dest ? ['--dest-creds', creds.dest] : []),
      source, destination,
    ], { timeoutMs: 120_000 });

  beforeAll(async () => {
    work = await makeTempDir('e2e-auth');
    skopeo = new Skopeo({ cacheDir: work.join('skopeo-cache') });
    registry = await startScangate({ auth: true });
    image = await buildImage(work.join('layout'), work.join('scratch'), { tag: 'base', layerSizes: [1024, 200_000] });
    const password = (await readFile(join(registry.dataDir, 'initial-admin-password'), 'utf8')).trim();
    adminCreds = `admin:${password}`;
    robotCreds = `ci:${await createRobot(registry.dataDir, 'ci', 'a', 'member')}`;
  });
  afterAll(async () => {
    await registry?.stop();
    await work?.remove();
  });

  test('the first start names the password file in the log, never the password', () => {
    const password = adminCreds.slice('admin:'.length);
    expect(registry.logs()).toContain('initial-admin-password');
    expect(registry.logs()).not.toContain(password);
  });

  test('nobody gets a 401 with the challenge for the scope the request needs', async () => {
    const res = await request(`${registry.url}/v2/a/x/blobs/uploads/`, { method: 'POST' });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer realm="http://${registry.host}/token",service="scangate",scope="repository:a/x:pull,push"`);
    const root = await request(`${registry.url}/v2/`);
    await root.body.dump();
    expect(root.statusCode).toBe(401);
    const error = await toolFailure(copy(`oci:${image.layout}:base`, `docker://${registry.host}/a/anonymous:v1`, {}));
    expect(error).toBeInstanceOf(ToolError);
    expect(error?.message).toMatch(/unauthorized|authentication required/i);
  });

  test('skopeo pushes and pulls with the admin password through /token', async () => {
    const reference = `docker://${registry.host}/team/app:v1`;
    await copy(`oci:${image.layout}:base`, reference, { dest: adminCreds });
    await copy(reference, `oci:${work.join('back')}:v1`, { src: adminCreds });
    const wrong = await toolFailure(copy(reference, `oci:${work.join('wrong')}:v1`, { src: 'admin:not-the-password' }));
    expect(wrong).toBeInstanceOf(ToolError);
    expect(wrong?.message).toMatch(/unauthorized|authentication required|invalid username\/password/i);
  }, 180_000);

  test('podman pushes and pulls with --creds', async () => {
    const pusher = new Podman(work.join('podman-push'));
    const localId = await pusher.pull(`oci:${image.layout}:base`);
    const target = `${registry.host}/team/podman:v1`;
    await pusher.run(['push', '--quiet', '--tls-verify=false', '--creds', adminCreds, localId, `docker://${target}`], { timeoutMs: 120_000 });
    const puller = new Podman(work.join('podman-pull'));
    await puller.run(['pull', '--quiet', '--tls-verify=false', '--creds', adminCreds, target], { timeoutMs: 120_000 });
    expect((await puller.inspectImage(target)).Id).toBe((await pusher.inspectImage(localId)).Id);
  }, 180_000);

  test('a robot that is a member of `a` pushes a/x with its token (skopeo), pulls it (skopeo, podman), and pushes nothing outside `a`', async () => {
    await copy(`oci:${image.layout}:base`, `docker://${registry.host}/a/x:v1`, { dest: robotCreds });
    await copy(`docker://${registry.host}/a/x:v1`, `oci:${work.join('robot-back')}:v1`, { src: robotCreds });
    const podman = new Podman(work.join('podman-robot'));
    await podman.run(['pull', '--quiet', '--tls-verify=false', '--creds', robotCreds, `${registry.host}/a/x:v1`], { timeoutMs: 120_000 });
    const outside = await toolFailure(copy(`oci:${image.layout}:base`, `docker://${registry.host}/b/x:v1`, { dest: robotCreds }));
    expect(outside).toBeInstanceOf(ToolError);
    expect(outside?.message).toMatch(/403 \(Forbidden\)|denied/i);
  }, 180_000);

  test('a token issued for a/x is refused on a/y and on b/y', async () => {
    const basic = `Basic ${Buffer.from(robotCreds).toString('base64')}`;
    const issued = await request(`${registry.url}/token?service=scangate&scope=repository:a/x:pull,push`, { headers: { authorization: basic } });
    expect(issued.statusCode).toBe(200);
    const { token } = (await issued.body.json()) as { token: string };
    const get = async (path: string) => {
      const res = await request(`${registry.url}/v2/${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.statusCode, challenge: res.headers['www-authenticate'], body: await res.body.text() };
    };
    expect((await get('a/x/tags/list')).status).toBe(200);
    const sibling = await get('a/y/manifests/v1');
    expect(sibling.status).toBe(401);
    expect(sibling.challenge).toContain('error="insufficient_scope"');
    const foreign = await get('team/app/manifests/v1');
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain('pull on repository team/app is denied');
    expect(foreign.body).not.toContain('schemaVersion');
  });
});
