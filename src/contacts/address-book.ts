/**
 * The address book: contacts CRUD over the store, and the look-ups the IOVOX
 * sendSms rule and Ozeki's ListAddressbook* commands need. Writes are small
 * and rare; each is its own transaction through the committer (the CLI uses
 * the same class on its own connection while the daemon runs).
 */
import type { ContactRepo } from '../store/contact-repo.js';
import type { Committer } from '../store/sql.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import { hasPhoneNumber, parseContactInput, type Contact } from './contact.js';

export class AddressBook {
  constructor(
    private readonly repo: ContactRepo,
    private readonly committer: Pick<Committer, 'run'>,
    private readonly now: () => number = Date.now,
  ) {}

  list(filter: { name?: string } = {}): Promise<Contact[]> {
    return filter.name === undefined ? this.repo.list() : this.repo.findByName(filter.name);
  }

  get(id: string): Promise<Contact | undefined> {
    return this.repo.get(id);
  }

  /** Distinct display names, sorted (Ozeki ListAddressbookNames). */
  async names(): Promise<string[]> {
    const names = new Map<string, string>();
    for (const contact of await this.repo.list()) {
      const key = contact.displayName.toLowerCase();
      if (!names.has(key)) names.set(key, contact.displayName);
    }
    return [...names.values()].sort((a, b) => a.localeCompare(b));
  }

  /** Validate and add; a given id must be new. */
  add(raw: unknown): Promise<Contact> {
    const input = parseContactInput(raw);
    return this.committer.run(async () => {
      const id = input.id ?? (await this.repo.nextNumericId());
      if (await this.repo.get(id)) throw new AppError(ErrorCode.CONTACT_EXISTS, `contact '${id}' already exists`, { details: { id } });
      const now = this.now();
      const contact: Contact = { ...input, id, createdAt: now, updatedAt: now };
      await this.repo.insert(contact);
      return contact;
    });
  }

  /** Replace every field of an existing contact (the id stays). */
  replace(id: string, raw: unknown): Promise<Contact> {
    const input = parseContactInput(raw);
    if (input.id !== undefined && input.id !== id) {
      throw new AppError(ErrorCode.CONTACT_INVALID, `invalid contact: id: '${input.id}' does not match the contact being replaced ('${id}')`);
    }
    return this.committer.run(async () => {
      const existing = await this.repo.get(id);
      if (!existing) throw notFound(id);
      const contact: Contact = { ...input, id, createdAt: existing.createdAt, updatedAt: this.now() };
      await this.repo.update(contact);
      return contact;
    });
  }

  async remove(id: string): Promise<void> {
    if (!(await this.committer.run(() => this.repo.delete(id)))) throw notFound(id);
  }

  /**
   * The contact a sendSms rule means: by id, else the first (oldest) contact
   * with that display name; when a phone number is given it must be one of
   * the contact's ("This phone number must belong to a contact", IOVOX's sendSms rule reference).
   */
  async resolve(selector: { id?: string | null; name?: string | null; phoneNumber?: string | null }): Promise<Contact | undefined> {
    const candidates = selector.id
      ? [await this.repo.get(selector.id)].filter((c): c is Contact => c !== undefined)
      : selector.name
        ? await this.repo.findByName(selector.name)
        : [];
    if (!selector.phoneNumber) return candidates[0];
    return candidates.find((c) => hasPhoneNumber(c, selector.phoneNumber!));
  }
}

function notFound(id: string): AppError {
  return new AppError(ErrorCode.CONTACT_NOT_FOUND, `no contact '${id}'`, { details: { id } });
}
