import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfigFile, parseConfig } from '../../../src/config/load.js';
import { hashPassword } from '../../../src/shared/password-hash.js';

function problemsOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has embedded defaults a fresh machine can run on', () => {
    const config = defaultConfig();
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 9509,
      bodyLimitBytes: 65536,
      maxConnections: 1024,
      maxConnectionsPerSource: 256,
      requestTimeoutSeconds: 30,
      trustedProxies: [],
      loginLimits: { maxFailuresPerSource: 10, maxFailuresPerUser: 20, windowSeconds: 300, lockoutSeconds: 300 },
    });
    expect(config.store.path).toBe('data/telenode.db');
    expect(config.connectors).toEqual([]);
    expect(Object.isFrozen(config.sms)).toBe(true);
  });

  it('names the exact path of a wrong value', () => {
    const problems = problemsOf(() => parseConfig({ http: { port: 'eighty' } }));
    expect(problems[0]!.path).toBe('http.port');
  });

  it('bounds store.commitIntervalMs to 0–100 whole milliseconds, 5 by default', () => {
    expect(defaultConfig().store.commitIntervalMs).toBe(5);
    expect(parseConfig({ store: { commitIntervalMs: 0 } }).store.commitIntervalMs).toBe(0);
    expect(parseConfig({ store: { commitIntervalMs: 10 } }).store.commitIntervalMs).toBe(10);
    for (const bad of [-1, 101, 2.5, '10']) {
      expect(problemsOf(() => parseConfig({ store: { commitIntervalMs: bad } }))[0]!.path).toBe('store.commitIntervalMs');
    }
  });

  it('bounds warmUp.messages to 0–10,000 whole messages, 500 by default', () => {
    expect(defaultConfig().warmUp.messages).toBe(500);
    expect(parseConfig({ warmUp: { messages: 0 } }).warmUp.messages).toBe(0);
    for (const bad of [-1, 10_001, 2.5, '500']) {
      expect(problemsOf(() => parseConfig({ warmUp: { messages: bad } }))[0]!.path).toBe('warmUp.messages');
    }
  });

  it('names unknown options instead of ignoring a typo', () => {
    const problems = problemsOf(() => parseConfig({ sms: { maxPart: 3 } }));
    expect(problems[0]).toMatchObject({ path: 'sms', message: expect.stringContaining('maxPart') });
  });

  it('refuses a route to a connector that does not exist', () => {
    const problems = problemsOf(() =>
      parseConfig({
        connectors: [{ id: 'sim1', type: 'simulator' }],
        routes: [{ recipient: { prefix: '+36' }, connectors: ['sim1', 'nope'] }],
      }),
    );
    expect(problems).toEqual([{ path: 'routes[0].connectors[1]', message: "unknown connector 'nope' (known: sim1)" }]);
  });

  it('refuses modems pinned to another node on SQLite, where no other node can send through them', () => {
    const modem = { id: 'gsm', type: 'modem', port: '/dev/ttyUSB2', node: 'sms-b' };
    const problems = problemsOf(() => parseConfig({ node: { id: 'sms-a' }, connectors: [modem] }));
    expect(problems).toEqual([
      {
        path: 'connectors[0].node',
        message: "the modems are on node 'sms-b', but this node is 'sms-a' and an SQLite store has no other node: nothing would send through them",
      },
    ]);
    // Its own node, or a cluster (the other node serves it): fine.
    expect(() => parseConfig({ node: { id: 'sms-b' }, connectors: [modem] })).not.toThrow();
    expect(() => parseConfig({ node: { id: 'sms-a' }, store: { type: 'postgres', url: 'postgres://x@db/t' }, connectors: [modem] })).not.toThrow();
  });

  it('refuses a plain-text password where a scrypt hash belongs', () => {
    const problems = problemsOf(() => parseConfig({ users: [{ username: 'u', passwordHash: 'secret' }] }));
    expect(problems[0]!.path).toBe('users[0].passwordHash');
  });

  it('accepts a hash printed by hash-password', () => {
    const config = parseConfig({ users: [{ username: 'u', passwordHash: hashPassword('pw') }] });
    expect(config.users[0]!.username).toBe('u');
  });

  it('refuses a Voximplant service-account key that does not parse, at load time, with its path', () => {
    const problems = problemsOf(() =>
      parseConfig({
        users: [
          {
            username: 'u',
            passwordHash: hashPassword('pw'),
            voximplant: { accountId: 1, serviceAccountKeys: [{ keyId: 'k', publicKey: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----' }] },
          },
        ],
      }),
    );
    expect(problems[0]!.path).toBe('users[0].voximplant.serviceAccountKeys[0].publicKey');
  });

  it('reports YAML syntax errors with a line number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'http:\n  port: [1, 2\n');
    const problems = problemsOf(() => loadConfigFile(file));
    expect(problems[0]!.path).toMatch(/^line \d+/);
  });

  it('points an unclosed quote at the line that opened it, not the end of the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tn-config-'));
    const file = join(dir, 'quote.yaml');
    writeFileSync(file, 'http:\n  port: 9509\n  host: "127.0.0.1\nusers: []\n');
    expect(problemsOf(() => loadConfigFile(file))).toEqual([{ path: 'line 3, column 9', message: 'this double-quoted value is never closed' }]);
  });

  it('says "required" for a missing field, with its path', () => {
    const problems = problemsOf(() => parseConfig({ connectors: [{ id: 'c', type: 'smpp', port: 2775, systemId: 'x', password: 'y' }] }));
    expect(problems).toEqual([{ path: 'connectors[0].host', message: 'required (string)' }]);
  });

  it('loads the shipped example config', () => {
    const config = loadConfigFile('config/telenode.example.yaml');
    expect(config.connectors.length).toBeGreaterThan(0);
  });
});
