/**
 * SIGKILL telenode while an SMPP client's messages are in flight and their
 * receipts pending, start it again on the same store, and count at the
 * client: every message whose submit_sm_resp said ESME_ROK gets its
 * delivered receipt after the restart, though the client had no receiver
 * bind before the crash. A message scheduled before the crash goes at its
 * time after the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { startDaemonProcess, writeConfig, type DaemonProcess } from '../../helpers/daemon-process.js';
import { SmppTestClient, receiptFields, sendTimeIn } from '../../helpers/smpp-client.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const TOTAL = 600;
const sim = new SmscSimulator({ port: 0, idFormat: 'decimal', receiptDelayMs: 300, log: silentLogger() });
const dir = tempDir('telenode-smpp-crash-');
let daemon: DaemonProcess | null = null;

function smppPort(d: DaemonProcess): number {
  const started = d.logs.find((l) => l.includes('"telenode started"'))!;
  return Number((JSON.parse(started) as { smpp: string }).smpp.split(':').pop());
}

beforeAll(async () => {
  await sim.start();
});

afterAll(async () => {
  await daemon?.kill('SIGKILL');
  await sim.stop();
  dir.remove();
});

describe('SMPP server crash safety', () => {
  it('delivers the receipt of every acknowledged submit after a SIGKILL and a restart', async () => {
    const config = writeConfig(dir.path, {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: `${dir.path}/telenode.db` },
      users: [{ username: 'crm', passwordHash: hashPassword('crm-pw'), smpp: { window: 50 } }],
      connectors: [{ id: 'c1', type: 'smpp', host: '127.0.0.1', port: sim.port, systemId: 'tn', password: 'pw', window: 20 }],
      smppServer: { host: '127.0.0.1', port: 0 },
    });
    daemon = await startDaemonProcess(config);
    const tx = await SmppTestClient.connect(smppPort(daemon));
    expect(await tx.bind('transmitter', 'crm', 'crm-pw')).toBe(0);
    const acknowledged = new Set<string>();
    let killed = false;
    const sending = (async () => {
      for (let i = 0; i < TOTAL && !killed; i += 25) {
        const batch = Array.from({ length: 25 }, (_, j) =>
          tx.submit({ destination_addr: '+36301234567', short_message: Buffer.from(`crash ${i + j}`), registered_delivery: 1 }).then(
            (r) => r.command_status === 0 && acknowledged.add(String(r['message_id'])),
            () => undefined, // the daemon died under us: never promised
          ),
        );
        await Promise.race([Promise.all(batch), new Promise((resolve) => setTimeout(resolve, 5000))]);
      }
    })();
    await waitUntil(() => acknowledged.size >= TOTAL * 0.4, 60_000, '40 % acknowledged');
    await waitUntil(() => sim.counters.receiptsAcked > 0, 30_000, 'some receipts stored by telenode');
    killed = true;
    await daemon.kill('SIGKILL');
    await sending;
    await tx.close();

    daemon = await startDaemonProcess(config);
    const rx = await SmppTestClient.connect(smppPort(daemon));
    expect(await rx.bind('receiver', 'crm', 'crm-pw')).toBe(0);
    await waitUntil(
      () => {
        const got = new Set(rx.receipts().map((r) => r.receiptedMessageId));
        return [...acknowledged].every((id) => got.has(id));
      },
      90_000,
      'a receipt for every acknowledged submit',
    );
    const delivered = rx.receipts().filter((r) => acknowledged.has(r.receiptedMessageId ?? ''));
    expect(delivered.every((r) => receiptFields(r.text).stat === 'DELIVRD')).toBe(true);
    console.log(`SMPP server SIGKILL: ${acknowledged.size} acknowledged, ${delivered.length} receipts (${delivered.length - acknowledged.size} repeated)`);
    await rx.close();
  }, 180_000);

  it('sends a message scheduled before a SIGKILL at its time after the restart, once', async () => {
    const own = tempDir('telenode-smpp-scheduled-');
    let node: DaemonProcess | null = null;
    try {
      const config = writeConfig(own.path, {
        http: { host: '127.0.0.1', port: 0 },
        store: { path: `${own.path}/telenode.db` },
        users: [{ username: 'crm', passwordHash: hashPassword('crm-pw'), smpp: {} }],
        // A system id of its own: the simulator sends a receipt to a bind of the system that sent the message.
        connectors: [{ id: 'c1', type: 'smpp', host: '127.0.0.1', port: sim.port, systemId: 'tn-scheduled', password: 'pw' }],
        smppServer: { host: '127.0.0.1', port: 0 },
      });
      node = await startDaemonProcess(config);
      const tx = await SmppTestClient.connect(smppPort(node));
      expect(await tx.bind('transmitter', 'crm', 'crm-pw')).toBe(0);
      const { at: sendAt, smpp: scheduleDeliveryTime } = sendTimeIn(6000);
      const r = await tx.submit({
        destination_addr: '+36309990001',
        schedule_delivery_time: scheduleDeliveryTime,
        registered_delivery: 1,
        short_message: Buffer.from('your appointment is in one hour'),
      });
      expect(r.command_status).toBe(0);
      await node.kill('SIGKILL');
      await tx.close();

      node = await startDaemonProcess(config);
      const rx = await SmppTestClient.connect(smppPort(node));
      expect(await rx.bind('receiver', 'crm', 'crm-pw')).toBe(0);
      await waitUntil(() => rx.receipts().some((d) => d.receiptedMessageId === String(r['message_id'])), 60_000, 'its receipt after the restart');
      const sent = sim.received.filter((m) => m.destination === '36309990001');
      expect(sent).toHaveLength(1);
      // Node's timers may fire a millisecond before Date.now() reaches their time.
      expect(sent[0]!.at).toBeGreaterThanOrEqual(sendAt - 2);
      await rx.close();
    } finally {
      await node?.kill('SIGKILL');
      own.remove();
    }
  }, 120_000);
});
