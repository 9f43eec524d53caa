import { describe, expect, it } from 'vitest';
import { ConsoleSessions, csrfMatches } from '../../../../src/api/admin/sessions.js';
import { ThroughputRecorder } from '../../../../src/api/admin/throughput.js';
import { csvLine } from '../../../../src/api/admin/csv.js';
import { redactConfig } from '../../../../src/app/console.js';
import { parseConfig } from '../../../../src/config/load.js';
import { hashPassword } from '../../../../src/shared/password-hash.js';

describe('console sessions', () => {
  it('end after the idle time, move on with each use, and end at log-out', () => {
    let now = 0;
    const sessions = new ConsoleSessions(1000, () => now);
    const { token, session } = sessions.open('operator');
    now = 900;
    expect(sessions.find(token)?.username).toBe('operator');
    now = 1800; // 900 ms after the last use
    expect(sessions.find(token)).not.toBeNull();
    now = 2801;
    expect(sessions.find(token)).toBeNull();
    const second = sessions.open('operator');
    sessions.close(second.token);
    expect(sessions.find(second.token)).toBeNull();
    expect(sessions.find('made-up')).toBeNull();
    expect([csrfMatches(session, session.csrfToken), csrfMatches(session, 'x'), csrfMatches(session, undefined)]).toEqual([true, false, false]);
  });
});

describe('the throughput chart', () => {
  it('counts into 10 s buckets over 15 minutes, forgetting older ones', () => {
    let now = 1_000_000;
    const recorder = new ThroughputRecorder(() => now);
    recorder.count('accepted', 3);
    recorder.count('delivered');
    now += 10_000;
    recorder.count('failed');
    const series = recorder.series();
    expect(series.times).toHaveLength(90);
    expect(series.counts.accepted.slice(-2)).toEqual([3, 0]);
    expect(series.counts.delivered.slice(-2)).toEqual([1, 0]);
    expect(series.counts.failed.slice(-2)).toEqual([0, 1]);
    now += 16 * 60_000;
    expect(recorder.series().counts.accepted.every((n) => n === 0)).toBe(true);
  });
});

describe('CSV cells', () => {
  it('quote what needs quoting and defuse formulas, not phone numbers', () => {
    expect(csvLine(['a', 1, null, 'x,y', 'say "hi"', '=1+1', '+3612345', '-2', '@cmd'])).toBe(`a,1,,"x,y","say ""hi""",'=1+1,+3612345,'-2,'@cmd\r\n`);
  });
});

describe('the config the console shows', () => {
  it('has no password, hash, secret or credential in a URL', () => {
    const config = parseConfig({
      users: [{ username: 'op', passwordHash: hashPassword('x'), admin: true }],
      connectors: [{ id: 'c', type: 'smpp', host: '127.0.0.1', port: 2775, systemId: 'sys', password: 'crsecret' }],
      webhooks: { signingSecret: 'signing-secret-1' },
      store: { type: 'postgres', url: 'postgres://tn:db-secret@127.0.0.1/telenode' },
    });
    const text = JSON.stringify(redactConfig(config));
    for (const secret of ['crsecret', 'signing-secret-1', 'db-secret', 'scrypt$']) expect(text).not.toContain(secret);
    expect(text).toContain('"systemId":"sys"');
    expect(text).toContain('127.0.0.1/telenode');
  });
});
