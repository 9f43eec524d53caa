/** Contacts: the address book IOVOX flows and Ozeki's address book commands use. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Contact } from '../types.js';

interface Draft {
  id?: string;
  displayName: string;
  phoneNumbers: string;
  primaryEmails: string;
}

const EMPTY: Draft = { displayName: '', phoneNumbers: '', primaryEmails: '' };

export function ContactsPage() {
  const [contacts, setContacts] = useState<Contact[]>([]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const load = () => void api<{ contacts: Contact[] }>('GET', 'contacts').then((r) => setContacts(r.contacts));
  useEffect(load, []);
  const list = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const save = async (e: Event) => {
    e.preventDefault();
    const body = { displayName: draft.displayName, phoneNumbers: list(draft.phoneNumbers), primaryEmails: list(draft.primaryEmails) };
    try {
      if (draft.id) await api('PUT', `contacts/${encodeURIComponent(draft.id)}`, body);
      else await api('POST', 'contacts', body);
      setDraft(EMPTY);
      setError(null);
      load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const remove = async (id: string) => {
    await api('DELETE', `contacts/${encodeURIComponent(id)}`);
    load();
  };
  const input = (name: keyof Draft, label: string) =>
    html`<label
      >${label}<input name=${name} value=${draft[name] ?? ''} onInput=${(e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value })}
    /></label>`;
  return html`
    <form class="search" data-test="contact-form" onSubmit=${save}>
      ${input('displayName', 'Name')} ${input('phoneNumbers', 'Numbers (comma-separated)')} ${input('primaryEmails', 'E-mails')}
      <button type="submit">${draft.id ? 'Save' : 'Add'}</button>
      ${draft.id && html`<button type="button" onClick=${() => setDraft(EMPTY)}>Cancel</button>`}
    </form>
    ${error && html`<p class="error">${error}</p>`}
    <table class="grid" data-test="contacts">
      <thead>
        <tr>
          <th>Name</th>
          <th>Numbers</th>
          <th>E-mails</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${contacts.map(
          (c) =>
            html`<tr data-test="contact-row">
              <td>${c.displayName}</td>
              <td>${(c.phoneNumbers ?? []).join(', ')}</td>
              <td>${((c['primaryEmails'] as string[] | undefined) ?? []).join(', ')}</td>
              <td>
                <button
                  onClick=${() => setDraft({ id: c.id, displayName: c.displayName, phoneNumbers: (c.phoneNumbers ?? []).join(', '), primaryEmails: ((c['primaryEmails'] as string[] | undefined) ?? []).join(', ') })}
                >
                  Edit
                </button>
                <button class="danger" onClick=${() => void remove(c.id)}>Delete</button>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  `;
}
