/** A test send: an SMS from the console, then its page, where the status changes live. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';

export function SendPage({ go }: { go: (path: string) => void }) {
  const [form, setForm] = useState({ sender: '', recipient: '', text: '' });
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const { id } = await api<{ id: string }>('POST', 'send', form);
      go(`/messages/${encodeURIComponent(id)}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const input = (name: 'sender' | 'recipient', label: string) =>
    html`<label
      >${label}<input name=${name} value=${form[name]} onInput=${(e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })}
    /></label>`;
  return html`<form class="stack" data-test="send-form" onSubmit=${submit}>
    ${input('sender', 'Sender (empty: the default)')} ${input('recipient', 'Recipient')}
    <label
      >Text<textarea
        name="text"
        rows="4"
        value=${form.text}
        onInput=${(e: Event) => setForm({ ...form, text: (e.target as HTMLTextAreaElement).value })}
      ></textarea>
    </label>
    <button type="submit">Send</button>
    ${error && html`<p class="error">${error}</p>`}
  </form>`;
}
