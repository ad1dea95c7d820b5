// --expires parsing and --password-stdin reading, in process.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maxPasswordLength } from '../../auth/passwords.js';
import { parseExpiry, readPasswordLine } from './input.js';
import { UsageError } from './run.js';

const now = new Date('2026-11-23T10:00:00Z');

describe('parseExpiry', () => {
  it.each([
    ['30m', '2026-11-23T10:30:00.000Z'],
    ['12h', '2026-11-23T22:00:00.000Z'],
    ['90d', '2027-02-21T10:00:00.000Z'],
    ['2w', '2026-12-07T10:00:00.000Z'],
    ['1y', '2027-11-23T10:00:00.000Z'],
    ['2027-01-31', '2027-01-31T00:00:00.000Z'],
    ['2027-01-31T12:00Z', '2027-01-31T12:00:00.000Z'],
    ['2027-01-31T12:00:00+02:00', '2027-01-31T10:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
  ])('%s -> %s', (text, expected) => {
    expect(parseExpiry(text, now).toISOString()).toBe(expected);
  });

  it.each(['', '9x', '90', 'd', '1.5d', ' 90d', 'tomorrow', '2027-02-30', '2027-13-01', '2027-02-29', '2027-01-31T12:00', '2027-01-31 12:00Z', '27-01-31'])(
    'refuses %j as a bad duration',
    (text) => {
      expect(() => parseExpiry(text, now)).toThrow(/bad duration/);
    },
  );

  it.each(['0m', '2026-11-23', '2026-11-23T10:00:00Z', '2001-01-01'])('refuses %j as past', (text) => {
    expect(() => parseExpiry(text, now)).toThrow(/lies in the past/);
  });
});

describe('readPasswordLine', () => {
  const read = (...chunks: string[]) => readPasswordLine(Readable.from(chunks.map((chunk) => Buffer.from(chunk))));

  it('returns the first line without CR/LF, across chunks, and reads no further', async () => {
    expect(await read('pass', 'word\r\n', 'second\n')).toBe('password');
    expect(await read('no newline at the end')).toBe('no newline at the end');
    expect(await read('émoji ✓ ok\n')).toBe('émoji ✓ ok');
    let pulled = 0;
    const endless = new Readable({ read() { this.push(pulled++ === 0 ? 'first\nrest' : 'x'.repeat(1024)); } });
    expect(await readPasswordLine(endless)).toBe('first');
    expect(pulled).toBeLessThan(3);
  });

  it('refuses empty input and a line longer than any password could be', async () => {
    await expect(read('')).rejects.toThrow(/held no password/);
    await expect(read('\nsecond\n')).rejects.toThrow(/held no password/);
    await expect(read('x'.repeat(maxPasswordLength * 4 + 3))).rejects.toBeInstanceOf(UsageError);
  });
});
