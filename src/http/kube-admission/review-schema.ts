// The AdmissionReview (admission.k8s.io/v1) that kube-apiserver POSTs to a validating webhook,
// checked with zod: the envelope and the request fields scangate reads. The object itself is
// checked by its kind's shape (src/kube-admission/workload-images.ts); unknown fields pass, as
// kube-apiserver adds new ones over time.
import { z } from 'zod';

export const admissionApiVersion = 'admission.k8s.io/v1';

const groupVersionKind = z.looseObject({ group: z.string(), version: z.string(), kind: z.string().min(1) });
const groupVersionResource = z.looseObject({ group: z.string(), version: z.string(), resource: z.string().min(1) });

export const admissionReviewSchema = z.looseObject({
  apiVersion: z.literal(admissionApiVersion, { message: `only ${admissionApiVersion} is supported: list "v1" in the webhook's admissionReviewVersions` }),
  kind: z.literal('AdmissionReview', { message: 'expected "AdmissionReview"' }),
  request: z.looseObject(
    {
      uid: z.string().min(1),
      kind: groupVersionKind,
      resource: groupVersionResource,
      subResource: z.string().optional(),
      name: z.string().optional(),
      namespace: z.string().optional(),
      operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
      // null for DELETE (object) and CREATE/CONNECT (oldObject).
      object: z.unknown().optional(),
      oldObject: z.unknown().optional(),
      dryRun: z.boolean().optional(),
    },
    { message: 'an AdmissionReview to decide has a request' },
  ),
});

export type AdmissionReview = z.infer<typeof admissionReviewSchema>;

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  /** metav1.Status: kubectl shows `message` after `admission webhook "…" denied the request:`. */
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
}

/** The answer: an AdmissionReview of the same version with `response` set. */
export function reviewResponse(response: AdmissionResponse) {
  return { apiVersion: admissionApiVersion, kind: 'AdmissionReview', response };
}
