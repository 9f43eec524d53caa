/**
 * The operator console's wiring (issue 21): the ports its endpoints read through, the overview it shows
 * live, the throughput chart's counts, and the running config with its secrets taken out.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counter, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Logger } from '../shared/log.js';
import { redactCredentials } from '../shared/log.js';
import type { ConsoleDeps } from '../api/admin/routes.js';
import type { ConsoleRecordings, Recording } from '../api/admin/console-ports.js';
import { recordingsDir } from '../voice/ozml/config.js';
import type { UserDirectory } from '../api/http/auth.js';
import { ThroughputRecorder } from '../api/admin/throughput.js';
import { MessageStatus, decodeEvents } from '../sms/message.js';
import { MessageRepo } from '../store/message-repo.js';
import { WebhookRepo } from '../store/webhook-repo.js';
import type { VoiceNode } from '../voice/build-voice.js';
import type { WebhookDispatcher } from '../webhooks/index.js';
import type { ClusterMembership } from './cluster.js';
import type { MessagingExtras } from './messaging-extras.js';
import type { SmsCore } from './sms.js';
import type { Store } from './store.js';

export interface ConsoleParts {
  config: Readonly<Config>;
  configSource: string;
  store: Store;
  sms: SmsCore;
  webhooks: WebhookDispatcher;
  extras: MessagingExtras;
  voice: VoiceNode | null;
  cluster: ClusterMembership | null;
  users: UserDirectory;
  registry: Registry;
  log: Logger;
  /** The SMPP server's binds, once it is built (it starts after the HTTP side is wired). */
  smppServerStatus: () => { listen: string; binds: Record<string, number> } | null;
}

const STARTED_AT = Date.now();

export function buildConsole(parts: ConsoleParts): ConsoleDeps {
  const { config, store, sms, webhooks, extras, voice, log } = parts;
  const messages = new MessageRepo(store.sql);
  const callbacks = new WebhookRepo(store.sql);
  const throughput = countThroughput(parts);

  const overview = () => readOverview(parts, callbacks, throughput);

  return {
    users: parts.users,
    log: log.child({ component: 'console' }),
    idleMinutes: config.console.sessionIdleMinutes,
    overview,
    feed: sms.statusFeed,
    committed: () => store.committer.run(() => undefined),
    messages: {
      search: (filter) => messages.history({ ...filter, newestFirst: true }),
      async detail(id) {
        const found = await messages.getWithEvents(id);
        if (!found) return null;
        const [parts, rows] = await Promise.all([messages.parts(id), callbacks.ofOrderKey(id)]);
        return { message: found.message, parts, events: decodeEvents(found.events), callbacks: rows };
      },
    },
    callbacks: {
      failing: () => callbacks.failingByUrl(),
      dead: (limit) => callbacks.listDead(limit),
      async replay(selection) {
        const count = await store.committer.run(() => callbacks.replayDead(selection, Date.now()));
        await webhooks.sweepNow();
        return count;
      },
    },
    calls: voice
      ? {
          engine: voice.engine.engine,
          active: () => voice.callApi.active(),
          hangup: (callId) => voice.callApi.hangup(callId),
          history: (query) => voice.callApi.listHistory(query),
        }
      : null,
    recordings: voice ? recordingsOf(recordingsDir(config.voice.recordings, store.dataDir)) : null,
    contacts: extras.contacts,
    config: { source: parts.configSource, redacted: redactConfig(config) },
    async send(username, request) {
      const message = await sms.outbox.accept({ user: username, dialect: 'console', ...request });
      return { id: message.id, status: message.status };
    },
  };
}

/** What the console's front page and `telenode status` show (GET /admin/api/overview). */
export type ConsoleOverview = Awaited<ReturnType<typeof readOverview>>;

