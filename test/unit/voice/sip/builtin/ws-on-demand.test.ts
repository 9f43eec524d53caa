/**
 * patches/sip+0.0.6.patch: the `sip` package loaded `ws` when it was loaded, for a WebSocket transport that only a
 * stack with `ws_port` has. The built-in engine never asks for one, yet every voice node — the default — held ws's
 * modules (issue 18). Now a stack without `ws_port` never loads it; one with it still serves WebSocket connections.
 * Run in a fresh process: this one's module cache may have seen ws already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = `
  const net = require('node:net');
  const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/ws/'));
  const sip = require('sip');
  const free = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
  (async () => {
    const plain = sip.create({ address: '127.0.0.1', port: await free(), tcp: false, logger: {} }, () => {});
    const withoutWs = loaded();
    plain.destroy();
    const wsPort = await free();
    const webSocket = sip.create({ address: '127.0.0.1', port: await free(), udp: false, tcp: false, ws_port: wsPort, logger: {} }, () => {});
    const withWs = loaded();
    const WebSocket = require('ws');
    const client = new WebSocket('ws://127.0.0.1:' + wsPort, 'sip');
    client.on('open', () => {
      console.log(JSON.stringify({ withoutWs, withWs, opened: true }));
      client.terminate();
      webSocket.destroy();
      process.exit(0);
    });
    client.on('error', (err) => { console.log(JSON.stringify({ withoutWs, withWs, opened: String(err) })); process.exit(0); });
  })();`;

describe('the sip package', () => {
  it('loads ws only for a stack with a WebSocket port, which still takes a connection', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: process.cwd(), timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ withoutWs: false, withWs: true, opened: true });
  });
});
