/**
 * Callbacks to https receivers, as most users' are: the node (started as `telenode start` is) verifies the
 * receiver's certificate against the CAs it trusts — here the one NODE_EXTRA_CA_CERTS names, as an operator adds a
 * company CA — and delivers the receipt's callback over TLS; to a receiver whose certificate it does not trust it
 * sends nothing (the handshake is refused) and keeps the callback for another attempt.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/shared/password-hash.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../helpers/daemon-process.js';
import { parseOzekiXml, sendSmsQuery } from '../helpers/ozeki-client.js';
import { loopbackCertificate } from '../helpers/loopback-certificate.js';
import { tempDir, waitUntil } from '../helpers/temp-dir.js';

const dir = tempDir('telenode-https-callbacks-');
let daemon: DaemonProcess | null = null;
const servers: Server[] = [];

interface Receiver {
  url: string;
  bodies: string[];
  refusedHandshakes: number;
}

async function httpsReceiver(tls: { key: Buffer; cert: Buffer }): Promise<Receiver> {
  const receiver: Receiver = { url: '', bodies: [], refusedHandshakes: 0 };
  const server = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      receiver.bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.end('OK');
    });
  });
  server.on('tlsClientError', () => receiver.refusedHandshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  receiver.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/report`;
  return receiver;
}

let trusted: Receiver;
let untrusted: Receiver;

beforeAll(async () => {
  const company = loopbackCertificate(dir.path, 'company-crm');
  trusted = await httpsReceiver(company);
  untrusted = await httpsReceiver(loopbackCertificate(dir.path, 'stranger'));
  const config = writeConfig(dir.path, {
    http: { host: '127.0.0.1', port: 0 },
    store: { path: `${dir.path}/telenode.db` },
    users: [{ username: 'u', passwordHash: hashPassword('pw') }],
    connectors: [{ id: 'simulator', type: 'simulator', receiptDelayMs: 0 }],
    egress: { allow: ['127.0.0.1/32'] },
    warmUp: { messages: 0 },
  });
  daemon = await startDaemonProcess(config, 40_000, { NODE_EXTRA_CA_CERTS: company.certPath });
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  for (const server of servers) server.close();
  dir.remove();
});

/** SendSms with a DeliveryReportURL; the message's id. */
async function send(message: string, reportUrl: string): Promise<string> {
  const query = sendSmsQuery({ Username: 'u', Password: 'pw', Recipient: '+36301234567', Message: message, DeliveryReportURL: reportUrl });
  const reply = parseOzekiXml(await (await fetch(`${daemon!.base}/api?${query}`)).text());
  expect(reply.code).toBe(200);
  return reply.smsId!;
}

describe('callbacks over https', () => {
  it('delivers the receipt to a receiver whose certificate the node trusts', async () => {
    const id = await send('over TLS', trusted.url);
    await waitUntil(() => trusted.bodies.length > 0, 15_000, 'the https callback');
    const report = new URLSearchParams(trusted.bodies[0]);
    expect([report.get('SmsId'), report.get('Status')]).toEqual([id, 'delivered']);
    expect(trusted.refusedHandshakes).toBe(0);
  });

  it('sends nothing to a receiver whose certificate it does not trust', async () => {
    await send('not to a stranger', untrusted.url);
    await waitUntil(() => untrusted.refusedHandshakes > 0, 15_000, 'the refused handshake');
    expect(untrusted.bodies).toEqual([]);
  });
});
