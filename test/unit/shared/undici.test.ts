/**
 * The parts of undici telenode loads (src/shared/undici.ts): requests go out
 * and come back as with undici's own `request`, and a fresh process that
 * sends one loads neither undici's index nor Node's bundled copy of undici —
 * the memory the light load exists to save (issue 18). Should an undici
 * release move the files, the loader falls back to the index and the second
 * test says so.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undici } from '../../../src/shared/undici.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('undici, the parts telenode uses', () => {
  it('sends a request through an Agent and through the global dispatcher, with the path and query as given', async () => {
    const { Agent, request } = undici();
    const agent = new Agent({ connections: 1 });
    try {
      const posted = await request(`${base}/callback?id=7`, { method: 'POST', body: 'status=DELIVRD', dispatcher: agent });
      expect(posted.statusCode).toBe(200);
      expect(await posted.body.text()).toBe('POST /callback?id=7 status=DELIVRD');
      const fetched = await request(new URL(`${base}/prompt.wav`));
      expect(await fetched.body.text()).toBe('GET /prompt.wav ');
    } finally {
      await agent.close();
    }
  });

  it('refuses a URL that is not http or https, or not a URL at all, as undici itself does, and sends nothing', async () => {
    const { Agent, request } = undici();
    const agent = new Agent({ connections: 1 });
    let requests = 0;
    const count = () => requests++;
    server.on('request', count);
    try {
      await expect(request(`ftp://127.0.0.1/x`, { dispatcher: agent })).rejects.toMatchObject({ code: 'UND_ERR_INVALID_ARG' });
      expect(() => request('not a url', { dispatcher: agent })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_URL' }));
      expect(requests).toBe(0);
    } finally {
      server.off('request', count);
      await agent.close();
    }
  });

  it("loads neither undici's index nor Node's bundled undici in a process that sends a request", async () => {
    const loader = join(process.cwd(), 'dist/shared/undici.js');
    const script = `
      import { createRequire } from 'node:module';
      const { undici } = await import(${JSON.stringify(loader)});
      const { Agent, request } = undici();
      const agent = new Agent();
      const response = await request(${JSON.stringify(`${base}/x`)}, { dispatcher: agent });
      await response.body.dump();
      await agent.close();
      const index = createRequire(${JSON.stringify(loader)}).resolve('undici');
      console.log(JSON.stringify({
        status: response.statusCode,
        index: Object.keys(createRequire(import.meta.url).cache).includes(index),
        bundled: process.moduleLoadList.includes('NativeModule internal/deps/undici/undici'),
      }));`;
    // Asynchronously: the process asks this one's server.
    const run = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ status: 200, index: false, bundled: false });
  });
});
