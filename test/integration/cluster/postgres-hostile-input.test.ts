/**
 * What a peer sends that PostgreSQL cannot store as it is, on a node on PostgreSQL. PostgreSQL's text cannot hold
 * U+0000, and the row was refused (store/postgres/placeholders.ts): a SendSms request with `%00` in its text was
 * answered "internal error, try again" (HTTP 500), and an SMS from a handset with 0x0000 in its UCS-2 text was refused
 * back to the carrier, which sent it again every half second, never stored. Now stored as U+FFFD. And an SMSC's
 * address far past SMPP's 21 octets could not be indexed (a btree row holds 2,704 bytes): refused with a temporary
 * error, sent again without end; now refused for good (connectors/smpp/incoming.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { createLogger, silentLogger } from '../../../src/shared/log.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { deliveryReportIds, sendSmsAs } from '../../helpers/ozeki-client.js';
import { postgresMissing, startPostgres, type PgServer } from '../../helpers/postgres.js';
import { waitUntil } from '../../helpers/temp-dir.js';
import { smscConnector } from '../../helpers/cluster-connector.js';

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
      connectors: [smscConnector(smsc.port)],
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

describe.skipIf(missing)('hostile input on PostgreSQL', () => {
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

  it('an SMS whose address is kilobytes long: refused for good, once; the next SMS goes through', async () => {
    const before = receiver.requests.filter((r) => r.url === '/mo').length;
    // Random, so that PostgreSQL's compression cannot bring them under its index row limit.
    const sent = [
      smsc.sendMo({ from: '+36201234567', to: randomBytes(3000).toString('hex'), text: 'to nowhere' }),
      smsc.sendMo({ from: randomBytes(3000).toString('hex'), to: '+3612000100', text: 'from nowhere' }),
    ];
    await waitUntil(() => smsc.counters.refusedForGood === 2, 20_000, 'both refused for good, not sent again and again');
    await Promise.all(sent);
    await smsc.sendMo({ from: '+36201234567', to: '+3612000100', text: 'after them' });
    await waitUntil(() => receiver.requests.some((r) => r.form.get('Message') === 'after them'), 20_000, 'the next SMS called back');
    expect(receiver.requests.filter((r) => r.url === '/mo').length).toBe(before + 1);
    expect(problems.filter((line) => !line.includes('unusable PDU from the SMSC refused'))).toEqual([]);
  });
});
