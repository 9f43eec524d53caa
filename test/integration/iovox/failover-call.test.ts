/**
 * IOVOX call flows on real calls: the daemon with SMPP carriers (SMSC
 * simulators on loopback) and its built-in SIP engine, sipp as the phone
 * that is called (or that calls), and RTP decoded on loopback.
 *
 * - seed 001's third payload, verbatim, fails at the SMSC: telenode calls the
 *   destination through the link's trunk with the link's caller id and reads
 *   the SMS out with seed 001's "SMS READ OUT" flow, verbatim;
 * - a failover flow with a sendSms rule bound per link: its SMS reaches the SMSC;
 * - a busy callee is called again later, and the row says so in between;
 * - an inbound call to a number in iovox.callFlows runs its flow (seed 000's
 *   sendSms rule) through the daemon's own SIP listener; other numbers run OzML.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { rms } from '../../../src/voice/media/audio-clip.js';
import { TextToSpeech } from '../../../src/voice/media/tts.js';
import { SmsFailoverRepo } from '../../../src/store/sms-failover-repo.js';
import { addressBookOn, sqliteStore } from '../../support/sqlite-store.js';
import { startDaemon, TEST_USER } from '../../helpers/in-process-daemon.js';
import { iovoxPayload, iovoxRequest } from '../../helpers/iovox-client.js';
import { RtpReceiver } from '../../helpers/rtp-receiver.js';
import { freeUdpPort, runSipp, udpPortBound, sippAvailable } from '../../helpers/sipp.js';
import { ESPEAK_COMMAND } from '../../helpers/voice-harness.js';
import { tempDir, waitUntil } from '../../helpers/temp-dir.js';

const SMS_READ_OUT = join(process.cwd(), 'test/fixtures/iovox/sms-read-out.xml');

// 4477234… and 4470… fail on the handset (so they fail over); everything else is delivered.
const delivering = new SmscSimulator({ port: 0, receiptDelayMs: 30, log: silentLogger() });
const failing = new SmscSimulator({ port: 0, receiptDelayMs: 30, failureRate: 1, log: silentLogger() });
const files = tempDir('telenode-iovox-flows-');
let env: Awaited<ReturnType<typeof startDaemon>>;
let failovers: SmsFailoverRepo;
/** One trunk (a sipp phone's port) per link, so a test's phone only ever sees its own calls. */
const trunkPorts: Record<string, number> = {};

function smpp(id: string, port: number) {
  return { id, type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } };
}

