/**
 * The address book: contacts CRUD over the store, and the look-ups the IOVOX
 * sendSms rule and Ozeki's ListAddressbook* commands need. Writes are small
 * and rare, so each is its own synchronous transaction (the CLI uses the
 * same class on its own connection while the daemon runs).
 */
import type { Db } from '../store/sqlite/db.js';
import { ContactRepo } from '../store/contact-repo.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import { hasPhoneNumber, parseContactInput, type Contact } from './contact.js';

export class AddressBook {
  private readonly repo: ContactRepo;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.repo = new ContactRepo(db);
  }

  list(filter: { name?: string } = {}): Contact[] {
    return filter.name === undefined ? this.repo.list() : this.repo.findByName(filter.name);
  }

  get(id: string): Contact | undefined {
    return this.repo.get(id);
  }

  /** Distinct display names, sorted (Ozeki ListAddressbookNames). */
  names(): string[] {
    const names = new Map<string, string>();
    for (const contact of this.repo.list()) {
      const key = contact.displayName.toLowerCase();
      if (!names.has(key)) names.set(key, contact.displayName);
    }
    return [...names.values()].sort((a, b) => a.localeCompare(b));
  }

  /** Validate and add; a given id must be new. */
  add(raw: unknown): Contact {
    const input = parseContactInput(raw);
    return this.db.transaction(() => {
      const id = input.id ?? this.repo.nextNumericId();
      if (this.repo.get(id)) throw new AppError(ErrorCode.CONTACT_EXISTS, `contact '${id}' already exists`, { details: { id } });
      const now = this.now();
      const contact: Contact = { ...input, id, createdAt: now, updatedAt: now };
      this.repo.insert(contact);
      return contact;
    })();
  }

  /** Replace every field of an existing contact (the id stays). */
  replace(id: string, raw: unknown): Contact {
    const input = parseContactInput(raw);
    if (input.id !== undefined && input.id !== id) {
      throw new AppError(ErrorCode.CONTACT_INVALID, `invalid contact: id: '${input.id}' does not match the contact being replaced ('${id}')`);
    }
    return this.db.transaction(() => {
      const existing = this.repo.get(id);
      if (!existing) throw notFound(id);
      const contact: Contact = { ...input, id, createdAt: existing.createdAt, updatedAt: this.now() };
      this.repo.update(contact);
      return contact;
    })();
  }

  remove(id: string): void {
    if (!this.repo.delete(id)) throw notFound(id);
  }

  /**
   * The contact a sendSms rule means: by id, else the first (oldest) contact
   * with that display name; when a phone number is given it must be one of
   * the contact's ("This phone number must belong to a contact", IOVOX's sendSms rule reference).
   */
  resolve(selector: { id?: string | null; name?: string | null; phoneNumber?: string | null }): Contact | undefined {
    const candidates = selector.id
      ? [this.repo.get(selector.id)].filter((c): c is Contact => c !== undefined)
      : selector.name
        ? this.repo.findByName(selector.name)
        : [];
    if (!selector.phoneNumber) return candidates[0];
    return candidates.find((c) => hasPhoneNumber(c, selector.phoneNumber!));
  }
}

function notFound(id: string): AppError {
  return new AppError(ErrorCode.CONTACT_NOT_FOUND, `no contact '${id}'`, { details: { id } });
}
