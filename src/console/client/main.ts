/**
 * The operator console (issue 21): log-in, then one page per concern, routed by the URL's hash so the node
 * serves one page. Preact renders every value as text (never as HTML): sender names and message texts are
 * whatever a stranger sent.
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { ApiError, api, setCsrfToken } from './api.js';
import { tone } from './format.js';
import { useLive } from './live.js';
import { CallbacksPage } from './pages/callbacks.js';
import { CallsPage } from './pages/calls.js';
import { ConfigPage } from './pages/config.js';
import { ContactsPage } from './pages/contacts.js';
import { MessagePage } from './pages/message.js';
import { MessagesPage } from './pages/messages.js';
import { OverviewPage } from './pages/overview.js';
import { SendPage } from './pages/send.js';

const NAV = [
  ['/', 'Overview'],
  ['/messages', 'Messages'],
  ['/callbacks', 'Callbacks'],
  ['/calls', 'Calls'],
  ['/contacts', 'Contacts'],
  ['/send', 'Test send'],
  ['/config', 'Configuration'],
] as const;

function useRoute(): [string, (path: string) => void] {
  const read = () => location.hash.replace(/^#/, '') || '/';
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return [route, (path: string) => (location.hash = path)];
}

function App() {
  const [user, setUser] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    api<{ username: string; csrfToken: string | null }>('GET', 'session')
      .then((s) => {
        setCsrfToken(s.csrfToken);
        setUser(s.username);
      })
      .catch(() => setUser(null));
  }, []);
  if (user === undefined) return html`<p class="muted">Loading…</p>`;
  if (user === null) return html`<${Login} onLogin=${setUser} />`;
  return html`<${Shell} user=${user} onLogout=${() => setUser(null)} />`;
}

function Login({ onLogin }: { onLogin: (user: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const session = await api<{ username: string; csrfToken: string }>('POST', 'login', { username, password });
      setCsrfToken(session.csrfToken);
      onLogin(session.username);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'the node did not answer');
    }
  };
  return html`<form class="login" data-test="login" onSubmit=${submit}>
    <h1>telenode</h1>
    <label
      >User<input name="username" autocomplete="username" value=${username} onInput=${(e: Event) => setUsername((e.target as HTMLInputElement).value)}
    /></label>
    <label
      >Password<input
        name="password"
        type="password"
        autocomplete="current-password"
        value=${password}
        onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)}
    /></label>
    <button type="submit">Log in</button>
    ${error && html`<p class="error" data-test="login-error">${error}</p>`}
  </form>`;
}

function Shell({ user, onLogout }: { user: string; onLogout: () => void }) {
  const [route, go] = useRoute();
  const messageId = /^\/messages\/(.+)$/.exec(route)?.[1];
  const watched = messageId ? decodeURIComponent(messageId) : null;
  const { overview, step, connected, opened } = useLive(watched);
  const logout = async () => {
    await api('POST', 'logout').catch(() => undefined);
    setCsrfToken(null);
    onLogout();
  };
  const section = route.split('/')[1] ?? '';
  return html`
    <header>
      <b>telenode</b>
      <span class="muted">${overview?.node.id ?? ''}</span>
      <span class=${`pill ${tone(connected ? 'up' : 'down')}`} data-test="live">${connected ? 'live' : 'reconnecting'}</span>
      <nav>
        ${NAV.map(([path, label]) => html`<a href=${`#${path}`} class=${`/${section}` === path || (path === '/' && section === '') ? 'active' : ''}>${label}</a>`)}
      </nav>
      <span class="user">${user} <button onClick=${() => void logout()} data-test="logout">Log out</button></span>
    </header>
    <main>
      ${
        watched
          ? html`<${MessagePage} id=${watched} step=${step?.id === watched ? step : null} opened=${opened} />`
          : section === 'messages'
            ? html`<${MessagesPage} go=${go} />`
            : section === 'callbacks'
              ? html`<${CallbacksPage} overview=${overview} />`
              : section === 'calls'
                ? html`<${CallsPage} overview=${overview} />`
                : section === 'contacts'
                  ? html`<${ContactsPage} />`
                  : section === 'send'
                    ? html`<${SendPage} go=${go} />`
                    : section === 'config'
                      ? html`<${ConfigPage} />`
                      : html`<${OverviewPage} overview=${overview} />`
      }
    </main>
  `;
}

render(html`<${App} />`, document.getElementById('app')!);
