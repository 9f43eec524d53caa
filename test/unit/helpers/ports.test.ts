/** The harness's ports come from one place and stay inside TELENODE_TEST_PORTS when it is set (issue 22 item 13). */
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { ephemeralPortRange, freeTcpPort, freeUdpPort, listenOnLoopback, outsideEphemeral, parsePortRange, rtpPortRange } from '../../helpers/ports.js';

describe('test ports', () => {
  it('reads a range and refuses one that is not', () => {
    expect(parsePortRange(undefined)).toBeNull();
    expect(parsePortRange('30000-39999')).toEqual({ min: 30000, max: 39999 });
    for (const bad of ['30000', '40000-30000', '80-1000', '30000-30010', '1000-70000']) expect(() => parsePortRange(bad)).toThrow(/TELENODE_TEST_PORTS/);
  });

  it('picks TCP and UDP ports inside the range (sipp gets an even one with two free after it), and an RTP slice of it', async () => {
    const range = { min: 31000, max: 31999 };
    for (let i = 0; i < 5; i++) {
      const tcp = await freeTcpPort(range);
      expect(tcp).toBeGreaterThanOrEqual(range.min);
      expect(tcp).toBeLessThanOrEqual(range.max);
      const udp = await freeUdpPort(range);
      expect(udp % 2).toBe(0);
      expect(udp).toBeGreaterThanOrEqual(range.min);
      expect(udp + 2).toBeLessThanOrEqual(range.max);
    }
    expect(rtpPortRange(range)).toEqual({ portMin: 31899, portMax: 31999 });
    expect(rtpPortRange(null)).toBeNull();
    expect(await freeTcpPort(null)).toBeGreaterThan(0);
  });

  it("keeps listening ports out of the kernel's ephemeral range, where a client reconnecting to one could take it", async () => {
    const ephemeral = { min: 32768, max: 60999 };
    expect(outsideEphemeral({ min: 30000, max: 39999 }, ephemeral)).toEqual({ min: 30000, max: 32767 });
    expect(outsideEphemeral({ min: 20000, max: 65535 }, ephemeral)).toEqual({ min: 20000, max: 32767 });
    expect(outsideEphemeral({ min: 50000, max: 65535 }, ephemeral)).toEqual({ min: 61000, max: 65535 });
    // No room outside: the range as given.
    expect(outsideEphemeral({ min: 40000, max: 49999 }, ephemeral)).toEqual({ min: 40000, max: 49999 });
    const live = ephemeralPortRange();
    const outside = (port: number) => port < live.min || port > live.max;
    for (let i = 0; i < 5; i++) expect(outside(await freeTcpPort(null))).toBe(true);
    const server = createServer();
    try {
      expect(outside(await listenOnLoopback(server))).toBe(true);
    } finally {
      server.close();
    }
  });
});
