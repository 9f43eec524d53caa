import type { Command } from 'commander';
import { readPasswordFile } from './password-file.js';

interface SendOptions {
  to: string;
  text: string;
  from?: string;
  reportUrl?: string;
  api: string;
  user: string;
  password?: string;
  passwordFile: string;
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description("send an SMS through a running telenode's Ozeki API and print the result")
    .requiredOption('--to <number>', 'recipient')
    .requiredOption('--text <text>', 'message text')
    .option('--from <sender>', 'sender number or alphanumeric id')
    .option('--report-url <url>', 'DeliveryReportURL for the SMSDeliveryReport callback')
    .option('--api <url>', 'telenode HTTP API', 'http://127.0.0.1:9509')
    .option('--user <name>', 'API user', 'admin')
    .option('--password <password>', 'API password (default: read --password-file)')
    .option('--password-file <file>', 'file holding the password', 'data/admin-password.txt')
    .action(async (options: SendOptions) => {
      const password = options.password ?? readPasswordFile(options.passwordFile, 'send');
      const form = new URLSearchParams({ command: 'SendSms', Username: options.user, Password: password, Recipient: options.to, Message: options.text });
      if (options.from) form.set('Sender', options.from);
      if (options.reportUrl) form.set('DeliveryReportURL', options.reportUrl);
      const url = new URL('/api', options.api);
      let body: string;
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
        body = await response.text();
      } catch (err) {
        const reason = (err as { cause?: { code?: string; message?: string } }).cause;
        process.stderr.write(
          `telenode send: no answer from ${url.href} (${reason?.code ?? reason?.message ?? (err as Error).message}).\n` +
            'Is the daemon running (scripts/setup-and-run.sh, or systemctl status telenode)? ' +
            'If it listens elsewhere, pass --api http://HOST:PORT (http.host and http.port of its config).\n',
        );
        process.exit(2);
      }
      process.stdout.write(`${body}\n`);
      const code = /<Code>(\d+)<\/Code>/.exec(body)?.[1];
      if (code !== '200') process.exitCode = 1;
    });
}
