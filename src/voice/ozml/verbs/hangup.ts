/** Hangup: end the call now (the end of the script does the same). */
import { defineVerb } from '../script.js';

export const hangup = defineVerb({
  name: 'Hangup',
  answers: false,
  parse: () => ({}),
  run: async () => ({ kind: 'stop', why: 'hangup' }),
});
