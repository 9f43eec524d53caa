import type { Command } from 'commander';
import { AddressBook } from '../contacts/address-book.js';
import { ContactRepo } from '../store/contact-repo.js';
import { resolveConfig } from './config-source.js';
import { openStoreForCli } from './store-access.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `telenode contacts list|add|remove`: the address book, straight in the store (a running daemon sees changes at once). */
export function registerContacts(program: Command): void {
  const contacts = program.command('contacts').description('the address book (IOVOX sendSms rules, Ozeki ListAddressbook*)');
  /** `create`: adding contacts before the daemon's first start may create the store (and says where). */
  const withBook = async <T>(configFile: string | undefined, run: (book: AddressBook) => Promise<T>, create = false): Promise<T> => {
    const { config, source } = resolveConfig(configFile);
    const store = await openStoreForCli(config, source, { create });
    try {
      return await run(new AddressBook(new ContactRepo(store.sql), store.committer));
    } finally {
      await store.close();
    }
  };
  contacts
    .command('list')
    .description('print contacts as JSON lines')
    .option('-c, --config <file>', 'config file (for the store path)')
    .option('--name <name>', 'only contacts with this display name')
    .action(async (options: { config?: string; name?: string }) => {
      const rows = await withBook(options.config, (book) => book.list(options.name === undefined ? {} : { name: options.name }));
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
      process.stderr.write(`${rows.length} contact(s)\n`);
    });
  contacts
    .command('add')
    .description('add a contact and print it')
    .option('-c, --config <file>', 'config file (for the store path)')
    .requiredOption('--name <name>', 'display name')
    .option('--id <id>', 'contact id (default: the next number)')
    .option('--phone <number>', 'phone number (repeatable)', collect, [])
    .option('--email <address>', 'primary e-mail address (repeatable)', collect, [])
    .option('--secondary-email <address>', 'secondary e-mail address (repeatable)', collect, [])
    .action(async (options: { config?: string; name: string; id?: string; phone: string[]; email: string[]; secondaryEmail: string[] }) => {
      const contact = await withBook(
        options.config,
        (book) =>
          book.add({
            id: options.id,
            displayName: options.name,
            phoneNumbers: options.phone,
            primaryEmails: options.email,
            secondaryEmails: options.secondaryEmail,
          }),
        true,
      );
      process.stdout.write(`${JSON.stringify(contact)}\n`);
    });
  contacts
    .command('remove')
    .description('remove a contact')
    .option('-c, --config <file>', 'config file (for the store path)')
    .argument('<id>', 'contact id')
    .action(async (id: string, options: { config?: string }) => {
      await withBook(options.config, (book) => book.remove(id));
      process.stdout.write(`contact ${id} removed\n`);
    });
}