async function readOverview(parts: ConsoleParts, callbacks: WebhookRepo, throughput: ThroughputRecorder) {
  const { config, store, sms, webhooks, extras, voice, cluster } = parts;
  const [failing, dead, view, emailsPending] = await Promise.all([
    callbacks.failingByUrl(),
    callbacks.countDead(),
    cluster ? cluster.view() : Promise.resolve(null),
    extras.emails.pending(),
  ]);
  const stats = webhooks.stats();
  const outbox = sms.outbox.stats();
  return {
    node: { id: config.node.id, store: store.type, startedAt: STARTED_AT, now: Date.now() },
    connectors: [...sms.connectors.values()].map((c) => c.status()),
    smppServer: parts.smppServerStatus(),
    voice: voice ? { ...voice.engine.status(), activeCalls: voice.calls.activeCalls.length } : null,
    outbox: { ...outbox, depth: outbox.ready + outbox.parked + outbox.retrying + outbox.inFlight },
    callbacks: {
      pending: stats.pending,
      inFlight: stats.inFlight,
      failingDestinations: failing.length,
      failing: failing.reduce((n, f) => n + f.pending, 0),
      dead,
    },
    emails: { enabled: extras.emails.enabled, pending: emailsPending },
    cluster: view,
    throughput: throughput.series(),
  };
}

/**
 * Counts for the chart: status steps from the feed, acceptances from the outbox's counter (read every 10 s).
 */
function countThroughput({ sms, registry }: ConsoleParts): ThroughputRecorder {
  const recorder = new ThroughputRecorder();
  sms.statusFeed.subscribe(({ status }) => {
    if (status === MessageStatus.Submitted) recorder.count('submitted');
    else if (status === MessageStatus.Delivered) recorder.count('delivered');
    else if (status === MessageStatus.Failed || status === MessageStatus.Expired) recorder.count('failed');
  });
  const accepted = registry.getSingleMetric('telenode_sms_accepted_total') as Counter | undefined;
  let last = 0;
  const sample = async () => {
    const total = (await accepted?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
    if (total > last) recorder.count('accepted', total - last);
    last = total;
  };
  setInterval(() => void sample(), 10_000).unref();
  return recorder;
}

/** Keys whose values are secrets wherever they appear (passwords, hashes, tokens, private keys, PINs). */
const SECRET_KEY = /(password|secret|token|hash|hashes|pin|privatekey|apikey|authorization|cookie)$/i;

/** The config as the console shows it: secret values replaced, credentials cut out of URLs. */
export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== null && value !== undefined && value !== '') return '[redacted]';
  if (typeof value === 'string') return redactCredentials(value);
  if (Array.isArray(value)) return value.map((v) => redactConfig(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  return value;
}

/** A recording's file name as Record writes it (src/voice/ozml/verbs/record.ts): `<callId>-<epoch ms>.wav`. */
const RECORDING_NAME = /^([A-Za-z0-9][A-Za-z0-9._-]{0,200})-([0-9]{10,16})\.wav$/;

/** The recordings folder, read by name only: a name is matched against what the folder lists, never joined blindly. */
export function recordingsOf(dir: string): ConsoleRecordings {
  const list = async (callId?: string): Promise<Recording[]> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return []; // no recording yet
    }
    const recordings: Recording[] = [];
    for (const name of names) {
      const match = RECORDING_NAME.exec(name);
      if (!match || (callId !== undefined && match[1] !== callId)) continue;
      const info = await stat(join(dir, name)).catch(() => null);
      if (info?.isFile()) recordings.push({ name, callId: match[1]!, startedAt: Number(match[2]), bytes: info.size });
    }
    return recordings.sort((a, b) => b.startedAt - a.startedAt).slice(0, 500);
  };
  return {
    list,
    async open(name) {
      if (!RECORDING_NAME.test(name)) return null;
      const info = await stat(join(dir, name)).catch(() => null);
      if (!info?.isFile()) return null;
      return { stream: createReadStream(join(dir, name)), bytes: info.size };
    },
  };
}
