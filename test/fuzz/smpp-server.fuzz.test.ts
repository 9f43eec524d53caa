/**
 * The SMPP server facing hostile clients: several raw connections bind (now
 * and then with broken binds) and send mutated PDUs — submit_sm and data_sm
 * with every field bent, UDH and SAR parts, query_sm, cancel_sm, unbind,
 * responses to nothing, unknown commands, TLVs of every wrong length, now and
 * then a broken command_length that must end that session only. The daemon
 * must answer or drop each without an uncaught error, keep its memory
 * bounded, and afterwards bind a clean client, take its message and return
 * the receipt. FUZZ_SCALE runs more, FUZZ_SEED repeats a run.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/shared/password-hash.js';
import { startDaemon } from '../helpers/in-process-daemon.js';
import { encodePdu, readPdus } from '../helpers/raw-smpp.js';
import { SmppTestClient, receiptFields } from '../helpers/smpp-client.js';
import { waitUntil } from '../helpers/temp-dir.js';
import { Dice, seededRandom } from './dice.js';

const SCALE = Number(process.env['FUZZ_SCALE'] ?? 1);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
const COUNT = 100_000 * SCALE;
const CONNECTIONS = 6;
const USER = { username: 'fuzz', password: 'fuzz-pw' };

function requestPdu(dice: Dice, seq: number): Buffer {
  const addr = () => dice.pick(['+36301234567', '36301234567', '', 'ACME', '+', 'x'.repeat(20), '\u00e9\u00e9', '0'.repeat(21)]);
  switch (dice.int(9)) {
    case 0:
    case 1:
      return encodePdu('submit_sm', {
        sequence_number: seq,
        source_addr: addr(),
        destination_addr: addr(),
        esm_class: dice.pick([0, 0x40, 0x04, 0x08, 0xff]),
        data_coding: dice.pick([0, 1, 3, 8, 4, 0xf0, 0x18]),
        registered_delivery: dice.int(32),
        validity_period: dice.pick(['', '000001000000000R', '261202100000000+', 'garbage', '991399999999999-']),
        schedule_delivery_time: dice.pick(['', '', '', '000001000000000R']),
        short_message: dice.chance(0.3)
          ? Buffer.concat([Buffer.from([5, 0, 3, dice.int(4), dice.int(4), dice.int(4)]), dice.bytes(dice.int(40))])
          : dice.bytes(dice.int(160)),
      });
    case 2:
      return encodePdu('submit_sm', {
        sequence_number: seq,
        source_addr: 'ACME',
        destination_addr: '+36301234567',
        short_message: Buffer.from('sar part'),
        sar_msg_ref_num: dice.int(4),
        sar_total_segments: dice.int(5),
        sar_segment_seqnum: dice.int(5),
      });
    case 3:
      return encodePdu('data_sm', { sequence_number: seq, source_addr: 'ACME', destination_addr: addr(), message_payload: dice.bytes(dice.int(300)) });
    case 4:
      return encodePdu('query_sm', {
        sequence_number: seq,
        message_id: dice.pick(['', 'nope', '0190aaaa-0000-7000-8000-000000000000.1', 'x'.repeat(64)]),
        source_addr: 'ACME',
      });
    case 5:
      return encodePdu('cancel_sm', { sequence_number: seq, message_id: dice.pick(['', 'nope', 'a.b.c']), source_addr: 'ACME', destination_addr: addr() });
    case 6:
      return encodePdu(dice.pick(['enquire_link', 'deliver_sm_resp', 'generic_nack', 'submit_sm_resp', 'enquire_link_resp']), { sequence_number: seq });
    case 7:
      return encodePdu(dice.pick(['bind_transceiver', 'bind_receiver']), {
        sequence_number: seq,
        system_id: USER.username,
        password: dice.pick([USER.password, 'wrong']),
      });
    default: {
      const unknown = Buffer.alloc(16 + dice.int(8));
      unknown.writeUInt32BE(unknown.length, 0);
      unknown.writeUInt32BE(dice.pick([0x00000999, 0x00000003, 0x00000007, 0x00000103, 0x80000999]), 4);
      unknown.writeUInt32BE(seq, 12);
      return unknown;
    }
  }
}

/** Damage that keeps command_length true (the session goes on), and rarely a framing break. */
function mutate(pdu: Buffer, dice: Dice): Buffer {
  let out = Buffer.from(pdu);
  switch (dice.int(6)) {
    case 0:
      for (let i = 0; i < 1 + dice.int(6); i++) if (out.length > 16) out[16 + dice.int(out.length - 16)] = dice.int(256);
      break;
    case 1:
      out = Buffer.concat([
        out,
        Buffer.from([dice.pick([0x04, 0x02, 0x02, 0x0c, 0xff]), dice.pick([0x24, 0x0c, 0x0e, 0x0f, 0x27]), 0, dice.pick([0, 1, 2, 200])]),
        dice.bytes(dice.int(3)),
      ]);
      break;
    case 2:
      out = out.subarray(0, 16 + dice.int(Math.max(1, out.length - 16)));
      break;
    case 3:
      for (let i = 16; i < out.length; i++) if (out[i] === 0 && dice.chance(0.5)) out[i] = 0x41;
      break;
    default:
      return pdu;
  }
  if (dice.chance(0.0003)) {
    out.writeUInt32BE(dice.pick([0, 5, 15, 0x7fffffff]), 0);
    return out;
  }
  out.writeUInt32BE(out.length, 0);
  return out;
}

