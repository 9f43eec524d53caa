/**
 * Kannel (Debian's `kannel`: bearerbox + smsbox) as a real SMPP client of
 * telenode's SMPP server: one SMPP transceiver to telenode, a sendsms user
 * that may send long messages, DLRs kept in memory. Writes its config and
 * logs to a temp folder and stops both boxes afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitUntil } from './temp-dir.js';

export function kannelAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v bearerbox && command -v smsbox'], { stdio: 'ignore' }).status === 0;
}

import { freeTcpPort as freePort } from './ports.js';

export { freePort };

export interface KannelOptions {
  smppPort: number;
  systemId: string;
  password: string;
}

export class Kannel {
  readonly sendsms = { username: 'tester', password: 'kannel-pw' };
  private readonly dir = tempDir();
  private readonly boxes: ChildProcess[] = [];
  adminPort = 0;
  sendsmsPort = 0;

  static async start(options: KannelOptions): Promise<Kannel> {
    const kannel = new Kannel();
    await kannel.launch(options);
    return kannel;
  }

  get logDir(): string {
    return this.dir.path;
  }

  private async launch(o: KannelOptions): Promise<void> {
    const [admin, box, sendsms] = [await freePort(), await freePort(), await freePort()];
    this.adminPort = admin;
    this.sendsmsPort = sendsms;
    const d = this.dir.path;
    const conf = join(d, 'kannel.conf');
    writeFileSync(
      conf,
      [
        'group = core',
        `admin-port = ${admin}`,
        'admin-password = admin-pw',
        'admin-interface = 127.0.0.1',
        `smsbox-port = ${box}`,
        'smsbox-interface = 127.0.0.1',
        'box-allow-ip = 127.0.0.1',
        'log-level = 1',
        `log-file = "${join(d, 'bearerbox.log')}"`,
        'dlr-storage = internal',
        '',
        'group = smsc',
        'smsc = smpp',
        'smsc-id = telenode',
        'host = 127.0.0.1',
        `port = ${o.smppPort}`,
        'transceiver-mode = true',
        `smsc-username = "${o.systemId}"`,
        `smsc-password = "${o.password}"`,
        'system-type = ""',
        'reconnect-delay = 1',
        'enquire-link-interval = 30',
        '',
        'group = smsbox',
        'bearerbox-host = 127.0.0.1',
        `bearerbox-port = ${box}`,
        `sendsms-port = ${sendsms}`,
        'sendsms-interface = 127.0.0.1',
        'log-level = 1',
        `log-file = "${join(d, 'smsbox.log')}"`,
        '',
        'group = sendsms-user',
        `username = ${this.sendsms.username}`,
        `password = ${this.sendsms.password}`,
        'max-messages = 10',
        'concatenation = true',
        '',
      ].join('\n'),
    );
    this.boxes.push(spawn('bearerbox', [conf], { stdio: 'ignore' }));
    await waitUntil(async () => (await this.status()) !== '', 30_000, 'bearerbox admin port');
    // bearerbox answers on its admin port before it opens its smsbox port, and smsbox panics at once
    // ("Couldn't connect to the bearerbox") when that port is not open yet: start smsbox again each time
    // it exits, until bearerbox lists it among its box connections.
    let smsbox: ChildProcess | undefined;
    await waitUntil(
      async () => {
        if (smsbox === undefined || smsbox.exitCode !== null || smsbox.signalCode !== null) {
          smsbox = spawn('smsbox', [conf], { stdio: 'ignore' });
          this.boxes.push(smsbox);
        }
        return /smsbox:.*on-line/.test(await this.status());
      },
      30_000,
      'smsbox connected to bearerbox',
    );
  }

  /** bearerbox's status page (status.txt), or '' while it does not answer. */
  async status(): Promise<string> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.adminPort}/status.txt?password=admin-pw`);
      return await res.text();
    } catch {
      return '';
    }
  }

  /** Kannel's /cgi-bin/sendsms; resolves with the HTTP status and body. */
  async send(params: Record<string, string>): Promise<{ status: number; body: string }> {
    const query = new URLSearchParams({ ...this.sendsms, ...params });
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.sendsmsPort}/cgi-bin/sendsms?${query}`);
        return { status: res.status, body: await res.text() };
      } catch (err) {
        if (attempt >= 50) throw err; // smsbox not listening yet
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.boxes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    this.dir.remove();
  }
}
