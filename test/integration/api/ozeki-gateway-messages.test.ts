/**
 * Ozeki 10's SendMessage and ReceiveMessage (issue 19) over real HTTP against a running daemon that sends
 * through `telenode smsc-sim` over loopback SMPP and receives MO messages from it.
 */
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmscSimulator } from '../../../src/tools/smsc-sim.js';
import { silentLogger } from '../../../src/shared/log.js';
import { hashPassword } from '../../../src/shared/password-hash.js';
import { startDaemon } from '../../helpers/in-process-daemon.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const JANE = { username: 'jane', password: 'secret-jane', number: '+15550002222' };
const NOBODY = { username: 'nobody', password: 'secret-nobody' };

const smsc = new SmscSimulator({ port: 0, idFormat: 'hex', log: silentLogger() });
const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'message' || name === 'acceptreport' });
let env: Awaited<ReturnType<typeof startDaemon>>;

interface Reply {
  root: string;
  code: number;
  message: string;
  detail?: string;
  data: { message?: Array<Record<string, string>>; acceptreport?: Array<Record<string, string>> } | '';
  totalrecords?: string;
}

async function ozeki(user: { username: string; password: string }, fields: Record<string, string>): Promise<Reply> {
  const query = new URLSearchParams({ Username: user.username, Password: user.password, ...fields });
  const response = await fetch(`${env.base}/api?${query}`);
  expect(response.status).toBe(200);
  const doc = parser.parse(await response.text()) as Record<string, Record<string, unknown>>;
  const root = Object.keys(doc).find((k) => k !== '?xml')!;
  const body = doc[root]!;
  return {
    root,
    code: Number(body['Code']),
    message: String(body['Message']),
    detail: body['Detail'] as string | undefined,
    data: (body['data'] ?? '') as Reply['data'],
    totalrecords: body['totalrecords'] as string | undefined,
  };
}

const receive = (user: { username: string; password: string }, fields: Record<string, string> = {}) =>
  ozeki(user, { command: 'ReceiveMessage', action: 'receivemessage', Folder: 'inbox', ...fields });
const texts = (reply: Reply) => (reply.data === '' ? [] : (reply.data.message ?? []).map((m) => m['messagedata']));

beforeAll(async () => {
  const { port } = await smsc.start();
  env = await startDaemon({
    users: [
      { username: JANE.username, passwordHash: hashPassword(JANE.password), numbers: [JANE.number] },
      { username: NOBODY.username, passwordHash: hashPassword(NOBODY.password) },
    ],
    connectors: [{ id: 'smsc', type: 'smpp', host: '127.0.0.1', port, systemId: 'telenode', password: 'pw', reconnect: { initialMs: 100, maxMs: 500 } }],
  });
  await waitUntil(() => [...env.daemon.connectors.values()].every((c) => c.isUp()), 10_000, 'bind');
});

afterAll(async () => {
  await env.stop();
  await smsc.stop();
});

