/** SQL for the address book (`contacts`, migration 3). Lists are JSON arrays in their columns. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './sqlite/db.js';
import type { Contact } from '../contacts/contact.js';

interface ContactRow {
  id: string;
  display_name: string;
  phone_numbers: string;
  primary_emails: string;
  secondary_emails: string;
  created_at: number;
  updated_at: number;
}

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
  private readonly insertStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly getStmt: Statement;
  private readonly listStmt: Statement;
  private readonly byNameStmt: Statement;
  private readonly nextIdStmt: Statement;

  constructor(db: Db) {
    this.insertStmt = db.prepare(`
      INSERT INTO contacts (id, display_name, phone_numbers, primary_emails, secondary_emails, created_at, updated_at)
      VALUES (@id, @display_name, @phone_numbers, @primary_emails, @secondary_emails, @created_at, @updated_at)`);
    this.updateStmt = db.prepare(`
      UPDATE contacts SET display_name = @display_name, phone_numbers = @phone_numbers, primary_emails = @primary_emails,
        secondary_emails = @secondary_emails, updated_at = @updated_at
      WHERE id = @id`);
    this.deleteStmt = db.prepare('DELETE FROM contacts WHERE id = ?');
    this.getStmt = db.prepare('SELECT * FROM contacts WHERE id = ?');
    this.listStmt = db.prepare('SELECT * FROM contacts ORDER BY rowid');
    this.byNameStmt = db.prepare('SELECT * FROM contacts WHERE display_name = ? COLLATE NOCASE ORDER BY rowid');
    // Numeric ids continue from the highest numeric one, the way IOVOX numbers its contacts.
    this.nextIdStmt = db.prepare("SELECT COALESCE(MAX(CAST(id AS INTEGER)), 0) + 1 AS next FROM contacts WHERE id NOT GLOB '*[^0-9]*'");
  }

  insert(contact: Contact): void {
    this.insertStmt.run(toRow(contact));
  }

  /** False when there is no such contact. */
  update(contact: Contact): boolean {
    return this.updateStmt.run(toRow(contact)).changes > 0;
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  get(id: string): Contact | undefined {
    const row = this.getStmt.get(id) as ContactRow | undefined;
    return row ? toContact(row) : undefined;
  }

  /** Every contact in creation order. */
  list(): Contact[] {
    return (this.listStmt.all() as ContactRow[]).map(toContact);
  }

  /** Contacts with this display name (case-insensitive), oldest first. */
  findByName(name: string): Contact[] {
    return (this.byNameStmt.all(name) as ContactRow[]).map(toContact);
  }

  nextNumericId(): string {
    return String((this.nextIdStmt.get() as { next: number }).next);
  }
}
