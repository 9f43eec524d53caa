/**
 * The console's page and its two bundles (built by `npm run build` into dist/console/: scripts/build-console.mjs),
 * served from memory under fixed names, so no request path ever reaches the file system. Every console response
 * carries a content security policy that allows this origin's script and style only: no inline script, no
 * eval, no framing, nothing fetched from elsewhere (the console works with no internet).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export interface ConsoleAssets {
  /** False when the console was not built (the page says how to build it). */
  readonly built: boolean;
  send(reply: FastifyReply, name: string): FastifyReply;
}

/** dist/console next to the compiled server, or the build output when the server runs from src/ (tests). */
export function loadConsoleAssets(): ConsoleAssets {
  const candidates = [new URL('../../console/', import.meta.url), new URL('../../../dist/console/', import.meta.url)].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => existsSync(`${d}index.html`) && existsSync(`${d}app.js`));
  const files = new Map<string, Buffer>();
  if (dir) for (const name of Object.keys(TYPES)) if (existsSync(dir + name)) files.set(name, readFileSync(dir + name));
  return {
    built: dir !== undefined,
    send(reply, name) {
      const body = files.get(name);
      reply.headers(CONSOLE_SECURITY_HEADERS);
      if (!body) {
        return reply
          .code(name === 'index.html' ? 503 : 404)
          .type('text/plain; charset=utf-8')
          .send(name === 'index.html' ? 'The console is not built: run `npm run build`.\n' : 'not found\n');
      }
      return reply.type(TYPES[name]!).send(body);
    },
  };
}
