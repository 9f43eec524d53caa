/**
 * PostgreSQL stopped for a while mid-load, then started (issue 17, item 8): requests during the outage get
 * the dialect's own "try later" (Ozeki XML with HTTP 503) in seconds, not a hang; nothing accepted before is
 * lost; the node resumes by itself and sends what it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMissing } from '../../helpers/postgres.js';
import { startSoloPostgresNode, type SoloPostgresNode } from '../../helpers/solo-postgres-node.js';
import { waitUntil } from '../../helpers/temp-dir.js';

const OUTAGE_MS = Number(process.env['PG_OUTAGE_SECONDS'] ?? 20) * 1000;
const missing = postgresMissing();
let solo: SoloPostgresNode;

beforeAll(async () => {
  if (!missing) solo = await startSoloPostgresNode();
});

afterAll(async () => {
  await solo?.stop();
});

describe.skipIf(missing)('PostgreSQL down for a while', () => {
  it(`answers "try later" during a ${OUTAGE_MS / 1000} s outage, loses nothing it accepted, and resumes by itself`, async () => {
    const { server, smsc, send } = solo;
    const accepted = new Map<string, string>();
    const sendMany = async (prefix: string, count: number) => {
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const { reply } = await send(`${prefix}-${i}`);
          if (reply.code === 200) accepted.set(reply.smsId!, `${prefix}-${i}`);
        }),
      );
    };
    await sendMany('before', 200);
    expect(accepted.size).toBe(200);

    await server.halt();
    const down = Date.now();
    const during: Array<{ status: number; ms: number; body: string }> = [];
    while (Date.now() - down < OUTAGE_MS) {
      const { reply, ms } = await send(`during-${during.length}`);
      during.push({ status: reply.httpStatus, ms, body: reply.xml });
      if (reply.code === 200) accepted.set(reply.smsId!, `during-${during.length - 1}`);
    }
    await server.start();

    expect(during.length).toBeGreaterThan(2);
    for (const d of during) {
      expect(d.status).toBe(503);
      expect(d.body).toContain('try again'); // in Ozeki's own XML
      expect(d.ms).toBeLessThan(8000); // an answer, not a hang
    }
    await waitUntil(async () => (await send('probe')).reply.code === 200, 30_000, 'the node accepting again');
    await sendMany('after', 100);
    await waitUntil(() => [...accepted.keys()].every((id) => solo.reportedIds().has(id)), 60_000, 'a final callback for every accepted message');
    const atSmsc = new Set(smsc.received.map((r) => r.text));
    expect([...accepted.values()].filter((text) => !atSmsc.has(text))).toEqual([]);
  });
});
