/** One message: its fields, parts and carrier ids, every status step, and every callback attempt with its answer. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { answer, time, tone } from '../format.js';
import type { MessageStep } from '../live.js';
import type { MessageDetail } from '../types.js';

export function MessagePage({ id, step, opened }: { id: string; step: MessageStep | null; opened: number }) {
  const [detail, setDetail] = useState<MessageDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<MessageDetail>('GET', `messages/${encodeURIComponent(id)}`)
      .then(setDetail)
      .catch((err: Error) => setError(err.message));
  }, [id, step?.status, step?.at, opened]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!detail) return html`<p class="muted">Loading…</p>`;
  const m = detail.message;
  return html`
    <h2>Message <code>${m.id}</code> <span class=${`pill ${tone(m.status)}`} data-test="message-status">${m.status}</span></h2>
    <dl class="fields">
      <dt>From</dt>
      <dd>${m.sender}</dd>
      <dt>To</dt>
      <dd>${m.recipient}</dd>
      <dt>Text</dt>
      <dd class="text" data-test="message-text">${m.text}</dd>
      <dt>User / dialect</dt>
      <dd>${m.user} / ${m.dialect}</dd>
      <dt>Connector</dt>
      <dd>${m.connectorId ?? '—'}</dd>
      <dt>Accepted</dt>
      <dd>${time(m.createdAt)}</dd>
      ${
        m.sendAt &&
        html`<dt>Scheduled for</dt>
          <dd data-test="message-send-at">${time(m.sendAt)}</dd>`
      }
      <dt>Submitted</dt>
      <dd>${time(m.submittedAt)}</dd>
      <dt>Done</dt>
      <dd>${time(m.doneAt)}</dd>
      ${
        m.errorCode &&
        html`<dt>Error</dt>
          <dd>${m.errorCode}: ${m.errorText}</dd>`
      }
      ${
        m.carrierStatus &&
        html`<dt>Carrier said</dt>
          <dd>${m.carrierStatus}${m.carrierError ? ` (err ${m.carrierError})` : ''}</dd>`
      }
      ${
        m.possibleDuplicate &&
        html`<dt>Note</dt>
          <dd>a part may have reached the carrier twice</dd>`
      }
    </dl>
    <${PartsAndHistory} detail=${detail} />
  `;
}

function describe(e: MessageDetail['events'][number]): string {
  if (e.kind === 'part') {
    return `part ${e.part}: ${e.status}${e.carrierId ? `, carrier id ${e.carrierId}` : ''}${e.carrierStatus ? `, carrier said ${e.carrierStatus}` : ''}${e.carrierError ? ` (err ${e.carrierError})` : ''}`;
  }
  if (e.kind === 'replaced') return `replaced by the client${e.sendAt ? `; to go at ${time(e.sendAt)}` : ''}`;
  if (e.kind === 'retry') return `attempt ${e.attempt} failed${e.errorText ? ` (${e.errorText})` : ''}; next at ${time(e.nextAttemptAt)}`;
  return `message ${e.status}${e.errorText ? `: ${e.errorText}` : ''}`;
}

function PartsAndHistory({ detail }: { detail: MessageDetail }) {
  const m = detail.message;
  return html`
    <h3>Parts</h3>
    <table class="grid" data-test="parts">
      <thead>
        <tr>
          <th>Part</th>
          <th>Connector</th>
          <th>Carrier id</th>
          <th>Status</th>
          <th>Carrier status</th>
          <th>Submitted</th>
          <th>Done</th>
        </tr>
      </thead>
      <tbody>
        ${detail.parts.map(
          (p) =>
            html`<tr>
              <td>${p.partNo} / ${p.partsTotal}</td>
              <td>${p.connectorId}</td>
              <td><code>${p.carrierId ?? ''}</code></td>
              <td><span class=${`pill ${tone(p.status)}`}>${p.status}</span></td>
              <td>${p.carrierStatus ?? ''}${p.carrierError ? ` (err ${p.carrierError})` : ''}</td>
              <td>${time(p.submittedAt)}</td>
              <td>${time(p.doneAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h3>History</h3>
    <ol class="timeline" data-test="events">
      <li><span class="muted">${time(m.createdAt)}</span> accepted</li>
      ${detail.events.map((e) => html`<li><span class="muted">${time(e.at)}</span> ${describe(e)}</li>`)}
    </ol>
    <h3>Callbacks</h3>
    ${
      detail.callbacks.length === 0
        ? html`<p class="muted">None.</p>`
        : detail.callbacks.map(
            (c) =>
              html`<div class="callback" data-test="callback">
                <div><b>${c.kind}</b> → <code>${c.url}</code> <span class=${`pill ${tone(c.state)}`}>${c.state}</span></div>
                <ol class="timeline">
                  ${(c.attemptLog ?? []).map(
                    (a) => html`<li><span class="muted">${time(a.at)}</span> attempt ${a.attempt}: ${answer(a.status, a.error) || 'no answer'}</li>`,
                  )}
                </ol>
              </div>`,
          )
    }
  `;
}
