#!/usr/bin/env node
/**
 * `telenode` — the command line. This entry only loads the commands
 * (program.ts), so that what must happen before they load has a place to go:
 * the daemon's young-generation cap, which V8 would otherwise outgrow while
 * the daemon's modules are parsed (src/app/heap-growth.ts).
 */
import { holdYoungGeneration } from '../app/heap-growth.js';

if (process.argv[2] === 'start') holdYoungGeneration();
await import('./program.js');
