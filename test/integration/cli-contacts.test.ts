/** `telenode contacts` and start-up checks of IOVOX failover links, as a user runs them (built dist/, real processes). */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, writeConfig } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startDaemon } from '../helpers/in-process-daemon.js';

const run = promisify(execFile);
const dir = tempDir('telenode-cli-contacts-');
afterAll(() => dir.remove());
const config = writeConfig(dir.path, { store: { path: join(dir.path, 'data/telenode.db') } });

async function telenode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('telenode contacts', () => {
  it('list, remove and webhooks dead refuse to create an empty store elsewhere: they name the path they tried and exit 2', async () => {
    const elsewhere = writeConfig(dir.path, { store: { path: join(dir.path, 'nowhere/telenode.db') } }, 'elsewhere.yaml');
    for (const args of [
      ['contacts', 'list', '-c', elsewhere],
      ['contacts', 'remove', '-c', elsewhere, '1'],
      ['webhooks', 'dead', '-c', elsewhere],
    ]) {
      const result = await telenode(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(`no store at ${join(dir.path, 'nowhere/telenode.db')}`);
      expect(result.stderr).toContain('--config');
    }
    expect(existsSync(join(dir.path, 'nowhere'))).toBe(false);
  });

  it('adds, lists and removes contacts in the store', async () => {
    const added = await telenode([
      'contacts',
      'add',
      '-c',
      config,
      '--name',
      'Bob',
      '--phone',
      '447400000000',
      '--phone',
      '+44 7400 000001',
      '--email',
      'bob@example.test',
      '--secondary-email',
      'boss@example.test',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      id: '1',
      displayName: 'Bob',
      phoneNumbers: ['447400000000', '+44 7400 000001'],
      primaryEmails: ['bob@example.test'],
      secondaryEmails: ['boss@example.test'],
    });
    expect((await telenode(['contacts', 'add', '-c', config, '--name', 'Alice', '--id', 'crm-7'])).code).toBe(0);

    const listed = await telenode(['contacts', 'list', '-c', config]);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['1', 'crm-7']);
    expect(listed.stderr).toContain('2 contact(s)');
    const byName = await telenode(['contacts', 'list', '-c', config, '--name', 'alice']);
    expect(byName.stdout.trim().split('\n')).toHaveLength(1);

    expect((await telenode(['contacts', 'remove', '-c', config, 'crm-7'])).stdout).toContain('contact crm-7 removed');
    expect((await telenode(['contacts', 'list', '-c', config])).stderr).toContain('1 contact(s)');
  });

  it('says what is wrong and exits non-zero on bad input, changing nothing', async () => {
    const bad = await telenode(['contacts', 'add', '-c', config, '--name', 'Eve', '--phone', 'not a number']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('phoneNumbers.0');
    const missing = await telenode(['contacts', 'remove', '-c', config, 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no contact 'nobody'");
    expect((await telenode(['contacts', 'list', '-c', config])).stderr).toContain('1 contact(s)');
  });

  it('is listed in --help', async () => {
    expect((await telenode(['--help'])).stdout).toContain('contacts');
    expect((await telenode(['contacts', '--help'])).stdout).toMatch(/list[\s\S]*add[\s\S]*remove/);
  });
});

describe('IOVOX failover links at start-up', () => {
  it('refuse to start with a call flow that breaks a rule, naming the link and the IOVOX error', async () => {
    const flow = join(dir.path, 'broken.xml');
    writeFileSync(flow, '<callFlow name="x">\n  <play label="no id"><textToSpeech textToSpeak="$content" voice="tts_uk_eng_male"/></play>\n</callFlow>');
    await expect(startDaemon({ iovox: { failoverLinks: [{ id: 'link-9', callFlowFile: flow, callerId: '447923221231' }] } })).rejects.toThrow(
      /failover link 'link-9': call flow .*broken\.xml: Rule ID Empty \(line 2, column 3\)/,
    );
  });

  it('refuse a link whose call flow file is missing', async () => {
    await expect(
      startDaemon({ iovox: { failoverLinks: [{ id: 'link-9', callFlowFile: join(dir.path, 'nope.xml'), callerId: '447923221231' }] } }),
    ).rejects.toThrow(/failover link 'link-9': cannot read call flow/);
  });

  it('refuse a link whose trunk is not in voice.trunks, or whose bindings name no sendSms rule', async () => {
    const link = { id: 'link-9', callFlowFile: 'test/fixtures/iovox/sms-read-out.xml', callerId: '447923221231' };
    await expect(startDaemon({ iovox: { failoverLinks: [link] } })).rejects.toThrow(
      /failover link 'link-9': no trunk 'default' in voice\.trunks \(voice\.trunks is empty\)/,
    );
    await expect(
      startDaemon({
        iovox: { failoverLinks: [{ ...link, bindings: { sms_read_out: { message: 'x' } } }] },
        voice: { builtin: { port: 0 }, trunks: [{ id: 'default', uri: 'sip:127.0.0.1:5999' }] },
      }),
    ).rejects.toThrow(/failover link 'link-9': bindings name 'sms_read_out', which is not a sendSms rule of its call flow/);
  });

  it('are offered to the voice runtime with their parsed flows', async () => {
    const env = await startDaemon({
      iovox: { failoverLinks: [{ id: '123456', callFlowFile: 'test/fixtures/iovox/sms-read-out.xml', callerId: '447923221231', trunk: 'sip-out' }] },
      voice: { builtin: { port: 0 }, trunks: [{ id: 'sip-out', uri: 'sip:127.0.0.1:5999' }] },
    });
    try {
      const link = env.daemon.extras.failoverLinks.get('123456')!;
      expect(link).toMatchObject({ callerId: '447923221231', trunk: 'sip-out', flow: { name: 'SMS READ OUT' } });
      expect(link.flow.rules[0]).toMatchObject({ kind: 'play', id: 'sms_read_out' });
    } finally {
      await env.stop();
    }
  });
});
