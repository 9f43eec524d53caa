/**
 * The e-mail outbox against a real SMTP server on loopback: sent once
 * accepted, retried on a temporary refusal (4xx) or while the server is
 * down, given up at once on a permanent one (5xx).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/sqlite/db.js';
import { GroupCommitter } from '../../../src/store/sqlite/group-commit.js';
import { EmailDispatcher } from '../../../src/email/email-dispatcher.js';
import { EmailRepo } from '../../../src/store/email-repo.js';
import { SqliteExecutor } from '../../../src/store/sqlite/executor.js';
import { emailConfigSchema } from '../../../src/email/config.js';
import { silentLogger } from '../../../src/shared/log.js';
import { SmtpReceiver } from '../../helpers/smtp-receiver.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { failingWrites?: () => boolean; retryMs?: number } = {}) {
  const smtp = await new SmtpReceiver().start();
  const db = openDatabase({ path: ':memory:' });
  const config = emailConfigSchema.parse({
    smtp: { host: '127.0.0.1', port: smtp.port, timeoutMs: 1000 },
    retry: { initialMs: options.retryMs ?? 50, maxMs: Math.max(100, options.retryMs ?? 0), maxAgeHours: 1 },
  });
  const emails = new EmailRepo(new SqliteExecutor(db));
  // A store whose outcome writes fail while `failingWrites` says so (a full disk: reads still answer).
  const store = new Proxy(emails, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const write = name === 'sent' || name === 'failed' || name === 'dead';
      return (...args: unknown[]) => {
        if (write && options.failingWrites?.()) return Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const dispatcher = new EmailDispatcher({ store, committer: new GroupCommitter(db), config, log: silentLogger() });
  cleanups.push(
    () => smtp.stop(),
    () => {
      db.close();
    },
    () => dispatcher.stop(),
  );
  const row = (id: number) =>
    db.prepare('SELECT state, attempts, last_error FROM emails WHERE id = ?').get(id) as { state: string; attempts: number; last_error: string | null };
  const enqueue = () => emails.insert({ kind: 'Test', to: ['a@example.test'], from: 'telenode@localhost', subject: 'Hi', text: 'Body' }, Date.now());
  return { smtp, dispatcher, row, enqueue };
}

describe('e-mail dispatcher', () => {
  it('sends a stored mail and marks it sent', async () => {
    const { smtp, dispatcher, row, enqueue } = await setup();
    const id = await enqueue();
    await dispatcher.start();
    await smtp.waitFor((m) => m.length === 1);
    expect(smtp.mails[0]).toMatchObject({ from: 'telenode@localhost', to: ['a@example.test'] });
    expect(smtp.mails[0]!.raw).toMatch(/^Subject: Hi/m);
    await waitUntil(() => row(id).state === 'sent', 5000, 'sent');
    expect(row(id).attempts).toBe(1);
  });

  it('retries after a temporary refusal (451) until the server takes it', async () => {
    const { smtp, dispatcher, row, enqueue } = await setup();
    smtp.failWith = 451;
    const id = await enqueue();
    await dispatcher.start();
    await waitUntil(() => row(id).attempts >= 2, 5000, 'two refused attempts');
    expect(row(id).state).toBe('pending');
    expect(smtp.mails).toHaveLength(0);
    smtp.failWith = null;
    await waitUntil(() => row(id).state === 'sent', 5000, 'sent');
    expect(smtp.mails).toHaveLength(1);
  });

  it('a mail whose outcome cannot be written is sent again only after the retry delay, not in a loop', async () => {
    let failing = true;
    const { smtp, dispatcher, row, enqueue } = await setup({ failingWrites: () => failing, retryMs: 500 });
    const id = await enqueue();
    await dispatcher.start();
    await smtp.waitFor((m) => m.length >= 3);
    failing = false;
    await waitUntil(() => row(id).state === 'sent', 5000, 'sent once the store takes writes again');
    // Never sooner than the retry delay (500 ms) after the one before: a busy machine only makes the gaps longer.
    const gaps = smtp.mails.slice(1).map((m, i) => m.at - smtp.mails[i]!.at);

    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(450);
  });

  it('gives up at once on a permanent refusal (550) and keeps the mail as dead', async () => {
    const { smtp, dispatcher, row, enqueue } = await setup();
    smtp.failWith = 550;
    const id = await enqueue();
    await dispatcher.start();
    await waitUntil(() => row(id).state === 'dead', 5000, 'dead');
    expect(row(id).attempts).toBe(1);
    expect(row(id).last_error).toMatch(/550/);
  });
});
