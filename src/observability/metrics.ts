// What the registry reports to Prometheus. Services depend on this small interface; the
// prom-client implementation lives in ./prometheus.ts and is exposed at /metrics.

export interface RegistryMetrics {
  /** Bytes received in request bodies (blob and manifest uploads). */
  bytesIn(count: number): void;
  /** Bytes sent in response bodies (blob and manifest downloads). */
  bytesOut(count: number): void;
  /** How long one upload request (POST/PATCH/PUT body) took to stream in. */
  observeUpload(seconds: number): void;
  /** How long committing a blob (verify digest, move into place, record) took. */
  observeCommit(seconds: number): void;
}

export const noMetrics: RegistryMetrics = {
  bytesIn: () => {},
  bytesOut: () => {},
  observeUpload: () => {},
  observeCommit: () => {},
};

/** Decisions of the admission webhook (src/http/kube-admission/). */
export interface AdmissionMetrics {
  /** One review answered: allowed or not, and why (the first refused image's reason, `passed` or `not_judged`). */
  observeAdmission(allowed: boolean, reason: string): void;
}
