// The `admission:` section: the Kubernetes validating admission webhook (docs/admission.md).
// Which registry hosts are this scangate (an image reference naming one of them is judged),
// what happens to images from elsewhere, and the bearer token kube-apiserver presents.
import { z } from 'zod';

/** `registry.example.com`, `127.0.0.1:5000`, `[::1]:5000`: a reference's domain part, compared without regard to case. */
const registryHost = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(:\d{1,5})?$/, 'a host or HOST:PORT as image references name it, e.g. registry.example.com or 127.0.0.1:5000')
  .transform((host) => host.toLowerCase());

const admission = z
  .object({
    /** Serve `POST /admission/validate`. */
    enabled: z.boolean().default(false),
    /** The hosts under which pods name images of this scangate (as the kubelet pulls them). */
    registryHosts: z.array(registryHost).default([]),
    /** Images from any other registry: admitted with a warning, or denied. */
    foreignImages: z.enum(['allow', 'deny']).default('allow'),
    /**
     * Deny an image no vulnerability scan has completed for. Default: on when scanner adapters
     * are configured (`vulnerabilityScanners`), off otherwise (nothing could ever scan it).
     */
    requireVulnerabilityReport: z.boolean().optional(),
    /** On UPDATE: judge every image of the object (`all`) or only those the update adds or changes. */
    onUpdate: z.enum(['all', 'changed']).default('all'),
    /** Warn (not deny) about images named by tag alone: a tag can move after admission, a digest cannot. */
    warnOnTagReferences: z.boolean().default(false),
    /** The bearer token kube-apiserver must present (its kubeconfig for the webhook); absent: none is asked. */
    token: z.string().min(16).optional(),
    /** The same, read from a file at start (keeps it out of the YAML). */
    tokenFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.token !== undefined && value.tokenFile !== undefined) ctx.addIssue({ code: 'custom', path: ['tokenFile'], message: 'give at most one of token and tokenFile' });
    if (value.enabled && value.registryHosts.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['registryHosts'], message: 'the webhook needs the hosts pods name this scangate by (e.g. registry.example.com)' });
    }
  });

export const admissionSchema = admission.default(() => admission.parse({}));
export type AdmissionConfig = z.infer<typeof admission>;
