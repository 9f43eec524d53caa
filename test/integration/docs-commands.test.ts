/**
 * Every command README and docs/ show runs as written (issue 22 item 12): each `telenode …` names a command the
 * CLI has and only options it takes, and README's first SMS and first call — the commands a new user types
 * first — work against a daemon on the embedded defaults.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';
import { freeUdpPort, rtpPortRange } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const PAGES = [
  'README.md',
  ...readdirSync('docs')
    .filter((n) => n.endsWith('.md'))
    .map((n) => `docs/${n}`),
];

/** Shell lines of ```sh blocks (continuations joined, `$ ` prompts and comments dropped). */
function shellLines(text: string): string[] {
  const blocks = [...text.matchAll(/^ *```sh\n([\s\S]*?)^ *```/gm)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.trim().replace(/^\$ /, ''))
      .map((line) => line.replace(/\s+#\s.*$/, ''))
      .filter((line) => line.length > 0),
  );
}

/** Every `telenode …` a reader may type: shell lines and inline code spans, with the page they are on. */
function documentedCommands(): { page: string; command: string }[] {
  return PAGES.flatMap((page) => {
    const text = readFileSync(page, 'utf8');
    const inline = [...text.replace(/^ *```[\s\S]*?^ *```/gm, '').matchAll(/`(telenode [^`]+)`/g)].map((m) => m[1]!);
    const shell = shellLines(text).flatMap((line) => line.split(/&&|;|\|(?!\|)/).map((part) => part.trim()));
    return [...inline, ...shell].filter((c) => /^telenode [a-z]/.test(c)).map((command) => ({ page, command }));
  });
}

interface CommandHelp {
  subcommands: string[];
  options: Set<string>;
}

const helpCache = new Map<string, CommandHelp>();
async function help(path: string[]): Promise<CommandHelp> {
  const key = path.join(' ');
  const cached = helpCache.get(key);
  if (cached) return cached;
  const { stdout } = await run(process.execPath, [CLI, ...path, '--help']);
  const section = (name: string) => stdout.split(`${name}:\n`)[1]?.split('\n\n')[0] ?? '';
  const subcommands = [...section('Commands').matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  const options = new Set([...section('Options').matchAll(/^ {2}(?:(-\w), )?(--?[a-zA-Z-]+)/gm)].flatMap((m) => [m[1], m[2]].filter((o): o is string => !!o)));
  const result = { subcommands, options };
  helpCache.set(key, result);
  return result;
}

describe('commands in README and docs/', () => {
  it('name real telenode commands and only the options those commands take', async () => {
    const commands = documentedCommands();
    expect(commands.length).toBeGreaterThan(25);
    // Each help is a process start: ask for the whole command tree at once, not one by one.
    const root = await help([]);
    const tops = await Promise.all(root.subcommands.map((name) => help([name])));
    await Promise.all(root.subcommands.flatMap((name, i) => tops[i]!.subcommands.map((sub) => help([name, sub]))));
    const wrong: string[] = [];
    for (const { page, command } of commands) {
      const words = command.replace(/[[\]]/g, ' ').split(/\s+/).slice(1);
      const path: string[] = [];
      let here = await help([]);
      let known = true;
      while (known && here.subcommands.length > 0 && /^[a-z][a-z|-]*$/.test(words[0] ?? '')) {
        // `webhooks dead|replay` names two commands at once.
        const names = words.shift()!.split('|');
        const unknown = names.filter((name) => !here.subcommands.includes(name));
        if (unknown.length > 0) wrong.push(`${page}: \`${command}\`: no command '${[...path, unknown[0]].join(' ')}'`);
        known = unknown.length === 0;
        path.push(names[0]!);
        if (known) here = await help(path);
      }
      if (!known) continue;
      for (const option of words.filter((word) => /^--?[a-zA-Z]/.test(word)).map((word) => word.split('=')[0]!)) {
        if (!here.options.has(option)) wrong.push(`${page}: \`${command}\`: '${path.join(' ')}' has no option ${option}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe("README's first SMS and first call, as written", () => {
  let work: ReturnType<typeof tempDir>;
  let daemon: DaemonProcess;
  let sip: string;

  beforeAll(async () => {
    // The embedded defaults, but on free ports: no users, no connector, no egress allowance — what a new user has.
    work = tempDir('telenode-readme-');
    const config = join(work.path, 'telenode.yaml');
    const rtp = rtpPortRange();
    const store = { path: join(work.path, 'data/telenode.db') };
    // SIP on a port the daemon claims itself (free for UDP and TCP at once) and names in its start line: a port picked
    // here beforehand can be taken on TCP by another suite's outgoing connection before the daemon binds it.
    writeFileSync(config, JSON.stringify({ http: { port: 0 }, store, voice: { builtin: { port: 0 }, ...(rtp ? { rtp } : {}) } }));
    daemon = await startDaemonProcess(config, 30_000);
    sip = `127.0.0.1:${daemon.sipPort}`;
  }, 60_000);

  afterAll(async () => {
    await daemon?.kill('SIGTERM');
    work?.remove();
  });

  const readme = readFileSync('README.md', 'utf8');
  const section = (title: string) => readme.split(`## ${title}\n`)[1]!.split('\n## ')[0]!;

  it('the curl of "A first SMS" is answered 200 with an SmsId, and so is `telenode send`', async () => {
    const [curl, send] = shellLines(section('A first SMS')).concat([...section('A first SMS').matchAll(/`(telenode send [^`]+)`/g)].map((m) => m[1]!));
    expect(curl).toMatch(/^curl "http:\/\/127\.0\.0\.1:9509\/api\?command=SendSms/);
    // In the folder whose data/ holds the generated password, as after README's first command.
    const cwd = work.path;
    const asWritten = (line: string) => line.replaceAll('http://127.0.0.1:9509', daemon.base);
    const answer = await run('bash', ['-c', asWritten(curl!)], { cwd });
    expect(answer.stdout).toMatch(/<Code>200<\/Code>.*<SmsId>[0-9a-f-]{36}<\/SmsId>/);
    expect(send).toMatch(/^telenode send /);
    const sent = await run('bash', ['-c', `${send!.replace(/^telenode/, `"${process.execPath}" "${CLI}"`)} --api ${daemon.base}`], { cwd });
    expect(sent.stdout).toMatch(/[0-9a-f]{8}-[0-9a-f-]{27}/);
  });

  it('the sipp line of "A first call" completes its one call', async () => {
    const [line] = shellLines(section('A first call'));
    expect(line).toMatch(/^sipp .* 127\.0\.0\.1:5060$/);
    // sipp's own port is a free one (two suites may run sipp at once); the rest is as written.
    const args = line!
      .replace('127.0.0.1:5060', sip)
      .split(/\s+/)
      .slice(1)
      .concat(['-p', String(await freeUdpPort()), '-timeout', '30s', '-nostdin']);
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('sipp', args, { cwd: work.path, stdio: 'ignore' });
      child.once('exit', resolve);
    });
    expect(code).toBe(0);
  }, 60_000);
});
