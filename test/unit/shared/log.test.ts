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
});
