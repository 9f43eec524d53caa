/**
 * Starts a worker thread from a module file, whether the code runs compiled
 * (dist/…/x.js) or as TypeScript source under tsx or vitest (src/…/x.ts).
 *
 * Node 20 does not apply loader hooks registered with --import to a worker's
 * entry module, so a .ts entry is started by a two-line bootstrap that
 * registers tsx's ESM hooks in the worker and then imports the entry.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `name` without extension, next to the module whose import.meta.url is `besides`. */
export function siblingModule(besides: string, name: string): URL {
  return new URL(`./${name}${besides.endsWith('.ts') ? '.ts' : '.js'}`, besides);
}

export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const bootstrap = `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function tsxApi(): string {
  // Under tsx, import.meta.resolve finds the package from here; vitest has no import.meta.resolve,
  // and a bare specifier in an eval'd worker resolves from the working directory (the project's, under vitest).
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  return resolve ? resolve('tsx/esm/api') : 'tsx/esm/api';
}
