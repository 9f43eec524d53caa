/**
 * undici, loaded on first use. Its modules are 2.5–4.5 MiB of V8 heap, and the
 * main thread needs them only for OzML app requests, prompt downloads and
 * in-process callbacks: a node that only sends SMS (its callbacks go from the
 * sender thread) never loads them there (issue 18).
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

let loaded: typeof Undici | null = null;

export function undici(): typeof Undici {
  return (loaded ??= createRequire(import.meta.url)('undici') as typeof Undici);
}