describe(`SMPP server against fuzzing clients (seed ${SEED})`, () => {
  let env: Awaited<ReturnType<typeof startDaemon>>;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    env = await startDaemon({
      users: [{ username: USER.username, passwordHash: hashPassword(USER.password), smpp: { maxBinds: 50, window: 100 } }],
      // Guesses with the wrong password are part of the fuzz: a lock-out would end it early.
      http: { host: '127.0.0.1', port: 0, loginLimits: { maxFailuresPerSource: 1_000_000, maxFailuresPerUser: 1_000_000 } },
      smppServer: { host: '127.0.0.1', port: 0, maxConnectionsPerSource: 100, reassemblyTimeoutSeconds: 1 },
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await env.stop();
  });

  it(`survives ${COUNT} mutated PDUs from clients, with bounded memory, and then serves a clean client`, { timeout: 600_000 }, async () => {
    const port = env.daemon.smppServer!.port;
    const dice = new Dice(seededRandom(SEED));
    let sent = 0;
    let answered = 0;
    let sessions = 0;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    const open = () => {
      if (sent >= COUNT) return;
      sessions++;
      const socket = connect(port, '127.0.0.1');
      sockets.add(socket);
      let seq = 1;
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        open();
      });
      readPdus(socket, () => answered++);
      const pump = () => {
        while (sent < COUNT && !socket.destroyed && socket.writableLength < 32 * 1024) {
          socket.write(mutate(requestPdu(dice, seq++), dice));
          sent++;
          if (sent % 40 === 0) break;
        }
        if (sent < COUNT && !socket.destroyed) setImmediate(pump);
        else if (!socket.destroyed) socket.end();
      };
      socket.once('connect', () => {
        socket.write(encodePdu('bind_transceiver', { sequence_number: seq++, system_id: USER.username, password: USER.password }));
        pump();
      });
    };
    for (let i = 0; i < CONNECTIONS; i++) open();
    await waitUntil(() => sent >= COUNT, 500_000, `${COUNT} PDUs sent (seed ${SEED})`).catch((err: Error) => {
      throw new Error(`${err.message}: sent ${sent}, answered ${answered}, sessions ${sessions}`);
    });
    for (const s of sockets) s.destroy();
    expect(answered).toBeGreaterThan(COUNT / 4); // it answered them, it did not just drop the line
    global.gc?.();
    const growthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.log(`SMPP server fuzz: ${sent} PDUs in ${sessions} sessions, ${answered} answers, heap growth ${growthMiB.toFixed(0)} MiB`);
    expect(growthMiB).toBeLessThan(300);

    // Then a well-behaved client: bound, its message taken, its receipt returned.
    const clean = await SmppTestClient.connect(port);
    expect(await clean.bind('transceiver', USER.username, USER.password)).toBe(0);
    const resp = await clean.submit({ destination_addr: '+36309999999', short_message: Buffer.from('after the storm'), registered_delivery: 1 });
    expect(resp.command_status).toBe(0);
    const id = String(resp['message_id']);
    const [receipt] = await clean.waitForDelivers(1, (d) => d.receiptedMessageId === id, 30_000);
    expect(receiptFields(receipt!.text).stat).toBe('DELIVRD');
    await clean.close();
  });
});
