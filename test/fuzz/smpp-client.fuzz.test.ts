/**
 * The SMPP connector facing a hostile SMSC: after the bind, a raw server
 * sends mutated PDUs (receipts in deliver_sm and data_sm, enquire_link,
 * responses to nothing, unknown commands, TLVs of every wrong length, now and
 * then a broken command_length that ends the session). The connector must
 * answer or drop each without an uncaught error, rebind when framing is lost,
 * and afterwards take a clean receipt. FUZZ_SCALE runs more, FUZZ_SEED repeats.
 */
import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectorSink, InboundFragment, ReceiptEvent } from '../../src/sms/connectors/connector.js';
import { smppConnectorSchema } from '../../src/sms/connectors/smpp/config.js';
import { SmppConnector } from '../../src/sms/connectors/smpp/smpp-connector.js';
import { encodePdu, readPdus } from '../helpers/raw-smpp.js';
import { silentLogger } from '../../src/shared/log.js';
import { waitUntil } from '../helpers/temp-dir.js';
import { Dice, seededRandom } from './dice.js';

const SCALE = Number(process.env['FUZZ_SCALE'] ?? 1);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
const COUNT = 20_000 * SCALE;

const encode = encodePdu;

function receiptText(dice: Dice): Buffer {
  const stat = dice.pick(['DELIVRD', 'UNDELIV', 'EXPIRED', 'REJECTD', 'ACCEPTD', 'UNKNOWN', 'DELETED', 'ENROUTE', '', 'x'.repeat(30)]);
  return Buffer.from(
    `id:${dice.pick(['abc', '10', 'a', '0', '', 'ffffffffffffffffffffffff'])} sub:001 dlvrd:001 submit date:${dice.pick(['2612020300', '9999999999', ''])} done date:2612020301 stat:${stat} err:${dice.pick(['000', '-1', 'zzz'])} text:x`,
  );
}

function validPdu(dice: Dice, seq: number): Buffer {
  switch (dice.int(7)) {
    case 0:
      return encode('deliver_sm', {
        sequence_number: seq,
        source_addr: '36302222222',
        destination_addr: '36301111111',
        esm_class: 0x04,
        short_message: receiptText(dice),
        receipted_message_id: dice.pick(['abc', '10']),
        message_state: dice.int(9),
      });
    case 1:
      return encode('data_sm', {
        sequence_number: seq,
        source_addr: '36302222222',
        destination_addr: '36301111111',
        esm_class: 0x04,
        receipted_message_id: 'abc',
        message_state: 2,
      });
    case 2:
      return encode('deliver_sm', {
        sequence_number: seq,
        source_addr: '36302222222',
        destination_addr: '36301111111',
        esm_class: 0x40,
        short_message: Buffer.from([5, 0, 3, dice.int(256), 1 + dice.int(3), dice.int(5), 0x41, 0x42]),
      });
    case 3:
      return encode('enquire_link', { sequence_number: seq });
    case 4:
      return encode('submit_sm_resp', { sequence_number: dice.int(1000), message_id: 'zz' });
    case 5:
      return encode('generic_nack', { sequence_number: seq, command_status: 3 });
    default: {
      const unknown = Buffer.alloc(16);
      unknown.writeUInt32BE(16, 0);
      unknown.writeUInt32BE(0x00000999 + dice.int(10), 4);
      unknown.writeUInt32BE(seq, 12);
      return unknown;
    }
  }
}

