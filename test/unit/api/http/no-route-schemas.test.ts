/**
 * src/api/http/no-route-schemas.ts: the API server runs without fastify's schema compilers, so a daemon never loads
 * ajv or the fast-json-stringify compiler (about 110 modules, 1.2 MiB of heap, issue 18); its routes still answer,
 * its unknown routes still get fastify's 404, and a route that declares a schema stops the server's start with the
 * reason rather than going unvalidated. Run in a fresh process against dist/: this one's module cache has seen ajv.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const server = join(process.cwd(), 'dist/api/server.js');

const script = `
  import { createRequire } from 'node:module';
  const { buildApiServer } = await import(${JSON.stringify(server)});
  const require = createRequire(${JSON.stringify(server)});
  const { Registry } = require('prom-client');
  const log = { info() {}, warn() {}, error() {}, debug() {}, child() { return log; } };
  const build = () => buildApiServer({ registry: new Registry(), health: async () => ({ status: 'ok' }), bodyLimitBytes: 1 << 20, log });

  const app = build();
  await app.ready();
  const health = await app.inject({ method: 'GET', url: '/health' });
  const missing = await app.inject({ method: 'GET', url: '/no/such/route' });
  const loaded = (part) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + part));
  const modules = { ajv: loaded('ajv/'), ajvCompiler: loaded('@fastify/ajv-compiler/'), serializerCompiler: loaded('@fastify/fast-json-stringify-compiler/') };
  await app.close();

  const withSchema = build();
  withSchema.post('/typed', { schema: { body: { type: 'object' } } }, async () => 'never');
  const refused = await withSchema.ready().then(() => null, (err) => err.message);

  console.log(JSON.stringify({ health: [health.statusCode, health.json()], missing: [missing.statusCode, missing.json().error], modules, refused }));`;

describe('the API server', () => {
  it("answers without fastify's schema compilers, never loads ajv, and refuses a route that declares a schema", async () => {
    const run = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      health: [200, { status: 'ok' }],
      missing: [404, 'Not Found'],
      modules: { ajv: false, ajvCompiler: false, serializerCompiler: false },
    });
    expect(result['refused']).toMatch(/declares a JSON schema/);
  });
});
