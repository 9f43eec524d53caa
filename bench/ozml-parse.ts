/**
 * OzML parse + validate time per document (µs): the XML validator, the
 * element tree with line/column, and every verb's parse, for three documents
 * (seed 002, a nested DTMF menu, a long script). Each run parses each
 * document many times after a warm-up; the median of the runs is reported.
 *
 *   npm run bench:ozml                   # 7 runs, medians to bench/RESULTS.md
 *   npx tsx bench/ozml-parse.ts --runs 3 --out /tmp/r.md
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { parseOzml } from '../src/voice/ozml/parse.js';
import { writeResultsSection } from './bench-lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    iterations: { type: 'string', default: '5000' },
    out: { type: 'string', default: 'bench/RESULTS.md' },
  },
});
const runs = Number(values.runs);
const iterations = Number(values.iterations);

const SEED_002 =
  '<?xml version="1.0"?> <Response> <Speak>An SMS will be sent to +062554670.</Speak> <SendSms Recipient="+062554670">Hello! How are you?</SendSms> <Speak>The SMS has been sent.</Speak> <Hangup></Hangup> </Response>';
const MENU = readFileSync(new URL('../test/fixtures/ozml/good-menu.xml', import.meta.url), 'utf8');
const LONG = `<Response>${Array.from({ length: 50 }, (_, i) => `<Speak Language="en-GB">Line ${i} of a long announcement with $name in it.</Speak><Delay>0.2</Delay>`).join('')}<Hangup/></Response>`;

const documents: [string, string][] = [
  ['Seed 002 (4 verbs)', SEED_002],
  ['Nested DTMF menu (good-menu.xml, 17 verbs)', MENU],
  ['Long script (101 verbs)', LONG],
];

function microsPerDoc(source: string): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) parseOzml(source);
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: string[] = [];
for (const [name, source] of documents) {
  microsPerDoc(source); // warm-up: JIT and the XML parser's caches
  const results = Array.from({ length: runs }, () => microsPerDoc(source));
  const m = median(results);
  console.log(`${name}: ${m.toFixed(1)} µs (runs: ${results.map((r) => r.toFixed(1)).join(', ')})`);
  rows.push(`| ${name} | ${source.length} | ${m.toFixed(1)} (runs: ${results.map((r) => r.toFixed(1)).join(', ')}) |`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`;
const section = `## OzML parse + validate (bench/ozml-parse.ts)

- **Date:** ${new Date().toISOString().slice(0, 10)}
- **Machine:** ${machine}
- **Setup:** \`parseOzml\` in one process: well-formedness check, element tree with line/column, every verb's
  validation; ${iterations} parses per run after a warm-up; ${runs} runs, **median** first, each run in brackets.

| Document | Bytes | µs per document |
| --- | --- | --- |
${rows.join('\n')}

A call parses its script once (per app reply), so even the long script costs well under a millisecond
of CPU against seconds of audio.
`;

writeResultsSection(values.out!, section);
