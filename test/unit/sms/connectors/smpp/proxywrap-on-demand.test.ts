/**
 * patches/smpp+0.6.0-rc.4.patch: the `smpp` package loads findhit-proxywrap —
 * and with it all of lodash, 1.4 MiB of heap in every daemon — only when a
 * server asks for PROXY protocol detection (issue 18). A process that loads
 * the package has neither; a server with detection on still takes a bind.
 * Run in a fresh process: this one's module cache has seen both already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = `
  const loaded = (name) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + name + '/'));
  const smpp = require('smpp');
  const before = { lodash: loaded('lodash'), proxywrap: loaded('findhit-proxywrap') };
  const server = smpp.createServer({ enable_proxy_protocol_detection: true }, (session) => {
    session.on('bind_transceiver', (pdu) => session.send(pdu.response()));
  });
  server.listen(0, '127.0.0.1', () => {
    const client = smpp.connect({ url: 'smpp://127.0.0.1:' + server.address().port });
    client.bind_transceiver({ system_id: 'app', password: 'secret' }, (pdu) => {
      console.log(JSON.stringify({ before, after: { lodash: loaded('lodash') }, bindStatus: pdu.command_status }));
      client.destroy();
      server.close();
    });
  });`;

describe('the smpp package', () => {
  it('loads lodash only for a server with PROXY protocol detection, which still takes a bind', async () => {
    const run = await promisify(execFile)(process.execPath, ['-e', script], { cwd: process.cwd(), timeout: 60_000 });
    expect(JSON.parse(run.stdout)).toEqual({ before: { lodash: false, proxywrap: false }, after: { lodash: true }, bindStatus: 0 });
  });
});
