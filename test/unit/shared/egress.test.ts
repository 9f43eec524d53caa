/**
 * The egress policy on real connections: a local HTTP server stands for the
 * node's neighbours; every spelling of a denied address is refused at
 * connect time, an opened range goes through, and the node's own API port
 * stays closed even then.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EGRESS_DENY, EgressPolicy } from '../../../src/shared/egress.js';
import { ErrorCode } from '../../../src/shared/errors.js';
import { HttpClient } from '../../../src/shared/http-client.js';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('inside'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A GET through the node's HTTP client under `policy`: the path every app request and prompt download takes. */
async function get(policy: EgressPolicy, url: string): Promise<string> {
  const client = new HttpClient(policy);
  try {
    const answer = await client.fetch(url, { method: 'GET', signal: AbortSignal.timeout(5000), maxBytes: 1000, tooLargeCode: ErrorCode.INTERNAL });
    return answer.body.toString();
  } finally {
    client.close();
  }
}

const closed = new EgressPolicy({ allow: [], deny: DEFAULT_EGRESS_DENY, ownPorts: [] });

describe('EgressPolicy', () => {
  it.each([
    'http://127.0.0.1:PORT/',
    'http://127.1:PORT/',
    'http://2130706433:PORT/',
    'http://0x7f000001:PORT/',
    'http://[::ffff:127.0.0.1]:PORT/',
    'http://user:pw@127.0.0.1:PORT/',
    'http://evil.example@127.0.0.1:PORT/',
    'http://localhost:PORT/',
  ])('refuses loopback spelled as %s', async (spelling) => {
    await expect(get(closed, spelling.replace('PORT', String(port)))).rejects.toMatchObject({ code: 'TN_ERR_EGRESS_DENIED' });
  });

  it('refuses the cloud metadata address and schemes other than http(s)', async () => {
    await expect(get(closed, 'http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({ code: 'TN_ERR_EGRESS_DENIED' });
    expect(() => closed.parse('data:text/xml,<Response/>')).toThrow(expect.objectContaining({ code: 'TN_ERR_EGRESS_DENIED' }));
    expect(() => closed.parse('file:///etc/passwd')).toThrow(expect.objectContaining({ code: 'TN_ERR_EGRESS_DENIED' }));
  });

  it('lets an opened range through, but never the node’s own API port', async () => {
    const open = new EgressPolicy({ allow: ['127.0.0.0/8'], deny: DEFAULT_EGRESS_DENY, ownPorts: [] });
    expect(await get(open, `http://127.0.0.1:${port}/`)).toBe('inside');
    const self = new EgressPolicy({ allow: ['127.0.0.0/8'], deny: DEFAULT_EGRESS_DENY, ownPorts: [port] });
    await expect(get(self, `http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      code: 'TN_ERR_EGRESS_DENIED',
      message: expect.stringContaining("this node's own API"),
    });
  });

  it('leaves private ranges open by default (a CRM next to the PBX)', () => {
    expect(closed.refusal('192.168.1.20', 80)).toBeNull();
    expect(closed.refusal('10.1.2.3', 443)).toBeNull();
    expect(closed.refusal('::ffff:7f00:1', 80)).toMatch(/denies/);
  });

  it('answers the same for an address asked again, on each port, past the decisions it remembers', () => {
    const self = new EgressPolicy({ allow: ['127.0.0.0/8'], deny: DEFAULT_EGRESS_DENY, ownPorts: [8080] });
    for (let round = 0; round < 2; round++) {
      expect(self.refusal('127.0.0.1', 8080)).toMatch(/own API/);
      expect(self.refusal('127.0.0.1', 8081)).toBeNull();
      expect(closed.refusal('127.0.0.1', 8081)).toMatch(/denies/);
      expect(closed.refusal('10.1.2.3', 8081)).toBeNull();
      // More addresses than it remembers: it forgets them all and decides afresh.
      for (let i = 0; i < 1500; i++) expect(closed.refusal(`10.0.${i >> 8}.${i & 0xff}`, 80)).toBeNull();
    }
  });

  it('gives node:http sockets only allowed addresses: a name that resolves to loopback is refused, or handed over once opened', async () => {
    const lookUp = (policy: EgressPolicy, all: boolean) =>
      new Promise<unknown>((resolve, reject) =>
        policy.lookup(port)('localhost', { all }, (err: NodeJS.ErrnoException | null, address: unknown) => (err ? reject(err) : resolve(address))),
      );
    const closed = new EgressPolicy({ allow: [], deny: DEFAULT_EGRESS_DENY, ownPorts: [] });
    await expect(lookUp(closed, false)).rejects.toMatchObject({
      code: ErrorCode.EGRESS_DENIED,
      message: expect.stringMatching(/egress policy refuses localhost/),
    });
    await expect(lookUp(closed, true)).rejects.toMatchObject({ code: ErrorCode.EGRESS_DENIED });
    const opened = new EgressPolicy({ allow: ['127.0.0.1/32'], deny: DEFAULT_EGRESS_DENY, ownPorts: [] });
    expect(await lookUp(opened, false)).toBe('127.0.0.1');
    // Node 20 asks for every address when it tries the families in turn: ::1 stays out, the policy still denies it.
    expect(await lookUp(opened, true)).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });
});
