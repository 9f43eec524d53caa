/** The `telenode` command as a user runs it (built dist/, real processes). */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/shared/password-hash.js';
import { CLI, startDaemonProcess, writeConfig } from '../helpers/daemon-process.js';
import { tempDir, waitUntil } from '../helpers/temp-dir.js';
import { SmppTestClient } from '../helpers/smpp-client.js';
import { TEST_USER, startDaemon } from '../helpers/in-process-daemon.js';

const run = promisify(execFile);
const dir = tempDir('telenode-cli-');
afterAll(() => dir.remove());

async function telenode(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = run(process.execPath, [CLI, ...args], { timeout: 20_000 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('telenode CLI', () => {
  it('has --help on every command', async () => {
    const top = await telenode(['--help']);
    for (const command of ['start', 'check-config', 'hash-password', 'send', 'smsc-sim', 'modem-sim', 'modem-probe', 'webhooks', 'status']) {
      expect(top.stdout).toContain(command);
      const help = await telenode([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: telenode /);
    }
  });

  it('refuses a numeric option that is not a number in its range, names it and starts nothing', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['smsc-sim', '--port', '0', '--receipt-delay', 'abc'],
        "option '--receipt-delay <ms>' argument 'abc' is invalid. expected a whole number from 0 to 2147483647.",
      ],
      [['smsc-sim', '--port', '0', '--status-interval', '0'], "option '--status-interval <seconds>' argument '0' is invalid. expected a number from 0.01"],
      [['smsc-sim', '--port', '70000'], "option '--port <port>' argument '70000' is invalid. expected a whole number from 0 to 65535."],
      [['smsc-sim', '--port', '0', '--failure-rate', '1.5'], "option '--failure-rate <0..1>' argument '1.5' is invalid."],
      [['modem-sim', '--signal', '-3'], "option '--signal <rssi>' argument '-3' is invalid. expected a whole number from 0 to 99."],
      [['webhooks', 'dead', '--limit', ''], "option '-n, --limit <n>' argument '' is invalid. expected a whole number 1 or more."],
    ];
    for (const [args, message] of cases) {
      const result = await telenode(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe('');
    }
  });

  it('a reader that goes away ends a one-shot command quietly, and the SMSC simulator serves on', async () => {
    // `telenode api-key | head -0`: the reader is gone before the command prints. Node ignores SIGPIPE, so the write
    // fails with EPIPE, which unhandled ended the command with a stack trace and status 1.
    const oneShot = spawn(process.execPath, [CLI, 'api-key'], { stdio: ['ignore', 'pipe', 'pipe'] });
    oneShot.stdout.destroy();
    let oneShotErr = '';
    oneShot.stderr.on('data', (d: Buffer) => (oneShotErr += d.toString()));
    const oneShotCode = await new Promise<number | null>((resolve) => oneShot.on('exit', (code) => resolve(code)));
    expect(oneShotErr).toBe('');
    expect(oneShotCode).toBe(0);

    // `telenode smsc-sim | head -1`: the simulator's counters line then has no reader; it used to die of it, with
    // its ESMEs still bound.
    const intervalMs = 20;
    const sim = spawn(process.execPath, [CLI, 'smsc-sim', '--port', '0', '--status-interval', String(intervalMs / 1000)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let simErr = '';
    sim.stderr.on('data', (d: Buffer) => (simErr += d.toString()));
    let exited = false;
    const simExit = new Promise<never>((_, reject) =>
      sim.on('exit', (code) => {
        exited = true;
        reject(new Error(`the simulator ended (status ${code}) ${simErr}`));
      }),
    );
    simExit.catch(() => undefined);
    try {
      let firstLine = '';
      sim.stdout.on('data', (d: Buffer) => (firstLine += d.toString()));
      await waitUntil(() => /listening on 127\.0\.0\.1:(\d+)/.test(firstLine), 20_000, 'the simulator listening');
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(firstLine)![1]);
      sim.stdout.destroy();
      const client = await Promise.race([SmppTestClient.connect(port), simExit]);
      try {
        expect(await Promise.race([client.bind('transceiver', 'esme', 'secret'), simExit])).toBe(0);
        // Served submits prove the simulator's event loop ran; one answered after several counters lines fell due
        // proves it tried to print to no reader and lived (timers run before the socket reads of the same turn).
        const closedAt = Date.now();
        let answered = 0;
        while (!(Date.now() - closedAt > 5 * intervalMs && answered > 0)) {
          const resp = await Promise.race([client.submit({ short_message: `after the reader left ${answered}` }), simExit]);
          expect(resp.command_status).toBe(0);
          if (Date.now() - closedAt > 5 * intervalMs) answered++;
        }
        expect(exited).toBe(false);
      } finally {
        await client.close();
      }
      expect(simErr).toBe('');
    } finally {
      sim.kill('SIGTERM');
      if (!exited) await new Promise((resolve) => sim.on('exit', resolve));
    }
  });

  it('check-config accepts the shipped example and names the exact path of a mistake', async () => {
    const good = await telenode(['check-config', 'config/telenode.example.yaml']);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('OK');

    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'connectors:\n  - id: c1\n    type: smpp\n    host: 127.0.0.1\n    port: "x"\n    systemId: a\n    password: b\n');
    const result = await telenode(['check-config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connectors[0].port');
  });

  it('check-config notes a user whose password hash takes more memory a check than one hash-password prints now', async () => {
    const file = join(dir.path, 'old-hash.yaml');
    const old = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
    writeFileSync(
      file,
      JSON.stringify({
        users: [
          { username: 'old', passwordHash: old },
          { username: 'new', passwordHash: hashPassword('pw') },
        ],
      }),
    );
    const result = await telenode(['check-config', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('OK');
    expect(result.stdout).toContain('note: users[0] (old): its password hash takes 16 MiB a log-in check');
    expect(result.stdout).toContain('takes 8 MiB');
    expect(result.stdout).not.toContain('users[1]');
  });

  it('start refuses a wrong config and says why', async () => {
    const bad = join(dir.path, 'bad-route.yaml');
    writeFileSync(bad, 'routes:\n  - connectors: [nope]\n');
    const result = await telenode(['start', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("routes[0].connectors[0]: unknown connector 'nope'");
    expect(result.stderr).toContain('refuses to start');
  });

  it('hash-password prints a hash that verifies the password given on stdin', async () => {
    const result = await telenode(['hash-password'], 's3cret!\n');
    expect(result.code).toBe(0);
    const hash = result.stdout.trim();
    expect(hash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('s3cret!', hash)).toBe(true);
    expect(await verifyPassword('s3cret', hash)).toBe(false);
  });

  it('send submits through a running daemon and prints the SmsId', async () => {
    const env = await startDaemon({ connectors: [{ id: 'lab', type: 'simulator' }] });
    try {
      const result = await telenode([
        'send',
        '--api',
        env.base,
        '--user',
        TEST_USER.username,
        '--password',
        TEST_USER.password,
        '--to',
        '+36301234567',
        '--text',
        'from the CLI',
      ]);
      expect(result.code).toBe(0);
      const smsId = /<SmsId>([^<]+)<\/SmsId>/.exec(result.stdout)?.[1];
      expect(env.daemon.db.prepare('SELECT text FROM messages WHERE id = ?').get(smsId)).toEqual({ text: 'from the CLI' });
    } finally {
      await env.stop();
    }
  });

  it('modem-sim prints a port that answers AT commands like a modem', async () => {
    const { spawn } = await import('node:child_process');
    const { SerialPort } = await import('serialport');
    const { AtChannel } = await import('../../src/sms/connectors/modem/at-channel.js');
    const work = tempDir('telenode-modem-cli-');
    const link = join(work.path, 'ttyModem');
    const child = spawn(process.execPath, [CLI, 'modem-sim', '--link', link], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('modem-sim did not start')), 10_000);
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes(`connect to ${link}`)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const port = new SerialPort({ path: link, baudRate: 115200, hupcl: false, lock: false, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      const at = new AtChannel(port, 10_000); // a loaded machine may take seconds to answer from the simulator's end of the pty
      await at.send('ATE0');
      expect((await at.send('AT+CGMI')).lines).toEqual(['telenode']);
      await new Promise<void>((r) => port.close(() => r()));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      work.remove();
    }
  });

  it('starts on embedded defaults with a generated admin password and stops cleanly on SIGTERM', async () => {
    const work = tempDir('telenode-defaults-');
    try {
      const config = writeConfig(work.path, { http: { port: 0 }, store: { path: join(work.path, 'data/telenode.db') } });
      const daemon = await startDaemonProcess(config);
      expect(daemon.logs.join('\n')).toContain('using the built-in simulator connector');
      expect(daemon.logs.join('\n')).toContain("created user 'admin'");
      const password = (await import('node:fs')).readFileSync(join(work.path, 'data/admin-password.txt'), 'utf8').trim();
      const reply = await fetch(
        `${daemon.base}/api?command=SendSms&Username=admin&Password=${encodeURIComponent(password)}&Recipient=%2b3612345678&Message=hi`,
      );
      expect(await reply.text()).toContain('<Code>200</Code>');
      // The generated user is the operator: `telenode status` (and the console) work on the defaults.
      const status = await telenode(['status', '--api', daemon.base, '--password-file', join(work.path, 'data/admin-password.txt')]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('simulator (simulator) up');
      expect(status.stdout).toMatch(/Outbox +\d+ waiting/);
      const refused = await telenode(['status', '--api', daemon.base, '--password', 'not-it']);
      expect([refused.code, refused.stderr.trim()]).toEqual([2, 'telenode status: 401 wrong username or password']);
      const code = await daemon.kill('SIGTERM');
      expect(code).toBe(0);
      expect(daemon.logs.join('\n')).toContain('telenode stopped');
    } finally {
      work.remove();
    }
  });

  it('writes readable log lines with log.format: pretty, and JSON lines when its output is not a terminal (auto)', async () => {
    const started = async (format: string) => {
      const config = writeConfig(
        dir.path,
        { http: { host: '127.0.0.1', port: 0 }, store: { path: join(dir.path, `log-${format}.db`) }, log: { format } },
        `log-${format}.yaml`,
      );
      const child = spawn(process.execPath, [CLI, 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await waitUntil(() => out.includes('telenode started'), 20_000, 'the start-up line');
      } finally {
        child.kill('SIGKILL');
      }
      return out.split('\n').find((l) => l.includes('telenode started'))!;
    };
    const pretty = await started('pretty');
    expect(pretty.startsWith('{')).toBe(false);
    expect(pretty).toMatch(/INFO.*telenode started/);
    const auto = await started('auto'); // a pipe, not a terminal
    expect(JSON.parse(auto)).toMatchObject({ msg: 'telenode started' });
  });

  it('send with the daemon down says which URL it tried and what to do, and exits 2', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const result = await telenode(['send', '--to', '+3630111', '--text', 'hi', '--password', 'x', '--api', `http://127.0.0.1:${closed}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no answer from http://127.0.0.1:${closed}/api (ECONNREFUSED)`);
    expect(result.stderr).toContain('--api');
    const noFile = await telenode(['send', '--to', '+3630111', '--text', 'hi', '--password-file', join(dir.path, 'missing.txt')]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('cannot read the password file');
  });
});
