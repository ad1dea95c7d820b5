// The images a Kubernetes object runs: where its pod spec is (a Pod's own spec, a workload's
// `spec.template.spec`, a CronJob's `spec.jobTemplate.spec.template.spec`), and every
// container, init container and ephemeral container in it. Objects of other kinds run none.
// The shapes are checked with zod, loosely: only the fields read here, everything else passes.
import { z } from 'zod';

const container = z.looseObject({
  name: z.string(),
  // Optional in the API for templates (config management may fill it in later).
  image: z.string().optional(),
});

const podSpec = z.looseObject({
  containers: z.array(container).optional(),
  initContainers: z.array(container).optional(),
  ephemeralContainers: z.array(container).optional(),
});

const podTemplate = z.looseObject({ spec: podSpec.optional() });
const workload = z.looseObject({ spec: z.looseObject({ template: podTemplate.optional() }).optional() });
const cronJob = z.looseObject({
  spec: z.looseObject({ jobTemplate: z.looseObject({ spec: z.looseObject({ template: podTemplate.optional() }).optional() }).optional() }).optional(),
});
const pod = z.looseObject({ spec: podSpec.optional() });
const podTemplateObject = z.looseObject({ template: podTemplate.optional() });

type PodSpec = z.infer<typeof podSpec>;

/** An object not shaped like its kind: the review is malformed (kube-apiserver never sends one). */
export class MalformedObjectError extends Error {
  override name = 'MalformedObjectError';
}

function parseAs<T>(schema: z.ZodType<T>, object: unknown): T {
  const result = schema.safeParse(object);
  if (result.success) return result.data;
  throw new MalformedObjectError(result.error.issues.map((i) => `${i.path.join('.') || '(the object)'}: ${i.message}`).join('; '));
}

const templateSpec = (object: unknown) => parseAs(workload, object).spec?.template?.spec;

/** Where each kind keeps its pod spec, by `group/kind` (the core group is empty). */
const podSpecOf: Record<string, (object: unknown) => PodSpec | undefined> = {
  '/Pod': (object) => parseAs(pod, object).spec,
  '/PodTemplate': (object) => parseAs(podTemplateObject, object).template?.spec,
  '/ReplicationController': templateSpec,
  'apps/Deployment': templateSpec,
  'apps/ReplicaSet': templateSpec,
  'apps/StatefulSet': templateSpec,
  'apps/DaemonSet': templateSpec,
  'batch/Job': templateSpec,
  'batch/CronJob': (object) => parseAs(cronJob, object).spec?.jobTemplate?.spec?.template?.spec,
};

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

export interface ContainerImage {
  container: string;
  kind: ContainerKind;
  /** As written in the spec. */
  image: string;
}

/** Whether objects of this kind run containers (and so are judged). */
export function runsContainers(group: string, kind: string): boolean {
  return `${group}/${kind}` in podSpecOf;
}

/**
 * The images of an object of a kind that runs containers, in spec order (init containers
 * first, as they start first). Throws MalformedObjectError when the object is not shaped like its kind.
 */
export function containerImages(group: string, kind: string, object: unknown): ContainerImage[] {
  const spec = podSpecOf[`${group}/${kind}`]?.(object);
  if (!spec) return [];
  const listed: [ContainerKind, z.infer<typeof container>[] | undefined][] = [
    ['initContainer', spec.initContainers],
    ['container', spec.containers],
    ['ephemeralContainer', spec.ephemeralContainers],
  ];
  return listed.flatMap(([containerKind, containers]) =>
    (containers ?? []).filter((c) => c.image !== undefined && c.image !== '').map((c) => ({ container: c.name, kind: containerKind, image: c.image! })),
  );
}
