// What `scangate rescan` makes of its options: an artifact, or a campaign to start, show or stop
// (src/vulnerabilities/scan-campaigns.test.ts runs the real binary against a real adapter).
import { describe, expect, it } from 'vitest';
import { RescanError } from '../vulnerabilities/rescan.js';
import { campaignCommandOf } from './rescan.js';

describe('scangate rescan options', () => {
  it('reads a campaign over a scope, with its scanners, limits and --wait', () => {
    expect(campaignCommandOf(undefined, { all: true, wait: false })).toEqual({ kind: 'start', scope: { kind: 'all' }, scanners: null, wait: false });
    expect(campaignCommandOf(undefined, { namespace: 'lib', scanner: ['trivy'], maxInFlight: 5, perMinute: 60, wait: true })).toEqual({
      kind: 'start',
      scope: { kind: 'namespace', namespace: 'lib' },
      scanners: ['trivy'],
      maxInFlight: 5,
      perMinute: 60,
      wait: true,
    });
    expect(campaignCommandOf(undefined, { repository: 'lib/app', wait: true })).toMatchObject({ scope: { kind: 'repository', repository: 'lib/app' } });
    expect(campaignCommandOf(undefined, { status: 'abc' })).toEqual({ kind: 'status', id: 'abc' });
    expect(campaignCommandOf(undefined, { stop: 'abc' })).toEqual({ kind: 'stop', id: 'abc' });
    expect(campaignCommandOf('lib/app:v1', {})).toBeUndefined();
  });

  it('refuses two things at once and bad names', () => {
    for (const [ref, options] of [
      [undefined, { all: true, namespace: 'lib' }],
      ['lib/app:v1', { all: true }],
      [undefined, { status: 'a', stop: 'b' }],
    ] as const) {
      expect(() => campaignCommandOf(ref, options)).toThrow(RescanError);
    }
    expect(() => campaignCommandOf(undefined, { namespace: 'Bad Name' })).toThrow(/"Bad Name" is not a namespace name/);
  });
});
