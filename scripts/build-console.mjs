// Builds the operator console (src/console/) into dist/console/: one script and one stylesheet bundled by
// esbuild, and the page. Run by `npm run build`, so `npm install` (prepare) and the README's first command
// build it too; the daemon serves the result from memory (src/api/admin/assets.ts).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const out = 'dist/console';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'src/console/client/main.ts' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: out,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('src/console/index.html', `${out}/index.html`);
