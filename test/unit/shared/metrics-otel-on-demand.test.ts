/**
 * patches/prom-client+15.1.3.patch: prom-client's process CPU metric required @opentelemetry/api (about 50 modules)
 * when loaded, for exemplars the daemon never enables (issue 18). It now requires it only when a metric with
 * exemplars is collected. A registry without them still reports the process's CPU. Run in a fresh process: this one's
 * module cache has seen prom-client already.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = `
  const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/@opentelemetry/api/'));
  const { Registry, collectDefaultMetrics } = require('prom-client');
  (async () => {
    const plain = new Registry();
    collectDefaultMetrics({ register: plain, prefix: 'telenode_' });
    const text = await plain.metrics();
    const withoutExemplars = { loaded: loaded(), reportsCpu: /^telenode_process_cpu_user_seconds_total \\d/m.test(text) };
    const open = new Registry();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    collectDefaultMetrics({ register: open, enableExemplars: true });
    const exemplarText = await open.metrics();
    const withExemplars = { loaded: loaded(), reportsCpu: /^process_cpu_user_seconds_total \\d/m.test(exemplarText) };
    console.log(JSON.stringify({ withoutExemplars, withExemplars }));
  })();`;

describe('the metrics registry', () => {
  it('reports the process CPU without loading OpenTelemetry, which it loads for exemplars only', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: process.cwd(), timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ withoutExemplars: { loaded: false, reportsCpu: true }, withExemplars: { loaded: true, reportsCpu: true } });
  });
});
