/** What the daemon writes to its log when requests fail never holds the credentials they carried. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

describe('credentials in the log', () => {
  const dir = tempDir();
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await startDaemonProcess(
      writeConfig(dir.path, { http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 2048 }, store: { path: `${dir.path}/t.db` } }),
    );
  });
  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    dir.remove();
  });

  it('redacts Password= and api_key= from the URL of a request that failed (body too large)', async () => {
    const before = daemon.logs.length;
    const big = 'x'.repeat(10_000);
    await fetch(`${daemon.base}/api?command=SendSms&Username=admin&Password=hunter2-secret`, {
      method: 'POST',
      body: big,
      headers: { 'content-type': 'text/plain' },
    });
    await fetch(`${daemon.base}/platform_api/SendSmsMessage?api_key=k3y-s3cret`, { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } });
    await waitUntil(() => daemon.logs.slice(before).filter((l) => l.includes('request failed')).length >= 2, 10_000, 'two "request failed" lines');
    const written = daemon.logs.slice(before).join('\n');
    expect(written).toContain('Password=[redacted]');
    expect(written).toContain('api_key=[redacted]');
    expect(written).not.toContain('hunter2-secret');
    expect(written).not.toContain('k3y-s3cret');
  });
});
