/**
 * `telenode status`: the console's overview in a terminal, read from a running node's /admin/api/overview with
 * an admin user's credentials. Exit status 0 when every connector is up and no callback is dead, 1 when
 * something needs an operator, 2 when the node does not answer.
 */
import type { Command } from 'commander';
import type { ConsoleOverview } from '../app/console.js';
import { readPasswordFile } from './password-file.js';

interface StatusOptions {
  api: string;
  user: string;
  password?: string;
  passwordFile: string;
  json?: boolean;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("a running node's overview: carriers, modems, SIP, calls, outbox, callbacks (what the console's front page shows)")
    .option('--api <url>', 'telenode HTTP API', 'http://127.0.0.1:9509')
    .option('--user <name>', 'a user with the admin role', 'admin')
    .option('--password <password>', 'its password (default: read --password-file)')
    .option('--password-file <file>', 'file holding the password', 'data/admin-password.txt')
    .option('--json', 'print the overview as JSON')
    .action(async (options: StatusOptions) => {
      const password = options.password ?? readPasswordFile(options.passwordFile, 'status');
      const url = new URL('/admin/api/overview', options.api);
      let response: Response;
      try {
        response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${options.user}:${password}`).toString('base64')}` } });
      } catch (err) {
        const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        process.stderr.write(
          `telenode status: no answer from ${url.href} (${reason}). Is the daemon running? Pass --api http://HOST:PORT if it listens elsewhere.\n`,
        );
        process.exit(2);
      }
      const body = (await response.json().catch(() => ({}))) as ConsoleOverview & { error?: { message: string } };
      if (!response.ok) {
        process.stderr.write(`telenode status: ${response.status} ${body.error?.message ?? response.statusText}\n`);
        process.exit(2);
      }
      process.stdout.write(options.json ? `${JSON.stringify(body, null, 2)}\n` : render(body, paint(process.stdout.isTTY && !process.env['NO_COLOR'])));
      const healthy = body.connectors.every((c) => c.up) && body.callbacks.dead === 0;
      process.exitCode = healthy ? 0 : 1;
    });
}

type Paint = (tone: 'good' | 'bad' | 'dim' | 'bold', text: string) => string;

/** ANSI colours where the terminal shows them (and NO_COLOR is not set: no-color.org). */
function paint(colour: boolean): Paint {
  const codes = { good: '32', bad: '31', dim: '2', bold: '1' };
  return (tone, text) => (colour ? `\u001b[${codes[tone]}m${text}\u001b[0m` : text);
}

function render(o: ConsoleOverview, p: Paint): string {
  const now = o.node.now;
  const lines = [`${p('bold', `telenode ${o.node.id}`)} · ${o.node.store} · up ${age(now - o.node.startedAt)}`, '', p('bold', 'Connectors')];
  for (const c of o.connectors) {
    const state = c.servedBy ? p('dim', `on node ${c.servedBy}`) : c.up ? p('good', 'up') : p('bad', 'down');
    lines.push(`  ${c.id} (${c.kind}) ${state}${c.queued ? `, ${c.queued} queued` : ''}`);
    for (const b of c.binds) {
      const state = b.state === 'bound' || b.state === 'ready' ? p('good', b.state) : p('bad', b.state);
      const since = b.since ? p('dim', ` for ${age(now - b.since)}`) : '';
      const extra = [b.throttled ? p('bad', 'throttled') : '', b.signal !== undefined ? `signal ${b.signal}` : '', b.operator ?? ''].filter(Boolean).join(', ');
      lines.push(`    ${b.name} ${b.role} ${state}${since}  window ${b.windowInUse}/${b.windowSize}${extra ? `  ${extra}` : ''}`);
    }
  }
  if (o.voice) {
    const registrations = o.voice.registrations.map((r) => `${r.aor} ${r.registered ? p('good', 'registered') : p('bad', 'not registered')}`);
    lines.push('', `${p('bold', 'SIP')}        ${o.voice.engine} ${o.voice.up ? p('good', 'up') : p('bad', 'down')} on ${o.voice.listen.join(', ')}`);
    if (registrations.length) lines.push(`           ${registrations.join('; ')}`);
    lines.push(`${p('bold', 'Calls')}      ${o.voice.activeCalls} live`);
  }
  lines.push(`${p('bold', 'Outbox')}     ${o.outbox.depth} waiting (${o.outbox.retrying} retrying, ${o.outbox.inFlight} in flight)`);
  const dead = o.callbacks.dead > 0 ? p('bad', `${o.callbacks.dead} dead`) : '0 dead';
  const failing = o.callbacks.failing > 0 ? p('bad', `${o.callbacks.failing} failing`) : '0 failing';
  lines.push(`${p('bold', 'Callbacks')}  ${o.callbacks.pending} pending, ${failing} at ${o.callbacks.failingDestinations} destination(s), ${dead}`);
  if (o.cluster) {
    lines.push(
      `${p('bold', 'Cluster')}    ${o.cluster.nodes.map((n) => `${n.id} ${n.alive ? p('good', 'alive') : p('bad', 'gone')} (${n.messages} msgs)`).join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
