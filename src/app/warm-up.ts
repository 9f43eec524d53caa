/**
 * Before the API opens, `telenode start` passes a few hundred messages through a throwaway copy of the node, so
 * that the code a message runs is compiled and optimised before the first user's request (decision 0117).
 *
 * A freshly started process runs its JavaScript cold: interpreted first, optimised only after many calls. At a
 * steady 500 msg/s the first ~0.75 s of a fresh daemon cost about three times the CPU a message of a warm one, the
 * main thread ran at 97 % and its queue gave every message of those first seconds a 100–250 ms callback, which was
 * the whole request → callback p99 (bench/RESULTS.md, "Issue 18, session 21"). The same daemon after 500 messages
 * had a p99 of 28–33 ms. A restart on a warm store, machine and SMSC was as slow as a fresh one: what was cold is
 * the process.
 *
 * The copy is the node itself (`Daemon.start`), so it runs the same functions with the same object shapes, with
 * nothing of the user's: its own SQLite store in a temporary folder (deleted) — or, for a node on PostgreSQL, its own
 * schema in the node's database (dropped), so the PostgreSQL store's code is warm too — an in-process SMSC simulator
 * and a callback receiver on ephemeral loopback ports, a user with a random password, its own metrics registry and no
 * log. It never touches the user's store, carriers or API port, and a warm-up that fails or takes too long only
 * costs the warmth: the node then starts cold, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { parseConfig } from '../config/load.js';
import { hashPassword } from '../shared/password-hash.js';
import { silentLogger, type Logger } from '../shared/log.js';
import type { ScratchSchema } from '../store/postgres/scratch-schema.js';
import { SmscSimulator } from '../tools/smsc-sim.js';
import { Daemon } from './daemon.js';

/** Requests in flight at once: enough to fill the copy's commit batches as real traffic does. */
const CONCURRENCY = 16;
/** scrypt for the copy's random 128-bit password: 128 KiB and well under a millisecond (see hashPassword). */
const RANDOM_PASSWORD_COST = { N: 1024, r: 1, p: 1 };
/** The whole warm-up, however slow the machine: past this the node starts without it. */
const DEADLINE_MS = 10_000;

/** Run the warm-up `config.warmUp.messages` ask for; never throws. */
export async function warmUp(config: Readonly<Config>, log: Logger): Promise<void> {
  const messages = config.warmUp.messages;
  if (messages === 0) return;
  const started = Date.now();
  const smsc = new SmscSimulator({ host: '127.0.0.1', port: 0, receiptDelayMs: 0 });
  const receiver = callbackReceiver();
  let dir: string | null = null;
  let copy: Daemon | null = null;
  let schema: ScratchSchema | null = null;
  try {
    dir = mkdtempSync(join(tmpdir(), 'telenode-warm-up-'));
    await smsc.start();
    const reportUrl = await receiver.listen();
    const password = randomBytes(16).toString('hex');
    schema = config.store.type === 'postgres' ? await scratchSchema(config, log) : null;
    copy = await Daemon.start({
      config: copyConfig(config, dir, smsc.port, password, schema?.url ?? null),
      configSource: '<warm-up>',
      log: silentLogger(),
      processMetrics: false,
    });
    await withDeadline(send(copy.address.port, password, reportUrl, messages, receiver), DEADLINE_MS - (Date.now() - started));
    log.debug({ messages, ms: Date.now() - started, store: schema ? 'postgres' : 'sqlite' }, 'warmed up');
  } catch (err) {
    log.warn({ err }, 'warm-up did not finish; starting without it');
  } finally {
    await copy?.stop().catch(() => undefined);
    await schema
      ?.drop()
      .catch((err: unknown) => log.warn({ err, schema: schema?.name }, 'could not drop the warm-up’s schema; the next warm-up drops it after an hour'));
    await smsc.stop().catch(() => undefined);
    receiver.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A node on PostgreSQL warms up on PostgreSQL, in a schema of its own in the same database, so that the PostgreSQL
 * store's code (executor, committer, the cluster's claims and hand-overs) is warm too; a role that may not create a
 * schema warms up on SQLite as a single node does.
 */
async function scratchSchema(config: Readonly<Config>, log: Logger): Promise<ScratchSchema | null> {
  try {
    // Loaded here: a node on SQLite never loads the PostgreSQL client (decision 0132).
    const { createScratchSchema } = await import('../store/postgres/scratch-schema.js');
    return await createScratchSchema(config.store.url!, Math.min(5000, config.store.queryTimeoutMs));
  } catch (err) {
    log.debug({ err }, 'cannot create a schema for the warm-up; it runs on SQLite');
    return null;
  }
}

/** The copy: the user's store tuning and SMS settings, everything else its own and on loopback. */
function copyConfig(config: Readonly<Config>, dir: string, smscPort: number, password: string, pgUrl: string | null): Readonly<Config> {
  const path = join(dir, 'warm-up.db');
  return parseConfig(
    {
      http: { host: '127.0.0.1', port: 0 },
      store: pgUrl
        ? { type: 'postgres', url: pgUrl, path, poolSize: config.store.poolSize, queryTimeoutMs: config.store.queryTimeoutMs }
        : { path, synchronous: config.store.synchronous, commitIntervalMs: config.store.commitIntervalMs },
      log: { level: 'silent' },
      console: { enabled: false },
      voice: { enabled: false },
      node: { id: 'warm-up' },
      users: [{ username: 'warm-up', passwordHash: hashPassword(password, RANDOM_PASSWORD_COST) }],
      sms: { requestReceipts: true },
      egress: { allow: ['127.0.0.1/32'] },
      connectors: [{ id: 'warm-up', type: 'smpp', host: '127.0.0.1', port: smscPort, systemId: 'warm-up', password: 'warm-up', binds: 1 }],
      warmUp: { messages: 0 },
    },
    '<warm-up>',
  );
}

interface CallbackReceiver {
  listen(): Promise<string>;
  /** Resolves once `count` callbacks have arrived. */
  arrived(count: number): Promise<void>;
  close(): void;
}

/** Counts the copy's delivery-report callbacks (Ozeki's DeliveryReportURL). */
function callbackReceiver(): CallbackReceiver {
  let count = 0;
  let waiting: { count: number; resolve: () => void } | null = null;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.end('OK');
      if (waiting && count >= waiting.count) waiting.resolve();
    });
  });
  return {
    listen: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/warm-up`))),
    arrived: (target) => (count >= target ? Promise.resolve() : new Promise((resolve) => (waiting = { count: target, resolve }))),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** `messages` Ozeki SendSms requests, CONCURRENCY at a time, then their callbacks. */
async function send(port: number, password: string, reportUrl: string, messages: number, receiver: CallbackReceiver): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const query = new URLSearchParams({
        command: 'SendSms',
        Username: 'warm-up',
        Password: password,
        Recipient: `+3630${String(i).padStart(7, '0')}`,
        Message: `warm-up ${i}`,
        DeliveryReportURL: reportUrl,
      });
      get({ host: '127.0.0.1', port, path: `/api?${query}`, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => (body.includes('<SmsId>') ? resolve() : reject(new Error(`the copy refused a message: ${res.statusCode} ${body.slice(0, 200)}`))));
      }).on('error', reject);
    });
  const worker = async () => {
    while (next < messages) await one(next++);
  };
  try {
    // A refused request rejects the lot, so here every message was accepted.
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await receiver.arrived(messages);
  } finally {
    agent.destroy();
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`warm-up took longer than ${DEADLINE_MS} ms`)), Math.max(ms, 0));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
