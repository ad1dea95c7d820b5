// A deterministic Scanner for the quarantine's module tests: bytes containing a marker are
// infected, it can be taken down (ScannerError) and its database version bumped, and it
// counts what it scanned. The real scanners (clamd, command) run their own shared suite
// and the e2e tests; this one only drives the orchestration.
import { engineVersion, ScannerError, type ScanResult, type ScanSubject, type Scanner } from '../../ports/scanner.js';

export const infectedMarker = 'TEST-MALWARE';

export class TestScanner implements Scanner {
  readonly kind = 'command' as const;
  database = '1';
  /** The engine does not answer at all (connection refused). */
  down = false;
  /** The engine answers, but every scan errors (a scan-specific failure). */
  scansFail = false;
  /** Digests scanned, in order (a digest scanned twice appears twice). */
  readonly scanned: string[] = [];
  /** The stored file each scan was offered (undefined when none), in the same order. */
  readonly storedPaths: (string | undefined)[] = [];

  constructor(readonly name = 'test') {}

  async engine() {
    this.failIfDown();
    return engineVersion('TestEngine 1.0', this.database);
  }

  async health(): Promise<void> {
    this.failIfDown();
  }

  async scan(subject: ScanSubject): Promise<ScanResult> {
    this.failIfDown();
    if (this.scansFail) throw new ScannerError(this.name, 'scan error: cannot read archive', { retryable: true });
    const chunks: Buffer[] = [];
    for await (const chunk of await subject.open()) chunks.push(chunk as Buffer);
    this.scanned.push(subject.digest ?? '?');
    this.storedPaths.push(subject.storedPath);
    const infected = Buffer.concat(chunks).includes(infectedMarker);
    return {
      verdict: infected ? 'infected' : 'clean',
      findings: infected ? [{ signature: 'Test.Marker' }] : [],
      engine: await this.engine(),
      durationMs: 1,
    };
  }

  private failIfDown(): void {
    if (this.down) throw new ScannerError(this.name, 'connection refused', { retryable: true });
  }
}
