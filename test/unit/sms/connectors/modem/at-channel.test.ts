import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AtChannel, type UnsolicitedCode } from '../../../../../src/sms/connectors/modem/at-channel.js';

/** A serial port whose far end is a script: each written command gets the replies the test gives. */
class ScriptedPort extends Duplex {
  readonly written: string[] = [];
  onWrite: (text: string) => void = () => undefined;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const text = chunk.toString('latin1');
    this.written.push(text);
    done();
    setImmediate(() => this.onWrite(text));
  }
  override _read(): void {}
  say(text: string): void {
    this.push(Buffer.from(text, 'latin1'));
  }
}

function setup(timeoutMs = 500) {
  const port = new ScriptedPort();
  const channel = new AtChannel(port, timeoutMs);
  const urcs: UnsolicitedCode[] = [];
  channel.on('urc', (u: UnsolicitedCode) => urcs.push(u));
  return { port, channel, urcs };
}

describe('AT channel', () => {
  it('returns the information lines of a reply', async () => {
    const { port, channel } = setup();
    port.onWrite = () => port.say('\r\n+CSQ: 21,99\r\n\r\nOK\r\n');
    await expect(channel.send('AT+CSQ')).resolves.toEqual({ command: 'AT+CSQ', lines: ['+CSQ: 21,99'] });
  });

  it('keeps one command in flight: the second is written only after the first finished', async () => {
    const { port, channel } = setup();
    port.onWrite = (text) => setTimeout(() => port.say(`\r\n${text.trim()}-done\r\nOK\r\n`), 20);
    const [a, b] = await Promise.all([channel.send('AT+CGMI'), channel.send('AT+CGMM')]);
    expect(a.lines).toEqual(['AT+CGMI-done']);
    expect(b.lines).toEqual(['AT+CGMM-done']);
    expect(port.written).toEqual(['AT+CGMI\r', 'AT+CGMM\r']);
  });

  it('splits unsolicited codes out of a pending reply, including the two-line +CMT', async () => {
    const { port, channel, urcs } = setup();
    port.onWrite = () => {
      port.say('\r\n+CMGR: 0,,25\r\n');
      port.say('+CMTI: "SM",3\r\n');
      port.say('07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37\r\n');
      port.say('^RSSI: 17\r\n+CMT: ,25\r\n0791AABB\r\n\r\nOK\r\n');
    };
    const reply = await channel.send('AT+CMGR=3');
    expect(reply.lines).toEqual(['+CMGR: 0,,25', '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37']);
    expect(urcs).toEqual([{ line: '+CMTI: "SM",3' }, { line: '^RSSI: 17' }, { line: '+CMT: ,25', data: '0791AABB' }]);
  });

  it('answers the "> " prompt of AT+CMGS, which has no line end, with the PDU and Ctrl-Z', async () => {
    const { port, channel } = setup();
    port.onWrite = (text) => {
      if (text.startsWith('AT+CMGS')) port.say('\r\n> ');
      else port.say('\r\n+CMGS: 42\r\n\r\nOK\r\n');
    };
    const reply = await channel.send('AT+CMGS=23', { body: '0011000B916407281553F80000AA0AE8329BFD4697D9EC37' });
    expect(reply.lines).toEqual(['+CMGS: 42']);
    expect(port.written[1]).toBe('0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a');
  });

  it('answers a prompt that arrives in one chunk with an unsolicited report behind it, and passes the report on', async () => {
    // A busy event loop reads the prompt and a +CDS the modem sent right after it at once; the prompt was not
    // recognised with text behind it, so the PDU was never written and the send waited for its timeout.
    const { port, channel, urcs } = setup();
    port.onWrite = (text) => {
      if (text.startsWith('AT+CMGS')) port.say('\r\n> \r\n+CDS: 25\r\n07911326040000F006010B911326880736F4\r\n');
      else port.say('\r\n+CMGS: 43\r\n\r\nOK\r\n');
    };
    const reply = await channel.send('AT+CMGS=23', { body: '0011000B916407281553F80000AA0AE8329BFD4697D9EC37' });
    expect(reply.lines).toEqual(['+CMGS: 43']);
    expect(port.written[1]).toBe('0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a');
    expect(urcs).toEqual([{ line: '+CDS: 25', data: '07911326040000F006010B911326880736F4' }]);
  });

  it('turns +CMS ERROR into a typed error with the number kept and a retryable flag', async () => {
    const { port, channel } = setup();
    port.onWrite = (text) => port.say(text.includes('CMGS=1') ? '\r\n+CMS ERROR: 500\r\n' : '\r\n+CMS ERROR: 304\r\n');
    await expect(channel.send('AT+CMGS=1')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_CMS_ERROR', protocolStatus: 500, retryable: true });
    await expect(channel.send('AT+CMGS=2')).rejects.toMatchObject({ protocolStatus: 304, retryable: false });
  });

  it('turns +CME ERROR and a bare ERROR into typed errors', async () => {
    const { port, channel } = setup();
    port.onWrite = (text) => port.say(text.includes('CPIN') ? '\r\n+CME ERROR: 10\r\n' : '\r\nERROR\r\n');
    await expect(channel.send('AT+CPIN?')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_CME_ERROR', protocolStatus: 10, retryable: false });
    await expect(channel.send('AT+FOO')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_ERROR' });
  });

  it('times out a command the modem never answers, resynchronises with a bare AT, and the next command still works', async () => {
    const { port, channel } = setup(100);
    port.onWrite = (text) => {
      if (text.startsWith('AT+CSQ')) port.say('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
      if (text === '\x1bAT\r') port.say('\r\nOK\r\n');
    };
    await expect(channel.send('AT+CGSN')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_TIMEOUT', retryable: true });
    await expect(channel.send('AT+CSQ')).resolves.toMatchObject({ lines: ['+CSQ: 20,99'] });
    expect(port.written).toEqual(['AT+CGSN\r', '\x1bAT\r', 'AT+CSQ\r']);
  });

  it('does not take a late final result of a timed-out command as the answer to the next one', async () => {
    const { port, channel } = setup(100);
    const late: Array<{ command: string; line: string }> = [];
    channel.on('late-reply', (l: { command: string; line: string }) => late.push(l));
    port.onWrite = (text) => {
      // The modem is busy with the send for 150 ms; then its answer, then the resync AT's OK.
      if (text.startsWith('AT+CMGS')) port.say('\r\n> ');
      else if (text === '\x1bAT\r') setTimeout(() => port.say('\r\n+CMGS: 7\r\n\r\nOK\r\n\r\nOK\r\n'), 50);
      else if (text.startsWith('AT+CSQ')) port.say('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
    };
    await expect(channel.send('AT+CMGS=10', { body: '00' })).rejects.toMatchObject({ code: 'TN_ERR_MODEM_TIMEOUT', details: { bodyWritten: true } });
    // Asked at once: it must wait for the resync, and get its own answer, not "+CMGS: 7 / OK".
    await expect(channel.send('AT+CSQ')).resolves.toMatchObject({ lines: ['+CSQ: 20,99'] });
    expect(late).toEqual([{ command: 'AT+CMGS=10', line: '+CMGS: 7' }]);
  });

  it('leaves a prompt that comes after its AT+CMGS timed out with ESC, so later commands are not taken as message text', async () => {
    const { port, channel } = setup(100);
    let resyncs = 0;
    port.onWrite = (text) => {
      if (text === '\x1bAT\r' && ++resyncs === 1) port.say('\r\n> ');
      else if (text === '\x1bAT\r') port.say('\r\nOK\r\n');
      else if (text === 'AT\r') port.say('\r\nOK\r\n');
    };
    await expect(channel.send('AT+CMGS=10', { body: '00' })).rejects.toMatchObject({ code: 'TN_ERR_MODEM_TIMEOUT' });
    await expect(channel.send('AT')).resolves.toMatchObject({ lines: [] });
    expect(port.written.filter((w) => w.includes('00\x1a'))).toEqual([]);
    expect(resyncs).toBe(2);
  });

  it('closes the channel when the modem does not answer the resync either', async () => {
    const { channel } = setup(50);
    const unresponsive = new Promise((r) => channel.once('unresponsive', r));
    await expect(channel.send('AT+CGSN')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_TIMEOUT' });
    await expect(channel.send('AT')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_TIMEOUT' });
    await unresponsive;
    expect(channel.isClosed).toBe(true);
  });

  it("treats Huawei's COMMAND NOT SUPPORT and textual CMS errors as final results", async () => {
    const { port, channel } = setup();
    port.onWrite = (text) => port.say(text.includes('CMMS') ? '\r\nCOMMAND NOT SUPPORT\r\n' : '\r\n+CMS ERROR: unknown error\r\n');
    await expect(channel.send('AT+CMMS=2')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_ERROR', retryable: true });
    await expect(channel.send('AT+CMGS=5')).rejects.toMatchObject({ code: 'TN_ERR_MODEM_CMS_ERROR', retryable: true, details: { text: 'unknown error' } });
  });

  it("splits a profile's vendor URCs out of replies", async () => {
    const { port, channel, urcs } = setup();
    channel.setNoise(['^DSFLOWRPT']);
    port.onWrite = () => port.say('\r\n^DSFLOWRPT:0000,0,0\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
    await expect(channel.send('AT+CSQ')).resolves.toMatchObject({ lines: ['+CSQ: 20,99'] });
    expect(urcs).toEqual([{ line: '^DSFLOWRPT:0000,0,0' }]);
  });

  it('waits the profile pause after the prompt before writing the PDU', async () => {
    const { port, channel } = setup();
    channel.setPromptDelay(60);
    let promptAt = 0;
    let bodyAt = 0;
    port.onWrite = (text) => {
      if (text.startsWith('AT+CMGS')) {
        promptAt = Date.now();
        port.say('\r\n> ');
      } else {
        bodyAt = Date.now();
        port.say('\r\n+CMGS: 1\r\n\r\nOK\r\n');
      }
    };
    await channel.send('AT+CMGS=1', { body: '00' });
    expect(bodyAt - promptAt).toBeGreaterThanOrEqual(55);
  });

  it('ignores the echo of the command and blank lines', async () => {
    const { port, channel } = setup();
    port.onWrite = (text) => port.say(`${text}\r\n\r\nOK\r\n`);
    await expect(channel.send('AT')).resolves.toEqual({ command: 'AT', lines: [] });
  });

  it('fails pending and queued commands when the port closes', async () => {
    const { port, channel } = setup(5000);
    const first = channel.send('AT+CREG?');
    const second = channel.send('AT+CSQ');
    port.destroy();
    await expect(first).rejects.toMatchObject({ code: 'TN_ERR_MODEM_CLOSED', retryable: true });
    await expect(second).rejects.toMatchObject({ code: 'TN_ERR_MODEM_CLOSED' });
  });

  it('reports lines outside any command as unsolicited', async () => {
    const { port, urcs } = setup();
    port.say('\r\nRING\r\n+CDSI: "SR",1\r\n');
    await new Promise((r) => setImmediate(r));
    expect(urcs.map((u) => u.line)).toEqual(['RING', '+CDSI: "SR",1']);
  });
});
