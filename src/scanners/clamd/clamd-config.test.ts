import { describe, expect, it } from 'vitest';
import { renderClamdConfig } from './clamd-config.js';

describe('renderClamdConfig', () => {
  it('writes safe defaults: raised limits, AlertExceedsMax, loopback only', () => {
    const text = renderClamdConfig({ databaseDirectory: '/data/clamav/db', tcpPort: 3310, localSocket: '/data/clamd.sock' });
    const lines = text.trim().split('\n');
    for (const line of [
      'Foreground yes',
      'DatabaseDirectory /data/clamav/db',
      'LocalSocket /data/clamd.sock',
      'TCPSocket 3310',
      'TCPAddr 127.0.0.1',
      'StreamMaxLength 1G',
      'MaxScanSize 1G',
      'MaxFileSize 1G',
      'MaxFiles 1000000',
      'ScanArchive yes',
      'AlertExceedsMax yes',
      'SelfCheck 0',
    ]) {
      expect(lines).toContain(line);
    }
  });

  it('lets extra settings replace a key instead of repeating it', () => {
    const text = renderClamdConfig({ databaseDirectory: '/db', localSocket: '/s', extra: { SelfCheck: 600, DisableCache: 'yes' } });
    expect(text.match(/^SelfCheck /gm)).toEqual(['SelfCheck ']);
    expect(text).toContain('SelfCheck 600\n');
    expect(text).toContain('DisableCache yes\n');
    expect(text).not.toContain('TCPSocket');
  });

  it('needs somewhere to listen', () => {
    expect(() => renderClamdConfig({ databaseDirectory: '/db' })).toThrow(/localSocket or a tcpPort/);
  });
});
