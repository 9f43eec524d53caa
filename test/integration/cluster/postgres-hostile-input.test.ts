/**
 * A NUL character from outside reaches the store like any other on PostgreSQL (store/postgres/placeholders.ts):
 * PostgreSQL's text cannot hold U+0000, and the row was refused — a SendSms request with `%00` in its text was
 * answered "internal error, try again" (HTTP 500), and an SMS from a handset with 0x0000 in its UCS-2 text was
 * refused back to the carrier, which sent it again every half second, never stored. Stored as U+FFFD instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { createLogger, silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { deliveryReportIds, sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const missing = postgresMissing();
const smsc = new SmscSimulator({ port: 0, receiptDelayMs: 10, log: silentLogger() });
const receiver = new HttpReceiver();
let server: PgServer;
let node: Awaited<ReturnType<typeof startDaemon>> | null = null;
const problems: string[] = [];

beforeAll(async () => {
  if (missing) return;
  server = await startPostgres();
  await smsc.start();
  await receiver.start();
  node = await startDaemon(
    {
      store: { type: 'postgres', url: await server.createDatabase(), poolSize: 4 },
      node: { id: 'node-a' },
      connectors: [{ id: 'smsc', type: 'smpp', host: '127.0.0.1', port: smsc.port, systemId: 'telenode', password: 'pw' }],
      sms: { inbound: { url: receiver.url('/mo') } },
    },
    { log: createLogger({ level: 'warn', format: 'json', destination: { write: (line: string) => void problems.push(line) } }) },
  );
  await waitUntil(() => smsc.bindCount === 1, 20_000, 'bound');
});

afterAll(async () => {
  await node?.stop();
  await smsc.stop();
  await receiver.stop();
  await server?.stop();
});

describe.skipIf(missing)('a NUL character on PostgreSQL', () => {
  it('in a SendSms text: accepted, sent and reported like any other', async () => {
    const reply = await sendSmsAs(node!.base, TEST_USER, 'before\u0000after', receiver.url('/dlr'));
    expect(reply.code, reply.message).toBe(200);
    await waitUntil(() => deliveryReportIds(receiver).has(reply.smsId!), 20_000, 'its delivery report');
    expect(smsc.received.some((r) => r.text.startsWith('before') && r.text.endsWith('after'))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('in an SMS from a handset (UCS-2): taken from the carrier once and called back', async () => {
    const acked = smsc.sendMo({ from: '+36201234567', to: '+3612000100', text: 'hello\u0000world' });
    await waitUntil(() => receiver.requests.some((r) => r.url === '/mo'), 20_000, 'the IncomingSMS callback');
    await acked;
    const incoming = receiver.requests.filter((r) => r.url === '/mo');
    expect(incoming).toHaveLength(1);
    expect(incoming[0]!.form.get('Message')).toMatch(/^hello.world$/u);
    expect(problems).toEqual([]);
  });
});
