/**
 * The shared call scenarios through drachtio-server. They run when one is
 * reachable: DRACHTIO_HOST, DRACHTIO_PORT (admin, default 9022),
 * DRACHTIO_SECRET (default cymru) and DRACHTIO_SIP (host:port of its SIP
 * listener, where sipp sends calls). README "Calls" shows how to run one.
 */
import { describe, it } from 'vitest';
import { sippAvailable } from '../../helpers/sipp.js';
import { drachtioFromEnv, startDrachtioHarness } from '../../helpers/voice-harness.js';
import { callScenarios } from './call-scenarios.js';

const drachtio = drachtioFromEnv();

if (drachtio && sippAvailable()) {
  describe('drachtio engine', () => {
    callScenarios('drachtio', () => startDrachtioHarness());
  });
} else {
  describe('drachtio engine', () => {
    it.skip('SKIPPED: no drachtio-server configured (set DRACHTIO_HOST and DRACHTIO_SIP to run the shared call scenarios through drachtio)', () => {});
  });
  console.warn('[drachtio-calls] skipped: no drachtio-server configured (DRACHTIO_HOST, DRACHTIO_SIP unset)');
}
