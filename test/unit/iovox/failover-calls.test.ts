/**
 * The failover call queue on a real store with a stand-in call service:
 * pending → calling → done; a busy callee is called again after the back-off
 * and given up as failed after maxAttempts; a row a crash left `calling` is
 * placed again on start; a link that is gone fails without a call; a callee
 * who hangs up mid-flow counts as reached, our own shutdown does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/sqlite/db.js';
import { SqliteExecutor } from '../../../src/store/sqlite/executor.js';
import { SmsFailoverRepo } from '../../../src/store/sms-failover-repo.js';
import { FailoverCalls, type FailoverCallsRuntime } from '../../../src/iovox/failover-calls.js';
import { parseCallFlow } from '../../../src/iovox/flow/parse-call-flow.js';
import type { FailoverLink } from '../../../src/iovox/failover-links.js';
import type { FlowContext } from '../../../src/iovox/flow/flow.js';
import type { DialOptions } from '../../../src/voice/calls.js';
import type { CallEndReason } from '../../../src/voice/sip/call-control.js';
import { AppError, ErrorCode } from '../../../src/shared/errors.js';
import { silentLogger } from '../../../src/shared/log.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const ctx: FlowContext = { findContact: () => undefined, partnerName: 'ACME', sendSmsRule: true, emailTemplates: new Set() };
const flow = await parseCallFlow(readFileSync(join(process.cwd(), 'test/fixtures/iovox/sms-read-out.xml'), 'utf8'), ctx);
const LINK: FailoverLink = { id: '123456', callFlowFile: 'x', callerId: '447923221231', trunk: 'out', bindings: {}, flow };
const CONFIG = { maxAttempts: 3, retryInitialMs: 100, retryMaxMs: 1000, ringTimeoutMs: 5000, maxConcurrent: 2 };

type Answer = 'busy' | 'complete' | { hangUp: CallEndReason };

/** A call service whose callee does what `script` says, one entry per dial. */
function fakeCalls(script: Answer[]) {
  const dials: DialOptions[] = [];
  const spoken: string[] = [];
  const calls: FailoverCallsRuntime['calls'] = {
    dial: async (options, handler) => {
      dials.push(options);
      const answer = script.shift() ?? 'busy';
      if (answer === 'busy')
        throw new AppError(ErrorCode.CALL_FAILED, `call to ${options.target} failed: 486 Busy Here`, { protocolStatus: 486, retryable: true });
      const controller = new AbortController();
      let end!: (reason: CallEndReason) => void;
      const ended = new Promise<CallEndReason>((resolve) => (end = resolve));
      const session = {
        signal: controller.signal,
        log: silentLogger(),
        answer: async () => undefined,
        speak: async (text: string) => {
          spoken.push(text);
          await new Promise((r) => setTimeout(r, 5)); // calls take time: overlapping ones would show
          if (typeof answer === 'object') {
            controller.abort();
            end(answer.hangUp);
            return 'stopped' as const;
          }
          return 'done' as const;
        },
        sip: { ended },
      };
      void handler!(session as never).finally(() => end('local-hangup'));
      return session as never;
    },
  };
  return { calls, dials, spoken };
}

let db: Db;
let queue: FailoverCalls | null = null;
afterEach(async () => {
  await queue?.stop();
  queue = null;
  db?.close();
});

function setup(script: Answer[], config = CONFIG, links: ReadonlyMap<string, FailoverLink> = new Map([[LINK.id, LINK]])) {
  db = openDatabase({ path: ':memory:' });
  const repo = new SmsFailoverRepo(new SqliteExecutor(db));
  const fake = fakeCalls(script);
  queue = new FailoverCalls(repo, config, silentLogger());
  const runtime: FailoverCallsRuntime = {
    calls: fake.calls,
    links,
    trunks: [{ id: 'out', uri: 'sip:127.0.0.1:5999', auth: { username: 'u', password: 'p' } }],
    flows: { sms: { accept: async () => ({ id: 'x' }) }, flows: ctx },
  };
  return { repo, runtime, ...fake };
}

async function failSms(id: string, linkId = LINK.id): Promise<void> {
  const now = Date.now();
  db.prepare(
    `INSERT INTO messages (id, "user", dialect, sender, recipient, text, status, parts_estimate, encoding, concat_ref, created_at, updated_at)
     VALUES (?, 'alice', 'iovox', '+447923221231', '+447723443321', 'Hello there', 'failed', 1, 'gsm7', 1, ?, ?)`,
  ).run(id, now, now);
  await queue!.record({ messageId: id, linkId, origin: '+447923221231', destination: '+447723443321', content: 'Hello there', smsStatus: 'failed', at: now });
  queue!.afterCommit();
}

