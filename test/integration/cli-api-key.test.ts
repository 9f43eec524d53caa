/** `telenode api-key` as an operator uses it: the printed hash goes into the config, the key into the client. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/shared/password-hash.js';
import { CLI } from '../helpers/daemon-process.js';
import { startDaemon } from '../helpers/in-process-daemon.js';
import { voxGet } from '../helpers/voximplant-client.js';

const run = promisify(execFile);

describe('telenode api-key', () => {
  it('prints a fresh key and the hash that lets it in', async () => {
    const first = await run(process.execPath, [CLI, 'api-key'], { timeout: 20_000 });
    const second = await run(process.execPath, [CLI, 'api-key'], { timeout: 20_000 });
    const key = /^api_key: +(\S+)$/m.exec(first.stdout)![1]!;
    const hash = /^apiKeyHashes: \["(sha256\$[0-9a-f]{64})"\]$/m.exec(first.stdout)![1]!;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.stdout).not.toContain(key);

    const env = await startDaemon({ users: [{ username: 'ops', passwordHash: hashPassword('pw'), apiKeyHashes: [hash] }] });
    try {
      expect((await voxGet(env.base, 'GetSmsHistory', { api_key: key })).json).toEqual({ result: [], total_count: 0 });
      expect((await voxGet(env.base, 'GetSmsHistory', { api_key: `${key}x` })).json['error']['code']).toBe(100);
    } finally {
      await env.stop();
    }
  });
});
