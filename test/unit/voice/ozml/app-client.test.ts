/** The OzML app client reads a reply only up to its cap, even when the app streams without a length. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPLY_BYTES, createHttpAppClient } from '../../../../src/voice/ozml/app-client.js';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from '../../../../src/shared/egress.js';

let server: Server;
let base: string;
let streamedBytes = 0;
let streamEnded = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/endless') {
      // chunked, no Content-Length, and it never ends by itself
      res.writeHead(200, { 'content-type': 'text/xml' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const timer = setInterval(() => {
        if (!res.write(chunk)) return;
        streamedBytes += chunk.length;
      }, 1);
      res.on('close', () => {
        clearInterval(timer);
        streamEnded = true;
      });
      return;
    }
    res.end('<Response><Hangup/></Response>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('OzML app client', () => {
  it('stops reading a chunked reply at the cap and drops the connection', async () => {
    const client = createHttpAppClient();
    await expect(client.post({ url: `${base}/endless`, fields: { NotificationName: 'IncomingCall' }, timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'TN_ERR_OZML_APP_FAILED',
      message: expect.stringContaining(`larger than ${MAX_REPLY_BYTES} bytes`),
    });
    await expect.poll(() => streamEnded).toBe(true);
    expect(streamedBytes).toBeLessThan(8 * MAX_REPLY_BYTES);
  });

  it('refuses a URL the egress policy denies, and schemes other than http(s)', async () => {
    const client = createHttpAppClient(new EgressPolicy({ allow: [], deny: DEFAULT_EGRESS_DENY, ownPorts: [] }));
    await expect(client.post({ url: `${base}/`, fields: { NotificationName: 'GoTo' }, timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'TN_ERR_OZML_APP_FAILED',
      message: expect.stringMatching(/refused: egress policy refuses/),
      retryable: false,
    });
    await expect(createHttpAppClient().post({ url: 'data:text/xml,<Response/>', fields: {}, timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'TN_ERR_OZML_APP_FAILED',
      message: expect.stringMatching(/only http and https/),
    });
    expect(await createHttpAppClient().post({ url: `${base}/`, fields: { NotificationName: 'GoTo' }, timeoutMs: 5000 })).toBe('<Response><Hangup/></Response>');
  });
});
