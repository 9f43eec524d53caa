/** SQL for the address book (`contacts`, migration 3). Lists are JSON arrays in their columns. */
import type { SqlExecutor } from './sql.js';
import type { Contact } from '../contacts/contact.js';

type ContactRow = {
  id: string;
  display_name: string;
  phone_numbers: string;
  primary_emails: string;
  secondary_emails: string;
  created_at: number;
  updated_at: number;
};

function toContact(row: ContactRow): Contact {
  return {
    id: row.id,
    displayName: row.display_name,
    phoneNumbers: JSON.parse(row.phone_numbers) as string[],
    primaryEmails: JSON.parse(row.primary_emails) as string[],
    secondaryEmails: JSON.parse(row.secondary_emails) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(contact: Contact): ContactRow {
  return {
    id: contact.id,
    display_name: contact.displayName,
    phone_numbers: JSON.stringify(contact.phoneNumbers),
    primary_emails: JSON.stringify(contact.primaryEmails),
    secondary_emails: JSON.stringify(contact.secondaryEmails),
    created_at: contact.createdAt,
    updated_at: contact.updatedAt,
  };
}

export class ContactRepo {
  /** Creation order: SQLite's rowid; PostgreSQL's table has a `seq` identity column for it. */
  private readonly creationOrder: string;
  private readonly sameName: string;
  private readonly numericId: string;

  constructor(private readonly sql: SqlExecutor) {
    const sqlite = sql.dialect === 'sqlite';
    this.creationOrder = sqlite ? 'rowid' : 'seq';
    this.sameName = sqlite ? 'display_name = ? COLLATE NOCASE' : 'lower(display_name) = lower(?)';
    this.numericId = sqlite ? "id NOT GLOB '*[^0-9]*'" : "id ~ '^[0-9]+$'";
  }

  async insert(contact: Contact): Promise<void> {
    await this.sql.run(
      `INSERT INTO contacts (id, display_name, phone_numbers, primary_emails, secondary_emails, created_at, updated_at)
       VALUES (@id, @display_name, @phone_numbers, @primary_emails, @secondary_emails, @created_at, @updated_at)`,
      toRow(contact),
    );
  }

  /** False when there is no such contact. */
  async update(contact: Contact): Promise<boolean> {
    const { changes } = await this.sql.run(
      `UPDATE contacts SET display_name = @display_name, phone_numbers = @phone_numbers, primary_emails = @primary_emails,
         secondary_emails = @secondary_emails, updated_at = @updated_at
       WHERE id = @id`,
      toRow(contact),
    );
    return changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM contacts WHERE id = ?', [id])).changes > 0;
  }

  async get(id: string): Promise<Contact | undefined> {
    const row = await this.sql.get<ContactRow>('SELECT * FROM contacts WHERE id = ?', [id]);
    return row ? toContact(row) : undefined;
  }

  /** Every contact in creation order. */
  async list(): Promise<Contact[]> {
    return (await this.sql.all<ContactRow>(`SELECT * FROM contacts ORDER BY ${this.creationOrder}`)).map(toContact);
  }

  /** Contacts with this display name (case-insensitive), oldest first. */
  async findByName(name: string): Promise<Contact[]> {
    return (await this.sql.all<ContactRow>(`SELECT * FROM contacts WHERE ${this.sameName} ORDER BY ${this.creationOrder}`, [name])).map(toContact);
  }

  /** Numeric ids continue from the highest numeric one, the way IOVOX numbers its contacts. */
  async nextNumericId(): Promise<string> {
    const row = await this.sql.get<{ next: number }>(`SELECT COALESCE(MAX(CAST(id AS BIGINT)), 0) + 1 AS next FROM contacts WHERE ${this.numericId}`);
    return String(row!.next);
  }
}
