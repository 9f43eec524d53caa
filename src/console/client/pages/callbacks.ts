/** Callbacks: destinations that are failing now, and dead letters, replayed one at a time or all for a URL. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { answer, time } from '../format.js';
import type { Callback, Overview } from '../types.js';

interface Failing {
  url: string;
  pending: number;
  oldestAt: number;
  lastStatus: number | null;
  lastError: string | null;
}

/** Read again whenever the overview's callback counts change (pushed by the node), so the page stays live. */
export function CallbacksPage({ overview }: { overview: Overview | null }) {
  const [data, setData] = useState<{ failing: Failing[]; dead: Callback[] } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const load = () => void api<{ failing: Failing[]; dead: Callback[] }>('GET', 'callbacks').then(setData);
  useEffect(load, [overview?.callbacks.failing, overview?.callbacks.dead, overview?.callbacks.pending]);
  const replay = async (body: { ids?: number[]; url?: string }) => {
    const { replayed } = await api<{ replayed: number }>('POST', 'callbacks/replay', body);
    setNote(`${replayed} dead letter(s) queued again`);
    load();
  };
  if (!data) return html`<p class="muted">Loading…</p>`;
  const deadUrls = [...new Set(data.dead.map((d) => d.url))];
  return html`
    ${note && html`<p class="note" data-test="replay-note">${note}</p>`}
    <h2>Failing destinations</h2>
    ${
      data.failing.length === 0
        ? html`<p class="muted" data-test="no-failing">Every destination answers.</p>`
        : html`<table class="grid" data-test="failing">
            <thead>
              <tr>
                <th>URL</th>
                <th>Waiting</th>
                <th>Oldest</th>
                <th>Last answer</th>
              </tr>
            </thead>
            <tbody>
              ${data.failing.map(
                (f) =>
                  html`<tr data-test="failing-row">
                    <td><code>${f.url}</code></td>
                    <td>${f.pending}</td>
                    <td>${time(f.oldestAt)}</td>
                    <td>${answer(f.lastStatus, f.lastError)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>Dead letters</h2>
    ${deadUrls.map((url) => html`<button class="danger" data-test="replay-url" onClick=${() => void replay({ url })}>Replay all for ${url}</button> `)}
    ${
      data.dead.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<table class="grid" data-test="dead">
            <thead>
              <tr>
                <th>Id</th>
                <th>Message / key</th>
                <th>Kind</th>
                <th>URL</th>
                <th>Attempts</th>
                <th>Last answer</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${data.dead.map(
                (d) =>
                  html`<tr data-test="dead-row">
                    <td>${d.id}</td>
                    <td><a href=${`#/messages/${encodeURIComponent(d.orderKey)}`}>${d.orderKey}</a></td>
                    <td>${d.kind}</td>
                    <td><code>${d.url}</code></td>
                    <td>${d.attempts}</td>
                    <td>${answer(d.lastStatus, d.lastError)}</td>
                    <td><button onClick=${() => void replay({ ids: [d.id] })}>Replay</button></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  `;
}