/** Body and TLV damage that keeps command_length true (the session goes on), and rarely a framing break. */
function mutatePdu(pdu: Buffer, dice: Dice): Buffer {
  let out = Buffer.from(pdu);
  switch (dice.int(6)) {
    case 0: // flip bytes after the header
      for (let i = 0; i < 1 + dice.int(6); i++) if (out.length > 16) out[16 + dice.int(out.length - 16)] = dice.int(256);
      break;
    case 1: // a TLV of any length, possibly longer than the PDU
      out = Buffer.concat([out, Buffer.from([dice.pick([0x04, 0x02, 0x14, 0xff]), dice.int(256), 0, dice.pick([0, 1, 2, 200])]), Buffer.alloc(dice.int(3))]);
      break;
    case 2: // cut the body short
      out = out.subarray(0, 16 + dice.int(Math.max(1, out.length - 16)));
      break;
    case 3: // a wrong command_status or command_id
      out.writeUInt32BE(dice.chance(0.5) ? dice.int(0x100) : (0x80000000 | dice.int(0x20)) >>> 0, dice.chance(0.5) ? 8 : 4);
      break;
    case 4: // C-octet strings without their NUL
      for (let i = 16; i < out.length; i++) if (out[i] === 0 && dice.chance(0.5)) out[i] = 0x41;
      break;
    default:
      return pdu;
  }
  if (dice.chance(0.0005)) {
    out.writeUInt32BE(dice.pick([0, 5, 15, 0x7fffffff]), 0); // framing lost: the session must end and come back
    return out;
  }
  out.writeUInt32BE(out.length, 0);
  return out;
}

class Sink implements ConnectorSink {
  receipts: ReceiptEvent[] = [];
  fragments: InboundFragment[] = [];
  async receipt(event: ReceiptEvent): Promise<void> {
    this.receipts.push(event);
  }
  async inbound(fragment: InboundFragment): Promise<void> {
    this.fragments.push(fragment);
  }
  connectorStateChanged(): void {}
}

describe(`SMPP connector against a fuzzing SMSC (seed ${SEED})`, () => {
  const sockets = new Set<Socket>();
  let server: ReturnType<typeof createServer> | null = null;
  let connector: SmppConnector | null = null;
  afterAll(async () => {
    await connector?.stop(100);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it(`survives ${COUNT} mutated PDUs and then takes a clean receipt`, { timeout: 300_000 }, async () => {
    const dice = new Dice(seededRandom(SEED));
    let sent = 0;
    let binds = 0;
    let hostile = true;
    let answered = 0;
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      let seq = 1;
      const pump = () => {
        // a burst per turn, paced by the connector's answers so the socket never buffers without bound
        while (hostile && sent < COUNT && !socket.destroyed && socket.writableLength < 64 * 1024) {
          socket.write(mutatePdu(validPdu(dice, seq++), dice));
          sent++;
          if (sent % 50 === 0) break;
        }
        if (hostile && sent < COUNT && !socket.destroyed) setImmediate(pump);
      };
      readPdus(socket, (_pdu, commandId, sequenceNumber) => {
        if (commandId === 0x00000009) {
          binds++;
          socket.write(encode('bind_transceiver_resp', { sequence_number: sequenceNumber, system_id: 'fuzz' }));
          if (hostile) pump();
          else
            socket.write(
              encode('deliver_sm', {
                sequence_number: 999_999,
                source_addr: '36302222222',
                destination_addr: '36301111111',
                esm_class: 0x04,
                short_message: Buffer.from('id:clean1 sub:001 dlvrd:001 submit date:2612020300 done date:2612020301 stat:DELIVRD err:000 text:x'),
              }),
            );
        } else if (commandId === 0x00000015) {
          socket.write(encode('enquire_link_resp', { sequence_number: sequenceNumber }));
        } else {
          answered++;
        }
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const sink = new Sink();
    connector = new SmppConnector(
      smppConnectorSchema.parse({
        id: 'fuzz',
        type: 'smpp',
        host: '127.0.0.1',
        port,
        systemId: 'tn',
        password: 'pw',
        reconnect: { initialMs: 20, maxMs: 100 },
      }),
      { sink, log: silentLogger() },
    );
    await connector.start();
    await waitUntil(() => sent >= COUNT, 240_000, `${COUNT} PDUs sent (seed ${SEED}); sent so far`).catch((err: Error) => {
      throw new Error(`${err.message}: ${sent}, binds ${binds}, answered ${answered}`);
    });
    expect(answered).toBeGreaterThan(COUNT / 4); // it answered them, it did not just drop the line

    // Then the SMSC behaves: whatever state the fuzz left, the next session takes a clean receipt.
    hostile = false;
    for (const s of sockets) s.destroy();
    await waitUntil(() => sink.receipts.some((r) => r.carrierId === 'clean1'), 20_000, 'the clean receipt after the fuzz');
    expect(binds).toBeGreaterThanOrEqual(2);
  });
});
