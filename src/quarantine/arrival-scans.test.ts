// Scans while a download arrives: verdicts are kept only for bytes that proved to be the
// digest and that the scanner read to the end; the number of such scans at once is bounded
// (past it a download is stored first and scanned from the store, once the downloads feeding
// a scanner have arrived);
// a verdict already cached is not scanned for again; a digest known only at the end.
import { PassThrough, Readable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../domain/digest.js';
import { engineVersion, type ScanResult, type ScanSubject, type Scanner } from '../ports/scanner.js';
import type { VerdictRecord } from '../ports/quarantine-store.js';
import { ArrivalScans, type ArrivalScansDeps } from './arrival-scans.js';
import { ScannerSet } from './scanner-set.js';
import { TestScanner } from './testing/test-scanner.js';

const digest = `sha256:${'ab'.repeat(32)}` as Digest;
const body = (text = 'some layer bytes') => Readable.from([Buffer.from(text)]);

function setup(scanners: Scanner[], limit = 2, options: Partial<Pick<ArrivalScansDeps, 'feederWaitMs' | 'slotWaitMs'>> = {}) {
  const recorded: VerdictRecord[] = [];
  const store = {
    recordVerdict: async (v: VerdictRecord) => void recorded.push(v),
    findVerdict: async (d: Digest, scanner: string, engine: string) => recorded.find((v) => v.digest === d && v.scanner === scanner && v.engine === engine),
  };
  const arrival = new ArrivalScans({ scanners: new ScannerSet(scanners), store, logger: pino({ level: 'silent' }), limit, ...options });
  return { arrival, recorded };
}

async function drain(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** Answers clean after the first chunk, without reading the rest: a buggy engine. */
class HastyScanner implements Scanner {
  readonly kind = 'command' as const;
  constructor(readonly name: string) {}
  async engine() {
    return engineVersion('Hasty', '1');
  }
  async health() {}
  async scan(subject: ScanSubject): Promise<ScanResult> {
    const stream = await subject.open();
    for await (const _chunk of stream) break;
    return { verdict: 'clean', findings: [], engine: await this.engine(), durationMs: 1 };
  }
}

describe('ArrivalScans', () => {
  it('scans the download with each required scanner and records the verdicts once the digest is verified', async () => {
    const { arrival, recorded } = setup([new TestScanner('a'), new TestScanner('b')]);
    const scan = await arrival.begin('team/app', digest, body(), AbortSignal.timeout(5000));
    expect(await drain(scan.toStore)).toBe('some layer bytes');
    await scan.settle(true);
    expect(recorded.map((v) => [v.scanner, v.verdict])).toEqual([
      ['a', 'clean'],
      ['b', 'clean'],
    ]);
  });

  it('records nothing for bytes that did not prove to be the digest', async () => {
    const { arrival, recorded } = setup([new TestScanner('a')]);
    const scan = await arrival.begin('team/app', digest, body('TEST-MALWARE'), AbortSignal.timeout(5000));
    await drain(scan.toStore);
    await scan.settle(false);
    expect(recorded).toEqual([]);
  });

  it('records nothing from a scanner that failed, or that answered before reading every byte', async () => {
    const failing = new TestScanner('failing');
    failing.scansFail = true;
    const { arrival, recorded } = setup([failing, new HastyScanner('hasty')]);
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const scan = await arrival.begin('team/app', digest, Readable.from(chunks), AbortSignal.timeout(5000));
    expect((await drain(scan.toStore)).length).toBe(64 * 64 * 1024);
    await scan.settle(true);
    expect(recorded).toEqual([]);
  });

  it('does not scan again what a scanner has a verdict for', async () => {
    const scanner = new TestScanner('a');
    const { arrival } = setup([scanner]);
    for (let i = 0; i < 2; i++) {
      const scan = await arrival.begin('team/app', digest, body(), AbortSignal.timeout(5000));
      await drain(scan.toStore);
      await scan.settle(true);
    }
    expect(scanner.scanned).toEqual([digest]);
  });

  it('scans at most `limit` downloads at once: the next is stored at full speed and its stored bytes are scanned when a slot frees', async () => {
    // (No yielding to the download that feeds the scanner here: the next test covers that.)
    const scanner = new TestScanner('a');
    const { arrival, recorded } = setup([scanner], 1, { feederWaitMs: 0 });
    const arriving = new PassThrough(); // still arriving: its scan holds the slot
    const first = await arrival.begin('team/app', digest, arriving, AbortSignal.timeout(5000));
    // The slot is taken: a second download is not held back (not teed, not paused).
    const secondDigest = `sha256:${'cd'.repeat(32)}` as Digest;
    const secondBody = body('second');
    const second = await arrival.begin('team/app', secondDigest, secondBody, AbortSignal.timeout(5000));
    expect(second.toStore).toBe(secondBody);
    expect(await drain(second.toStore)).toBe('second');
    // Its stored bytes wait for the slot, and are scanned once the first is done with it.
    let reads = 0;
    const stored = { open: async () => (reads++, body('second')), path: '/data/blobs/sha256/cd/second' };
    const secondSettled = second.settle(true, undefined, stored);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toBe(0);
    expect(recorded.map((v) => v.digest)).not.toContain(secondDigest);
    arriving.end('first');
    await drain(first.toStore);
    await first.settle(true);
    await secondSettled;
    expect(reads).toBe(1);
    expect(recorded.map((v) => v.digest)).toEqual([digest, secondDigest]);
    // The stored copy's file goes with it, for scanners that read it in place.
    expect(scanner.storedPaths).toEqual([undefined, '/data/blobs/sha256/cd/second']);
  });

  it('starts a download without a slot once the downloads feeding a scanner have arrived (bytes a scan waits for go first), or after feederWaitMs', async () => {
    const { arrival } = setup([new TestScanner('a')], 1, { feederWaitMs: 2000 });
    const arriving = new PassThrough();
    const first = await arrival.begin('team/app', digest, arriving, AbortSignal.timeout(5000));
    const firstStored = drain(first.toStore);
    let begun = false;
    const secondDigest = `sha256:${'cd'.repeat(32)}` as Digest;
    const second = arrival.begin('team/app', secondDigest, body('second'), AbortSignal.timeout(5000)).then((scan) => ((begun = true), scan));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(begun).toBe(false);
    arriving.end('first');
    expect(await firstStored).toBe('first');
    expect(await drain((await second).toStore)).toBe('second');
    await first.settle(true);

    // A feeder that never ends holds the others back for feederWaitMs only.
    const bounded = setup([new TestScanner('a')], 1, { feederWaitMs: 30 });
    const endless = new PassThrough();
    const held = await bounded.arrival.begin('team/app', digest, endless, AbortSignal.timeout(5000));
    const started = performance.now();
    const third = await bounded.arrival.begin('team/app', secondDigest, body('third'), AbortSignal.timeout(5000));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(await drain(third.toStore)).toBe('third');
    endless.end();
    await drain(held.toStore);
    await held.settle(true);
  });

  it('leaves a stored download to the scan job when no slot frees in time, or when its bytes cannot be read back', async () => {
    const recorded: VerdictRecord[] = [];
    const store = { recordVerdict: async (v: VerdictRecord) => void recorded.push(v), findVerdict: async () => undefined };
    const impatient = new ArrivalScans({ scanners: new ScannerSet([new TestScanner('a')]), store, logger: pino({ level: 'silent' }), limit: 1, slotWaitMs: 50, feederWaitMs: 0 });
    const endless = new PassThrough(); // a download still arriving: its scan holds the slot
    const held = await impatient.begin('team/app', digest, endless, AbortSignal.timeout(5000));
    const other = `sha256:${'ef'.repeat(32)}` as Digest;
    const late = await impatient.begin('team/app', other, body('third'), AbortSignal.timeout(5000));
    await drain(late.toStore);
    await late.settle(true, undefined, { open: async () => body('third') }); // gives up after 50 ms
    const unreadable = await impatient.begin('team/app', other, body('fourth'), AbortSignal.timeout(5000));
    await drain(unreadable.toStore);
    await unreadable.settle(true);
    expect(recorded).toEqual([]);
    endless.end('the rest');
    await drain(held.toStore);
    await held.settle(true);
    expect(recorded.map((v) => v.digest)).toEqual([digest]);
  });

  it('scans a download whose digest is known only once it has arrived, and records the verdicts under the digest it proved to have', async () => {
    const { arrival, recorded } = setup([new TestScanner('a')]);
    const first = await arrival.begin('dl', undefined, body(), AbortSignal.timeout(5000));
    await drain(first.toStore);
    await first.settle(true, digest);
    expect(recorded.map((v) => [v.digest, v.scanner])).toEqual([[digest, 'a']]);
    // The same bytes again (no digest to look the verdict up by): scanned again, as they must be.
    const againBody = body();
    const again = await arrival.begin('dl', undefined, againBody, AbortSignal.timeout(5000));
    expect(again.toStore).not.toBe(againBody); // teed to the scanner
    await drain(again.toStore);
    await again.settle(false, digest);
    expect(recorded).toHaveLength(1);
  });
});
