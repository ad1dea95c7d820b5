// POST /admission/validate: the Kubernetes validating admission webhook (docs/admission.md).
// kube-apiserver sends an AdmissionReview v1; the answer is an AdmissionReview with the same
// uid, `allowed`, and on a denial `status: {code: 403, message}` naming each refused image.
// A malformed review is a 400 in the registry's error shape (kube-apiserver then applies the
// webhook's failurePolicy: Fail is what docs/admission.md recommends).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { decideReview, type JudgeImage, type ReviewOptions } from '../../kube-admission/review.js';
import { MalformedObjectError } from '../../kube-admission/workload-images.js';
import { RegistryError } from '../../domain/errors.js';
import type { AdmissionMetrics } from '../../observability/metrics.js';
import { parseInput } from '../admin/input.js';
import { admissionReviewSchema, reviewResponse } from './review-schema.js';

export const admissionPath = '/admission/validate';

/** An UPDATE review carries the object twice; objects themselves are capped near 1.5 MiB by etcd. */
const reviewBodyLimit = 8 * 1024 * 1024;

export interface AdmissionRoutesOptions {
  judge: JudgeImage;
  review: Omit<ReviewOptions, 'onJudgeError'>;
  /** The bearer token kube-apiserver must present; absent: none is asked. */
  token?: string | undefined;
  metrics?: AdmissionMetrics | undefined;
}

export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (app, options) => {
  const expected = options.token === undefined ? undefined : sha256(options.token);

  app.post(admissionPath, { bodyLimit: reviewBodyLimit }, async (request, reply) => {
    if (expected && !bearerMatches(request.headers.authorization, expected)) {
      throw new RegistryError('UNAUTHORIZED', 'the admission webhook needs `Authorization: Bearer <admission.token>`', {
        headers: { 'WWW-Authenticate': 'Bearer realm="scangate-admission"' },
      });
    }
    const { request: review } = parseInput(admissionReviewSchema, request.body, 'AdmissionReview');
    let decision;
    try {
      decision = await decideReview(review, options.judge, {
        ...options.review,
        onJudgeError: (image, err) => request.log.error({ err, image, uid: review.uid }, 'admission: an image could not be judged (refused)'),
      });
    } catch (error) {
      if (!(error instanceof MalformedObjectError)) throw error;
      throw new RegistryError('UNSUPPORTED', `invalid AdmissionReview: request.object is not a ${review.kind.kind}: ${error.message}`, { status: 400, detail: error.message });
    }
    options.metrics?.observeAdmission(decision.allowed, decision.reason);
    request.log.info(
      {
        uid: review.uid,
        kind: review.kind.kind,
        namespace: review.namespace,
        name: review.name,
        operation: review.operation,
        allowed: decision.allowed,
        reason: decision.reason,
        ...(decision.message ? { denial: decision.message } : {}),
      },
      'admission review decided',
    );
    return reply.send(
      reviewResponse({
        uid: review.uid,
        allowed: decision.allowed,
        ...(decision.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: decision.message! } }),
        ...(decision.warnings.length > 0 ? { warnings: decision.warnings } : {}),
      }),
    );
  });
};

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant time whatever the length: both sides are hashed to 32 bytes first. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const presented = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  return timingSafeEqual(sha256(presented), expected);
}