describe('failover calls', () => {
  it('calls the destination through the trunk with the caller id, runs the flow, and ends done', async () => {
    const { repo, runtime, dials, spoken } = setup(['complete']);
    await queue!.start(runtime);
    await failSms('m1');
    await waitUntil(async () => (await repo.get('m1'))?.state === 'done', 3000, 'done');
    expect(dials).toEqual([{ target: 'sip:+447723443321@127.0.0.1:5999', callerId: '447923221231', timeoutMs: 5000, auth: { username: 'u', password: 'p' } }]);
    expect(spoken).toEqual(['You have received an SMS from', 'plus 4 4 7 9 2 3 2 2 1 2 3 1', 'Hello there']);
    expect(await repo.get('m1')).toMatchObject({ attempts: 1, lastError: null });
  });

  it('a busy callee is called again after the back-off, and the row says why in between', async () => {
    const { repo, runtime, dials } = setup(['busy', 'complete']);
    await queue!.start(runtime);
    const before = Date.now();
    await failSms('m1');
    await waitUntil(async () => (await repo.get('m1'))?.attempts === 1 && (await repo.get('m1'))?.state === 'pending', 3000, 'first attempt');
    const row = (await repo.get('m1'))!;
    expect(row.lastError).toMatch(/486 Busy Here/);
    expect(row.nextAttemptAt).toBeGreaterThanOrEqual(before + 100);
    await waitUntil(async () => (await repo.get('m1'))?.state === 'done', 3000, 'done');
    expect((await repo.get('m1'))!.attempts).toBe(2);
    expect(dials).toHaveLength(2);
  });

  it('gives up as failed after maxAttempts calls', async () => {
    const { repo, runtime, dials } = setup(['busy', 'busy', 'busy', 'complete']);
    await queue!.start(runtime);
    await failSms('m1');
    await waitUntil(async () => (await repo.get('m1'))?.state === 'failed', 5000, 'failed');
    expect(dials).toHaveLength(3);
    expect(await repo.get('m1')).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/486 Busy Here \(gave up after 3 attempts\)/) });
  });

  it('only records while not started (voice disabled), and places the call on start', async () => {
    const { repo, runtime, dials } = setup(['complete']);
    await failSms('m1');
    await new Promise((r) => setTimeout(r, 50));
    expect(await repo.get('m1')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(dials).toHaveLength(0);
    await queue!.start(runtime);
    await waitUntil(async () => (await repo.get('m1'))?.state === 'done', 3000, 'done');
  });

  it("places again a call a crash cut off (a row left 'calling')", async () => {
    const { repo, runtime, dials } = setup(['complete']);
    await failSms('m1');
    expect(await repo.claim('m1', Date.now())).toBe(true); // the old process took it, then died
    await queue!.start(runtime);
    await waitUntil(async () => (await repo.get('m1'))?.state === 'done', 3000, 'done');
    expect(dials).toHaveLength(1);
    expect((await repo.get('m1'))!.attempts).toBe(2);
  });

  it('fails a failover whose link is no longer configured, without calling', async () => {
    const { repo, runtime, dials } = setup(['complete']);
    await queue!.start(runtime);
    await failSms('m1', 'gone');
    await waitUntil(async () => (await repo.get('m1'))?.state === 'failed', 3000, 'failed');
    expect((await repo.get('m1'))!.lastError).toBe("failover link 'gone' is not configured (any more)");
    expect(dials).toHaveLength(0);
  });

  it('the callee hanging up mid-flow is done (they were reached); our own hang-up is not', async () => {
    const { repo, runtime } = setup([{ hangUp: 'remote-hangup' }, { hangUp: 'local-hangup' }, 'complete']);
    await queue!.start(runtime);
    await failSms('m1');
    await waitUntil(async () => (await repo.get('m1'))?.state === 'done', 3000, 'm1 done');
    expect(await repo.get('m1')).toMatchObject({ attempts: 1, lastError: 'the callee hung up during the flow' });
    await failSms('m2');
    await waitUntil(async () => (await repo.get('m2'))?.state === 'done', 3000, 'm2 done');
    expect(await repo.get('m2')).toMatchObject({ attempts: 2, lastError: null });
  });

  it('keeps at most maxConcurrent calls at once', async () => {
    const { repo, runtime } = setup(['complete', 'complete', 'complete'], { ...CONFIG, maxConcurrent: 1 });
    let current = 0;
    let most = 0;
    const dial = runtime.calls.dial;
    runtime.calls = {
      dial: async (o, h) => {
        most = Math.max(most, ++current);
        const session = await dial(o, h);
        void session.sip.ended.then(() => current--);
        return session;
      },
    };
    await queue!.start(runtime);
    for (const id of ['a', 'b', 'c']) await failSms(id);
    await waitUntil(async () => (await Promise.all(['a', 'b', 'c'].map((id) => repo.get(id)))).every((row) => row?.state === 'done'), 3000, 'all done');
    expect(most).toBe(1);
  });
});
