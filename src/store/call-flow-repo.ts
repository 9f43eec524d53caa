/**
 * IOVOX call flows uploaded over the API (iovox/api/call-flows.ts), per user
 * ("the title must be unique throughout your whole account"). `xml` is the
 * checked `<callFlow>` element as telenode writes it back; a call reads it
 * when it starts, so an update takes effect with the next call.
 */
import type { SqlExecutor } from './sql.js';

export interface StoredCallFlow {
  user: string;
  name: string;
  notes: string;
  xml: string;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  user: string;
  name: string;
  notes: string;
  xml: string;
  created_at: number;
  updated_at: number;
}

const toFlow = (row: Row): StoredCallFlow => ({
  user: row.user,
  name: row.name,
  notes: row.notes,
  xml: row.xml,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class CallFlowRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /** False when the user already has a flow of that name. */
  async create(flow: Omit<StoredCallFlow, 'updatedAt'>): Promise<boolean> {
    const { changes } = await this.sql.run(
      `INSERT INTO call_flows ("user", name, notes, xml, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [flow.user, flow.name, flow.notes, flow.xml, flow.createdAt, flow.createdAt],
    );
    return changes === 1;
  }

  /** Replace `name`'s rules (and its name, notes); false when there is no such flow. */
  async update(user: string, name: string, change: { name: string; notes: string; xml: string; at: number }): Promise<boolean> {
    const { changes } = await this.sql.run(`UPDATE call_flows SET name = ?, notes = ?, xml = ?, updated_at = ? WHERE "user" = ? AND name = ?`, [
      change.name,
      change.notes,
      change.xml,
      change.at,
      user,
      name,
    ]);
    return changes === 1;
  }

  async get(user: string, name: string): Promise<StoredCallFlow | undefined> {
    const row = await this.sql.get<Row>(`SELECT * FROM call_flows WHERE "user" = ? AND name = ?`, [user, name]);
    return row ? toFlow(row) : undefined;
  }

  /** The user's flows, newest first, with the total for paging. */
  async list(user: string, limit: number, offset: number): Promise<{ total: number; flows: StoredCallFlow[] }> {
    const total = (await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM call_flows WHERE "user" = ?`, [user]))!.n;
    const rows = await this.sql.all<Row>(`SELECT * FROM call_flows WHERE "user" = ? ORDER BY created_at DESC, name LIMIT ? OFFSET ?`, [user, limit, offset]);
    return { total: Number(total), flows: rows.map(toFlow) };
  }

  async delete(user: string, name: string): Promise<boolean> {
    return (await this.sql.run(`DELETE FROM call_flows WHERE "user" = ? AND name = ?`, [user, name])).changes === 1;
  }
}
