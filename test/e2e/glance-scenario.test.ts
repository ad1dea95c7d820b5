// The Glance scenario end to end, with skopeo through the real token flow and curl-like
// calls to the properties API: Glance's two rules (`restricted`, `download_image`) and its
// property protections for `x_billing_code_*`. The admin pushes an image and bills it to
// ntt_3251; a member then cannot pull it and cannot remove or change the billing code; the
// admin pulls it; another member of the namespace who is a reader (not `member`) pulls it;
// the member still pulls an image that is not billed.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildImage, type BuiltImage } from '../support/images.js';
import { runScangate } from '../support/run-scangate.js';
import { startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { Skopeo, ToolError, toolFailure } from '../support/tools.js';
import { glancePolicy, glanceProtections } from '../../src/policy/testing/glance.js';

const policy = glancePolicy;
const protections = glanceProtections;

describe('Glance scenario end to end', () => {
  let work: TempDir;
  let registry: RunningRegistry;
  let skopeo: Skopeo;
  let image: BuiltImage;
  let other: BuiltImage;
  let admin: string;
  const member = 'mia:member-password-1';
  const reader = 'rex:reader-password-1';

  const copy = (source: string, destination: string, creds: { src?: string; dest?: string }) =>
    skopeo.run(
      [
        'copy', '--src-tls-verify=false', '--dest-tls-verify=false',
        ...(creds.src ? ['--src-creds', creds.src] : []),
        ...(creds.dest ? ['--dest-creds', creds.dest] : []),
        source, destination,
      ],
      { timeoutMs: 120_000 },
    );
  const pull = (creds: string, tag: string) => copy(`docker://${registry.host}/billing/app:${tag}`, `oci:${work.join(`pulled-${creds.split(':')[0]}-${tag}`)}:x`, { src: creds });
  const patch = async (creds: string, body: unknown) => {
    const res = await request(`${registry.url}/api/v1/repositories/billing/app/artifacts/restricted/properties`, {
      method: 'PATCH',
      headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}`, 'content-type': 'application/json-patch+json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as { errors?: { code: string; message: string }[] } };
  };

  beforeAll(async () => {
    work = await makeTempDir('e2e-glance');
    skopeo = new Skopeo({ cacheDir: work.join('skopeo-cache') });
    await writeFile(work.join('policy.json'), JSON.stringify(policy));
    await writeFile(work.join('protections.conf'), protections);
    await writeFile(work.join('scangate.yaml'), `auth:\n  policyFile: ${JSON.stringify(work.join('policy.json'))}\n  propertyProtectionsFile: ${JSON.stringify(work.join('protections.conf'))}\n  audit: all\n`);
    registry = await startScangate({ auth: true, args: ['--config', work.join('scangate.yaml')] });
    admin = `admin:${(await readFile(join(registry.dataDir, 'initial-admin-password'), 'utf8')).trim()}`;
    for (const [creds, role] of [[member, 'member'], [reader, 'reader']] as const) {
      const [name, password] = creds.split(':') as [string, string];
      expect((await runScangate(['user', 'add', name, '--password-stdin', '--data', registry.dataDir], process.env, `${password}\n`)).code).toBe(0);
      expect((await runScangate(['role', 'bind', '--user', name, '--namespace', 'billing', '--role', role, '--data', registry.dataDir])).code).toBe(0);
    }
    // Two images apart (properties belong to a manifest, and one manifest under two tags is one artifact).
    image = await buildImage(work.join('layout'), work.join('scratch'), { tag: 'base', layerSizes: [1024, 50_000] });
    other = await buildImage(work.join('layout-other'), work.join('scratch-other'), { tag: 'base', layerSizes: [2048, 30_000] });
    await copy(`oci:${image.layout}:base`, `docker://${registry.host}/billing/app:restricted`, { dest: admin });
    await copy(`oci:${other.layout}:base`, `docker://${registry.host}/billing/app:open`, { dest: admin });
  }, 300_000);
  afterAll(async () => {
    await registry?.stop();
    await work?.remove();
  });

  test('before the billing code, the member pulls', async () => {
    await pull(member, 'restricted');
  }, 120_000);

  test('the admin bills the image; the member is then refused the pull with a 403 naming the rule', async () => {
    const billed = await patch(admin, [{ op: 'add', path: '/x_billing_code_ntt', value: 'ntt_3251' }]);
    expect(billed.status).toBe(200);
    const error = await toolFailure(pull(member, 'restricted'));
    expect(error).toBeInstanceOf(ToolError);
    expect(error?.message).toMatch(/denied/i);
    const res = await request(`${registry.url}/v2/billing/app/manifests/restricted`, {
      headers: { authorization: `Basic ${Buffer.from(member).toString('base64')}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.statusCode).toBe(403);
    expect(JSON.stringify(await res.body.json())).toContain('rule:restricted');
  }, 120_000);

  test('the member can neither delete nor change the billing code', async () => {
    for (const op of [{ op: 'remove', path: '/x_billing_code_ntt' }, { op: 'replace', path: '/x_billing_code_ntt', value: 'ntt_0000' }]) {
      const res = await patch(member, [op]);
      expect(res.status).toBe(403);
      expect(res.body.errors?.[0]?.code).toBe('DENIED');
    }
    expect((await toolFailure(pull(member, 'restricted')))?.message).toMatch(/denied/i);
  }, 120_000);

  test('the admin pulls it, and so does a reader of the namespace', async () => {
    await pull(admin, 'restricted');
    await pull(reader, 'restricted');
  }, 120_000);

  test('the member still pulls the image that is not billed', async () => {
    await pull(member, 'open');
  }, 120_000);

  test('policy check explains the member\'s denial from the command line', async () => {
    const run = await runScangate(['policy', 'check', '--config', work.join('scangate.yaml'), '--data', registry.dataDir, '--user', 'mia', '--action', 'pull', '--artifact', 'billing/app:restricted']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('denied by rule "pull"');
  }, 60_000);

  test('every denial is in the audit log', async () => {
    const lines = (await readFile(join(registry.dataDir, 'audit', 'decisions.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l['caller'] === 'user:mia' && l['action'] === 'pull' && l['allowed'] === false)).toBe(true);
    expect(lines.some((l) => l['caller'] === 'user:mia' && l['action'] === 'delete_property' && l['allowed'] === false)).toBe(true);
  });
});
