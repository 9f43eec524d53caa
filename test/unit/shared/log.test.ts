import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/shared/log.js';

describe('logs', () => {
  it('redact passwords and secrets wherever they appear, and keep the context keys', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', destination: destination as never }).child({ connectorId: 'carrier1' });
    log.info({ password: 'hunter2', config: { password: 'x1', secret: 's3' }, messageId: 'm1' }, 'binding');
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('x1');
    expect(lines[0]).not.toContain('s3');
    expect(line).toMatchObject({ connectorId: 'carrier1', messageId: 'm1', password: '[redacted]', msg: 'binding' });
  });

  it('redacts credentials inside logged URLs and error messages', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', destination: destination as never });
    log.warn({ url: '/api?command=SendSms&Username=u&Password=hunter2&Recipient=1' }, 'request failed');
    log.warn({ url: '/platform_api/SendSmsMessage?api_key=k3y-s3cret&x=1' }, 'request failed');
    log.warn(
      { err: new Error('GET https://bob:pa55word@app.example/hook?token=t0k3n failed'), url: 'http://alice:open-sesame@cb.example/x' },
      'callback failed',
    );
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    for (const secret of ['hunter2', 'k3y-s3cret', 'pa55word', 't0k3n', 'open-sesame']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!).url).toBe('/api?command=SendSms&Username=u&Password=[redacted]&Recipient=1');
    expect(JSON.parse(lines[2]!).err.message).toBe('GET https://bob:[redacted]@app.example/hook?token=[redacted] failed');
  });
});
