/** The overview: carriers and modems, SIP, calls, the outbox, callbacks, the cluster, and the last minutes' throughput. */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { since, tone } from '../format.js';
import type { BindState, Overview } from '../types.js';

export function OverviewPage({ overview }: { overview: Overview | null }) {
  if (!overview) return html`<p class="muted">Waiting for the node…</p>`;
  const now = overview.node.now;
  return html`
    <section class="cards">
      ${Stat('Outbox', overview.outbox.depth, `${overview.outbox.retrying} retrying, ${overview.outbox.inFlight} in flight`, 'outbox')}
      ${Stat('Callbacks pending', overview.callbacks.pending, `${overview.callbacks.failing} failing at ${overview.callbacks.failingDestinations} destination(s)`, 'callbacks-pending')}
      ${Stat('Dead letters', overview.callbacks.dead, overview.callbacks.dead > 0 ? 'see Callbacks' : 'none', 'dead-letters', overview.callbacks.dead > 0 ? 'bad' : '')}
      ${Stat('Live calls', overview.voice?.activeCalls ?? 0, overview.voice ? `${overview.voice.engine} engine ${overview.voice.up ? 'up' : 'down'}` : 'voice off', 'live-calls')}
    </section>
    <${Connectors} overview=${overview} now=${now} />
    <${VoiceAndCluster} overview=${overview} />
    <h2>Throughput <span class="muted">(per ${overview.throughput.bucketSeconds} s, last 15 min)</span></h2>
    <${Chart} series=${overview.throughput} />
  `;
}

function Stat(label: string, value: number, detail: string, test: string, extra = '') {
  return html`<div class=${`card ${extra}`} data-test=${test}>
    <div class="label">${label}</div>
    <div class="value">${value}</div>
    <div class="muted">${detail}</div>
  </div>`;
}

function BindDetail(b: BindState) {
  const bits: string[] = [];
  if (b.throttled) bits.push(`throttled${b.rate ? ` to ${Math.round(b.rate)}/s` : ''}`);
  if (b.signal !== undefined) bits.push(`signal ${b.signal === 99 ? 'unknown' : b.signal}`);
  if (b.registration !== undefined) bits.push(b.registration === 1 ? 'home network' : b.registration === 5 ? 'roaming' : `registration ${b.registration}`);
  if (b.operator) bits.push(b.operator);
  if (b.queued !== undefined) bits.push(`${b.queued} queued`);
  return bits.join(', ');
}

const COLOURS = { accepted: '#5b8def', submitted: '#9c6ade', delivered: '#2e9e5b', failed: '#d64545' };

function Chart({ series }: { series: Overview['throughput'] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [series.times, series.counts.accepted, series.counts.submitted, series.counts.delivered, series.counts.failed];
  useEffect(() => {
    if (!box.current) return;
    plot.current = new uPlot(
      {
        width: Math.max(280, (box.current.clientWidth || 600) - 20),
        height: 220,
        series: [{}, ...(Object.keys(COLOURS) as (keyof typeof COLOURS)[]).map((k) => ({ label: k, stroke: COLOURS[k], width: 2 }))],
        axes: [{}, { label: 'messages' }],
      },
      data,
      box.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData(data), [series]);
  return html`<div ref=${box} class="chart" data-test="throughput"></div>`;
}

function Connectors({ overview, now }: { overview: Overview; now: number }) {
  return html`
    <h2>Connectors</h2>
    <table class="grid" data-test="connectors">
      <thead>
        <tr>
          <th>Connector</th>
          <th>Bind / modem</th>
          <th>State</th>
          <th>Since</th>
          <th>Window</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        ${overview.connectors.flatMap((c) =>
          (c.binds.length ? c.binds : [null]).map(
            (b, i) =>
              html`<tr data-test=${`bind-${c.id}-${i + 1}`}>
                <td>${i === 0 ? html`<b>${c.id}</b> <span class="muted">${c.kind}</span>` : ''}</td>
                <td>${b ? `${b.name} (${b.role})` : ''}</td>
                <td>
                  ${
                    c.servedBy && !b
                      ? html`<span class="pill" data-test="bind-state">on node ${c.servedBy}</span>`
                      : html`<span class=${`pill ${tone(b ? b.state : c.up)}`} data-test="bind-state">${b ? b.state : c.up ? 'up' : 'down'}</span>`
                  }
                </td>
                <td>${b ? since(b.since, now) : ''}</td>
                <td>${b ? `${b.windowInUse} / ${b.windowSize}` : ''}</td>
                <td>${b ? BindDetail(b) : `${c.queued} queued`}</td>
              </tr>`,
          ),
        )}
      </tbody>
    </table>
  `;
}

function VoiceAndCluster({ overview }: { overview: Overview }) {
  return html`
    ${
      overview.smppServer &&
      html`<p>
        SMPP server on ${overview.smppServer.listen}:${' '}
        ${
          Object.entries(overview.smppServer.binds)
            .map(([u, n]) => `${u} × ${n}`)
            .join(', ') || 'no client bound'
        }
      </p>`
    }
    ${
      overview.voice &&
      html`<h2>SIP</h2>
        <p>
          ${overview.voice.engine} engine <span class=${`pill ${tone(overview.voice.up)}`}>${overview.voice.up ? 'up' : 'down'}</span>
          ${` on ${overview.voice.listen.join(', ')}`}
        </p>
        ${
          overview.voice.registrations.length > 0 &&
          html`<table class="grid">
            <thead>
              <tr>
                <th>Registration</th>
                <th>State</th>
                <th>Last error</th>
              </tr>
            </thead>
            <tbody>
              ${overview.voice.registrations.map(
                (r) =>
                  html`<tr>
                    <td>${r.aor}</td>
                    <td><span class=${`pill ${tone(r.registered)}`}>${r.registered ? 'registered' : 'not registered'}</span></td>
                    <td>${r.lastError ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        }`
    }
    ${
      overview.cluster &&
      html`<h2>Cluster</h2>
        <table class="grid">
          <thead>
            <tr>
              <th>Node</th>
              <th>State</th>
              <th>Messages</th>
              <th>Callbacks</th>
              <th>Binds</th>
            </tr>
          </thead>
          <tbody>
            ${overview.cluster.nodes.map(
              (n) =>
                html`<tr>
                  <td>${n.id}${n.id === overview.node.id ? ' (this node)' : ''}</td>
                  <td><span class=${`pill ${tone(n.alive ? 'up' : 'down')}`}>${n.alive ? 'alive' : 'gone'}</span></td>
                  <td>${n.messages}</td>
                  <td>${n.callbacks}</td>
                  <td>${overview.cluster!.binds.filter((b) => b.nodeId === n.id).length}</td>
                </tr>`,
            )}
          </tbody>
        </table>`
    }
  `;
}
