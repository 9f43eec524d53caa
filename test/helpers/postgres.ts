/**
 * A throw-away PostgreSQL server for tests: `initdb` into a temp folder, run
 * as an unprivileged user (PostgreSQL refuses root; under root the folder is
 * given to `nobody`), on a free loopback port, removed by stop(). Each test
 * file gets its own databases with createDatabase(). Debian installs the
 * binaries under /usr/lib/postgresql/<version>/bin, off PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './kannel.js';

export interface PgServer {
  port: number;
  /** The postmaster's pid (its backends are its children), or null while halted. */
  readonly pid: number | null;
  /** A new, empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stop the server (fast shutdown), keeping its files: start() brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Freeze the server and its backends (SIGSTOP): connections stay open and nothing answers — a hung server. */
  pause(): void;
  /** Let a paused server go on (SIGCONT). */
  resume(): void;
  /** Stop and remove everything. */
  stop(): Promise<void>;
}

/** The folder with initdb and postgres, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath.replace(/\/initdb$/, '');
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  return null;
}

/** Why PostgreSQL tests cannot run here (to skip with), or null. */
export function postgresMissing(): string | null {
  return postgresBinDir() ? null : 'PostgreSQL is not installed (Debian: apt-get install postgresql); .ci/run installs it';
}

const asRoot = process.getuid?.() === 0;

/** The sockets on `port` and the state of the server process, for a failure message. */
function whatHoldsPort(port: number, pid: number | undefined): string {
  const sockets = spawnSync('ss', ['-Htanp', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8' }).stdout;
  const processes = spawnSync('ps', ['-o', 'pid,ppid,stat,wchan:32,etimes,args', '--ppid', String(pid ?? 0), '-p', String(pid ?? 0)], {
    encoding: 'utf8',
  }).stdout;
  return `sockets on the port:\n${sockets || '(none)\n'}server processes:\n${processes}`;
}

/** PostgreSQL exited because something else holds its port. */
class PortTaken extends Error {
  constructor(stderr: string) {
    super(`postgres exited, its port in use: ${stderr}`);
  }
}

/** Run a PostgreSQL binary as the unprivileged owner of the data folder. */
function command(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', bin, ...args]] : [bin, args];
}

export async function startPostgres(): Promise<PgServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(postgresMissing()!);
  const dir = mkdtempSync(join(tmpdir(), 'telenode-pg-'));
  if (asRoot) chownSync(dir, 65534, 65534);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = command(join(bin, 'initdb'), ['-D', data, '-U', 'telenode', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let server: ChildProcess | null = null;
  let databases = 0;

  /**
   * Start (or restart) on `port`. The port lies outside the kernel's ephemeral range (freeTcpPort), so no outgoing
   * connection — least of all a client reconnecting to this very port while the server is down, which would connect
   * to itself — can hold it when the server comes back. Should something else listen there all the same, it tries
   * again until the deadline, as an operator restarting it would.
   */
  const start = async () => {
    const deadline = Date.now() + 30_000;
    let portTaken: PortTaken | null = null;
    for (;;) {
      try {
        await startOnce(deadline);
        return;
      } catch (err) {
        if (err instanceof PortTaken) portTaken = err;
        if (!(err instanceof PortTaken) || Date.now() > deadline) {
          // The last attempt may have met the deadline before it could fail like the ones before it.
          if (portTaken && err !== portTaken) throw new Error(`${(err as Error).message}\nthe attempts before: ${portTaken.message}`);
          throw err;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };

  const startOnce = async (deadline: number) => {
    const [cmd, args] = command(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      // Throw-away data: no fsync (a node's crash safety is about telenode's promises, not this server's disk).
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A spawn that fails (EAGAIN, ENOMEM) leaves exitCode null: say so rather than wait on a server that never ran.
    let spawnError: Error | null = null;
    child.once('error', (err) => (spawnError = err));
    const stderrRead = new Promise((r) => child.stderr!.once('close', r));
    server = child;
    for (;;) {
      if (spawnError) throw new Error(`postgres could not be started: ${(spawnError as Error).message}`);
      if (child.exitCode !== null) {
        await stderrRead;
        if (/could not create any TCP\/IP sockets/.test(stderr) && /Address already in use/.test(stderr)) throw new PortTaken(stderr);
        throw new Error(`postgres exited: ${stderr}`);
      }
      // A bounded probe: a connection that hangs (something else answering on the port) must not eat the deadline.
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'telenode', database: 'postgres', connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) {
          // What the last probe met and what the server said: a CI failure has to be readable from its log alone.
          const met = err instanceof Error ? err.message : String(err);
          throw new Error(
            `postgres did not accept connections on port ${port} within 30 s (last probe: ${met}; server running: ${child.exitCode === null}): ${stderr}\n${whatHoldsPort(port, child.pid)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  /** The postmaster and its children (backends, checkpointer, WAL writer …). */
  const processes = (): number[] => {
    const postmaster = server?.pid;
    if (postmaster === undefined) return [];
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [postmaster, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of processes()) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile (a backend that ended)
      }
    }
  };

  const halt = async () => {
    const child = server;
    server = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT'); // fast shutdown: clients are disconnected, no waiting for them
    await exited;
  };

  await start();
  return {
    port,
    get pid() {
      return server?.pid ?? null;
    },
    async createDatabase(name = `t${++databases}_${process.pid}`) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'telenode', database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://telenode:secret@127.0.0.1:${port}/${name}`;
    },
    halt,
    start,
    pause() {
      // Twice: a backend forked between listing the children and stopping the postmaster is in the second list
      // (and a stopped postmaster forks no more).
      signalAll('SIGSTOP');
      signalAll('SIGSTOP');
    },
    resume() {
      signalAll('SIGCONT');
    },
    async stop() {
      signalAll('SIGCONT'); // a paused server cannot shut down
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One statement (or several, `;`-separated) on a connection of its own, as the database's owner or whoever `url` names. */
export async function queryOnce<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}