describe('SendMessage', () => {
  it('sends one text to each comma-separated recipient, answering an accept report per recipient after each is stored', async () => {
    const reply = await ozeki(JANE, {
      command: 'SendMessage',
      action: 'sendmessage',
      Originator: JANE.number,
      Recipient: '+36201234567,+36207654321',
      MessageType: 'SMS:TEXT',
      MessageData: 'Gateway style, á',
    });
    expect(reply.root).toBe('OzApi_CommandResult_SendMessage');
    expect(reply.code).toBe(200);
    expect(reply.message).toBe('Command successfully executed');
    const reports = reply.data === '' ? [] : reply.data.acceptreport!;
    expect(reports.map((r) => [r['statuscode'], r['statusmessage'], r['recipient'], r['messagetype']])).toEqual([
      ['0', 'Message accepted for delivery', '+36201234567', 'SMS:TEXT'],
      ['0', 'Message accepted for delivery', '+36207654321', 'SMS:TEXT'],
    ]);
    for (const report of reports) {
      const row = env.daemon.db.prepare('SELECT sender, recipient, text, dialect, user FROM messages WHERE id = ?').get(report['messageid']);
      expect(row).toEqual({ sender: JANE.number, recipient: report['recipient'], text: 'Gateway style, á', dialect: 'ozeki', user: 'jane' });
    }
    await waitUntil(() => smsc.received.filter((s) => s.text === 'Gateway style, á').length === 2, 10_000, 'both at the SMSC');
    expect(
      smsc.received
        .filter((s) => s.text === 'Gateway style, á')
        .map((s) => s.destination)
        .sort(),
    ).toEqual(['36201234567', '36207654321']);
  });

  it('refuses what it cannot send with Ozeki 302 and stores nothing', async () => {
    const before = (env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
    const binary = await ozeki(JANE, { command: 'SendMessage', Recipient: '+36201234567', MessageType: 'SMS:BINARY', MessageData: '0102' });
    expect([binary.code, binary.message]).toEqual([302, "Missing or invalid parameter 'MessageType' for command 'SendMessage'"]);
    const empty = await ozeki(JANE, { command: 'SendMessage', Recipient: '+36201234567' });
    expect([empty.code, empty.message]).toEqual([302, "Missing or invalid parameter 'MessageData' for command 'SendMessage'"]);
    const oneBad = await ozeki(JANE, { command: 'SendMessage', Recipient: '+36201234567,not a number', MessageData: 'x' });
    expect(oneBad.code).toBe(302);
    expect(oneBad.detail).toContain('not a number');
    const otherAction = await ozeki(JANE, { command: 'SendMessage', action: 'receivemessage', Recipient: '+36201234567', MessageData: 'x' });
    expect([otherAction.code, otherAction.message]).toEqual([302, "Missing or invalid parameter 'Action' for command 'SendMessage'"]);
    expect((env.daemon.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBe(before);
  });
});

describe('ReceiveMessage', () => {
  it('hands out the inbox oldest first, Limit at a time; AfterDownload=delete takes each out of the inbox, not out of the history', async () => {
    for (const text of ['first', 'second', 'third']) await smsc.sendMo({ from: '15557654321', to: '15550002222', text });
    const page1 = await receive(JANE, { Limit: '2', AfterDownload: 'delete' });
    expect(page1.root).toBe('OzApi_CommandResult_ReceiveMessage');
    expect(page1.code).toBe(200);
    expect(texts(page1)).toEqual(['first', 'second']);
    const first = page1.data === '' ? {} : page1.data.message![0]!;
    expect(first).toEqual({
      messageid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      originator: '15557654321',
      recipient: '15550002222',
      messagetype: 'SMS:TEXT',
      messagedata: 'first',
      senttime: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      receivedtime: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
    expect(texts(await receive(JANE, { Limit: '2', AfterDownload: 'delete' }))).toEqual(['third']);
    const drained = await receive(JANE, { AfterDownload: 'delete' });
    expect([drained.code, drained.data]).toEqual([200, '']);
    // Downloaded, not destroyed: the messages stay in the store (every dialect's history, the console).
    expect((env.daemon.db.prepare("SELECT COUNT(*) AS n FROM inbound_messages WHERE text IN ('first', 'second', 'third')").get() as { n: number }).n).toBe(3);
  });

  it('leaves messages in the inbox without AfterDownload, and a user without numbers has an empty inbox', async () => {
    await smsc.sendMo({ from: '15557654321', to: '+15550002222', text: 'keep me' });
    expect(texts(await receive(JANE))).toEqual(['keep me']);
    expect(texts(await receive(JANE, { AfterDownload: 'leave' }))).toEqual(['keep me']);
    expect(texts(await receive(JANE, { AfterDownload: 'markdownloaded' }))).toEqual(['keep me']);
    expect(texts(await receive(JANE))).toEqual([]);
    const none = await receive(NOBODY);
    expect([none.code, none.data]).toEqual([200, '']);
  });

  it('refuses an unknown AfterDownload or folder, a sent folder asked to delete, or a bad Limit with 302, and downloads nothing', async () => {
    await smsc.sendMo({ from: '15557654321', to: '15550002222', text: 'still there' });
    const cases: Array<[Record<string, string>, string]> = [
      [{ AfterDownload: 'shred' }, 'AfterDownload'],
      [{ Folder: 'drafts' }, 'Folder'],
      [{ Folder: 'sent', AfterDownload: 'delete' }, 'AfterDownload'],
      [{ Folder: 'sent', Offset: '-1' }, 'Offset'],
      [{ Folder: 'sent', Offset: 'x' }, 'Offset'],
      [{ Limit: '0' }, 'Limit'],
      [{ Limit: 'ten' }, 'Limit'],
    ];
    for (const [fields, name] of cases) {
      const reply = await receive(JANE, fields);
      expect([reply.code, reply.message]).toEqual([302, `Missing or invalid parameter '${name}' for command 'ReceiveMessage'`]);
    }
    const wrongPassword = await receive({ ...JANE, password: 'guess' });
    expect(wrongPassword.code).toBe(305);
    expect(texts(await receive(JANE, { AfterDownload: 'delete' }))).toEqual(['still there']);
  });
});

describe('ReceiveMessage from the sent folders', () => {
  it("lists what the user sent as Ozeki's sent folder, oldest first, a page at a time with Offset, with the total", async () => {
    for (const text of ['history one', 'history two', 'history three']) {
      const sent = await ozeki(JANE, { command: 'SendSms', Recipient: '+15559990001', Message: text, Sender: JANE.number });
      expect(sent.code).toBe(200);
    }
    for (const text of ['history one', 'history two', 'history three']) {
      await waitUntil(() => smsc.received.some((m) => m.text === text), 10_000, `'${text}' at the SMSC`);
    }
    const sent = (fields: Record<string, string>) => receive(JANE, { Folder: 'sent', ...fields });
    await waitUntil(async () => Number((await sent({})).totalrecords) >= 3, 10_000, 'all three in the sent folder');
    const all = await sent({ Limit: '1000' });
    const mine = (all.data === '' ? [] : all.data.message!).filter((m) => m['messagedata']!.startsWith('history '));
    expect(mine.map((m) => m['messagedata'])).toEqual(['history one', 'history two', 'history three']);
    expect(mine[0]).toMatchObject({ originator: JANE.number, recipient: '+15559990001', messagetype: 'SMS:TEXT' });
    expect(['sent', 'delivered']).toContain(mine[0]!['status']);
    expect(mine[0]!['senttime']).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const total = Number(all.totalrecords);
    const page = await sent({ Limit: '1', Offset: String(total - 2) });
    expect([page.totalrecords, texts(page)]).toEqual([String(total), ['history two']]);
    // Listing takes nothing away, and other users see none of it.
    expect(Number((await sent({})).totalrecords)).toBe(total);
    expect((await receive(NOBODY, { Folder: 'sent' })).totalrecords).toBe('0');
    expect(texts(await receive(JANE, { Folder: 'notsent' })).filter((t) => t!.startsWith('history '))).toEqual([]);
  });
});
