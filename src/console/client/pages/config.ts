/** The running config, read-only, secrets redacted by the node before it leaves it. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';

export function ConfigPage() {
  const [config, setConfig] = useState<{ source: string; redacted: unknown } | null>(null);
  useEffect(() => void api<{ source: string; redacted: unknown }>('GET', 'config').then(setConfig), []);
  if (!config) return html`<p class="muted">Loading…</p>`;
  return html`<p>From <code data-test="config-source">${config.source}</code>; secrets are shown as [redacted].</p>
    <pre class="config" data-test="config">${JSON.stringify(config.redacted, null, 2)}</pre>`;
}
