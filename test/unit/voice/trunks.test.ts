/** voice.trunks: what a trunk config accepts, and the request URI that calls a number through it. */
import { describe, expect, it } from 'vitest';
import { trunkTarget, trunksSchema } from '../../../src/voice/trunks.js';
import { voiceConfigSchema } from '../../../src/voice/config.js';

describe('trunks', () => {
  it('puts the number, as stored, in the user part of the trunk URI, keeping its port and parameters', () => {
    const trunk = { id: 't', uri: 'sip:trunk.example.com:5080;transport=tcp', auth: null };
    expect(trunkTarget(trunk, '+447723443321')).toBe('sip:+447723443321@trunk.example.com:5080;transport=tcp');
    expect(trunkTarget({ ...trunk, uri: 'sips:10.0.0.1' }, '1001')).toBe('sips:1001@10.0.0.1');
  });

  it('defaults to none, refuses a URI with a user part and duplicate ids', () => {
    expect(voiceConfigSchema.parse({}).trunks).toEqual([]);
    expect(trunksSchema.safeParse([{ id: 'a', uri: 'sip:1001@pbx' }]).success).toBe(false);
    expect(trunksSchema.safeParse([{ id: 'a', uri: 'http://pbx' }]).success).toBe(false);
    const dup = trunksSchema.safeParse([
      { id: 'a', uri: 'sip:pbx' },
      { id: 'a', uri: 'sip:pbx2' },
    ]);
    expect(dup.success).toBe(false);
    expect(dup.error!.issues[0]!.message).toBe("duplicate trunk id 'a'");
    expect(trunksSchema.parse([{ id: 'a', uri: 'sip:pbx', auth: { username: 'u', password: 'p' } }])[0]!.auth).toEqual({ username: 'u', password: 'p' });
  });

  it("lets Ozeki's Call command name a trunk by id, and refuses an id voice.trunks does not have", () => {
    const trunks = [{ id: 'pbx', uri: 'sip:pbx.example.com' }];
    expect(voiceConfigSchema.parse({ trunks, outbound: { trunk: 'pbx' } }).outbound.trunk).toBe('pbx');
    const wrong = voiceConfigSchema.safeParse({ trunks, outbound: { trunk: 'pxb' } });
    expect(wrong.success).toBe(false);
    expect(wrong.error!.issues[0]).toMatchObject({ path: ['outbound', 'trunk'], message: "no trunk 'pxb' in voice.trunks ('pbx')" });
    expect(voiceConfigSchema.safeParse({ outbound: { trunk: 'pbx' } }).error!.issues[0]!.message).toBe(
      "no trunk 'pbx' in voice.trunks (voice.trunks is empty)",
    );
  });
});
