import { describe, expect, it } from 'vitest';
import { Router, canonicalNumber } from '../../../src/sms/router.js';

const up = (value: boolean) => ({ isUp: () => value });

describe('dial plan router', () => {
  const router = new Router([
    { name: 'hungary', recipient: { prefix: '+36' }, connectors: ['hu-primary', 'hu-backup'] },
    { name: 'alerts', sender: { regex: '^ALERT' }, connectors: ['alerts'] },
    { name: 'uk-mobile', recipient: { prefix: ['447', '00447'] }, connectors: ['uk'] },
  ]);

  it('takes the first matching rule', () => {
    expect(router.candidates('telenode', '+36301234567')).toEqual(['hu-primary', 'hu-backup']);
    expect(router.candidates('ALERT1', '+491701234567')).toEqual(['alerts']);
  });

  it("compares prefixes without '+', '00' and separators", () => {
    expect(router.candidates('x', '0036 30 123 4567')).toEqual(['hu-primary', 'hu-backup']);
    expect(router.candidates('x', '+44 7700 900123')).toEqual(['uk']);
    expect(canonicalNumber('+1 (555) 123-1234')).toBe('15551231234');
  });

  it('has no route when no rule matches (Ozeki 501)', () => {
    expect(router.hasRoute('telenode', '+491701234567')).toBe(false);
  });

  it('fails over to the next connector of the rule while a bind is down', () => {
    const connectors = new Map([
      ['hu-primary', up(false)],
      ['hu-backup', up(true)],
    ]);
    expect(router.pick('x', '+36301234567', connectors)).toBe(connectors.get('hu-backup'));
  });

  it('picks nothing when every connector of the rule is down (the message waits)', () => {
    const connectors = new Map([
      ['hu-primary', up(false)],
      ['hu-backup', up(false)],
    ]);
    expect(router.pick('x', '+36301234567', connectors)).toBeNull();
  });

  it('in a cluster, leaves a message to the node that has the preferred connector up instead of failing over here', () => {
    const connectors = new Map([
      ['hu-primary', up(false)],
      ['hu-backup', up(true)],
    ]);
    // hu-primary's bind (or modem) is up on another node: that node sends it, not this node's backup.
    expect(router.pick('x', '+36301234567', connectors, (id) => id === 'hu-primary')).toBeNull();
    // Up nowhere else: the backup here takes it, as on one node.
    expect(router.pick('x', '+36301234567', connectors, () => false)).toBe(connectors.get('hu-backup'));
    // Up here and elsewhere: here.
    const here = up(true);
    expect(router.pick('x', '+36301234567', new Map([['hu-primary', here]]), () => true)).toBe(here);
  });
});
