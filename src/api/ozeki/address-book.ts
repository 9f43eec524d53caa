/**
 * Ozeki 10's ListAddressbookContacts and ListAddressbookNames over the one
 * address book (the same contacts IOVOX sendSms rules and /contacts use).
 * Ozeki documents the names only, not the result layout (ozeki-ozml.md §3.4),
 * so the elements follow SendSms's style: PascalCase, one element per value.
 * ListAddressbookContacts takes an optional `Name` filter (case-insensitive).
 */
import type { Contact } from '../../contacts/contact.js';
import type { OzekiCommandContext, OzekiResult } from './command.js';
import { OzekiCode } from './xml.js';

function contactElement(contact: Contact): Record<string, unknown> {
  return {
    Id: contact.id,
    Name: contact.displayName,
    PhoneNumbers: { PhoneNumber: contact.phoneNumbers },
    PrimaryEmails: { Email: contact.primaryEmails },
    SecondaryEmails: { Email: contact.secondaryEmails },
  };
}

export async function listAddressbookContactsCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const name = ctx.params.get('Name')?.trim();
  const contacts = await ctx.deps.contacts.list(name ? { name } : {});
  return { code: OzekiCode.Ok, extra: { TotalRecords: contacts.length, Contacts: { Contact: contacts.map(contactElement) } } };
}

export async function listAddressbookNamesCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const names = await ctx.deps.contacts.names();
  return { code: OzekiCode.Ok, extra: { TotalRecords: names.length, Names: { Name: names } } };
}
