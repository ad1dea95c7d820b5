// What is judged and how the answer reads, with a judge that refuses by name: which kinds,
// operations and subresources, every container list, one judgement per distinct image, and
// UPDATE with `onUpdate: changed`. The real judge runs in src/http/kube-admission/routes.test.ts.
import { describe, expect, it } from 'vitest';
import type { Digest } from '../domain/digest.js';
import type { ImageVerdict } from './image-check.js';
import { decideReview, type ReviewOptions } from './review.js';
import { containerImages, MalformedObjectError } from './workload-images.js';

const digest = `sha256:${'c3'.repeat(32)}` as Digest;
const options: ReviewOptions = { onUpdate: 'all', warnOnTagReferences: false };

/** Refuses images whose name contains `bad`; counts what it was asked. */
function judge() {
  const asked: string[] = [];
  const fn = async (image: string): Promise<ImageVerdict> => {
    asked.push(image);
    if (image.includes('bad')) return { allowed: false, reason: 'malware_infected', message: 'malware found', digest };
    return { allowed: true, outcome: 'served', digest };
  };
  return Object.assign(fn, { asked });
}

const spec = (containers: string[], init: string[] = [], ephemeral: string[] = []) => ({
  containers: containers.map((image, i) => ({ name: `c${i}`, image })),
  initContainers: init.map((image, i) => ({ name: `i${i}`, image })),
  ephemeralContainers: ephemeral.map((image, i) => ({ name: `e${i}`, image })),
});
const pod = (s: object) => ({ kind: { group: '', kind: 'Pod' }, operation: 'CREATE', object: { spec: s } });

describe('containerImages', () => {
  it('finds the pod spec of every kind that runs containers', () => {
    const s = spec(['a']);
    const template = { spec: { template: { spec: s } } };
    for (const [group, kind] of [['apps', 'Deployment'], ['apps', 'ReplicaSet'], ['apps', 'StatefulSet'], ['apps', 'DaemonSet'], ['batch', 'Job'], ['', 'ReplicationController']]) {
      expect(containerImages(group!, kind!, template), kind).toEqual([{ container: 'c0', kind: 'container', image: 'a' }]);
    }
    expect(containerImages('batch', 'CronJob', { spec: { jobTemplate: { spec: { template: { spec: s } } } } })).toHaveLength(1);
    expect(containerImages('', 'PodTemplate', { template: { spec: s } })).toHaveLength(1);
    expect(containerImages('', 'ConfigMap', { data: {} })).toEqual([]);
  });

  it('lists init containers first, then containers, then ephemeral ones; skips an empty image', () => {
    const images = containerImages('', 'Pod', { spec: { ...spec(['b', ''], ['a'], ['c']) } });
    expect(images.map((i) => [i.kind, i.image])).toEqual([['initContainer', 'a'], ['container', 'b'], ['ephemeralContainer', 'c']]);
  });

  it('refuses an object not shaped like its kind, naming the field', () => {
    expect(() => containerImages('', 'Pod', { spec: { containers: 'nginx' } })).toThrow(MalformedObjectError);
    expect(() => containerImages('apps', 'Deployment', { spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).toThrow(/spec\.template\.spec\.containers\.0\.name/);
  });
});

describe('decideReview', () => {
  it('allows when every image passes, judging each distinct image once', async () => {
    const j = judge();
    const decision = await decideReview(pod(spec(['a', 'a'], ['a'])), j, options);
    expect(decision).toEqual({ allowed: true, warnings: [], reason: 'passed' });
    expect(j.asked).toEqual(['a']);
  });

  it('lists each refused image with its digest and the containers that use it', async () => {
    const decision = await decideReview(pod(spec(['bad-one', 'ok', 'bad-one'], ['bad-two'])), judge(), options);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe('malware_infected');
    expect(decision.message).toBe(
      `2 images are refused: image "bad-two" (${digest}) in init container "i0": malware found; image "bad-one" (${digest}) in container "c0" and container "c2": malware found`,
    );
  });

  it('does not judge DELETE, CONNECT, kinds without containers, or subresources such as status', async () => {
    const j = judge();
    for (const input of [
      { ...pod(spec(['bad'])), operation: 'DELETE' },
      { ...pod(spec(['bad'])), operation: 'CONNECT' },
      { ...pod(spec(['bad'])), kind: { group: '', kind: 'Service' } },
      { ...pod(spec(['bad'])), operation: 'UPDATE', subResource: 'status' },
    ]) {
      expect(await decideReview(input, j, options)).toEqual({ allowed: true, warnings: [], reason: 'not_judged' });
    }
    expect(j.asked).toEqual([]);
    // Adding an ephemeral container (kubectl debug) is judged.
    expect((await decideReview({ ...pod(spec(['ok'], [], ['bad'])), operation: 'UPDATE', subResource: 'ephemeralcontainers' }, j, options)).allowed).toBe(false);
  });

  it('on UPDATE judges every image, or with onUpdate: changed only those the update brings', async () => {
    const update = { ...pod(spec(['bad', 'new'])), operation: 'UPDATE', oldObject: { spec: spec(['bad']) } };
    expect((await decideReview(update, judge(), options)).allowed).toBe(false);
    const j = judge();
    expect(await decideReview(update, j, { ...options, onUpdate: 'changed' })).toMatchObject({ allowed: true, reason: 'passed' });
    expect(j.asked).toEqual(['new']);
  });

  it('refuses an image whose judgement failed, and tells', async () => {
    const failures: string[] = [];
    const decision = await decideReview(pod(spec(['a'])), async () => Promise.reject(new Error('database is locked')), { ...options, onJudgeError: (image) => failures.push(image) });
    expect(decision).toMatchObject({ allowed: false, reason: 'error' });
    expect(decision.message).toContain('could not check it (database is locked)');
    expect(failures).toEqual(['a']);
  });

  it('warns about foreign images, and about tag references when asked to', async () => {
    const verdicts: Record<string, ImageVerdict> = {
      nginx: { allowed: true, outcome: 'foreign' },
      'r.example/lib/app:v1': { allowed: true, outcome: 'served', digest, reference: { domain: 'r.example', path: 'lib/app', tag: 'v1', digest: undefined } },
      [`r.example/lib/app@${digest}`]: { allowed: true, outcome: 'served', digest, reference: { domain: 'r.example', path: 'lib/app', tag: undefined, digest } },
    };
    const decision = await decideReview(pod(spec(Object.keys(verdicts))), async (image) => verdicts[image]!, { ...options, warnOnTagReferences: true });
    expect(decision.allowed).toBe(true);
    expect(decision.warnings).toEqual([
      'image "nginx" in container "c0" is not served by scangate: not checked',
      `image "r.example/lib/app:v1" is not pinned by digest; it is ${digest} now (pin it: a tag can move)`,
    ]);
  });
});
