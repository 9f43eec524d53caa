/**
 * Seed 002 end to end through the daemon: a sipp caller reaches a route whose
 * app answers seed 002's script; the caller hears both prompts, the SMS goes
 * through the outbox over SMPP to `telenode smsc-sim`, its receipt comes back
 * as SMSDeliveryReport to the DeliveryReportURL receiver, the call ends and
 * shows in ListCallHistory. Then Ozeki's call commands: Call (CallConnected
 * reply runs), ListActiveCalls, Hangup.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { TextToSpeech } from '../../../src/voice/media/tts.js';
import { HttpReceiver } from '../../helpers/http-receiver.js';
import { TEST_USER, startDaemon } from '../../helpers/in-process-daemon.js';
import { OzmlApp } from '../../helpers/ozml-app.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, udpPortBound, sippAvailable, SIPP_PCAPS, SIPP_SCENARIOS } from '../../helpers/sipp.js';
import { decodeWav } from '../../../src/voice/media/wav.js';
import { ESPEAK_COMMAND } from '../../helpers/voice-harness.js';
import { decodeTelephoneEvent } from '../../../src/voice/media/dtmf.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const FIRST = 'An SMS will be sent to +062554670.';
const SECOND = 'The SMS has been sent.';
const xml = new XMLParser({ parseTagValue: false, isArray: (name) => ['Call', 'ExtensionSummary', 'ExtensionType'].includes(name) });

describe.skipIf(!sippAvailable())('seed 002 and the Ozeki call commands through the daemon', () => {
  const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 30, log: silentLogger() });
  const undeliverable = new SmscSimulator({ port: 0, idFormat: 'hex', receiptDelayMs: 30, failureRate: 1, log: silentLogger() });
  const app = new OzmlApp();
  const reports = new HttpReceiver();
  const callEvents = new HttpReceiver();
  let d: Awaited<ReturnType<typeof startDaemon>>;
  let sipPort = 0;

  beforeAll(async () => {
    const sim = await smsc.start();
    const failing = await undeliverable.start();
    await app.start();
    await reports.start();
    await callEvents.start();
    d = await startDaemon({
      connectors: [
        { id: 'smsc', type: 'smpp', host: '127.0.0.1', port: sim.port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } },
        {
          id: 'undeliverable',
          type: 'smpp',
          host: '127.0.0.1',
          port: failing.port,
          systemId: 'telenode',
          password: 'pw',
          reconnect: { initialMs: 100, maxMs: 500 },
        },
      ],
      routes: [{ recipient: { prefix: '+3699' }, connectors: ['undeliverable'] }, { connectors: ['smsc'] }],
      voice: {
        builtin: { port: 0 },
        routes: [{ match: '*', url: app.url('/incoming') }],
        notifications: { callChangedUrl: callEvents.url('/changed') },
      },
    });
    sipPort = Number(d.daemon.voice!.engine.status().listen[0]!.split(':').at(-1));
    await waitUntil(() => [...d.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'the SMPP bind');
  });
  afterAll(async () => {
    await d?.stop();
    await Promise.all([smsc.stop(), undeliverable.stop(), app.stop(), reports.stop(), callEvents.stop()]);
  });

  async function api(fields: Record<string, string>): Promise<Record<string, unknown> & { root: string; Code: string; Message: string }> {
    const response = await fetch(`${d.base}/api?${new URLSearchParams({ Username: TEST_USER.username, Password: TEST_USER.password, ...fields })}`);
    const doc = xml.parse(await response.text()) as Record<string, Record<string, unknown>>;
    const root = Object.keys(doc).find((k) => k !== '?xml')!;
    return { root, ...(doc[root] as { Code: string; Message: string }) };
  }
  /** The CallId of the call from `source` once ListActiveCalls shows it InCall. */
  async function liveCallFrom(source: string): Promise<string> {
    let callId = '';
    await waitUntil(
      async () => {
        const active = await api({ command: 'ListActiveCalls' });
        const calls = (active['ActiveCalls'] as { Call?: Array<Record<string, string>> } | '') || { Call: [] };
        callId = calls.Call?.find((c) => c['Source'] === source && c['CallState'] === 'InCall')?.['CallId'] ?? '';
        return callId !== '';
      },
      15_000,
      `the call from ${source} in ListActiveCalls`,
    );
    return callId;
  }

  it("runs seed 002's script: both prompts heard, the SMS reaches the SMSC, its receipt reaches DeliveryReportURL, the call ends", async () => {
    // Seed 002's script as the app serves it, with a DeliveryReportURL added to its SendSms.
    app.on(
      '/incoming',
      `<?xml version="1.0"?> <Response> <Speak>${FIRST}</Speak> <SendSms Recipient="+062554670" DeliveryReportURL="${reports.url('/dlr')}">Hello! How are you?</SendSms> <Speak>${SECOND}</Speak> <Hangup></Hangup> </Response>`,
    );
    const receiver = await RtpReceiver.start();
    try {
      const run = runSipp({
        scenario: 'uac-listen.xml',
        target: `127.0.0.1:${sipPort}`,
        localPort: await freeUdpPort(),
        keys: { rtp_port: receiver.port, caller: '+3630111', codec: 0 },
        workDir: d.dir,
      });
      const result = await run.done;
      expect(result.code, result.errors || result.stdout).toBe(0); // our BYE ended it
      const tts = new TextToSpeech({
        command: ESPEAK_COMMAND,
        defaultVoice: 'en-us',
        voices: {},
        cacheDir: `${d.dir}/tts-check`,
        cacheMaxBytes: 100_000_000,
        maxProcesses: 2,
        timeoutMs: 10_000,
      });
      const expectedMs = (await tts.synthesize(FIRST)).durationMs + (await tts.synthesize(SECOND)).durationMs;
      const audio = receiver.audio();
      expect(audio.length / 8).toBeGreaterThanOrEqual(expectedMs - 80);
      // Silence between the prompts and before our BYE stretches on a busy machine (a CI run measured +2.1 s).
      expect(audio.length / 8).toBeLessThan(expectedMs + 4000);
      expect(rms(audio)).toBeGreaterThan(500);
      // Speech in both halves: the second prompt was played too.
      expect(rms(audio.subarray(audio.length - 8000))).toBeGreaterThan(300);
    } finally {
      receiver.close();
    }
    const incoming = app.notifications('IncomingCall')[0]!;
    expect(incoming).toMatchObject({ Caller: '+3630111', Direction: 'inbound' });
    await waitUntil(() => smsc.received.some((m) => m.text === 'Hello! How are you?'), 10_000, 'the SMS at the SMSC');
    expect(smsc.received.find((m) => m.text === 'Hello! How are you?')!.destination).toBe('062554670');
    await reports.waitFor((r) => r.some((q) => q.form.get('NotificationName') === 'SMSDeliveryReport'));
    const report = reports.requests.find((q) => q.form.get('NotificationName') === 'SMSDeliveryReport')!.form;
    expect(report.get('Status')).toBe('delivered');
    expect(report.get('Recipient')).toBe('+062554670');
    // The call is over and in the history, reported by CallChanged through the durable callback outbox.
    await callEvents.waitFor((r) => r.some((q) => q.form.get('CallState') === 'Completed' && q.form.get('CallId') === incoming['CallId']));
    await waitUntil(async () => Number((await api({ command: 'ListCallHistory', CallId: incoming['CallId']! })).TotalRecords) === 1, 3000, 'the history row');
    const history = await api({ command: 'ListCallHistory', Direction: 'Inbound' });
    expect(history.root).toBe('OzApi_CommandResult_ListCallHistory');
    const call = (history.CallHistory as { Call: Record<string, string>[] }).Call.find((c) => c['CallId'] === incoming['CallId'])!;
    expect(call).toMatchObject({ Direction: 'Inbound', Source: '+3630111', State: 'CalleeHungUp', Type: 'Audio' });
    expect(Number(call['TalkDuration'])).toBeGreaterThan(2);
  });

  it('SendSms WaitForReport waits for the delivery report during the call and runs OnDelivered or OnFailed (telenode’s extension)', async () => {
    // The branch the script took shows as a second SMS whose text carries $SmsStatus.
    const script = (to: string) =>
      `<Response><Speak>One moment.</Speak><SendSms Recipient="${to}" WaitForReport="20" Message="Your receipt: 12.50 EUR">` +
      `<OnDelivered><SendSms Recipient="+36309990001">branch delivered $SmsStatus for ${to}</SendSms></OnDelivered>` +
      `<OnFailed><SendSms Recipient="+36309990001">branch failed $SmsStatus for ${to}</SendSms></OnFailed>` +
      `</SendSms><Hangup/></Response>`;
    for (const [to, expected] of [
      ['+36301112222', 'branch delivered delivered for +36301112222'],
      ['+36991112222', 'branch failed failed for +36991112222'],
    ] as const) {
      app.on('/incoming', script(to));
      const receiver = await RtpReceiver.start();
      try {
        const result = await runSipp({
          scenario: 'uac-listen.xml',
          target: `127.0.0.1:${sipPort}`,
          localPort: await freeUdpPort(),
          keys: { rtp_port: receiver.port, caller: '+3630111', codec: 0 },
          workDir: d.dir,
        }).done;
        expect(result.code, result.errors || result.stdout).toBe(0); // the script hung up after its branch
      } finally {
        receiver.close();
      }
      await waitUntil(() => smsc.received.some((m) => m.text === expected), 10_000, expected);
    }
    expect(smsc.received.some((m) => m.text.startsWith('branch failed') && m.text.endsWith('+36301112222'))).toBe(false);
  });

  it('Speak and SendDTMF on a live call through the API while its script waits for digits; 601 for an unknown call, 302 without Text', async () => {
    app.on('/incoming', '<Response><Speak>Hello.</Speak><UserInput Timeout="60"><Inputs><Input Key="9"><Hangup/></Input></Inputs></UserInput></Response>');
    const receiver = await RtpReceiver.start();
    const sipp = runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { rtp_port: receiver.port, caller: '+3630222', codec: 0 },
      workDir: d.dir,
    });
    try {
      const callId = await liveCallFrom('+3630222');
      const text = 'This is an announcement from the operator.';
      const duration = (
        await new TextToSpeech({
          command: ESPEAK_COMMAND,
          defaultVoice: 'en-us',
          voices: {},
          cacheDir: `${d.dir}/tts-live`,
          cacheMaxBytes: 100_000_000,
          maxProcesses: 2,
          timeoutMs: 10_000,
        }).synthesize(text)
      ).durationMs;
      // The script's own greeting first; what comes after it is the command's.
      await waitUntil(() => receiver.audio().length > 0 && rms(receiver.audio().subarray(-1600)) < 50, 15_000, 'the greeting over');
      const before = receiver.audio().length;
      const spoken = await api({ command: 'Speak', CallId: callId, Text: text });
      expect(spoken.Code, spoken.Message).toBe('200');
      await waitUntil(() => receiver.audio().length - before >= (duration * 8) / 2, 15_000, 'the announcement');
      expect(rms(receiver.audio().subarray(before))).toBeGreaterThan(500);
      const dtmf = await api({ command: 'SendDTMF', CallId: callId, Keys: '42#' });
      expect(dtmf.Code, dtmf.Message).toBe('200');
      await waitUntil(
        () => new Set(receiver.packets.filter((p) => p.payloadType === 101).map((p) => decodeTelephoneEvent(p.payload)!.event)).size >= 3,
        10_000,
        'RFC 4733 digits',
      );
      expect([...new Set(receiver.packets.filter((p) => p.payloadType === 101).map((p) => decodeTelephoneEvent(p.payload)!.event))]).toEqual([4, 2, 11]);
      expect((await api({ command: 'Speak', CallId: 'no-such-call', Text: 'x' })).Code).toBe('601');
      const missing = await api({ command: 'Speak', CallId: callId });
      expect([missing.Code, missing.Message]).toEqual(['302', "Missing or invalid parameter 'Text' for command 'Speak'"]);
      expect((await api({ command: 'SendDTMF', CallId: callId, Keys: 'xyz' })).Code).toBe('302');
      // A file outside voice.prompts.baseDir is the client's bad parameter, not a file read (docs/security.md).
      const outside = await api({ command: 'Play', CallId: callId, AudioFile: '../../../../etc/passwd' });
      expect([outside.Code, outside.Message]).toEqual(['302', "Missing or invalid parameter 'AudioFile' for command 'Play'"]);
      expect((await api({ command: 'Hangup', CallId: callId })).Code).toBe('200');
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
    } finally {
      sipp.kill();
      receiver.close();
    }
  });

  it('Hold and Unhold through the API: re-INVITEs the caller sees (a=sendonly, a=sendrecv), ListActiveCalls and CallChanged say Hold, then InCall', async () => {
    app.on('/incoming', '<Response><UserInput Timeout="60"><Inputs><Input Key="9"><Hangup/></Input></Inputs></UserInput></Response>');
    const sipp = runSipp({
      scenario: 'uac-held.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630444', codec: 0, rtp_port: await freeUdpPort() },
      workDir: d.dir,
    });
    try {
      const callId = await liveCallFrom('+3630444');
      const state = async () => {
        const calls = ((await api({ command: 'ListActiveCalls' }))['ActiveCalls'] as { Call?: Array<Record<string, string>> } | '') || { Call: [] };
        return calls.Call?.find((c) => c['CallId'] === callId)?.['CallState'];
      };
      const held = await api({ command: 'Hold', CallId: callId });
      expect([held.root, held.Code]).toEqual(['OzApi_CommandResult_Hold', '200']);
      expect(await state()).toBe('Hold');
      const resumed = await api({ command: 'Unhold', CallId: callId });
      expect([resumed.root, resumed.Code]).toEqual(['OzApi_CommandResult_Unhold', '200']);
      expect(await state()).toBe('InCall');
      expect((await api({ command: 'Hold', CallId: 'no-such-call' })).Code).toBe('601');
      expect((await api({ command: 'Hangup', CallId: callId })).Code).toBe('200');
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      await callEvents.waitFor((r) => r.some((q) => q.form.get('CallId') === callId && q.form.get('CallState') === 'Completed'), 10_000);
      const states = callEvents.requests.filter((q) => q.form.get('CallId') === callId).map((q) => q.form.get('CallState'));
      expect(states.slice(states.indexOf('Hold'))).toEqual(['Hold', 'InCall', 'Completed']);
    } finally {
      sipp.kill();
    }
  });

  it("AttendedTransfer: the transferred caller is REFERred to the other call's far end with Replaces naming that dialog (RFC 5589 §7)", async () => {
    app.on('/incoming', '<Response><UserInput Timeout="60"><Inputs><Input Key="9"><Hangup/></Input></Inputs></UserInput></Response>');
    const target = runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630666', codec: 0, rtp_port: await freeUdpPort() },
      workDir: d.dir,
    });
    const logFile = `${d.dir}/refer-replaces.log`;
    const transferred = runSipp({
      scenario: 'uac-refer-replaces.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630777', codec: 0, rtp_port: await freeUdpPort() },
      workDir: d.dir,
      extraArgs: ['-trace_logs', '-log_file', logFile],
    });
    try {
      const targetId = await liveCallFrom('+3630666');
      const transferredId = await liveCallFrom('+3630777');
      const dialog = d.daemon.voice!.calls.activeCalls.find((s) => s.info.id === targetId)!.sip.dialogIds!;
      expect((await api({ command: 'AttendedTransfer', TransferredCallId: transferredId, TargetCallId: 'no-such-call' })).Code).toBe('601');
      expect((await api({ command: 'AttendedTransfer', TransferredCallId: transferredId })).Code).toBe('302');
      expect((await api({ command: 'AttendedTransfer', TargetCallId: targetId })).Code).toBe('302');
      const done = await api({ command: 'AttendedTransfer', TransferredCallId: transferredId, TargetCallId: targetId });
      expect([done.root, done.Code]).toEqual(['OzApi_CommandResult_AttendedTransfer', '200']);
      const result = await transferred.done; // 202 to the REFER, then telenode's BYE on this leg
      expect(result.code, result.errors || result.stdout).toBe(0);
      const referTo = /Refer-To: (\S+)/.exec(readFileSync(logFile, 'utf8'))![1]!;
      const replaces = decodeURIComponent(referTo.split('?Replaces=')[1]!);
      expect(referTo.startsWith(dialog.remoteTarget)).toBe(true); // the target's own Contact
      expect(replaces).toBe(`${dialog.callId};to-tag=${dialog.remoteTag};from-tag=${dialog.localTag}`);
      // The target would now get the transferee's INVITE with Replaces and BYE telenode; here the test does it.
      expect((await api({ command: 'Hangup', CallId: targetId })).Code).toBe('200');
      expect((await target.done).code).toBe(0);
    } finally {
      target.kill();
      transferred.kill();
    }
  });

  it("the AttendedTransfer verb: a call's script joins its caller to another live call (REFER with Replaces)", async () => {
    app.on('/incoming', '<Response><UserInput Timeout="60"><Inputs><Input Key="9"><Hangup/></Input></Inputs></UserInput></Response>');
    const target = runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630661', codec: 0, rtp_port: await freeUdpPort() },
      workDir: d.dir,
    });
    try {
      const targetId = await liveCallFrom('+3630661');
      const dialog = d.daemon.voice!.calls.activeCalls.find((s) => s.info.id === targetId)!.sip.dialogIds!;
      app.on('/incoming', `<Response><AttendedTransfer TargetCallId="${targetId}"/><Speak>not reached</Speak></Response>`);
      const logFile = `${d.dir}/refer-replaces-verb.log`;
      const transferred = await runSipp({
        scenario: 'uac-refer-replaces.xml',
        target: `127.0.0.1:${sipPort}`,
        localPort: await freeUdpPort(),
        keys: { caller: '+3630662', codec: 0, rtp_port: await freeUdpPort() },
        workDir: d.dir,
        extraArgs: ['-trace_logs', '-log_file', logFile],
      }).done;
      expect(transferred.code, transferred.errors || transferred.stdout).toBe(0);
      expect(readFileSync(logFile, 'utf8')).toContain(encodeURIComponent(`${dialog.callId};to-tag=${dialog.remoteTag};from-tag=${dialog.localTag}`));
      expect((await api({ command: 'Hangup', CallId: targetId })).Code).toBe('200');
      expect((await target.done).code).toBe(0);
    } finally {
      target.kill();
    }
  });

  it('the Hold and Unhold verbs: a script holds the caller while it speaks, takes them back and hangs up', async () => {
    app.on('/incoming', '<Response><Hold CallId="ignored"/><Speak>Please hold the line.</Speak><Unhold/><Hangup/></Response>');
    const result = await runSipp({
      scenario: 'uac-held.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630555', codec: 0, rtp_port: await freeUdpPort() },
      workDir: d.dir,
    }).done;
    expect(result.code, result.errors || result.stdout).toBe(0);
  });

  it('Record on a live call through the API: the caller until FinishDigits, RecordCompleted to FinishedURL, 303 while already recording', async () => {
    app.on('/incoming', '<Response><UserInput Timeout="30"><Inputs><Input Key="#"><Delay>1</Delay><Hangup/></Input></Inputs></UserInput></Response>');
    // The caller speaks (7 s of G.711 A-law) after a pause long enough for the command, then presses #.
    const scenario = join(d.dir, 'record-keys.xml');
    const keys = [
      `  <pause milliseconds="3000"/>\n  <nop><action><exec play_pcap_audio="${SIPP_PCAPS}/g711a.pcap"/></action></nop>`,
      `  <pause milliseconds="2500"/>\n  <nop><action><exec play_pcap_audio="${SIPP_PCAPS}/dtmf_2833_pound.pcap"/></action></nop>`,
    ].join('\n');
    writeFileSync(scenario, readFileSync(join(SIPP_SCENARIOS, 'uac-keys.xml'), 'utf8').replace('<!--KEYS-->', keys));
    const sipp = runSipp({
      scenario,
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630333', codec: 8, rtp_port: await freeUdpPort() },
      workDir: d.dir,
    });
    try {
      const callId = await liveCallFrom('+3630333');
      const started = await api({ command: 'Record', CallId: callId, FinishDigits: '#', Duration: '30', FinishedURL: callEvents.url('/recorded') });
      expect(started.Code, started.Message).toBe('200');
      const again = await api({ command: 'Record', CallId: callId });
      expect([again.Code, again.Message]).toEqual(['303', "Command 'Record' cannot be used here"]);
      expect((await api({ command: 'Record', CallId: callId, Format: 'ogg' })).Code).toBe('302');
      expect((await api({ command: 'Record', CallId: callId, Inactivity: 'soon' })).Code).toBe('302');
      expect((await api({ command: 'Record', CallId: 'no-such-call' })).Code).toBe('601');
      await callEvents.waitFor((r) => r.some((q) => q.url === '/recorded'));
      const done = Object.fromEntries(callEvents.requests.find((q) => q.url === '/recorded')!.form);
      expect(done).toMatchObject({
        NotificationName: 'RecordCompleted',
        CallId: callId,
        Caller: '+3630333',
        FinishDigit: '#',
        FinishReason: 'finish-digit',
        Format: 'wav',
      });
      expect(Number(done['Duration'])).toBeGreaterThan(2);
      expect(done['RecordURL']).toMatch(/^recordings\/[0-9a-f-]+-\d+\.wav$/);
      const recording = decodeWav(readFileSync(join(d.dir, done['RecordURL']!)));
      expect(rms(recording.pcm)).toBeGreaterThan(300);
      // Its promise (kept on disk in case the node died before telling) went once the notification was stored.
      await waitUntil(() => !readdirSync(join(d.dir, 'recordings')).some((name) => name.endsWith('.notify')), 5000, 'the promise dropped');
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
    } finally {
      sipp.kill();
    }
  });

  it('WaitForMsg: the script waits for the SMS the caller sends during the call (an MO from the SMSC) and branches on its text', async () => {
    app.on(
      '/incoming',
      '<Response><WaitForMsg Timeout="30"><OnReceived><SendSms Recipient="+3630999">got $MsgText</SendSms><Hangup/></OnReceived>' +
        '<OnTimeout><SendSms Recipient="+3630999">no SMS</SendSms><Hangup/></OnTimeout></WaitForMsg></Response>',
    );
    const receiver = await RtpReceiver.start();
    const sipp = runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { rtp_port: receiver.port, caller: '+3630444', codec: 0 },
      workDir: d.dir,
    });
    try {
      await liveCallFrom('+3630444');
      await smsc.sendMo({ from: '3630444', to: '3612345', text: 'code 4711' });
      await waitUntil(() => smsc.received.some((m) => m.text === 'got code 4711'), 15_000, 'the branch on the SMS');
      expect(smsc.received.some((m) => m.text === 'no SMS')).toBe(false);
      const result = await sipp.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
    } finally {
      sipp.kill();
      receiver.close();
    }
  });

  it('ListExtensions shows the API extension, the script route and the SMS connectors with their state; Type filters; ListExtensionTypes names them', async () => {
    const all = await api({ command: 'ListExtensions' });
    expect(all.root).toBe('OzApi_CommandResult_ListExtensions');
    const rows = (all['Extensions'] as { ExtensionSummary: Array<Record<string, string>> }).ExtensionSummary;
    expect(rows.map((r) => [r['Type'], r['Id'], r['State']])).toEqual([
      ['API extension', 'telenode', 'Connected'],
      ['IVR extension', 'route-1', 'Connected'],
      ['SMS', 'smsc', 'Connected'],
      ['SMS', 'undeliverable', 'Connected'],
    ]);
    const sms = await api({ command: 'ListExtensions', Type: 'sms' });
    expect((sms['Extensions'] as { ExtensionSummary: Array<Record<string, string>> }).ExtensionSummary.map((r) => r['Id'])).toEqual(['smsc', 'undeliverable']);
    const none = await api({ command: 'ListExtensions', Type: 'Echo test' });
    expect(none['Extensions']).toBe('');
    const types = await api({ command: 'ListExtensionTypes' });
    expect((types['ExtensionTypes'] as { ExtensionType: Array<Record<string, string>> }).ExtensionType.map((t) => t['Name'])).toEqual([
      'API extension',
      'IVR extension',
      'SIP account',
      'SMS',
    ]);
  });

  it('a script places a call with the Call verb: the callee answers, the CallConnected reply runs on the new call', async () => {
    const phoneReceiver = await RtpReceiver.start();
    const phonePort = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas-answer.xml', localPort: phonePort, keys: { rtp_port: phoneReceiver.port }, workDir: d.dir });
    app.on(
      '/incoming',
      `<Response><Speak>Connecting you.</Speak><Call Url="${app.url('/script-connected')}" CallerId="3001">sip:1002@127.0.0.1:${phonePort}</Call><Hangup/></Response>`,
    );
    app.on('/script-connected', '<Response><Speak>This call was placed by a script.</Speak><Hangup/></Response>');
    const callerReceiver = await RtpReceiver.start();
    try {
      const caller = await runSipp({
        scenario: 'uac-listen.xml',
        target: `127.0.0.1:${sipPort}`,
        localPort: await freeUdpPort(),
        keys: { rtp_port: callerReceiver.port, caller: '+3630333', codec: 0 },
        workDir: d.dir,
      }).done;
      expect(caller.code, caller.errors || caller.stdout).toBe(0); // the first script hung up after placing the call
      const answered = await phone.done; // the new call's own script spoke and hung up
      expect(answered.code, answered.errors || answered.stdout).toBe(0);
      const connected = app.notifications('CallConnected').find((n) => n['Callee'] === '1002')!;
      expect(connected).toMatchObject({ Caller: '3001', Direction: 'outbound' });
      expect(rms(phoneReceiver.audio())).toBeGreaterThan(500);
    } finally {
      phone.kill();
      phoneReceiver.close();
      callerReceiver.close();
    }
  });

  it('places a Call through the API, runs its CallConnected reply, lists it active and hangs it up', async () => {
    app.on('/connected', `<Response><Speak>Hello from the app.</Speak><Delay>20</Delay><SendSms Recipient="+36201111111">too late</SendSms></Response>`);
    const receiver = await RtpReceiver.start();
    const phonePort = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas-answer.xml', localPort: phonePort, keys: { rtp_port: receiver.port }, workDir: d.dir });
    try {
      await udpPortBound(phonePort);
      const placed = await api({ command: 'Call', Dialed: `sip:1001@127.0.0.1:${phonePort}`, CallerId: '3000', Url: app.url('/connected') });
      expect(placed.root).toBe('OzApi_CommandResult_Call');
      expect(placed.Code).toBe('200');
      const callId = String(placed.CallId);
      await waitUntil(() => app.notifications('CallConnected').some((n) => n['CallId'] === callId), 3000, 'CallConnected');
      expect(app.notifications('CallConnected').find((n) => n['CallId'] === callId)).toMatchObject({ Caller: '3000', Callee: '1001' });
      const active = await api({ command: 'ListActiveCalls' });
      const listed = (active.ActiveCalls as { Call: Record<string, string>[] }).Call.find((c) => c['CallId'] === callId)!;
      expect(listed).toMatchObject({ CallState: 'InCall', Destination: '1001' });
      await waitUntil(() => rms(receiver.audio()) > 500, 5000, 'the spoken reply');
      expect(await api({ command: 'Hangup', CallId: callId })).toMatchObject({ Code: '200' });
      const result = await phone.done; // the phone got our BYE
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(await api({ command: 'Hangup', CallId: callId })).toMatchObject({ Code: '601' });
      expect(smsc.received.some((m) => m.text === 'too late')).toBe(false); // the hang-up cancelled the Delay
      await waitUntil(
        async () => Number((await api({ command: 'ListCallHistory', Direction: 'Outbound', CallId: callId })).TotalRecords) === 1,
        3000,
        'the outbound history row',
      );
    } finally {
      phone.kill();
      receiver.close();
    }
  });

  it('CallSetup calls the Caller and, once answered, transfers them to the Callee (REFER); CallChanged says Transferred', async () => {
    const phonePort = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas-refer.xml', localPort: phonePort, keys: { rtp_port: await freeUdpPort() }, workDir: d.dir });
    try {
      await udpPortBound(phonePort);
      const setup = await api({ command: 'CallSetup', Caller: `sip:1001@127.0.0.1:${phonePort}`, Callee: 'sip:2002@127.0.0.1' });
      expect([setup.root, setup.Code]).toEqual(['OzApi_CommandResult_CallSetup', '200']);
      const callId = String(setup.CallId);
      const result = await phone.done; // REFER with Refer-To sip:2002@…, 202, then telenode's BYE
      expect(result.code, result.errors || result.stdout).toBe(0);
      await callEvents.waitFor((r) => r.some((q) => q.form.get('CallId') === callId && q.form.get('CallState') === 'Transferred'), 10_000);
      expect(callEvents.requests.find((q) => q.form.get('CallId') === callId && q.form.get('CallState') === 'Transferred')!.form.get('Target')).toBe(
        'sip:2002@127.0.0.1',
      );
    } finally {
      phone.kill();
    }
    const missing = await api({ command: 'CallSetup', Caller: 'sip:1001@127.0.0.1' });
    expect([missing.Code, missing.Message]).toEqual(['302', "Missing or invalid parameter 'Callee' for command 'CallSetup'"]);
    const unreachable = await api({ command: 'CallSetup', Caller: `sip:1001@127.0.0.1:${await freeUdpPort()};transport=tcp`, Callee: 'sip:2002@127.0.0.1' });
    expect(unreachable.Code).toBe('402');
  });

  it("the CallSetup verb: a call's script connects two other numbers and goes on", async () => {
    const phonePort = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas-refer.xml', localPort: phonePort, keys: { rtp_port: await freeUdpPort() }, workDir: d.dir });
    try {
      await udpPortBound(phonePort);
      app.on(
        '/incoming',
        `<Response><Speak>Connecting.</Speak><CallSetup Caller="sip:1001@127.0.0.1:${phonePort}" Callee="sip:2002@127.0.0.1"/><Hangup/></Response>`,
      );
      const caller = await runSipp({
        scenario: 'uac-listen.xml',
        target: `127.0.0.1:${sipPort}`,
        localPort: await freeUdpPort(),
        keys: { caller: '+3630888', codec: 0, rtp_port: await freeUdpPort() },
        workDir: d.dir,
      }).done;
      expect(caller.code, caller.errors || caller.stdout).toBe(0); // the script went on and hung up
      const result = await phone.done; // the CallSetup's caller got the REFER to sip:2002@… and telenode's BYE
      expect(result.code, result.errors || result.stdout).toBe(0);
    } finally {
      phone.kill();
    }
  });

  it('Request places a call for an API extension; the answered call runs RequestOzML; 302 for a bad RequestOzML or no DialedAddress', async () => {
    const receiver = await RtpReceiver.start();
    const phonePort = await freeUdpPort();
    const phone = runSipp({ scenario: 'uas-answer.xml', localPort: phonePort, keys: { rtp_port: receiver.port }, workDir: d.dir });
    try {
      await udpPortBound(phonePort);
      const placed = await api({
        command: 'Request',
        DialedAddress: `1001@127.0.0.1:${phonePort}`,
        CallerPhoneNumber: '3000',
        RequestOzML: '<Response><Speak>Your request is connected.</Speak><Hangup/></Response>',
      });
      expect([placed.root, placed.Code]).toEqual(['OzApi_CommandResult_Request', '200']);
      const result = await phone.done; // it heard the prompt, then telenode's BYE
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(rms(receiver.audio())).toBeGreaterThan(500);
    } finally {
      phone.kill();
      receiver.close();
    }
    const bad = await api({ command: 'Request', DialedAddress: '1001@127.0.0.1', RequestOzML: '<Response><Speak>' });
    expect([bad.Code, bad.Message]).toEqual(['302', "Missing or invalid parameter 'RequestOzML' for command 'Request'"]);
    expect((await api({ command: 'Request' })).Code).toBe('302');
  });

  it('the Request verb runs OnSetup as the call is placed and OnError when it cannot be connected, then goes on', async () => {
    const closed = await freeUdpPort();
    app.on(
      '/incoming',
      `<Response><Speak>Calling.</Speak><Request DialedAddress="1001@127.0.0.1:${closed};transport=tcp" RingTime="5">` +
        '<OnSetup><SendSms Recipient="+36201234001">request setup</SendSms></OnSetup>' +
        '<OnError><SendSms Recipient="+36201234001">request failed</SendSms></OnError></Request>' +
        '<SendSms Recipient="+36201234001">after the request</SendSms><Hangup/></Response>',
    );
    const caller = await runSipp({
      scenario: 'uac-listen.xml',
      target: `127.0.0.1:${sipPort}`,
      localPort: await freeUdpPort(),
      keys: { caller: '+3630999', codec: 0, rtp_port: await freeUdpPort() },
      workDir: d.dir,
    }).done;
    expect(caller.code, caller.errors || caller.stdout).toBe(0);
    await waitUntil(() => smsc.received.some((m) => m.text === 'after the request'), 10_000, 'the SMS after the Request');
    expect(smsc.received.filter((m) => m.destination.endsWith('36201234001')).map((m) => m.text)).toEqual([
      'request setup',
      'request failed',
      'after the request',
    ]);
  });

  it('answers 402 when the callee cannot be reached, and 302 without Dialed', async () => {
    const port = await freeUdpPort();
    const failed = await api({ command: 'Call', Dialed: `sip:1001@127.0.0.1:${port};transport=tcp`, RingTime: '3' });
    expect(failed.Code).toBe('402');
    // Ozeki's template and nothing after it; the SIP status, when there is one, in <Detail>.
    expect(failed.Message).toMatch(/^Call connect to 'sip:1001@127\.0\.0\.1:\d+;transport=tcp' failed with result state 'Error'$/);
    expect((await api({ command: 'Call' })).Code).toBe('302');
    const noTrunk = await api({ command: 'Call', Dialed: '1001' }); // no trunk configured: a number cannot be dialled
    expect(noTrunk.Message).toBe("Missing or invalid parameter 'Dialed' for command 'Call'");
    expect(noTrunk.Detail).toMatch(/trunk/);
  });
});
