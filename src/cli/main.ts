#!/usr/bin/env node
/**
 * `telenode` — the command line. This entry only loads the commands
 * (program.ts), so that what must happen before they load has a place to go.
 */
await import('./program.js');