describe.skipIf(!sippAvailable())('IOVOX flows on calls', () => {
  beforeAll(async () => {
    const ports = await Promise.all([delivering.start(), failing.start()]);
    for (const trunk of ['readout', 'notify', 'busy']) trunkPorts[trunk] = await freeUdpPort();
    const notifyFlow = join(files.path, 'notify.xml');
    writeFileSync(
      notifyFlow,
      `<callFlow name="READ OUT AND NOTIFY">
    <play id="read" label="READ"><textToSpeech textToSpeak="$content" voice="tts_uk_eng_female" /></play>
    <sendSms id="notify" label="NOTIFY" from="$_partnerName" destinationPhoneNumber="?" destinationContactName="?" message="?" />
</callFlow>`,
    );
    // An inbound number's flow (seed 000's sendSms rules), with the second rule's `?` values bound in config.
    const confirmFlow = join(files.path, 'confirm.xml');
    writeFileSync(
      confirmFlow,
      `<callFlow name="CONFIRM">
  <play id="thanks" label="THANKS"><textToSpeech textToSpeak="Thank you for calling. We will text Bob." voice="tts_uk_eng_male" /></play>
  <sendSms label="sendSms_1" from="$_partnerName" id="sendConfirmationSms" destinationPhoneNumber="447400000000" destinationContactName="Bob" message="This is a message from IOVOX!!" />
  <sendSms label="sendSms_1" from="$_partnerName" id="sendVariableSms" destinationPhoneNumber="?" destinationContactName="?" message="Call from $caller to $called" />
</callFlow>`,
    );
    // The address book exists before the daemon starts, as on a real node: flows naming contacts are checked at start-up.
    const store = join(files.path, 'telenode.db');
    const setupStore = sqliteStore(store);
    const contacts = addressBookOn(setupStore);
    await contacts.add({ id: '1', displayName: 'Bob', phoneNumbers: ['447400000000'] });
    await contacts.add({ id: '2', displayName: 'Carol', phoneNumbers: ['447700900123'] });
    setupStore.close();
    env = await startDaemon({
      store: { path: store, synchronous: 'NORMAL' },
      connectors: [smpp('delivering', ports[0].port), smpp('failing', ports[1].port)],
      routes: [
        { recipient: { prefix: '4477234' }, connectors: ['failing'] },
        { recipient: { prefix: '4470' }, connectors: ['failing'] },
        { connectors: ['delivering'] },
      ],
      voice: { builtin: { port: 0 }, trunks: Object.entries(trunkPorts).map(([id, port]) => ({ id, uri: `sip:127.0.0.1:${port}` })) },
      iovox: {
        partnerName: 'ACME',
        failoverLinks: [
          { id: '123456', callFlowFile: SMS_READ_OUT, callerId: '447923221231', trunk: 'readout' },
          {
            id: '777',
            callFlowFile: notifyFlow,
            callerId: '447923221231',
            trunk: 'notify',
            bindings: {
              notify: { destinationPhoneNumber: '447400000000', destinationContactName: 'Bob', message: 'We called about an SMS from $sms_origin: $content' },
            },
          },
          { id: '888', callFlowFile: SMS_READ_OUT, callerId: '447923221231', trunk: 'busy' },
        ],
        failoverCalls: { retryInitialMs: 1500, ringTimeoutMs: 5000 },
        callFlows: [
          // Its flow is uploaded over the API by the test below, after the daemon has started.
          { match: '441632960000', callFlow: 'UPLOADED', user: TEST_USER.username },
          {
            match: '/^44207946/',
            callFlowFile: confirmFlow,
            user: TEST_USER.username,
            bindings: { sendVariableSms: { destinationPhoneNumber: '447700900123', destinationContactName: 'Carol' } },
          },
        ],
      },
    });
    failovers = new SmsFailoverRepo(env.daemon.sql);
    await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'binds');
  });

  afterAll(async () => {
    await env?.stop();
    await Promise.all([delivering.stop(), failing.stop()]);
    files.remove();
  });

  /** The phone on a trunk's port: sipp as UAS, its RTP to `receiver`, every SIP message traced to a file. */
  function phone(trunk: string, scenario: string, receiver?: RtpReceiver) {
    const messages = join(files.path, `${trunk}-${Date.now()}-messages.log`);
    const run = runSipp({
      scenario,
      localPort: trunkPorts[trunk]!,
      keys: { rtp_port: receiver?.port ?? 9 },
      workDir: files.path,
      timeoutSeconds: 30,
      extraArgs: ['-trace_msg', '-message_file', messages],
    });
    return { ...run, ready: udpPortBound(trunkPorts[trunk]!), messages: () => readFileSync(messages, 'utf8') };
  }

  async function sendIovox(payload: string): Promise<string> {
    const reply = await iovoxRequest(env.base, payload);
    expect(reply.httpStatus, reply.xml).toBe(201);
    return reply.activityId!;
  }

  it("seed 001's failover example: the SMS fails at the SMSC, telenode calls the destination and reads it out with the SMS READ OUT flow", async () => {
    const receiver = await RtpReceiver.start();
    const callee = phone('readout', 'uas-answer.xml', receiver);
    try {
      await callee.ready;
      const id = await sendIovox(`<?xml version="1.0" encoding="utf-8"?>
<request>
    <origin>447923221231</origin>
    <destination>447723443321</destination>
    <message>Hello there, my name is John</message>
    <expiry>3</expiry>
    <c2c_failover_link_id>123456</c2c_failover_link_id>
</request>`);
      const result = await callee.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(env.daemon.db.prepare('SELECT status FROM messages WHERE id = ?').get(id)).toEqual({ status: 'failed' });
      await waitUntil(async () => (await failovers.get(id))?.state === 'done', 5000, 'failover done');
      expect(await failovers.get(id)).toMatchObject({ linkId: '123456', attempts: 1, lastError: null });

      // Through the link's trunk to the SMS's destination, as the link's caller id.
      const invite = callee
        .messages()
        .split(/\n(?=-{10,})/)
        .find((m) => /^INVITE /m.test(m))!;
      expect(invite).toMatch(/^INVITE sip:\+447723443321@127\.0\.0\.1:\d+ SIP\/2\.0/m);
      expect(invite).toMatch(/^From: .*<sip:447923221231@/m);

      // The three prompts, $sms_origin digit by digit and $content, as speech (G.711 the phone asked for).
      const tts = new TextToSpeech({
        command: ESPEAK_COMMAND,
        defaultVoice: 'en-gb',
        voices: {},
        cacheDir: join(files.path, 'tts'),
        cacheMaxBytes: 100_000_000,
        maxProcesses: 2,
        timeoutMs: 10_000,
      });
      const clips = await Promise.all(
        ['You have received an SMS from', 'plus 4 4 7 9 2 3 2 2 1 2 3 1', 'Hello there, my name is John'].map((t) => tts.synthesize(t)),
      );
      const expectedMs = clips.reduce((ms, c) => ms + c.durationMs, 0);
      const heardMs = receiver.audio().length / 8;
      expect(heardMs).toBeGreaterThanOrEqual(expectedMs - 100);
      expect(heardMs).toBeLessThan(expectedMs + 2500);
      expect(rms(receiver.audio())).toBeGreaterThan(500);
      expect(receiver.packets.filter((p) => p.payloadType !== 101).every((p) => p.payloadType === 8)).toBe(true);
    } finally {
      callee.kill();
      receiver.close();
    }
  });

  it("a failover flow's sendSms rule, bound on the link with $sms_origin and $content, sends its SMS to the SMSC", async () => {
    const receiver = await RtpReceiver.start();
    const callee = phone('notify', 'uas-answer.xml', receiver);
    try {
      await callee.ready;
      const before = delivering.received.length;
      const id = await sendIovox(iovoxPayload({ origin: 'Dentist', destination: '447012345678', message: 'Appointment at 10', c2c_failover_link_id: '777' }));
      const result = await callee.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      await waitUntil(async () => (await failovers.get(id))?.state === 'done', 5000, 'failover done');
      await waitUntil(() => delivering.received.length > before, 5000, 'the SMS at the SMSC');
      expect(delivering.received.slice(before).map((s) => ({ source: s.source, destination: s.destination, text: s.text }))).toEqual([
        { source: 'ACME', destination: '447400000000', text: 'We called about an SMS from Dentist: Appointment at 10' },
      ]);
      expect(rms(receiver.audio())).toBeGreaterThan(500);
      const sms = env.daemon.db
        .prepare("SELECT user, dialect, json_extract(meta, '$.iovoxRule') AS rule FROM messages WHERE recipient = '+447400000000'")
        .get();
      expect(sms).toEqual({ user: 'HTTP_User_1', dialect: 'iovox', rule: 'notify' });
    } finally {
      callee.kill();
      receiver.close();
    }
  });

  it('a busy callee is not lost: the row waits with the reason, and the call is placed again later', async () => {
    const busy = phone('busy', 'uas-busy.xml');
    let id: string;
    try {
      await busy.ready;
      id = await sendIovox(iovoxPayload({ origin: '447923221231', destination: '447011111111', message: 'Try again', c2c_failover_link_id: '888' }));
      const result = await busy.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      await waitUntil(
        async () => (await failovers.get(id))?.attempts === 1 && (await failovers.get(id))?.state === 'pending',
        5000,
        'first attempt written back',
      );
      expect((await failovers.get(id))!.lastError).toMatch(/486 Busy Here/);
      expect((await failovers.get(id))!.nextAttemptAt).toBeGreaterThan(Date.now());
    } finally {
      busy.kill();
    }
    const receiver = await RtpReceiver.start();
    const callee = phone('busy', 'uas-answer.xml', receiver);
    try {
      const result = await callee.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      await waitUntil(async () => (await failovers.get(id))?.state === 'done', 5000, 'failover done');
      expect(await failovers.get(id)).toMatchObject({ attempts: 2, lastError: null });
      expect(rms(receiver.audio())).toBeGreaterThan(500);
    } finally {
      callee.kill();
      receiver.close();
    }
  });

  it("an inbound call to a number in iovox.callFlows runs its flow: seed 000's sendSms rules, fixed and bound in config, $caller and $called", async () => {
    const before = delivering.received.length;
    await callTheDaemon('442079460000'); // answered, spoken to, and hung up by telenode at the end of the flow
    await waitUntil(() => delivering.received.length >= before + 2, 5000, 'both SMS at the SMSC');
    const sent = delivering.received.slice(before).map((s) => ({ source: s.source, destination: s.destination, text: s.text }));
    expect(sent.sort((a, b) => a.destination.localeCompare(b.destination))).toEqual([
      { source: 'ACME', destination: '447400000000', text: 'This is a message from IOVOX!!' },
      { source: 'ACME', destination: '447700900123', text: 'Call from 447555000111 to 442079460000' },
    ]);
  });

  it('a call flow uploaded over the API (createCallFlow) runs on the next call to its number, and an update on the one after', async () => {
    const flow = (message: string) => `<request><callFlow name="UPLOADED">
      <play id="hello" label="HELLO"><textToSpeech textToSpeak="Uploaded over the API." voice="tts_uk_eng_male" /></play>
      <sendSms id="tell_bob" label="TELL BOB" from="$_partnerName" destinationPhoneNumber="447400000000" destinationContactName="Bob" message="${message}" />
    </callFlow></request>`;
    const upload = await iovoxRequest(env.base, flow('Uploaded v1'), { path: '/CallFlow', query: 'v=3&method=createCallFlow' });
    expect([upload.httpStatus, upload.error]).toEqual([201, undefined]);
    const texts = async (number: string) => {
      const before = delivering.received.length;
      await callTheDaemon(number);
      await waitUntil(() => delivering.received.length > before, 5000, 'the SMS at the SMSC');
      return delivering.received.slice(before).map((s) => s.text);
    };
    expect(await texts('441632960000')).toEqual(['Uploaded v1']);
    const update = await iovoxRequest(env.base, flow('Uploaded v2'), { path: '/CallFlow', query: 'v=3&method=updateCallFlow', method: 'PUT' });
    expect([update.httpStatus, update.error]).toEqual([200, undefined]);
    expect(await texts('441632960000')).toEqual(['Uploaded v2']);
  });

  it('a call to a number no IOVOX flow matches runs the OzML routes instead (here the greeting) and sends nothing', async () => {
    const before = delivering.received.length + failing.received.length;
    await callTheDaemon('1000');
    await new Promise((r) => setTimeout(r, 300));
    expect(delivering.received.length + failing.received.length).toBe(before);
  });

  /** sipp calls `number` on the daemon's own SIP listener; the call must be answered, carry speech, and be hung up by telenode. */
  async function callTheDaemon(number: string): Promise<void> {
    const sipTarget = env.daemon.voice!.engine.status().listen[0]!.split(':').slice(1).join(':');
    const receiver = await RtpReceiver.start();
    try {
      const caller = runSipp({
        scenario: 'uac-listen.xml',
        target: sipTarget,
        localPort: await freeUdpPort(),
        keys: { caller: '447555000111', codec: 0, rtp_port: receiver.port },
        extraArgs: ['-s', number],
        workDir: files.path,
      });
      const result = await caller.done;
      expect(result.code, result.errors || result.stdout).toBe(0);
      expect(rms(receiver.audio())).toBeGreaterThan(500);
    } finally {
      receiver.close();
    }
  }
});
