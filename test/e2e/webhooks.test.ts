// Killing scangate mid-delivery loses none: the real binary, a subscription in its config
// file, a receiver that stalls on the first POST. scangate is SIGKILLed while the POST hangs,
// restarted on the same data dir, and the delivery arrives, signed, with the same webhook-id.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateSecret } from '../../src/events/webhooks/signing.js';
import { WebhookReceiver } from '../../src/events/webhooks/testing/receiver.js';
import { waitUntil, writeConfigFile } from '../support/gate.js';
import { startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A one-layer image pushed with plain HTTP (monolithic blob uploads, then the manifest). */
async function pushImage(base: string, repository: string, tag: string): Promise<string> {
  const blobs = [Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' })), Buffer.from(`layer ${Date.now()} ${Math.random()}`)];
  for (const body of blobs) {
    const res = await request(`${base}/v2/${repository}/blobs/uploads/?digest=${sha256(body)}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    await res.body.dump();
    expect(res.statusCode).toBe(201);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(blobs[0]!), size: blobs[0]!.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(blobs[1]!), size: blobs[1]!.length }],
    }),
  );
  const res = await request(`${base}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  await res.body.dump();
  expect(res.statusCode).toBe(201);
  return sha256(manifest);
}

describe('webhooks: scangate killed mid-delivery', () => {
  let work: TempDir;
  let receiver: WebhookReceiver;
  let first: RunningRegistry;
  let second: RunningRegistry | undefined;
  const secret = generateSecret();

  beforeAll(async () => {
    work = await makeTempDir('e2e-webhooks');
    receiver = await new WebhookReceiver().start();
  });

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await receiver?.close();
    await work?.remove();
  });

  test('the delivery cut off by SIGKILL arrives after a restart, signed, with the same webhook-id', async () => {
    const config = await writeConfigFile(work.path, 'scangate.yml', {
      webhooks: {
        // Longer than the test: the first POST ends only when scangate dies.
        timeoutSeconds: 120,
        subscriptions: [{ name: 'e2e', url: receiver.url, secret, events: ['artifact.pushed'] }],
      },
    });
    first = await startScangate({ args: ['--config', config] });
    receiver.script.push('stall');
    const digest = await pushImage(first.url, 'e2e/app', 'v1');
    const [stalled] = await receiver.waitFor(1);
    expect((new Webhook(secret).verify(stalled!.body, stalled!.headers) as { data: { digest: string } }).data.digest).toBe(digest);

    await first.kill();
    receiver.release();
    second = await startScangate({ dataDir: first.dataDir, args: ['--config', config] });
    // The killed attempt's lease lapses (seconds), then the delivery runs again.
    const [, delivered] = await receiver.waitFor(2, 40_000);
    const body = new Webhook(secret).verify(delivered!.body, delivered!.headers) as { id: string; type: string; data: { repository: string; tag: string } };
    expect(delivered!.headers['webhook-id']).toBe(stalled!.headers['webhook-id']);
    expect(body).toMatchObject({ id: stalled!.headers['webhook-id'], type: 'io.scangate.artifact.pushed', data: { repository: 'e2e/app', tag: 'v1' } });

    const token = (await readFile(join(first.dataDir, 'admin-token'), 'utf8')).trim();
    const log = await waitUntil('the delivery recorded as delivered', 10_000, async () => {
      const res = await request(`${second!.url}/admin/webhooks/e2e/deliveries`, { headers: { authorization: `Bearer ${token}` } });
      const { deliveries } = (await res.body.json()) as { deliveries: { state: string; attempts: number }[] };
      return deliveries[0]?.state === 'delivered' ? deliveries : undefined;
    });
    // The attempt cut off by the kill counts: the one after the restart is the second.
    expect(log).toMatchObject([{ state: 'delivered', attempts: 2 }]);
    expect(receiver.received).toHaveLength(2);
  });
});
