/** Calls: the live ones (with Hang up) and the finished ones, searchable. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, queryOf } from '../api.js';
import { duration, time, tone } from '../format.js';
import type { ActiveCall, Overview } from '../types.js';

interface HistoryRow {
  callId: string;
  direction: string;
  source: string;
  destination: string;
  state: string;
  endReason: string;
  startTime: number;
  answeredAt: number | null;
  endedAt: number;
}

export function CallsPage({ overview }: { overview: Overview | null }) {
  const [live, setLive] = useState<{ engine: string | null; active: ActiveCall[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The live list follows the overview's call count (pushed), not a timer.
  useEffect(() => void api<{ engine: string | null; active: ActiveCall[] }>('GET', 'calls').then(setLive), [overview?.voice?.activeCalls, overview?.node.now]);
  const hangup = async (id: string) => {
    try {
      await api('POST', `calls/${encodeURIComponent(id)}/hangup`);
      setLive(await api('GET', 'calls'));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return html`
    <h2>Live calls ${live?.engine && html`<span class="muted">(${live.engine} engine)</span>`}</h2>
    ${error && html`<p class="error">${error}</p>`}
    ${
      !live || live.active.length === 0
        ? html`<p class="muted" data-test="no-calls">No call in progress.</p>`
        : html`<table class="grid" data-test="live-calls">
            <thead>
              <tr>
                <th>From</th>
                <th>To</th>
                <th>Direction</th>
                <th>State</th>
                <th>Duration</th>
                <th>Call id</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${live.active.map(
                (c) =>
                  html`<tr data-test="live-call">
                    <td>${c.callerId === c.source ? c.source : `${c.callerId} (${c.source})`}</td>
                    <td>${c.destination}</td>
                    <td>${c.direction}</td>
                    <td><span class=${`pill ${tone(c.state)}`}>${c.state}</span></td>
                    <td>${duration((Date.now() - c.startTime) / 1000)}</td>
                    <td><code>${c.callId}</code></td>
                    <td><button class="danger" data-test="hangup" onClick=${() => void hangup(c.callId)}>Hang up</button></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <${CallHistory} refresh=${overview?.voice?.activeCalls} />
    <${Recordings} refresh=${overview?.voice?.activeCalls} />
  `;
}

/** Finished calls; read again when the number of live calls changes (one just ended). */
function CallHistory({ refresh }: { refresh: number | undefined }) {
  const [history, setHistory] = useState<{ total: number; rows: HistoryRow[] } | null>(null);
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  useEffect(() => void api<{ total: number; rows: HistoryRow[] }>('GET', `calls/history${queryOf({ q: search })}`).then(setHistory), [search, refresh]);
  return html`
    <h2>Call history</h2>
    <form class="search" onSubmit=${(e: Event) => (e.preventDefault(), setSearch(q))}>
      <label>Caller number or call id<input value=${q} onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Search</button>
    </form>
    ${
      history &&
      html`<table class="grid" data-test="call-history">
        <thead>
          <tr>
            <th>Started</th>
            <th>From</th>
            <th>To</th>
            <th>Direction</th>
            <th>End</th>
            <th>Talk</th>
          </tr>
        </thead>
        <tbody>
          ${history.rows.map(
            (r) =>
              html`<tr>
                <td>${time(r.startTime)}</td>
                <td>${r.source}</td>
                <td>${r.destination}</td>
                <td>${r.direction}</td>
                <td>${r.state} (${r.endReason})</td>
                <td>${r.answeredAt ? duration((r.endedAt - r.answeredAt) / 1000) : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  `;
}

interface Recording {
  name: string;
  callId: string;
  startedAt: number;
  bytes: number;
}

/** What Record wrote, newest first, playable here (the audio comes from the node with the session's cookie). */
function Recordings({ refresh }: { refresh: number | undefined }) {
  const [recordings, setRecordings] = useState<Recording[] | null>(null);
  useEffect(() => void api<{ recordings: Recording[] }>('GET', 'recordings').then((r) => setRecordings(r.recordings)), [refresh]);
  if (!recordings) return null;
  return html`<h2>Recordings</h2>
    ${
      recordings.length === 0
        ? html`<p class="muted">None yet (OzML's Record verb writes them).</p>`
        : html`<table class="grid" data-test="recordings">
            <thead>
              <tr>
                <th>Started</th>
                <th>Call id</th>
                <th>Length</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${recordings.map(
                (r) =>
                  html`<tr data-test="recording">
                    <td>${time(r.startedAt)}</td>
                    <td><code>${r.callId}</code></td>
                    <td>${duration((r.bytes - 44) / 16000)}</td>
                    <td><audio controls preload="metadata" src=${`/admin/api/recordings/${encodeURIComponent(r.name)}`}></audio></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}
