/**
 * PostgreSQL hung (every process of it stopped with SIGSTOP: connections stay open, the kernel still takes new
 * ones, nothing answers) — what a network partition or a frozen database host looks like to a node, unlike the
 * refused connections of postgres-outage.test.ts. Requests get the dialect's "try later" within seconds instead of
 * waiting for the server; none of them is sent later (a "try later" means not accepted); what was accepted before
 * is delivered; the node goes on by itself once the server answers again (decision 0124).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMissing } from '../../helpers/postgres.js';
import { startSoloPostgresNode, type SoloPostgresNode } from '../../helpers/solo-postgres-node.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const HANG_MS = 6000;
const QUERY_TIMEOUT_MS = 1000;
const missing = postgresMissing();
let solo: SoloPostgresNode;

beforeAll(async () => {
  if (!missing) solo = await startSoloPostgresNode({ store: { queryTimeoutMs: QUERY_TIMEOUT_MS } });
});

afterAll(async () => {
  await solo?.stop();
});

describe.skipIf(missing)('PostgreSQL hung for a while', () => {
  it('answers "try later" within seconds, sends none of those, loses nothing it accepted, and goes on by itself', async () => {
    const { server, smsc, send } = solo;
    const accepted = new Map<string, string>();
    const keep = (results: Array<Awaited<ReturnType<typeof send>>>) => {
      for (const { text, reply } of results) if (reply.code === 200) accepted.set(reply.smsId!, text);
    };
    const before = await Promise.all(Array.from({ length: 100 }, (_, i) => send(`before-${i}`)));
    keep(before);
    expect(accepted.size).toBe(100);

    server.pause();
    const hungAt = Date.now();
    const during: Array<Awaited<ReturnType<typeof send>>> = [];
    try {
      // Requests one after another, then a burst side by side, while nothing answers.
      while (Date.now() - hungAt < HANG_MS) during.push(await send(`during-${during.length}`));
      during.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => send(`burst-${i}`)))));
    } finally {
      server.resume();
    }
    keep(during);

    expect(during.length).toBeGreaterThan(2);
    for (const d of during) {
      expect(d.reply.httpStatus).toBe(503);
      expect(d.reply.xml).toContain('try again'); // in Ozeki's own XML
      // The statement timeout, or the pool's 5 s connect timeout for a new connection: an answer, not a wait.
      expect(d.ms).toBeLessThan(8000);
    }

    await waitUntil(async () => (await send('probe')).reply.code === 200, 30_000, 'the node accepting again');
    keep(await Promise.all(Array.from({ length: 50 }, (_, i) => send(`after-${i}`))));
    await waitUntil(() => [...accepted.keys()].every((id) => solo.reportedIds().has(id)), 60_000, 'a final callback for every accepted message');
    const atSmsc = smsc.received.map((r) => r.text);
    expect([...accepted.values()].filter((text) => !atSmsc.includes(text))).toEqual([]);
    // A "try later" is a refusal: the server, answering again, rolled those transactions back (it never got their COMMIT).
    expect(atSmsc.filter((text) => text.startsWith('during-') || text.startsWith('burst-'))).toEqual([]);
  });
});
