import { describe, expect, it } from 'vitest';
import { mergeScanTags, scannerTagText, TooManyTagsError } from './scan-tags.js';

const at = new Date('2030-01-01T00:00:00.000Z');

describe('mergeScanTags', () => {
  it("sets scangate's three tags and keeps the object's others", () => {
    const existing = [{ Key: 'owner', Value: 'alice' }, { Key: 'scan-status', Value: 'clean' }, { Key: 'scanner', Value: 'forged' }];
    expect(mergeScanTags(existing, { status: 'infected', at, scanner: 'clamav=ClamAV 1.4.6/27486' })).toEqual([
      { Key: 'owner', Value: 'alice' },
      { Key: 'scan-status', Value: 'infected' },
      { Key: 'scanned-at', Value: '2030-01-01T00:00:00.000Z' },
      { Key: 'scanner', Value: 'clamav=ClamAV 1.4.6/27486' },
    ]);
  });

  it('drops a stale scanner tag when nothing scanned, and keeps values within what S3 allows', () => {
    expect(mergeScanTags([{ Key: 'scanner', Value: 'old' }], { status: 'too-large', at, scanner: '' }).map((t) => t.Key)).toEqual(['scan-status', 'scanned-at']);
    const [, , scanner] = mergeScanTags([], { status: 'clean', at, scanner: `a=B (1.0)/2;${'x'.repeat(300)}` });
    expect(scanner!.Value).toMatch(/^a=B _1.0_\/2_x+$/);
    expect(scanner!.Value!.length).toBe(256);
  });

  it('refuses to pass S3 limit of ten tags', () => {
    const seven = Array.from({ length: 7 }, (_, i) => ({ Key: `t${i}`, Value: 'v' }));
    expect(mergeScanTags(seven, { status: 'clean', at, scanner: 's=e' })).toHaveLength(10);
    expect(() => mergeScanTags([...seven, { Key: 't7', Value: 'v' }], { status: 'clean', at, scanner: 's=e' })).toThrow(TooManyTagsError);
  });

  it('names each scanner with its engine', () => {
    expect(scannerTagText([{ scanner: 'clamav', engine: 'ClamAV 1.4.6/27486' }, { scanner: 'yara', engine: 'yara' }])).toBe('clamav=ClamAV 1.4.6/27486 yara=yara');
  });
});
