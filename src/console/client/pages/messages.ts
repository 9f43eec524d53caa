/** Messages: search by id, recipient, sender, status, dialect, user and time; paged; exported as CSV. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, queryOf } from '../api.js';
import { time, tone } from '../format.js';
import type { Message } from '../types.js';

const FIELDS = ['id', 'recipient', 'sender', 'dialect', 'user'] as const;
const STATUSES = ['', 'accepted', 'submitted', 'buffered', 'delivered', 'failed', 'expired', 'unknown'];
const PAGE = 50;

export function MessagesPage({ go }: { go: (path: string) => void }) {
  const [form, setForm] = useState<Record<string, string>>({});
  const [query, setQuery] = useState<Record<string, string>>({});
  const [offset, setOffset] = useState(0);
  const [result, setResult] = useState<{ total: number; rows: Message[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ total: number; rows: Message[] }>('GET', `messages${queryOf({ ...query, limit: PAGE, offset })}`)
      .then((r) => {
        setResult(r);
        setError(null);
      })
      .catch((err: Error) => setError(err.message));
  }, [query, offset]);
  const field = (name: string, label: string, type = 'text') =>
    html`<label
      >${label}<input
        name=${name}
        type=${type}
        value=${form[name] ?? ''}
        onInput=${(e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })}
    /></label>`;
  return html`
    <form
      class="search"
      data-test="message-search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        setOffset(0);
        setQuery({ ...form });
      }}
    >
      ${FIELDS.map((f) => field(f, f === 'id' ? 'SmsId' : f))}
      <label
        >status
        <select name="status" value=${form['status'] ?? ''} onChange=${(e: Event) => setForm({ ...form, status: (e.target as HTMLSelectElement).value })}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select></label
      >
      ${field('from', 'from', 'datetime-local')} ${field('to', 'to', 'datetime-local')}
      <button type="submit">Search</button>
      <a class="button" href=${`/admin/api/messages.csv${queryOf(query)}`} download>Export CSV</a>
    </form>
    ${error && html`<p class="error">${error}</p>`} ${result && html`<${Results} result=${result} offset=${offset} setOffset=${setOffset} go=${go} />`}
  `;
}

interface ResultsProps {
  result: { total: number; rows: Message[] };
  offset: number;
  setOffset: (offset: number) => void;
  go: (path: string) => void;
}

function Results({ result, offset, setOffset, go }: ResultsProps) {
  return html`<p class="muted">${result.total} message(s)</p>
    <table class="grid" data-test="message-results">
      <thead>
        <tr>
          <th>Created</th>
          <th>SmsId</th>
          <th>Sender</th>
          <th>Recipient</th>
          <th>Status</th>
          <th>Dialect</th>
          <th>User</th>
          <th>Text</th>
        </tr>
      </thead>
      <tbody>
        ${result.rows.map(
          (m) =>
            html`<tr class="link" onClick=${() => go(`/messages/${encodeURIComponent(m.id)}`)} data-test="message-row">
              <td>${time(m.createdAt)}</td>
              <td><a href=${`#/messages/${encodeURIComponent(m.id)}`}>${m.id}</a></td>
              <td>${m.sender}</td>
              <td>${m.recipient}</td>
              <td><span class=${`pill ${tone(m.status)}`}>${m.status}</span></td>
              <td>${m.dialect}</td>
              <td>${m.user}</td>
              <td class="text">${m.text}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <div class="pager">
      <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Newer</button>
      <span>${result.total === 0 ? 0 : offset + 1}–${Math.min(offset + PAGE, result.total)} of ${result.total}</span>
      <button disabled=${offset + PAGE >= result.total} onClick=${() => setOffset(offset + PAGE)}>Older</button>
    </div>`;
}
