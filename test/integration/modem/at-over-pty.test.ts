/**
 * The AT channel through `serialport` on a real pty pair (socat): bytes
 * cross a kernel tty in chunks as they would from a USB modem. The far end
 * answers like a modem, including the CMGS prompt and an unsolicited +CMTI.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeSerialPort as closePort, openSerialPort as open } from '../../../src/sms/connectors/modem/serial.js';
import { AtChannel, type UnsolicitedCode } from '../../../src/sms/connectors/modem/at-channel.js';
import { openPtyPair, type PtyPair } from '../../helpers/pty-pair.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('AT channel over serialport on a pty pair', () => {
  it('runs commands, answers the CMGS prompt and sees an unsolicited +CMTI', async () => {
    const pair: PtyPair = await openPtyPair();
    cleanups.push(() => pair.close());
    const modem = await open(pair.modemPath);
    const app = await open(pair.appPath);
    cleanups.push(
      () => closePort(app),
      () => closePort(modem),
    );

    let input = '';
    modem.on('data', (chunk: Buffer) => {
      input += chunk.toString('latin1');
      for (;;) {
        if (input.includes('\x1a')) {
          const pdu = input.slice(0, input.indexOf('\x1a'));
          input = input.slice(input.indexOf('\x1a') + 1);
          // Reply in small pieces, as a slow UART would.
          const reply = `\r\n+CMGS: ${pdu.length % 256}\r\n\r\nOK\r\n`;
          for (let i = 0; i < reply.length; i += 3) setTimeout(() => modem.write(reply.slice(i, i + 3)), i);
          continue;
        }
        const end = input.indexOf('\r');
        if (end < 0) return;
        const command = input.slice(0, end);
        input = input.slice(end + 1);
        if (command === 'AT+CSQ') modem.write('\r\n+CSQ: 23,99\r\n\r\nOK\r\n');
        else if (command.startsWith('AT+CMGS=')) modem.write('\r\n> ');
        else if (command === 'AT+CPMS?') modem.write('\r\n+CMTI: "SM",4\r\n+CPMS: "SM",3,30,"SM",3,30,"SM",3,30\r\n\r\nOK\r\n');
        else modem.write('\r\nOK\r\n');
      }
    });

    const channel = new AtChannel(app, 2000);
    const urcs: UnsolicitedCode[] = [];
    channel.on('urc', (u: UnsolicitedCode) => urcs.push(u));
    await expect(channel.send('ATE0')).resolves.toMatchObject({ lines: [] });
    await expect(channel.send('AT+CSQ')).resolves.toMatchObject({ lines: ['+CSQ: 23,99'] });
    const sent = await channel.send('AT+CMGS=23', { body: '0011000B916407281553F80000AA0AE8329BFD4697D9EC37' });
    expect(sent.lines).toEqual([`+CMGS: ${48 % 256}`]);
    const storage = await channel.send('AT+CPMS?');
    expect(storage.lines).toEqual(['+CPMS: "SM",3,30,"SM",3,30,"SM",3,30']);
    expect(urcs).toEqual([{ line: '+CMTI: "SM",4' }]);
  });

  it('fails the pending command with a retryable error when the port goes away mid-command', async () => {
    const pair = await openPtyPair();
    const app = await open(pair.appPath);
    cleanups.push(() => closePort(app));
    const channel = new AtChannel(app, 5000);
    // Nobody answers; the expectation is attached before the port goes, so the rejection is never unhandled.
    const failed = expect(channel.send('AT+CREG?')).rejects.toMatchObject({ retryable: true });
    await pair.close(); // the "USB modem" disappears: socat exits, the pty hangs up
    app.close();
    await failed;
  });
});
