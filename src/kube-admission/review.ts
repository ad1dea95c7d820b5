// One admission request, decided: which operations and objects are judged, every distinct
// image of the object judged once (in parallel), and one answer — allowed, with warnings; or
// denied, with a message that lists each refused image (as the spec writes it, with its
// digest when known), the containers that use it, and why.
import type { DenialReason, ImageVerdict } from './image-check.js';
import { containerImages, runsContainers, type ContainerImage, type ContainerKind } from './workload-images.js';

export interface ReviewInput {
  kind: { group: string; kind: string };
  operation: string;
  /** `''` for the object itself; `status`, `ephemeralcontainers`, … for a subresource. */
  subResource?: string | undefined;
  object?: unknown;
  oldObject?: unknown;
}

export interface ReviewOptions {
  /** On UPDATE, judge every image (`all`) or only those oldObject did not run (`changed`). */
  onUpdate: 'all' | 'changed';
  warnOnTagReferences: boolean;
  /** Told of an image that could not be judged (the database down…): it is refused, never let through. */
  onJudgeError?: (image: string, error: unknown) => void;
}

/** What the decisions metric counts a review as: the first refusal's reason, else whether images were judged. */
export type ReviewReason = DenialReason | 'passed' | 'not_judged';

export interface ReviewDecision {
  allowed: boolean;
  /** Set on a denial. */
  message?: string;
  warnings: string[];
  reason: ReviewReason;
}

export type JudgeImage = (image: string) => Promise<ImageVerdict>;

/** Subresources whose writes can change what a pod runs; others (status, binding, eviction…) are not judged. */
const judgedSubresources = new Set(['', 'ephemeralcontainers']);

/** Throws MalformedObjectError when the object is not shaped like its kind. */
export async function decideReview(input: ReviewInput, judge: JudgeImage, options: ReviewOptions): Promise<ReviewDecision> {
  const notJudged: ReviewDecision = { allowed: true, warnings: [], reason: 'not_judged' };
  if (input.operation !== 'CREATE' && input.operation !== 'UPDATE') return notJudged;
  if (!judgedSubresources.has(input.subResource ?? '') || !runsContainers(input.kind.group, input.kind.kind)) return notJudged;
  let images = containerImages(input.kind.group, input.kind.kind, input.object);
  if (input.operation === 'UPDATE' && options.onUpdate === 'changed' && input.oldObject) {
    const before = new Set(containerImages(input.kind.group, input.kind.kind, input.oldObject).map((c) => c.image));
    images = images.filter((c) => !before.has(c.image));
  }
  const byImage = groupByImage(images);
  if (byImage.size === 0) return notJudged;
  const judged = async (image: string): Promise<ImageVerdict> => {
    try {
      return await judge(image);
    } catch (error) {
      options.onJudgeError?.(image, error);
      return { allowed: false, reason: 'error', message: `scangate could not check it (${error instanceof Error ? error.message : String(error)}); retry` };
    }
  };
  const verdicts = await Promise.all([...byImage.keys()].map(async (image) => [image, await judged(image)] as const));

  const warnings: string[] = [];
  const refusals: string[] = [];
  let reason: ReviewReason = 'passed';
  for (const [image, verdict] of verdicts) {
    const places = describePlaces(byImage.get(image)!);
    if (!verdict.allowed) {
      if (reason === 'passed') reason = verdict.reason;
      refusals.push(`image "${image}"${verdict.digest ? ` (${verdict.digest})` : ''} in ${places}: ${verdict.message}`);
    } else if (verdict.outcome === 'foreign') {
      warnings.push(`image "${image}" in ${places} is not served by scangate: not checked`);
    } else if (options.warnOnTagReferences && verdict.reference?.digest === undefined) {
      warnings.push(`image "${image}" is not pinned by digest; it is ${verdict.digest} now (pin it: a tag can move)`);
    }
  }
  if (refusals.length === 0) return { allowed: true, warnings, reason };
  const message = refusals.length === 1 ? refusals[0]! : `${refusals.length} images are refused: ${refusals.join('; ')}`;
  return { allowed: false, message, warnings, reason };
}

function groupByImage(images: readonly ContainerImage[]): Map<string, ContainerImage[]> {
  const byImage = new Map<string, ContainerImage[]>();
  for (const image of images) byImage.set(image.image, [...(byImage.get(image.image) ?? []), image]);
  return byImage;
}

const kindWords: Record<ContainerKind, string> = { container: 'container', initContainer: 'init container', ephemeralContainer: 'ephemeral container' };

/** `container "app"`, `init container "migrate" and container "app"`. */
function describePlaces(uses: readonly ContainerImage[]): string {
  const places = uses.map((use) => `${kindWords[use.kind]} "${use.container}"`);
  return places.length === 1 ? places[0]! : `${places.slice(0, -1).join(', ')} and ${places.at(-1)}`;
}
