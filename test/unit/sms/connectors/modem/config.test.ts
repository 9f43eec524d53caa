import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { modemConnectorSchema, modemDevices } from '../../../../../src/sms/connectors/modem/config.js';

describe('modem connector config', () => {
  it('one modem: named after the connector, with the defaults', () => {
    const devices = modemDevices(modemConnectorSchema.parse({ id: 'gsm1', type: 'modem', port: '/dev/ttyUSB2' }));
    expect(devices).toEqual([
      expect.objectContaining({
        id: 'gsm1',
        port: '/dev/ttyUSB2',
        profile: 'auto',
        messageMode: 'auto',
        baudRate: 115200,
        minSignal: 0,
        maxPerMinute: undefined,
        cnmi: undefined,
      }),
    ]);
  });

  it('a pool: every modem inherits the connector settings and overrides its own', () => {
    const config = modemConnectorSchema.parse({
      id: 'gsm',
      type: 'modem',
      profile: 'quectel',
      maxPerMinute: 6,
      modems: [{ port: '/dev/a' }, { id: 'b', port: '/dev/b', profile: 'huawei', pin: '1234', maxPerMinute: 2 }],
    });
    expect(modemDevices(config).map((d) => [d.id, d.port, d.profile, d.maxPerMinute, d.pin])).toEqual([
      ['gsm-1', '/dev/a', 'quectel', 6, undefined],
      ['b', '/dev/b', 'huawei', 2, '1234'],
    ]);
  });

  it('needs exactly one of port and modems, unique modem ids, and sane values', () => {
    const issues = (input: object) => modemConnectorSchema.safeParse({ id: 'gsm', type: 'modem', ...input }).error?.issues.map((i) => i.message) ?? [];
    expect(issues({})).toEqual(['give either port (one modem) or modems (a pool), not both or neither']);
    expect(issues({ port: '/dev/a', modems: [{ port: '/dev/b' }] })).toEqual(['give either port (one modem) or modems (a pool), not both or neither']);
    expect(
      issues({
        modems: [
          { id: 'x', port: '/dev/a' },
          { id: 'x', port: '/dev/b' },
        ],
      }),
    ).toEqual(["duplicate modem id 'x'"]);
    expect(issues({ port: '/dev/a', profile: 'nokia' })).toHaveLength(1);
    expect(issues({ port: '/dev/a', cnmi: '2,1,0,2,0' })).toEqual([]);
    expect(issues({ port: '/dev/a', cnmi: '2,1,0,2,0,9' })).toEqual(['expected AT+CNMI values like 2,1,0,2,0']);
    expect(issues({ port: '/dev/a', cnmi: 'on' })).toEqual(['expected AT+CNMI values like 2,1,0,2,0']);
    expect(issues({ port: '/dev/a', minSignal: 32 })).toHaveLength(1);
    expect(issues({ modems: [{ port: '/dev/a', speed: 9600 }] })).toHaveLength(1); // unknown key
  });

  it('the commented modem examples in the shipped config are valid', () => {
    const yaml = readFileSync('config/telenode.example.yaml', 'utf8');
    const block = yaml.slice(yaml.indexOf('  # - id: gsm1'), yaml.indexOf('  - id: lab'));
    const uncommented = block
      .split('\n')
      // YAML lines are "# - …" or "#   …"; prose lines are "# Text".
      .filter((l) => /^ {2}# (- | {2})/.test(l))
      .map((l) => l.replace(/^ {2}# /, '  '))
      .join('\n');
    const connectors = parse(`connectors:\n${uncommented}`).connectors as object[];
    expect(connectors).toHaveLength(2);
    for (const c of connectors) expect(modemConnectorSchema.safeParse(c).error?.issues ?? []).toEqual([]);
  });
});
