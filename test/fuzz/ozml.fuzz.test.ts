/**
 * OzML fuzzing: mutated scripts (from the fixtures and seed 002's script)
 * go through `lintOzml` and `parseOzml` as a call would parse them. Every
 * outcome is a parsed script or OzmlErrors with a line and column; nothing
 * else may escape. FUZZ_SCALE runs more, FUZZ_SEED repeats one run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintOzml, parseOzml } from '../../src/voice/ozml/parse.js';
import { OzmlError } from '../../src/voice/ozml/xml.js';
import { Dice, damageBytes, seededRandom } from './dice.js';

const SCALE = Number(process.env['FUZZ_SCALE'] ?? 1);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
const FIXTURES = join(import.meta.dirname, '../fixtures/ozml');
const CORPUS = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => readFileSync(join(FIXTURES, f), 'utf8'));

const FRAGMENTS = [
  '<Speak>x</Speak>',
  '<Play>../../etc/passwd</Play>',
  '<Play>$Caller.wav</Play>',
  '<GoTo>data:text/xml,&lt;Response/&gt;</GoTo>',
  '<UserInput Digits="99999999999"/>',
  '<Record Duration="-1"/>',
  '<Var id="">$$$</Var>',
  '<ForEach Array="a"><ForEach Array="a"/></ForEach>',
  '<![CDATA[<Hangup/>]]>',
  '<!-- -->',
  '<?pi x?>',
  '<!DOCTYPE Response [<!ENTITY x "y">]>',
  '&x;',
  '&#0;',
  '&#x110000;',
  '\u0000',
  '<Response>',
  '</Response>',
  '<a:b xmlns:a="u"/>',
  '<Reject Reason=""/>',
  '<Delay>1e309</Delay>',
  '<SendSms Recipient="+1">' + 'é'.repeat(2000) + '</SendSms>',
  '<Array id="a">' + '<Item>x</Item>'.repeat(50) + '</Array>',
];

function mutateScript(source: string, dice: Dice): string {
  let text = source;
  for (let round = 0; round < 1 + dice.int(3); round++) {
    const at = dice.int(text.length + 1);
    switch (dice.int(5)) {
      case 0:
        text = text.slice(0, at) + dice.pick(FRAGMENTS) + text.slice(at);
        break;
      case 1:
        text = text.slice(0, at) + text.slice(at + 1 + dice.int(20));
        break;
      case 2: {
        const from = dice.int(text.length);
        text = text.slice(0, at) + text.slice(from, from + dice.int(80)) + text.slice(at);
        break;
      }
      case 3:
        text = text.replace(/="[^"]*"/, `="${dice.pick(['', '-1', 'NaN', 'true', '0x10', '%00', '"', '<', 'x'.repeat(5000)])}"`);
        break;
      default:
        text = damageBytes(Buffer.from(text), dice).toString('utf8');
    }
  }
  return text;
}

describe(`OzML fuzz (seed ${SEED})`, () => {
  it('parses 20,000 mutated scripts into a script or positioned OzmlErrors, never anything else', () => {
    const dice = new Dice(seededRandom(SEED));
    let rejected = 0;
    for (let i = 0; i < 20_000 * SCALE; i++) {
      const source = mutateScript(dice.pick(CORPUS), dice);
      let errors: OzmlError[];
      try {
        errors = lintOzml(source);
      } catch (err) {
        throw new Error(`lintOzml threw ${(err as Error).name} on case ${i} (seed ${SEED}): ${(err as Error).message}\n${source.slice(0, 500)}`);
      }
      for (const err of errors) expect(err.at, `case ${i}: ${err.message}`).not.toBeNull();
      try {
        parseOzml(source);
      } catch (err) {
        if (!(err instanceof OzmlError))
          throw new Error(`parseOzml threw ${(err as Error).name} on case ${i} (seed ${SEED}): ${(err as Error).message}\n${source.slice(0, 500)}`);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1000); // the mutations did break scripts
  });
});
